package ivr

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSimulateDefaultFlow(t *testing.T) {
	f, err := DefaultFlow()
	if err != nil {
		t.Fatal(err)
	}
	prompts, err := DefaultPrompts()
	if err != nil {
		t.Fatal(err)
	}
	cal := defaultCalendar(t)
	loc := rome(t)
	tests := []struct {
		name      string
		at        string
		mode      Mode
		digits    string
		outcome   Outcome
		path      string
		tags      Tags
		lang      string
		heard     []string // prompts that must be heard, in order
		report    []string // lines the Italian report must contain
		next      string   // next opening, if any
		unused    []string
		recorded  bool
		reportErr bool
	}{
		{name: "ordinary hours, report", at: "2026-11-26T10:00", mode: ModeOrdinary, digits: "-,2",
			outcome: Outcome{Kind: OutcomeQueue, Node: "coda-segnalazioni", Queue: "segnalazioni", Priority: 5},
			path:    "benvenuto modalita orario menu-ordinario segnalazione coda-segnalazioni",
			tags:    Tags{"segnalazione", UrgencyElevated, 5}, lang: "it",
			heard:  []string{"benvenuto", "per-inglese", "menu-ordinario", "attesa-operatore"},
			report: []string{"orario (hours) → aperto (orario di servizio)", "Esito: in coda «segnalazioni» con priorità 5"}},
		{name: "ordinary hours, key typed at the greeting", at: "2026-11-26T10:00", mode: ModeOrdinary, digits: "3",
			outcome: Outcome{Kind: OutcomeQueue, Node: "coda-informazioni", Queue: "informazioni"},
			path:    "benvenuto modalita orario menu-ordinario informazioni coda-informazioni",
			tags:    Tags{Category: "informazioni"}, lang: "it",
			heard:  []string{"benvenuto", "per-inglese", "attesa-operatore"},
			report: []string{"☎ tasto 3 (passato al menu successivo)", "☎ tasto 3 (digitato in anticipo)"}},
		{name: "out of hours", at: "2026-11-26T20:00", mode: ModeOrdinary, digits: "1,3",
			outcome: Outcome{Kind: OutcomeHangup, Node: "fuori-orario"},
			path:    "benvenuto modalita orario fuori-orario", lang: "it",
			heard:  []string{"benvenuto", "per-inglese", "fuori-orario"},
			report: []string{"chiuso (fuori orario)", "il flusso chiude la chiamata (nodo fuori-orario)", "chiama subito il 112"},
			next:   "2026-11-27T09:00", unused: []string{"3"}},
		{name: "holiday", at: "2026-12-25T10:00", mode: ModeOrdinary, digits: "1,3",
			outcome: Outcome{Kind: OutcomeHangup, Node: "fuori-orario"},
			path:    "benvenuto modalita orario fuori-orario", lang: "it",
			heard:  []string{"benvenuto", "per-inglese", "fuori-orario"},
			report: []string{"chiuso (festività: Natale)", "Prossima apertura: lunedì 28/12/2026 09:00"},
			next:   "2026-12-28T09:00", unused: []string{"3"}},
		{name: "emergency on a holiday night, rescue", at: "2026-12-25T03:00", mode: ModeEmergency, digits: "-,1",
			outcome: Outcome{Kind: OutcomeQueue, Node: "coda-soccorso", Queue: "soccorso", Priority: 10},
			path:    "benvenuto modalita avviso-emergenza menu-emergenza pericolo avviso-112 coda-soccorso",
			tags:    Tags{"soccorso", UrgencyRescue, 10}, lang: "it",
			heard:  []string{"benvenuto", "avviso-emergenza", "menu-emergenza", "avviso-112"},
			report: []string{"modalità: emergenza (H24)", "🏷 categoria soccorso · urgenza rescue · priorità 10", "Esito: in coda «soccorso» con priorità 10"}},
		{name: "rescue tagging in ordinary hours", at: "2026-11-26T10:00", mode: ModeOrdinary, digits: "-,1",
			outcome: Outcome{Kind: OutcomeQueue, Node: "coda-soccorso", Queue: "soccorso", Priority: 10},
			path:    "benvenuto modalita orario menu-ordinario pericolo avviso-112 coda-soccorso",
			tags:    Tags{"soccorso", UrgencyRescue, 10}, lang: "it",
			heard: []string{"menu-ordinario", "avviso-112"}},
		{name: "emergency, english, message", at: "2026-11-26T23:00", mode: ModeEmergency, digits: "9,4",
			outcome: Outcome{Kind: OutcomeHangup, Node: "messaggio-registrato"},
			path:    "benvenuto inglese modalita avviso-emergenza menu-emergenza messaggio messaggio-registrato", lang: "en",
			heard:    []string{"benvenuto", "avviso-emergenza", "menu-emergenza", "registra-messaggio", "messaggio-registrato", "arrivederci"},
			report:   []string{"An emergency is under way", "● registrazione del messaggio (massimo 120 s, segnale acustico, termina con #)"},
			recorded: true},
		{name: "closed mode", at: "2026-11-26T10:00", mode: ModeClosed, digits: "",
			outcome: Outcome{Kind: OutcomeHangup, Node: "servizio-sospeso"},
			path:    "benvenuto modalita servizio-sospeso", lang: "it",
			heard: []string{"servizio-sospeso"}, report: []string{"temporaneamente sospeso"}},
		{name: "silent caller reaches an operator", at: "2026-11-26T10:00", mode: ModeOrdinary, digits: "",
			outcome: Outcome{Kind: OutcomeQueue, Node: "operatore", Queue: "informazioni"},
			path:    "benvenuto modalita orario menu-ordinario operatore", lang: "it",
			heard:  []string{"menu-ordinario", "nessuna-scelta", "menu-ordinario", "nessuna-scelta", "menu-ordinario", "attesa-operatore"},
			report: []string{"⌛ nessun tasto entro il tempo"}},
		{name: "wrong keys, then fax", at: "2026-11-26T10:00", mode: ModeOrdinary, digits: "-,7,5",
			outcome: Outcome{Kind: OutcomeFax, Node: "fax"},
			path:    "benvenuto modalita orario menu-ordinario fax", lang: "it",
			heard:  []string{"menu-ordinario", "scelta-non-valida", "menu-ordinario", "invio-fax"},
			report: []string{"☎ tasto 7 (non valido)", "passata alla ricezione fax"}},
		{name: "caller hangs up in the menu", at: "2026-11-26T10:00", mode: ModeOrdinary, digits: "-,h",
			outcome: Outcome{Kind: OutcomeCallerHangup, Node: "menu-ordinario"},
			path:    "benvenuto modalita orario menu-ordinario", lang: "it",
			report: []string{"il chiamante riaggancia (nodo menu-ordinario)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at, err := ParseTime(tt.at, loc)
			if err != nil {
				t.Fatal(err)
			}
			inputs, err := ParseInputs(tt.digits)
			if err != nil {
				t.Fatal(err)
			}
			tr, err := Simulate(f, prompts, SimInput{At: at, Mode: tt.mode, Calendar: cal, Inputs: inputs})
			if err != nil {
				t.Fatal(err)
			}
			if tr.Outcome != tt.outcome {
				t.Errorf("outcome = %+v, want %+v", tr.Outcome, tt.outcome)
			}
			var path []string
			var heard []string
			for _, st := range tr.Steps {
				path = append(path, st.Node)
				for _, h := range st.Heard {
					heard = append(heard, h.Prompt)
					want, _ := prompts.Text(h.Prompt, h.Lang)
					if h.Text == "" || h.Text != want {
						t.Errorf("prompt %s heard as %q", h.Prompt, h.Text)
					}
				}
			}
			if got := strings.Join(path, " "); got != tt.path {
				t.Errorf("path = %q, want %q", got, tt.path)
			}
			if !isSubsequence(tt.heard, heard) {
				t.Errorf("heard %v, want in order %v", heard, tt.heard)
			}
			if tr.Tags != tt.tags || tr.Lang != tt.lang || tr.Recorded != tt.recorded {
				t.Errorf("tags %+v lang %q recorded %v", tr.Tags, tr.Lang, tr.Recorded)
			}
			if !slices.Equal(tr.Unused, tt.unused) {
				t.Errorf("unused inputs = %v, want %v", tr.Unused, tt.unused)
			}
			wantNext := time.Time{}
			if tt.next != "" {
				wantNext, _ = ParseTime(tt.next, loc)
			}
			if !tr.NextOpening.Equal(wantNext) {
				t.Errorf("next opening = %v, want %v", tr.NextOpening, wantNext)
			}
			var it, en strings.Builder
			if err := tr.Report(&it, "it"); err != nil {
				t.Fatal(err)
			}
			if err := tr.Report(&en, "en"); err != nil {
				t.Fatal(err)
			}
			for _, line := range tt.report {
				if !strings.Contains(it.String(), line) {
					t.Errorf("report lacks %q:\n%s", line, it.String())
				}
			}
			if !strings.Contains(en.String(), "Outcome: ") || !strings.Contains(it.String(), "Esito: ") {
				t.Errorf("reports lack the outcome line:\n%s\n%s", it.String(), en.String())
			}
		})
	}
}

