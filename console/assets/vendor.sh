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
# And JsSIP, the SIP-over-WebSocket library of the desk's WebRTC softphone
# (assets/softphone.js), MIT: its npm package ships CommonJS modules only,
# so it is bundled here with esbuild into one minified script that defines
# the global JsSIP, with its licence and those of its dependencies (debug,
# ms, events, sdp-transform: all MIT) in vendor/jssip/.
#
# Run from anywhere: bash console/assets/vendor.sh [BOOTSTRAP_ITALIA_VERSION [JSSIP_VERSION]]
set -euo pipefail
version="${1:-2.18.3}"
jssip="${2:-3.13.8}"
esbuild=0.24.2
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

# JsSIP, bundled for the browser.
mkdir -p "$tmp/jssip" "$out/jssip"
(cd "$tmp/jssip" && npm init -y >/dev/null && npm install --silent --no-audit --no-fund --ignore-scripts=false \
  "jssip@$jssip" "esbuild@$esbuild" >/dev/null)
echo 'window.JsSIP = require("jssip");' > "$tmp/jssip/entry.js"
(cd "$tmp/jssip" && ./node_modules/.bin/esbuild entry.js --bundle --minify --format=iife --platform=browser \
  --target=es2017 --legal-comments=inline --log-level=warning --outfile="$out/jssip/jssip.min.js")
{
  for dep in jssip debug ms events sdp-transform; do
    d="$tmp/jssip/node_modules/$dep"
    lic=$(ls "$d"/LICENSE* "$d"/license* 2>/dev/null | head -n 1 || true)
    printf '== %s %s ==\n' "$dep" "$(node -p "require('$d/package.json').version")"
    if [ -n "$lic" ]; then cat "$lic"; else node -p "'License: ' + require('$d/package.json').license"; fi
    printf '\n'
  done
} > "$out/jssip/LICENSES.txt"

cat > "$out/README.md" <<MD
Vendored from npm by console/assets/vendor.sh.
- titillium-web/: Titillium Web from bootstrap-italia@$version (SIL Open Font License 1.1, see OFL.txt).
- LICENSE-bootstrap-italia.txt: bootstrap-italia's licence (BSD-3-Clause).
- jssip/jssip.min.js: JsSIP $jssip (MIT) with debug, ms, events and sdp-transform (MIT),
  bundled by esbuild $esbuild into one script defining the global JsSIP; licences in jssip/LICENSES.txt.
MD
du -sh "$out"
