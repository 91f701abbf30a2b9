package oncall

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

func loadTestRoster(t testing.TB) *Roster {
	t.Helper()
	src, err := os.ReadFile("testdata/roster.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r, err := ParseRoster(src)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestNormalizePhone(t *testing.T) {
	cases := []struct{ in, want string }{
		{"340 123 4567", "+393401234567"},
		{"+39 340-123-4567", "+393401234567"},
		{"0039 340.123.4567", "+393401234567"},
		{"(0862) 44.44.44", "+39086244444" + "4"[:0] + ""},
		{"+44 20 7946 0958", "+442079460958"},
		{"06 1234567", "+39061234567"},
		{"", ""},
		{"340 abc", ""},
		{"12345", ""},
		{"+39 5551234567", ""},
		{"+39 340 12", ""},
		{"+1234567890123456", ""},
		{"800 840 840", ""},
	}
	cases[3].want = "+390862444444"
	for _, c := range cases {
		got, err := NormalizePhone(c.in)
		if c.want == "" {
			if !errors.Is(err, ErrBadNumber) {
				t.Errorf("%q: got %q %v, want refusal", c.in, got, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%q: got %q %v, want %s", c.in, got, err, c.want)
		}
	}
}

func TestParseSpans(t *testing.T) {
	cases := []struct {
		in   string
		want []Span
	}{
		{"sat 00:00-24:00", []Span{{time.Saturday, 0, 1440}}},
		{"mon-wed 18:00-09:00", []Span{{time.Monday, 1080, 900}, {time.Tuesday, 1080, 900}, {time.Wednesday, 1080, 900}}},
		{"sab,dom 08:00-20:00", []Span{{time.Saturday, 480, 720}, {time.Sunday, 480, 720}}},
		{"fri 18:00-mon 08:00", []Span{{time.Friday, 1080, 3*1440 - 600}}},
		{"sun-mon 22:00-06:00", []Span{{time.Sunday, 1320, 480}, {time.Monday, 1320, 480}}},
	}
	for _, c := range cases {
		got, err := ParseSpans(c.in)
		if err != nil || len(got) != len(c.want) {
			t.Fatalf("%s: %v %v", c.in, got, err)
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%s: span %d = %+v, want %+v", c.in, i, got[i], c.want[i])
			}
			back, err := ParseSpans(got[i].String())
			if err != nil || len(back) != 1 || back[0] != got[i] {
				t.Errorf("%s: %q does not read back: %v %v", c.in, got[i].String(), back, err)
			}
		}
	}
	for _, bad := range []string{"", "sat", "sat 25:00-26:00", "xyz 10:00-11:00", "sat 10:00", "sat 10:60-11:00"} {
		if _, err := ParseSpans(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func names(ps []Person) string {
	var out []string
	for _, p := range ps {
		out = append(out, p.ID)
	}
	return strings.Join(out, ",")
}

func TestPlanFollowsShifts(t *testing.T) {
	r := loadTestRoster(t)
	if r.People[0].Phone != "+393401111111" || r.People[3].Phone != "+390862444444" {
		t.Fatalf("phones not normalised: %s %s", r.People[0].Phone, r.People[3].Phone)
	}
	cases := []struct {
		at                          time.Time
		primary, reserve, coordinat string
	}{
		// Saturday afternoon: weekend A, reserve the weekend reserve.
		{time.Date(2026, 11, 28, 15, 0, 0, 0, rome), "rossi,bianchi,verdi", "neri,gallo", "conti"},
		// Tuesday 23:00: weekday nights.
		{time.Date(2026, 11, 24, 23, 0, 0, 0, rome), "neri,gallo", "rossi,bianchi", "conti"},
		// Friday 23:59, the last minute of the week's nights.
		{time.Date(2026, 11, 27, 23, 59, 0, 0, rome), "neri,gallo", "rossi,bianchi", "conti"},
		// Wednesday 07:30, the end of Tuesday's night.
		{time.Date(2026, 11, 25, 7, 30, 0, 0, rome), "neri,gallo", "rossi,bianchi", "conti"},
		// Tuesday 11:00: nobody on call, only the coordinators' wave.
		{time.Date(2026, 11, 24, 11, 0, 0, 0, rome), "", "", "conti"},
		// Santo Stefano: the override replaces weekend A for the day.
		{time.Date(2026, 12, 26, 12, 0, 0, 0, rome), "verdi", "neri,gallo", "conti"},
	}
	for _, c := range cases {
		p := r.Plan(c.at)
		if len(p) != 3 {
			t.Fatalf("%d waves", len(p))
		}
		got := []string{names(p[0].People), names(p[1].People), names(p[2].People)}
		want := []string{c.primary, c.reserve, c.coordinat}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("%s wave %s: %q, want %q", c.at.Format("Mon 02 15:04"), p[i].Name, got[i], want[i])
			}
		}
	}
}

func TestParseRosterRefusals(t *testing.T) {
	base := `quorum: 1
waves: [{name: primary, wait: 5m}, {name: reserve, wait: 5m}]
people:
  - {id: a, name: A, phone: "3401111111", role: operator}
  - {id: b, name: B, phone: "3402222222", role: operator}
`
	cases := map[string]string{
		"empty roster":       "quorum: 1\nwaves: [{name: p, wait: 1m}]\npeople: []\n",
		"bad phone":          strings.Replace(base, `"3402222222"`, `"12ab"`, 1),
		"same phone":         strings.Replace(base, `"3402222222"`, `"+39 340 111 1111"`, 1),
		"no quorum":          strings.Replace(base, "quorum: 1", "quorum: 0", 1),
		"unknown field":      base + "colour: red\n",
		"bad role":           strings.Replace(base, "role: operator}\n  - {id: b", "role: boss}\n  - {id: b", 1),
		"empty override":     base + "shifts:\n  - {name: x, wave: primary, people: [], from: 2026-12-25T00:00, to: 2026-12-26T00:00}\n",
		"two waves at once":  base + "shifts:\n  - {name: x, wave: primary, people: [a], weekly: [\"sat 00:00-24:00\"]}\n  - {name: y, wave: reserve, people: [a], weekly: [\"sat 12:00-13:00\"]}\n",
		"overlapping shifts": base + "shifts:\n  - {name: x, wave: primary, people: [a], weekly: [\"mon 08:00-20:00\"]}\n  - {name: y, wave: primary, people: [a, b], weekly: [\"sun 22:00-mon 09:00\"]}\n",
		"fixed and shift":    strings.Replace(base, "role: operator}\n  - {id: b", "role: operator, wave: reserve}\n  - {id: b", 1) + "shifts:\n  - {name: x, wave: primary, people: [a], weekly: [\"mon 08:00-20:00\"]}\n",
		"unknown person":     base + "shifts:\n  - {name: x, wave: primary, people: [z], weekly: [\"mon 08:00-20:00\"]}\n",
		"ends before start":  base + "shifts:\n  - {name: x, wave: primary, people: [a], from: 2026-12-25T10:00, to: 2026-12-25T09:00}\n",
	}
	for name, src := range cases {
		if _, err := ParseRoster([]byte(src)); !errors.Is(err, ErrBadRoster) {
			t.Errorf("%s: err = %v, want ErrBadRoster", name, err)
		}
	}
	// The same people on non-overlapping shifts, and an override over its
	// own wave's weekly shift, are fine.
	ok := base + "shifts:\n  - {name: x, wave: primary, people: [a], weekly: [\"mon 08:00-20:00\"]}\n  - {name: y, wave: reserve, people: [a], weekly: [\"mon 20:00-08:00\"]}\n" +
		"  - {name: z, wave: primary, people: [b], from: 2026-11-30T00:00, to: 2026-12-01T00:00}\n"
	if _, err := ParseRoster([]byte(ok)); err != nil {
		t.Fatal(err)
	}
}

func TestRosterCanonicalRoundTrip(t *testing.T) {
	r := loadTestRoster(t)
	again, err := ParseRoster(r.YAML())
	if err != nil {
		t.Fatalf("%v\n%s", err, r.YAML())
	}
	if !bytes.Equal(again.YAML(), r.YAML()) || again.Checksum() != r.Checksum() {
		t.Fatalf("canonical form changes on a second pass:\n%s\n---\n%s", r.YAML(), again.YAML())
	}
}

func TestICSRoundTrip(t *testing.T) {
	r := loadTestRoster(t)
	var b bytes.Buffer
	if err := r.ExportICS(&b, time.Date(2026, 11, 26, 10, 0, 0, 0, rome)); err != nil {
		t.Fatal(err)
	}
	ics := b.String()
	for _, want := range []string{"BEGIN:VCALENDAR\r\n", "RRULE:FREQ=WEEKLY;BYDAY=SA,SU", "EXDATE;TZID=Europe/Rome:20261226T000000",
		"ATTENDEE;CN=Mario Rossi;X-ASCOLTO-ID=rossi:mailto:m.rossi@example.it", "CATEGORIES:primary", "DTSTART;TZID=Europe/Rome:20261226T000000"} {
		if !strings.Contains(ics, want) {
			t.Errorf("export lacks %q", want)
		}
	}
	for _, l := range strings.Split(ics, "\r\n") {
		if len(l) > 75 {
			t.Errorf("line longer than 75 octets: %q", l)
		}
	}
	shifts, err := r.ImportICS(strings.NewReader(ics))
	if err != nil {
		t.Fatal(err)
	}
	back, err := r.WithShifts(shifts)
	if err != nil {
		t.Fatal(err)
	}
	for _, at := range []time.Time{time.Date(2026, 11, 28, 15, 0, 0, 0, rome), time.Date(2026, 11, 24, 23, 0, 0, 0, rome),
		time.Date(2026, 12, 26, 12, 0, 0, 0, rome), time.Date(2026, 11, 24, 11, 0, 0, 0, rome)} {
		a, b := r.Plan(at), back.Plan(at)
		for i := range a {
			if names(a[i].People) != names(b[i].People) {
				t.Errorf("%s wave %d: %s after the round trip, %s before", at, i, names(b[i].People), names(a[i].People))
			}
		}
	}
}

func TestImportICSFromACalendarProgram(t *testing.T) {
	r := loadTestRoster(t)
	// Folded lines, UTC times, attendees by email and phone, a wave name
	// with an escaped comma in the summary, and an override.
	src := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Other//EN\r\nBEGIN:VEVENT\r\nUID:1\r\nSUMMARY:Turno notte\\, feriali\r\n" +
		"CATEGORIES:primary\r\nDTSTART:20261123T170000Z\r\nDTEND:20261124T080000Z\r\nRRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,T\r\n H,FR\r\n" +
		"ATTENDEE;CN=\"Neri, Sara\":tel:+39 0862 444444\r\nATTENDEE:mailto:A.Bianchi@example.it\r\nEND:VEVENT\r\n" +
		"BEGIN:VEVENT\r\nUID:2\r\nSUMMARY:Capodanno\r\nCATEGORIES:primary\r\nDTSTART;TZID=Europe/Rome:20261231T200000\r\n" +
		"DTEND;TZID=Europe/Rome:20270101T080000\r\nATTENDEE;X-ASCOLTO-ID=gallo:mailto:x@example.it\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	shifts, err := r.ImportICS(strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(shifts) != 2 || shifts[0].Name != "Turno notte, feriali" || len(shifts[0].Weekly) != 5 ||
		shifts[0].Weekly[0] != (Span{time.Monday, 18 * 60, 15 * 60}) || shifts[0].Weekly[4].Day != time.Friday || names2(shifts[0].People) != "neri,bianchi" || !shifts[1].Override() {
		t.Fatalf("shifts %+v", shifts)
	}
	bad := map[string]string{
		"unknown attendee": strings.Replace(src, "mailto:A.Bianchi@example.it", "mailto:nobody@example.it", 1),
		"monthly":          strings.Replace(src, "FREQ=WEEKLY", "FREQ=MONTHLY", 1),
		"unbalanced":       strings.Replace(src, "END:VCALENDAR\r\n", "", 1),
		"no end":           strings.Replace(src, "DTEND:20261124T080000Z\r\n", "", 1),
		"no events":        "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
	}
	for name, s := range bad {
		if _, err := r.ImportICS(strings.NewReader(s)); !errors.Is(err, ErrBadRoster) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// An override with nobody in it is refused when it becomes the roster.
	empty := strings.Replace(src, "ATTENDEE;X-ASCOLTO-ID=gallo:mailto:x@example.it\r\n", "", 1)
	shifts, err = r.ImportICS(strings.NewReader(empty))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.WithShifts(shifts); err == nil || !strings.Contains(err.Error(), "override shift with nobody") {
		t.Fatalf("empty override: %v", err)
	}
}

func names2(ids []string) string { return strings.Join(ids, ",") }
