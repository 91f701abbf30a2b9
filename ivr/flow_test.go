package ivr

import (
	"slices"
	"testing"
	"time"
)

func TestLoadReadsFieldForms(t *testing.T) {
	src := lines(
		"start: m",
		"nodes:",
		"  m:",
		"    kind: menu",
		"    prompts: menu-ordinario",
		"    choices:",
		"      1: r",
		`      "#": q`,
		"    timeout: 7",
		"    after_retries: q",
		"  r:",
		"    kind: record",
		"    next: q",
		"  q:",
		"    kind: hangup",
		"    prompts: [messaggio-registrato, arrivederci]",
	)
	f, err := Load(src, testCatalog(t))
	if err != nil {
		t.Fatal(err)
	}
	m := &f.nodes[f.index["m"]]
	if m.timeout != 7*time.Second || m.retries != 2 {
		t.Errorf("menu timeout %v retries %d; want a bare number read as seconds and 2 retries by default", m.timeout, m.retries)
	}
	if m.choices[dtmfIndex('1')] != f.index["r"] || m.choices[dtmfIndex('#')] != f.index["q"] || m.choices[dtmfIndex('2')] != -1 {
		t.Errorf("choices = %v", m.choices)
	}
	if !slices.Equal(m.prompts, []string{"menu-ordinario"}) || !slices.Equal(m.invalidNames, m.prompts) || !slices.Equal(m.silentNames, m.prompts) {
		t.Errorf("a single prompt name; without retry prompts the menu repeats as is: %v %v %v", m.prompts, m.invalidNames, m.silentNames)
	}
	r := &f.nodes[f.index["r"]]
	if r.maxSeconds != 120 || !r.beep || r.terminateKey != "#" || len(r.media) != 0 {
		t.Errorf("record defaults = %d s, beep %v, key %q", r.maxSeconds, r.beep, r.terminateKey)
	}
	q := &f.nodes[f.index["q"]]
	if !slices.Equal(q.media, []string{"sound:ascolto/messaggio-registrato", "sound:ascolto/arrivederci"}) {
		t.Errorf("hangup media = %v", q.media)
	}
	if f.UsesHours() {
		t.Error("a flow without hours nodes needs no calendar")
	}
	if _, err := startCallNoT(f); err != nil {
		t.Errorf("a flow without hours nodes must start without a calendar: %v", err)
	}
}

func startCallNoT(f *Flow) ([]Action, error) {
	s, err := NewSession(f)
	if err != nil {
		return nil, err
	}
	return s.Start(Env{})
}

func TestKindAndUrgencyNames(t *testing.T) {
	for _, name := range kindNames() {
		k, ok := parseKind(name)
		if !ok || k.String() != name {
			t.Errorf("kind %q round trip = %v, %v", name, k, ok)
		}
	}
	for _, u := range []Urgency{UrgencyNone, UrgencyElevated, UrgencyRescue} {
		if got, err := ParseUrgency(u.String()); err != nil || got != u {
			t.Errorf("urgency %v round trip = %v, %v", u, got, err)
		}
	}
	if _, err := ParseUrgency("urgent"); err == nil {
		t.Error("ParseUrgency(urgent) succeeded")
	}
}
