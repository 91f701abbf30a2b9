package ivr

import (
	"errors"
	"testing"
	"time"
)

func TestCalendarHoursAcrossDST(t *testing.T) {
	cal := defaultCalendar(t)
	utc := func(s string) time.Time {
		at, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return at
	}
	tests := []struct {
		at   string
		open bool
	}{
		// Friday 27 March 2026, winter time (UTC+1).
		{"2026-03-27T07:59:00Z", false}, {"2026-03-27T08:00:00Z", true},
		{"2026-03-27T16:59:00Z", true}, {"2026-03-27T17:00:00Z", false},
		// Monday 30 March 2026, the day after clocks go forward (UTC+2).
		{"2026-03-30T06:59:00Z", false}, {"2026-03-30T07:00:00Z", true},
		{"2026-03-30T15:59:00Z", true}, {"2026-03-30T16:00:00Z", false},
		// Friday 23 October 2026, summer time (UTC+2).
		{"2026-10-23T06:59:00Z", false}, {"2026-10-23T07:00:00Z", true},
		{"2026-10-23T15:59:00Z", true}, {"2026-10-23T16:00:00Z", false},
		// Monday 26 October 2026, the day after clocks go back (UTC+1).
		{"2026-10-26T07:59:00Z", false}, {"2026-10-26T08:00:00Z", true},
		{"2026-10-26T16:59:00Z", true}, {"2026-10-26T17:00:00Z", false},
		// The same UTC instant of day answers differently across the change.
		{"2026-03-27T07:30:00Z", false}, {"2026-03-30T07:30:00Z", true},
		// 59 seconds past 17:59 is still open; 18:00:00 is not.
		{"2026-10-26T16:59:59Z", true},
	}
	for _, tt := range tests {
		t.Run(tt.at, func(t *testing.T) {
			st := cal.Status(utc(tt.at), ModeOrdinary)
			if st.Open != tt.open {
				t.Errorf("open = %v (%s), want %v", st.Open, st.Message("en"), tt.open)
			}
			want := ReasonOutsideHours
			if tt.open {
				want = ReasonHours
			}
			if st.Reason != want {
				t.Errorf("reason = %v, want %v", st.Reason, want)
			}
		})
	}
}

func TestCalendarStatus(t *testing.T) {
	loc := rome(t)
	at := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, loc) }
	site, err := DefaultSite()
	if err != nil {
		t.Fatal(err)
	}
	site.Closures = []Closure{
		{From: Date{2026, time.December, 28}, To: Date{2026, time.December, 31}, Reason: "Chiusura di fine anno"},
		{From: Date{2027, time.February, 15}, To: Date{2027, time.February, 15}, Reason: "Manutenzione impianti"},
	}
	cal, err := NewCalendar(site)
	if err != nil {
		t.Fatal(err)
	}
	noPatron := site
	noPatron.Patron = nil
	calNoPatron, err := NewCalendar(noPatron)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		cal    *Calendar
		at     time.Time
		mode   Mode
		open   bool
		reason Reason
		holder string
	}{
		{"weekday in hours", cal, at(2026, 11, 26, 10, 0), ModeOrdinary, true, ReasonHours, ""},
		{"saturday", cal, at(2026, 11, 28, 10, 0), ModeOrdinary, false, ReasonNoHoursToday, ""},
		{"sunday", cal, at(2026, 11, 29, 10, 0), ModeOrdinary, false, ReasonNoHoursToday, ""},
		{"weekday at night", cal, at(2026, 11, 26, 2, 0), ModeOrdinary, false, ReasonOutsideHours, ""},
		{"Easter Monday", cal, at(2027, 3, 29, 10, 0), ModeOrdinary, false, ReasonHoliday, "Lunedì dell'Angelo (Pasquetta)"},
		{"San Francesco from 2027 on a Monday", cal, at(2027, 10, 4, 10, 0), ModeOrdinary, false, ReasonHoliday, "San Francesco d'Assisi, patrono d'Italia"},
		{"4 October 2024 was a working day", cal, at(2024, 10, 4, 10, 0), ModeOrdinary, true, ReasonHours, ""},
		{"patron saint of L'Aquila", cal, at(2026, 6, 10, 10, 0), ModeOrdinary, false, ReasonPatron, "San Massimo d'Aveia"},
		{"no patron configured", calNoPatron, at(2026, 6, 10, 10, 0), ModeOrdinary, true, ReasonHours, ""},
		{"extra closure, first day", cal, at(2026, 12, 28, 10, 0), ModeOrdinary, false, ReasonClosure, "Chiusura di fine anno"},
		{"extra closure, last day", cal, at(2026, 12, 31, 17, 0), ModeOrdinary, false, ReasonClosure, "Chiusura di fine anno"},
		{"after the closure", cal, at(2027, 1, 4, 10, 0), ModeOrdinary, true, ReasonHours, ""},
		{"one-day closure", cal, at(2027, 2, 15, 10, 0), ModeOrdinary, false, ReasonClosure, "Manutenzione impianti"},
		{"emergency on a Sunday night", cal, at(2026, 11, 29, 3, 0), ModeEmergency, true, ReasonEmergency, ""},
		{"emergency on Christmas", cal, at(2026, 12, 25, 10, 0), ModeEmergency, true, ReasonEmergency, ""},
		{"emergency during a closure", cal, at(2026, 12, 29, 23, 0), ModeEmergency, true, ReasonEmergency, ""},
		{"closed mode in office hours", cal, at(2026, 11, 26, 10, 0), ModeClosed, false, ReasonModeClosed, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := tt.cal.Status(tt.at, tt.mode)
			if st.Open != tt.open || st.Reason != tt.reason || st.Name != tt.holder {
				t.Errorf("status = %+v, want open %v reason %v name %q", st, tt.open, tt.reason, tt.holder)
			}
			if got := tt.cal.IsOpen(tt.at, tt.mode); got != tt.open {
				t.Errorf("IsOpen = %v", got)
			}
			if it, en := st.Message("it"), st.Message("en"); it == en || it == "?" {
				t.Errorf("messages it=%q en=%q", it, en)
			}
		})
	}
}

