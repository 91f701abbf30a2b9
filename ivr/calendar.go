package ivr

import (
	"bytes"
	"cmp"
	"fmt"
	"iter"
	"slices"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // Europe/Rome must resolve even in a minimal container without /usr/share/zoneinfo

	"go.yaml.in/yaml/v3"
)

// Mode is how the center runs: ordinary hours, emergency (H24) or closed.
type Mode string

// The operating modes.
const (
	ModeOrdinary  Mode = "ordinary"  // open by the site calendar
	ModeEmergency Mode = "emergency" // open around the clock, weekends and holidays included
	ModeClosed    Mode = "closed"    // closed whatever the calendar says
)

// ParseMode reads a mode in English or Italian (ordinaria, emergenza, chiuso).
func ParseMode(s string) (Mode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "ordinary", "ordinaria", "ordinario":
		return ModeOrdinary, nil
	case "emergency", "emergenza", "h24":
		return ModeEmergency, nil
	case "closed", "chiuso", "chiusa":
		return ModeClosed, nil
	}
	return "", fmt.Errorf("ivr: mode %q: %w", s, ErrBadMode)
}

// Label names the mode for a person, in Italian or English.
func (m Mode) Label(lang string) string {
	en := lang == LangEnglish
	switch m {
	case ModeOrdinary:
		return pickLang(en, "ordinaria", "ordinary")
	case ModeEmergency:
		return pickLang(en, "emergenza (H24)", "emergency (24/7)")
	case ModeClosed:
		return pickLang(en, "chiuso", "closed")
	}
	return string(m)
}

func pickLang(en bool, it, eng string) string {
	if en {
		return eng
	}
	return it
}

// Date is a calendar day with no time zone.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the day t falls on in its own location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// ParseDate reads a date written as 2026-12-24.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
	if err != nil {
		return Date{}, fmt.Errorf("ivr: date %q (want YYYY-MM-DD): %w", s, err)
	}
	return DateOf(t), nil
}

// String formats the date as 2026-12-24.
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

func (d Date) compare(o Date) int {
	return cmp.Or(cmp.Compare(d.Year, o.Year), cmp.Compare(d.Month, o.Month), cmp.Compare(d.Day, o.Day))
}

// Span is an opening interval within one day, in minutes after midnight,
// From included and To excluded: 09:00-18:00 is open at 17:59, closed at 18:00.
type Span struct {
	From, To int
}

// String formats the span as 09:00-18:00.
func (s Span) String() string {
	return fmt.Sprintf("%02d:%02d-%02d:%02d", s.From/60, s.From%60, s.To/60, s.To%60)
}

// ParseSpans reads opening hours such as "09:00-13:00, 14:00-18:00"; an empty
// string or "closed" means no hours that day.
func ParseSpans(s string) ([]Span, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "closed" || s == "chiuso" {
		return nil, nil
	}
	var spans []Span
	for part := range strings.SplitSeq(s, ",") {
		from, to, ok := strings.Cut(strings.TrimSpace(part), "-")
		if !ok {
			return nil, fmt.Errorf("ivr: hours %q: want HH:MM-HH:MM: %w", part, ErrBadSite)
		}
		f, err1 := parseClock(from)
		t, err2 := parseClock(to)
		if err1 != nil || err2 != nil || f >= t {
			return nil, fmt.Errorf("ivr: hours %q: want HH:MM-HH:MM with start before end: %w", part, ErrBadSite)
		}
		spans = append(spans, Span{f, t})
	}
	return spans, nil
}

