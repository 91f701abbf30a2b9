package ivr

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestStepsOfTheDefaultFlow(t *testing.T) {
	f, err := DefaultFlow()
	if err != nil {
		t.Fatal(err)
	}
	steps := f.Steps()
	if len(steps) != len(f.NodeIDs()) || steps[0].ID != "benvenuto" || steps[0].Line != 11 {
		t.Fatalf("steps %d (first %+v), nodes %d", len(steps), steps[0], len(f.NodeIDs()))
	}
	exits := func(id string) string {
		for _, s := range steps {
			if s.ID == id {
				var out []string
				for _, e := range s.Exits {
					out = append(out, fmt.Sprintf("%s%s>%s", e.Via, e.Key, e.To))
				}
				return strings.Join(out, " ")
			}
		}
		t.Fatalf("no step %s", id)
		return ""
	}
	for id, want := range map[string]string{
		"benvenuto":      "key9>inglese nochoice>modalita",
		"menu-ordinario": "key1>pericolo key2>segnalazione key3>informazioni key5>fax key*>menu-ordinario nochoice>operatore",
		"modalita":       "ordinary>orario emergency>avviso-emergenza mode-off>servizio-sospeso",
		"orario":         "open>menu-ordinario closed>fuori-orario",
		"messaggio":      "next>messaggio-registrato failed>operatore",
		"coda-soccorso":  "",
		"inglese":        "next>modalita",
	} {
		if got := exits(id); got != want {
			t.Errorf("%s: exits %q, want %q", id, got, want)
		}
	}
	for _, s := range steps {
		switch s.ID {
		case "benvenuto":
			if s.Timeout != 2*time.Second || s.Retries != 0 || !s.PassOtherKeys || strings.Join(s.Prompts, ",") != "benvenuto,per-inglese" {
				t.Errorf("benvenuto %+v", s)
			}
		case "coda-soccorso":
			if s.Queue != "soccorso" || !s.SetsPrio || s.Priority != 10 || !s.Kind.Terminal() {
				t.Errorf("coda-soccorso %+v", s)
			}
		case "pericolo":
			if s.Category != "soccorso" || s.Urgency != UrgencyRescue || !s.SetsUrgency || s.Kind.Terminal() {
				t.Errorf("pericolo %+v", s)
			}
		case "messaggio":
			if s.MaxSeconds != 120 || s.TerminateKey != "#" {
				t.Errorf("messaggio %+v", s)
			}
		}
	}
}
