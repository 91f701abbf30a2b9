package opsroom_test

import (
	"strings"
	"testing"

	"github.com/ascolto/ascolto/ivr"
	"github.com/ascolto/ascolto/opsroom"
)

// TestEscalationPromptsAreInTheCatalog: every sound the escalation call
// plays is a prompt of the catalog, so it has a text and a recording in
// asterisk-conf/sounds (the ivr tests check the audio matches the text).
func TestEscalationPromptsAreInTheCatalog(t *testing.T) {
	cat, err := ivr.DefaultPrompts()
	if err != nil {
		t.Fatal(err)
	}
	media := opsroom.Media([]opsroom.ItemView{{Kind: "rescue", TrackingID: "CC-2026-000123"}, {Kind: "report", TrackingID: "CC-2026-000124"}})
	sounds := 0
	for _, m := range media {
		name, ok := strings.CutPrefix(m, "sound:ascolto/")
		if !ok {
			continue
		}
		sounds++
		for _, lang := range []string{ivr.LangItalian, ivr.LangEnglish} {
			if _, ok := cat.Text(name, lang); !ok {
				t.Errorf("prompt %q (%s) is not in ivr/prompts.yaml", name, lang)
			}
		}
	}
	if sounds < 5 {
		t.Fatalf("only %d sounds in %v", sounds, media)
	}
}