func parseClock(s string) (int, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok {
		return 0, ErrBadSite
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || mm < 0 || mm > 59 || hh*60+mm > 24*60 {
		return 0, ErrBadSite
	}
	return hh*60 + mm, nil
}

// Patron is the local patron saint's day, a holiday in the site's comune.
type Patron struct {
	Month time.Month
	Day   int
	Name  string
}

// Closure is an extra closure of a site, From to To inclusive.
type Closure struct {
	From, To Date
	Reason   string
}

// Site is one contact-center site's calendar: time zone, weekly hours,
// patron saint and extra closures. National holidays come with it.
type Site struct {
	Name     string
	Location *time.Location
	Week     [7][]Span // by time.Weekday (Sunday = 0)
	Patron   *Patron
	Closures []Closure
}

// DefaultSite returns the L'Aquila site: Monday to Friday 09:00-18:00,
// Europe/Rome, patron San Massimo d'Aveia on 10 June.
func DefaultSite() (Site, error) {
	loc, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		return Site{}, fmt.Errorf("ivr: default site: %w", err)
	}
	site := Site{Name: "L'Aquila", Location: loc, Patron: &Patron{Month: time.June, Day: 10, Name: "San Massimo d'Aveia"}}
	for d := time.Monday; d <= time.Friday; d++ {
		site.Week[d] = []Span{{9 * 60, 18 * 60}}
	}
	return site, nil
}

// Calendar answers whether a site is open. It is immutable and safe to share.
type Calendar struct {
	site Site
}

// NewCalendar checks a site and returns its calendar.
func NewCalendar(site Site) (*Calendar, error) {
	if site.Location == nil {
		return nil, fmt.Errorf("ivr: site %q has no time zone: %w", site.Name, ErrBadSite)
	}
	for d, spans := range site.Week {
		for i, s := range spans {
			if s.From < 0 || s.To > 24*60 || s.From >= s.To || (i > 0 && s.From < spans[i-1].To) {
				return nil, fmt.Errorf("ivr: site %q: hours on %s must be increasing and not overlap: %w",
					site.Name, time.Weekday(d), ErrBadSite)
			}
		}
	}
	if p := site.Patron; p != nil && (p.Month < time.January || p.Month > time.December || p.Day < 1 || p.Day > daysIn(2024, p.Month)) {
		return nil, fmt.Errorf("ivr: site %q: patron day %d/%d does not exist: %w", site.Name, p.Day, p.Month, ErrBadSite)
	}
	for _, c := range site.Closures {
		if c.From.compare(c.To) > 0 {
			return nil, fmt.Errorf("ivr: site %q: closure %s..%s ends before it starts: %w", site.Name, c.From, c.To, ErrBadSite)
		}
	}
	cp := site
	cp.Closures = slices.Clone(site.Closures)
	for d := range cp.Week {
		cp.Week[d] = slices.Clone(site.Week[d])
	}
	return &Calendar{site: cp}, nil
}

// Site returns the site the calendar describes.
func (c *Calendar) Site() Site { return c.site }

// Reason says why a site is open or closed at a moment.
type Reason uint8

// The reasons Status can give.
const (
	ReasonHours        Reason = iota + 1 // within opening hours
	ReasonEmergency                      // emergency mode: always open
	ReasonModeClosed                     // closed mode: always closed
	ReasonHoliday                        // a national holiday
	ReasonPatron                         // the local patron saint's day
	ReasonClosure                        // an extra closure of the site
	ReasonNoHoursToday                   // no hours on this weekday (weekend)
	ReasonOutsideHours                   // a working day, outside its hours
)

// Status is whether a site is open at a moment, and why.
type Status struct {
	Open    bool
	Reason  Reason
	Name    string // holiday, patron or closure name (Italian)
	English string // holiday name in English, when known
}

