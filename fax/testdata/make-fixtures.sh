#!/usr/bin/env bash
# Makes the fax fixtures with Debian's tools, as a fax machine and
# Asterisk's ReceiveFAX would leave them: multi-page bilevel TIFFs at fax
# resolutions, CCITT compressed. Run from anywhere; it writes next to itself.
# Needs: imagemagick libtiff-tools fonts-dejavu-core (installed if missing).
set -euo pipefail
cd "$(dirname "$0")"
need=()
[ -x /usr/bin/convert ] || need+=(imagemagick)
command -v tiffcp >/dev/null || need+=(libtiff-tools)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
if [ ${#need[@]} -gt 0 ]; then
  apt-get install -y -q --no-install-recommends "${need[@]}"
fi
convert=/usr/bin/convert
font=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# page N: an A4 fax page (1728 dots wide) with Italian text an OCR can read.
page() { # out density text...
  local out=$1 density=$2; shift 2
  "$convert" -size 1728x2200 xc:white -font "$font" -pointsize 44 -fill black \
    -annotate +120+260 "$1" -annotate +120+360 "$2" -annotate +120+460 "$3" \
    -density "$density" -units PixelsPerInch -monochrome "$out"
}
page "$tmp/p1.png" 204x196 "COMUNE DI PAGANICA - UFFICIO TECNICO" "Segnalazione frana sulla strada provinciale" "Richiesta di intervento urgente"
page "$tmp/p2.png" 204x196 "Seconda pagina: planimetria allegata" "Località Collebrincioni, chilometro quattro" "Il sindaco"
page "$tmp/p3.png" 204x196 "Terza pagina" "Elenco delle famiglie evacuate" "Fine del documento"

# Fine resolution, Group 4, three pages (what spandsp usually writes).
for i in 1 2 3; do
  "$convert" "$tmp/p$i.png" -density 204x196 -units PixelsPerInch -compress Group4 "$tmp/g4-$i.tif"
done
tiffcp -c g4 "$tmp/g4-1.tif" "$tmp/g4-2.tif" "$tmp/g4-3.tif" fine-g4-3pages.tif

# Standard resolution (204 x 98 dpi: half the rows), Group 3 1-D, two pages.
for i in 1 2; do
  "$convert" "$tmp/p$i.png" -resize 1728x1100\! -monochrome -density 204x98 -units PixelsPerInch -compress Group4 "$tmp/std-$i.tif"
done
tiffcp -c g3:1d "$tmp/std-1.tif" "$tmp/std-2.tif" standard-g3-2pages.tif

# A reception cut short: the second page's data is truncated.
head -c $(( $(stat -c %s fine-g4-3pages.tif) * 55 / 100 )) fine-g4-3pages.tif > truncated.tif

# Not a TIFF at all.
printf 'MZ\x90\x00this is not a fax' > not-a-tiff.tif
ls -l *.tif

# spandsp-mr-3pages.tif is not made here: it is what Asterisk 20's ReceiveFAX
# (spandsp) wrote when SendFAX sent fine-g4-3pages.tif over G.711
# (TestRealAsteriskFax): Group 3 with two-dimensional rows and fill bits.
# Its reference copy is libtiff's reading of it:
#   tiffcp -c g4 spandsp-mr-3pages.tif spandsp-mr-3pages-as-g4.tif
