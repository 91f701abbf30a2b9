#!/usr/bin/env bash
# Vendors the few files the console takes from bootstrap-italia (the Italian
# public administration's UI kit, AgID design guidelines) into
# assets/vendor/, which is embedded in the binary:
#   - the Titillium Web font (regular, semibold, bold; woff2 only) with its
#     SIL Open Font Licence,
#   - bootstrap-italia's licence (BSD-3-Clause).
# The console's own console.css follows the kit's palette and type scale
# instead of shipping its 600 KB stylesheet, so pages stay small.
#
# Run from anywhere: bash console/assets/vendor.sh [VERSION]
set -euo pipefail
version="${1:-2.18.3}"
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/vendor"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "bootstrap-italia@$version" >/dev/null && tar xzf bootstrap-italia-*.tgz)
src="$tmp/package/dist/fonts/Titillium_Web"
rm -rf "$out"
mkdir -p "$out/titillium-web"
for w in regular 600 700; do
  cp "$src/titillium-web-v10-latin-ext_latin-$w.woff2" "$out/titillium-web/titillium-web-$w.woff2"
done
cp "$src/OFL.txt" "$out/titillium-web/OFL.txt"
cp "$tmp/package/LICENSE" "$out/LICENSE-bootstrap-italia.txt"
cat > "$out/README.md" <<MD
Vendored from the npm package bootstrap-italia@$version by console/assets/vendor.sh.
- titillium-web/: Titillium Web (SIL Open Font License 1.1, see OFL.txt).
- LICENSE-bootstrap-italia.txt: bootstrap-italia's licence (BSD-3-Clause).
MD
du -sh "$out"