// Message explains the status to a person in Italian or English.
func (s Status) Message(lang string) string {
	en := lang == LangEnglish
	name := s.Name
	if en && s.English != "" {
		name = s.English
	}
	switch s.Reason {
	case ReasonHours:
		return pickLang(en, "aperto (orario di servizio)", "open (service hours)")
	case ReasonEmergency:
		return pickLang(en, "aperto (emergenza, H24)", "open (emergency, 24/7)")
	case ReasonModeClosed:
		return pickLang(en, "chiuso (servizio sospeso)", "closed (service suspended)")
	case ReasonHoliday:
		return pickLang(en, "chiuso (festività: ", "closed (public holiday: ") + name + ")"
	case ReasonPatron:
		return pickLang(en, "chiuso (santo patrono: ", "closed (patron saint's day: ") + name + ")"
	case ReasonClosure:
		return pickLang(en, "chiuso (chiusura straordinaria: ", "closed (extra closure: ") + name + ")"
	case ReasonNoHoursToday:
		return pickLang(en, "chiuso (giorno senza orario di servizio)", "closed (no service hours on this day)")
	case ReasonOutsideHours:
		return pickLang(en, "chiuso (fuori orario)", "closed (outside service hours)")
	}
	return "?"
}

// IsOpen reports whether the site takes calls at that moment in that mode.
func (c *Calendar) IsOpen(at time.Time, mode Mode) bool { return c.Status(at, mode).Open }

// Status says whether the site is open at that moment in that mode, and why.
// Emergency mode is always open; closed mode always closed; ordinary mode
// follows the site calendar in the site's time zone.
func (c *Calendar) Status(at time.Time, mode Mode) Status {
	switch mode {
	case ModeEmergency:
		return Status{Open: true, Reason: ReasonEmergency}
	case ModeClosed:
		return Status{Reason: ReasonModeClosed}
	}
	local := at.In(c.site.Location)
	if st, off := c.dayOff(DateOf(local)); off {
		return st
	}
	spans := c.site.Week[local.Weekday()]
	if len(spans) == 0 {
		return Status{Reason: ReasonNoHoursToday}
	}
	minute := local.Hour()*60 + local.Minute()
	for _, s := range spans {
		if minute >= s.From && minute < s.To {
			return Status{Open: true, Reason: ReasonHours}
		}
	}
	return Status{Reason: ReasonOutsideHours}
}

// dayOff reports whether a whole day is closed: extra closure, national
// holiday or patron saint.
func (c *Calendar) dayOff(d Date) (Status, bool) {
	for _, cl := range c.site.Closures {
		if d.compare(cl.From) >= 0 && d.compare(cl.To) <= 0 {
			return Status{Reason: ReasonClosure, Name: cl.Reason}, true
		}
	}
	if it, en, ok := nationalHoliday(d); ok {
		return Status{Reason: ReasonHoliday, Name: it, English: en}, true
	}
	if p := c.site.Patron; p != nil && d.Month == p.Month && d.Day == p.Day {
		return Status{Reason: ReasonPatron, Name: p.Name}, true
	}
	return Status{}, false
}

// Holidays returns the days of a year the site is closed all day for a
// holiday, its patron saint or an extra closure, in date order.
func (c *Calendar) Holidays(year int) []Holiday {
	var out []Holiday
	for m := time.January; m <= time.December; m++ {
		for day := 1; day <= daysIn(year, m); day++ {
			d := Date{year, m, day}
			if st, off := c.dayOff(d); off {
				out = append(out, Holiday{Date: d, Name: st.Name, English: cmp.Or(st.English, st.Name)})
			}
		}
	}
	return out
}

// NextOpening returns when the site next opens at or after at: at itself if
// it is open then. Closed mode has no next opening (a coordinator reopens the
// center), and neither has a site with no hours within two years.
func (c *Calendar) NextOpening(at time.Time, mode Mode) (time.Time, bool) {
	switch mode {
	case ModeEmergency:
		return at, true
	case ModeClosed:
		return time.Time{}, false
	}
	for start, end := range c.openSpans(at) {
		if !at.Before(start) && at.Before(end) {
			return at, true
		}
		if start.After(at) {
			return start, true
		}
	}
	return time.Time{}, false
}

