package oncall

import "testing"

// TestWords: every code the board can carry has an Italian and an English
// word, and a code Word does not know (a wave the roster names) comes back
// as it is.
func TestWords(t *testing.T) {
	codes := map[string][]string{
		WordActivation: {"running", "quorum", "exhausted", "closed"},
		WordState:      {"waiting", "calling", "confirmed", "arrived", "declined", "unreachable"},
		WordResult: {string(OutcomeConfirmed), string(OutcomeDeclined), string(OutcomeBusy), string(OutcomeNoAnswer),
			string(OutcomeUnreachable), string(OutcomeRefused), string(OutcomeNoInput), string(OutcomeHungUp),
			string(OutcomeInterrupted), string(OutcomeError), "sent", "failed"},
		WordVia:  {"phone", "link", "login"},
		WordWave: {"primary"},
	}
	for kind, cs := range codes {
		for _, c := range cs {
			it, en := Word(kind, c, "it"), Word(kind, c, "en")
			if it == c && kind != WordVia || it == "" || en == "" {
				t.Errorf("%s %s: %q / %q", kind, c, it, en)
			}
		}
	}
	if Word(WordState, "waiting", "it") != "da chiamare" || Word(WordResult, "no-input", "en") != "answered without choosing" {
		t.Error("words")
	}
	if Word(WordWave, "Sala Bologna", "it") != "Sala Bologna" {
		t.Error("an unknown wave name is not kept")
	}
	if w := Words("en"); w["state.arrived"] != "arrived" || len(w) != len(words) {
		t.Errorf("Words(en) %v", w)
	}
}
