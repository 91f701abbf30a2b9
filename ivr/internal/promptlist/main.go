// Command promptlist prints the default prompt catalog as tab-separated
// lines "lang<TAB>voice<TAB>name<TAB>text", one per prompt and language, so
// asterisk-conf/sounds/generate.sh can synthesise the audio from the same
// catalog the engine embeds, parsed by the same code.
package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"github.com/ascolto/ascolto/ivr"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "promptlist:", err)
		os.Exit(1)
	}
}

func run() error {
	prompts, err := ivr.DefaultPrompts()
	if err != nil {
		return err
	}
	w := bufio.NewWriter(os.Stdout)
	for _, lang := range []string{ivr.LangItalian, ivr.LangEnglish} {
		for _, name := range prompts.Names() {
			text, _ := prompts.Text(name, lang)
			text = strings.Join(strings.Fields(text), " ")
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", lang, prompts.Voice(name, lang), name, text)
		}
	}
	return w.Flush()
}
