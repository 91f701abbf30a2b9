package ivr

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDefaultPrompts(t *testing.T) {
	p, err := DefaultPrompts()
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Names()) < 10 {
		t.Fatalf("only %d prompts", len(p.Names()))
	}
	for _, name := range p.Names() {
		it, _ := p.Text(name, LangItalian)
		en, _ := p.Text(name, LangEnglish)
		if it == "" || en == "" {
			t.Errorf("%s lacks a text", name)
		}
		if it == en && p.Voice(name, LangItalian) != LangEnglish {
			t.Errorf("%s: Italian and English texts are the same", name)
		}
		if uri := p.URI(name); uri != "sound:ascolto/"+name {
			t.Errorf("%s: URI %q", name, uri)
		}
	}
	// The out-of-hours message tells the hours, the web form and 112.
	closed, _ := p.Text("fuori-orario", LangItalian)
	for _, want := range []string{"dal lunedì al venerdì", "dalle 9 alle 18", "modulo online", "112"} {
		if !strings.Contains(closed, want) {
			t.Errorf("fuori-orario lacks %q: %q", want, closed)
		}
	}
	if text, ok := p.Text("benvenuto", "fr"); !ok || !strings.HasPrefix(text, "Benvenuto") {
		t.Errorf("unknown language should fall back to Italian, got %q", text)
	}
	if _, ok := p.Text("nessuno", LangItalian); ok || p.Has("nessuno") {
		t.Error("a missing prompt was found")
	}
}

func TestParsePromptsRefusesBadCatalogs(t *testing.T) {
	bad := map[string]string{
		"not yaml":          "a: [",
		"not a mapping":     "- a",
		"bad name":          "Ciao:\n  it: ciao\n  en: hello\n",
		"missing english":   "ciao:\n  it: ciao\n",
		"unknown field":     "ciao:\n  it: ciao\n  en: hello\n  fr: salut\n",
		"bad voice":         "ciao:\n  it: ciao\n  en: hello\n  voice: de\n",
		"duplicate":         "ciao:\n  it: ciao\n  en: hello\nciao:\n  it: ciao\n  en: hello\n",
		"text not a string": "ciao:\n  it: [ciao]\n  en: hello\n",
		"entry not a map":   "ciao: hello\n",
	}
	for name, src := range bad {
		if _, err := ParsePrompts([]byte(src)); !errors.Is(err, ErrBadPrompts) {
			t.Errorf("%s: err = %v, want ErrBadPrompts", name, err)
		}
	}
}

// TestPromptAudioMatchesCatalog checks the committed audio against the
// catalog: a file per prompt and language, in Asterisk's 8 kHz mono 16-bit
// WAV, made from the current text (asterisk-conf/sounds/manifest.tsv). It
// fails when a text changed and generate.sh was not run.
func TestPromptAudioMatchesCatalog(t *testing.T) {
	p, err := DefaultPrompts()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("..", "asterisk-conf", "sounds")
	mf, err := os.Open(filepath.Join(dir, "manifest.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer mf.Close()
	manifest := map[string]string{}
	sc := bufio.NewScanner(mf)
	for sc.Scan() {
		if f := strings.Split(sc.Text(), "\t"); len(f) == 4 && !strings.HasPrefix(f[0], "#") {
			manifest[f[0]+"/"+f[1]] = f[2]
		}
	}
	for _, lang := range []string{LangItalian, LangEnglish} {
		for _, name := range p.Names() {
			text, _ := p.Text(name, lang)
			sum := sha256.Sum256([]byte(strings.Join(strings.Fields(text), " ")))
			if got := manifest[lang+"/"+name]; got != hex.EncodeToString(sum[:]) {
				t.Errorf("%s/%s: audio made from another text: run asterisk-conf/sounds/generate.sh", lang, name)
			}
			checkWav(t, filepath.Join(dir, lang, "ascolto", name+".wav"))
		}
	}
	if want := 2 * len(p.Names()); len(manifest) != want {
		t.Errorf("manifest has %d entries, want %d", len(manifest), want)
	}
}

func checkWav(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Error(err)
		return
	}
	if len(data) < 44 || string(data[0:4]) != "RIFF" || string(data[8:12]) != "WAVE" || string(data[12:16]) != "fmt " {
		t.Errorf("%s is not a WAV file", path)
		return
	}
	format := binary.LittleEndian.Uint16(data[20:22])
	channels := binary.LittleEndian.Uint16(data[22:24])
	rate := binary.LittleEndian.Uint32(data[24:28])
	bits := binary.LittleEndian.Uint16(data[34:36])
	if format != 1 || channels != 1 || rate != 8000 || bits != 16 {
		t.Errorf("%s: format %d, %d channels, %d Hz, %d bits; want PCM mono 8000 Hz 16 bits", path, format, channels, rate, bits)
	}
	if len(data) < 44+8000 { // at least half a second of speech
		t.Errorf("%s is too short (%d bytes)", path, len(data))
	}
}