func TestCalendarEveryNationalHolidayIsClosed(t *testing.T) {
	cal := defaultCalendar(t)
	loc := rome(t)
	for _, year := range []int{2026, 2027, 2030} {
		for _, h := range NationalHolidays(year) {
			at := time.Date(h.Date.Year, h.Date.Month, h.Date.Day, 10, 0, 0, 0, loc)
			st := cal.Status(at, ModeOrdinary)
			if st.Open || st.Reason != ReasonHoliday || st.Name != h.Name {
				t.Errorf("%s: %+v", h.Date, st)
			}
			// The working day before a holiday that falls on Tuesday to
			// Friday is open: the holiday does not leak.
			before := at.AddDate(0, 0, -1)
			if wd := at.Weekday(); wd >= time.Tuesday && wd <= time.Friday {
				if _, _, hol := nationalHoliday(DateOf(before)); !hol && !cal.IsOpen(before, ModeOrdinary) {
					t.Errorf("%s, the day before %s, is closed", before.Format(time.DateOnly), h.Name)
				}
			}
		}
	}
	if got := len(cal.Holidays(2026)); got != 14 {
		t.Errorf("site holidays in 2026 = %d, want 13 national + the patron", got)
	}
}

func TestCalendarNextOpening(t *testing.T) {
	loc := rome(t)
	at := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, loc) }
	cal := defaultCalendar(t)
	tests := []struct {
		name string
		from time.Time
		mode Mode
		want time.Time
		ok   bool
	}{
		{"open now", at(2026, 11, 26, 10, 0), ModeOrdinary, at(2026, 11, 26, 10, 0), true},
		{"early morning", at(2026, 11, 26, 7, 30), ModeOrdinary, at(2026, 11, 26, 9, 0), true},
		{"friday at closing time", at(2026, 11, 27, 18, 0), ModeOrdinary, at(2026, 11, 30, 9, 0), true},
		{"christmas", at(2026, 12, 25, 10, 0), ModeOrdinary, at(2026, 12, 28, 9, 0), true},
		{"easter weekend 2027", at(2027, 3, 26, 19, 0), ModeOrdinary, at(2027, 3, 30, 9, 0), true},
		{"across the autumn clock change", at(2026, 10, 23, 18, 30), ModeOrdinary, at(2026, 10, 26, 9, 0), true},
		{"emergency is open now", at(2026, 12, 25, 3, 0), ModeEmergency, at(2026, 12, 25, 3, 0), true},
		{"closed mode has no next opening", at(2026, 11, 26, 10, 0), ModeClosed, time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := cal.NextOpening(tt.from, tt.mode)
			if ok != tt.ok || !got.Equal(tt.want) {
				t.Errorf("NextOpening = %v, %v; want %v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
	var never Site
	never.Location = loc
	empty, err := NewCalendar(never)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := empty.NextOpening(at(2026, 1, 1, 0, 0), ModeOrdinary); ok {
		t.Error("a site with no hours has a next opening")
	}
}

func TestParseSite(t *testing.T) {
	src := []byte(`name: Roma
timezone: Europe/Rome
hours:
  mon: "08:30-13:00, 14:00-17:30"
  sat: "09:00-12:00"
patron:
  date: "06-29"
  name: Santi Pietro e Paolo
closures:
  - date: 2026-12-24
    reason: Vigilia di Natale
  - from: 2026-08-10
    to: 2026-08-14
    reason: Lavori alla sede
`)
	site, err := ParseSite(src)
	if err != nil {
		t.Fatal(err)
	}
	cal, err := NewCalendar(site)
	if err != nil {
		t.Fatal(err)
	}
	loc := rome(t)
	checks := []struct {
		at   time.Time
		open bool
	}{
		{time.Date(2026, 11, 30, 13, 30, 0, 0, loc), false}, // Monday lunch break
		{time.Date(2026, 11, 30, 14, 0, 0, 0, loc), true},
		{time.Date(2026, 11, 28, 11, 0, 0, 0, loc), true}, // Saturday morning
		{time.Date(2026, 12, 1, 10, 0, 0, 0, loc), false}, // Tuesday: no hours
		{time.Date(2026, 6, 29, 10, 0, 0, 0, loc), false}, // Monday, patron
		{time.Date(2026, 8, 10, 10, 0, 0, 0, loc), false}, // Monday, closure
		{time.Date(2026, 8, 17, 10, 0, 0, 0, loc), true},  // Monday after
	}
	for _, c := range checks {
		if got := cal.IsOpen(c.at, ModeOrdinary); got != c.open {
			t.Errorf("%s: open = %v, want %v", c.at, got, c.open)
		}
	}

	bad := map[string]string{
		"unknown day":     "hours: {lun: \"09:00-18:00\"}",
		"backwards hours": "hours: {mon: \"18:00-09:00\"}",
		"overlap":         "hours: {mon: \"09:00-13:00, 12:00-18:00\"}",
		"bad zone":        "timezone: Europe/Atlantis",
		"bad patron":      "patron: {date: \"13-40\", name: x}",
		"bad closure":     "closures: [{date: 2026-02-30}]",
		"reversed range":  "closures: [{from: 2026-08-14, to: 2026-08-10}]",
		"unknown field":   "opening: always",
	}
	for name, src := range bad {
		if _, err := ParseSite([]byte(src)); !errors.Is(err, ErrBadSite) {
			t.Errorf("%s: err = %v, want ErrBadSite", name, err)
		}
	}
}

func TestNewCalendarRefusesBadSites(t *testing.T) {
	loc := rome(t)
	if _, err := NewCalendar(Site{Name: "x"}); !errors.Is(err, ErrBadSite) {
		t.Errorf("no location: %v", err)
	}
	var s Site
	s.Location = loc
	s.Week[time.Monday] = []Span{{9 * 60, 13 * 60}, {12 * 60, 18 * 60}}
	if _, err := NewCalendar(s); !errors.Is(err, ErrBadSite) {
		t.Errorf("overlapping spans: %v", err)
	}
	s.Week[time.Monday] = nil
	s.Patron = &Patron{Month: time.February, Day: 30}
	if _, err := NewCalendar(s); !errors.Is(err, ErrBadSite) {
		t.Errorf("30 February patron: %v", err)
	}
}

func TestParseMode(t *testing.T) {
	tests := map[string]Mode{"ordinary": ModeOrdinary, "Ordinaria": ModeOrdinary, "emergency": ModeEmergency,
		"emergenza": ModeEmergency, "H24": ModeEmergency, "closed": ModeClosed, " chiuso ": ModeClosed}
	for in, want := range tests {
		if got, err := ParseMode(in); err != nil || got != want {
			t.Errorf("ParseMode(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseMode("festa"); !errors.Is(err, ErrBadMode) {
		t.Errorf("ParseMode(festa) = %v", err)
	}
}
