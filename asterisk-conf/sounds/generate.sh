#!/usr/bin/env bash
# Generate the IVR prompt audio from the prompt catalog (ivr/prompts.yaml).
#
# Every prompt is spoken by espeak-ng and converted by sox to 8 kHz mono
# 16-bit signed PCM WAV, the format Asterisk plays as "wav" without
# transcoding on a G.711 call. Output layout (Asterisk languageprefix=yes):
#
#   asterisk-conf/sounds/<lang>/ascolto/<prompt>.wav    lang = it | en
#
# which the engine plays as sound:ascolto/<prompt> with ARI lang=<lang>.
# Mount or copy each <lang>/ascolto directory to
# <astdatadir>/sounds/<lang>/ascolto (for example /var/lib/asterisk/sounds/it/ascolto).
#
# manifest.tsv records a hash of each text, so the ivr tests notice when a
# text changed and the audio was not regenerated.
#
# Recorded voices: a human recording replaces a file of the same name (any
# format Asterisk reads: record 8 kHz mono WAV, or convert with
# `sox in.wav -r 8000 -c 1 -b 16 out.wav`), and its manifest line's last
# column changes from "espeak-ng" to "recorded" so this script keeps it
# (it only rewrites files whose source is espeak-ng, or whose text changed).
#
# Needs: espeak-ng, sox (apt-get install -y espeak-ng sox) and Go.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
for tool in espeak-ng sox go sha256sum; do
	if ! command -v "$tool" >/dev/null; then
		echo "generate.sh: $tool is missing (apt-get install -y espeak-ng sox)" >&2
		exit 1
	fi
done

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# The list comes from the same parser the engine uses: lang, voice, name, text.
(cd "$root" && go run ./ivr/internal/promptlist) >"$tmp/list.tsv"

manifest="$here/manifest.tsv"
declare -A old_hash old_source
if [[ -f "$manifest" ]]; then
	while IFS=$'\t' read -r lang name hash source; do
		[[ "$lang" == \#* ]] && continue
		old_hash["$lang/$name"]="$hash"
		old_source["$lang/$name"]="$source"
	done <"$manifest"
fi

mkdir -p "$here/it/ascolto" "$here/en/ascolto"
{
	printf '# lang\tprompt\tsha256 of the text\tsource (espeak-ng or recorded)\n'
	while IFS=$'\t' read -r lang voice name text; do
		hash="$(printf '%s' "$text" | sha256sum | cut -d' ' -f1)"
		out="$here/$lang/ascolto/$name.wav"
		key="$lang/$name"
		if [[ "${old_source[$key]:-}" == recorded && "${old_hash[$key]:-}" == "$hash" && -f "$out" ]]; then
			printf '%s\t%s\t%s\trecorded\n' "$lang" "$name" "$hash"
			continue
		fi
		if [[ "${old_source[$key]:-}" == recorded ]]; then
			echo "generate.sh: $key: the text changed, replacing the recording with a synthetic voice" >&2
		fi
		spoken="$text"
		case "$voice" in
		it)
			espeak_voice=it
			# Read web addresses as Italians say them: "protezionecivile punto gov punto it".
			spoken="$(printf '%s' "$text" | sed -E 's/([a-z])\.([a-z])/\1 punto \2/g')"
			;;
		en) espeak_voice=en-gb ;;
		*)
			echo "generate.sh: unknown voice $voice for $key" >&2
			exit 1
			;;
		esac
		espeak-ng -v "$espeak_voice" -s 150 -w "$tmp/raw.wav" -- "$spoken"
		sox -D "$tmp/raw.wav" -r 8000 -c 1 -b 16 -e signed-integer "$out" gain -n -3
		printf '%s\t%s\t%s\tespeak-ng\n' "$lang" "$name" "$hash"
	done <"$tmp/list.tsv"
} >"$tmp/manifest.tsv"

# Drop audio for prompts no longer in the catalog.
for f in "$here"/{it,en}/ascolto/*.wav; do
	[[ -e "$f" ]] || continue
	lang="$(basename "$(dirname "$(dirname "$f")")")"
	name="$(basename "$f" .wav)"
	if ! grep -q "^$lang	$name	" "$tmp/manifest.tsv"; then
		echo "generate.sh: removing $lang/ascolto/$name.wav (not in the catalog)" >&2
		rm -f "$f"
	fi
done
mv "$tmp/manifest.tsv" "$manifest"
echo "generate.sh: $(($(wc -l <"$manifest") - 1)) prompt files in $here/{it,en}/ascolto"