// openSpans yields the site's opening hours (start, end), in order, from
// the day of at on for two years, skipping holidays, the patron saint's
// day and closures. Each bound is its own time.Date, not midnight plus
// minutes, so that a daylight-saving change keeps 09:00 at 09:00.
func (c *Calendar) openSpans(at time.Time) iter.Seq2[time.Time, time.Time] {
	return func(yield func(time.Time, time.Time) bool) {
		loc := c.site.Location
		local := at.In(loc)
		day := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc)
		for i := 0; i < 2*366; i++ {
			d := day.AddDate(0, 0, i)
			if _, off := c.dayOff(DateOf(d)); off {
				continue
			}
			for _, s := range c.site.Week[d.Weekday()] {
				start := time.Date(d.Year(), d.Month(), d.Day(), s.From/60, s.From%60, 0, 0, loc)
				end := time.Date(d.Year(), d.Month(), d.Day(), s.To/60, s.To%60, 0, 0, loc)
				if !yield(start, end) {
					return
				}
			}
		}
	}
}

// siteFile is the YAML form of a site calendar.
type siteFile struct {
	Name     string            `yaml:"name"`
	Timezone string            `yaml:"timezone"`
	Hours    map[string]string `yaml:"hours"`
	Patron   *struct {
		Date string `yaml:"date"`
		Name string `yaml:"name"`
	} `yaml:"patron"`
	Closures []struct {
		Date   string `yaml:"date"`
		From   string `yaml:"from"`
		To     string `yaml:"to"`
		Reason string `yaml:"reason"`
	} `yaml:"closures"`
}

// ParseSite reads a site calendar written in YAML:
//
//	name: L'Aquila
//	timezone: Europe/Rome
//	hours: {mon: "09:00-18:00", tue: "09:00-18:00", ...}   # missing days are closed
//	patron: {date: "06-10", name: "San Massimo d'Aveia"}
//	closures:
//	  - {date: 2026-12-24, reason: "Vigilia di Natale"}
//	  - {from: 2026-08-10, to: 2026-08-14, reason: "Lavori alla sede"}
func ParseSite(src []byte) (Site, error) {
	var f siteFile
	dec := yaml.NewDecoder(bytes.NewReader(src))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return Site{}, fmt.Errorf("ivr: site: %w: %w", ErrBadSite, err)
	}
	tz := cmp.Or(f.Timezone, "Europe/Rome")
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return Site{}, fmt.Errorf("ivr: site time zone %q: %w: %w", tz, ErrBadSite, err)
	}
	site := Site{Name: f.Name, Location: loc}
	days := map[string]time.Weekday{"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
		"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday}
	for key, val := range f.Hours {
		wd, ok := days[strings.ToLower(key)]
		if !ok {
			return Site{}, fmt.Errorf("ivr: site hours: unknown day %q (use mon, tue, wed, thu, fri, sat, sun): %w", key, ErrBadSite)
		}
		spans, err := ParseSpans(val)
		if err != nil {
			return Site{}, err
		}
		site.Week[wd] = spans
	}
	if f.Patron != nil {
		t, err := time.Parse("01-02", strings.TrimSpace(f.Patron.Date))
		if err != nil {
			return Site{}, fmt.Errorf("ivr: site patron date %q (want MM-DD): %w", f.Patron.Date, ErrBadSite)
		}
		site.Patron = &Patron{Month: t.Month(), Day: t.Day(), Name: f.Patron.Name}
	}
	for _, cl := range f.Closures {
		from, to := cmp.Or(cl.From, cl.Date), cmp.Or(cl.To, cl.Date)
		a, err1 := ParseDate(from)
		b, err2 := ParseDate(to)
		if err1 != nil || err2 != nil {
			return Site{}, fmt.Errorf("ivr: site closure %q..%q (want date, or from and to, as YYYY-MM-DD): %w", from, to, ErrBadSite)
		}
		site.Closures = append(site.Closures, Closure{From: a, To: b, Reason: cl.Reason})
	}
	if _, err := NewCalendar(site); err != nil {
		return Site{}, err
	}
	return site, nil
}