func isSubsequence(want, got []string) bool {
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	return i == len(want)
}

func TestSimulateEnglishReport(t *testing.T) {
	f, _ := DefaultFlow()
	prompts, _ := DefaultPrompts()
	at := time.Date(2026, 12, 25, 10, 0, 0, 0, rome(t))
	tr, err := Simulate(f, prompts, SimInput{At: at, Mode: ModeOrdinary, Calendar: defaultCalendar(t), Lang: "en"})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := tr.Report(&b, "en"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Dry run of flow «800 840 840»", "closed (public holiday: Christmas Day)",
		"Next opening: Monday 2026-12-28 09:00", "The service is closed at the moment"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("English report lacks %q:\n%s", want, b.String())
		}
	}
}

func TestParseInputsAndTime(t *testing.T) {
	got, err := ParseInputs(" 1, -, *,#, h ")
	if err != nil || !slices.Equal(got, []string{"1", "-", "*", "#", "h"}) {
		t.Errorf("ParseInputs = %v, %v", got, err)
	}
	for _, bad := range []string{"12", "1,,3", "x"} {
		if _, err := ParseInputs(bad); !errors.Is(err, ErrBadInput) {
			t.Errorf("ParseInputs(%q) = %v", bad, err)
		}
	}
	loc := rome(t)
	local, err := ParseTime("2026-12-25T10:00", loc)
	if err != nil || !local.Equal(time.Date(2026, 12, 25, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("ParseTime local = %v, %v", local, err)
	}
	summer, err := ParseTime("2026-07-01 10:00", loc)
	if err != nil || !summer.Equal(time.Date(2026, 7, 1, 8, 0, 0, 0, time.UTC)) {
		t.Errorf("ParseTime summer = %v, %v", summer, err)
	}
	abs, err := ParseTime("2026-12-25T10:00:00Z", loc)
	if err != nil || !abs.Equal(time.Date(2026, 12, 25, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("ParseTime RFC 3339 = %v, %v", abs, err)
	}
	if _, err := ParseTime("Christmas", loc); !errors.Is(err, ErrBadInput) {
		t.Errorf("ParseTime(Christmas) = %v", err)
	}
}
