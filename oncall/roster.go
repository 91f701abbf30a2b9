package oncall

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// ErrBadRoster means a roster was refused; the message says where and why.
var ErrBadRoster = errors.New("oncall: roster refused")

// Roles of the people on a roster. The quorum counts operators.
const (
	RoleOperator    = "operator"
	RoleCoordinator = "coordinator"
)

// Roster is who can be called and when: people, the waves they are called
// in, and the on-call shifts. It is immutable once parsed.
type Roster struct {
	Quorum int
	Policy Policy
	Waves  []Wave
	People []Person
	Shifts []Shift
}

// Person is someone on the roster.
type Person struct {
	ID       string // short key, e.g. "rossi"
	Name     string
	Phone    string // E.164
	Email    string
	Site     string
	Role     string // operator, coordinator
	Username string // console user, so a login counts as an arrival
	Wave     string // a wave the person is always in, whatever the shifts say
}

// Wave is one round of calls. The next wave starts Wait after this one
// started, or sooner when this one can no longer make the quorum.
type Wave struct {
	Name string
	Wait time.Duration
	// Rest puts in this wave everyone (with Role, when set) not already in
	// an earlier wave: "then the coordinators", "then everybody".
	Rest bool
	Role string
}

// Shift puts people in a wave for a period: weekly spans (except on the
// dates listed), or, with From and To, one period that overrides the
// wave's weekly shifts while it lasts.
type Shift struct {
	Name   string
	Wave   string
	People []string // person IDs
	Weekly []Span
	Except []string // dates (2006-01-02, Italian time) the weekly spans do not start on
	From   time.Time
	To     time.Time
}

// Override reports whether the shift is a dated override.
func (s Shift) Override() bool { return !s.From.IsZero() }

// Span is a weekly period: from Start (minutes after midnight, Italian
// time) on Day, for Length minutes (possibly past midnight, up to a week).
type Span struct {
	Day    time.Weekday
	Start  int
	Length int
}

const minutesPerWeek = 7 * 24 * 60

var rome = mustRome()

func mustRome() *time.Location {
	l, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		panic("oncall: Europe/Rome time zone missing: " + err.Error())
	}
	return l
}

// rosterDoc is the YAML shape of a roster.
type rosterDoc struct {
	Quorum     int         `yaml:"quorum"`
	Target     string      `yaml:"target,omitempty"`
	Retries    *int        `yaml:"retries,omitempty"`
	RetryAfter string      `yaml:"retry_after,omitempty"`
	Ring       string      `yaml:"ring,omitempty"`
	DefaultETA string      `yaml:"default_eta,omitempty"`
	Waves      []waveDoc   `yaml:"waves"`
	People     []personDoc `yaml:"people"`
	Shifts     []shiftDoc  `yaml:"shifts,omitempty"`
}

type waveDoc struct {
	Name string `yaml:"name"`
	Wait string `yaml:"wait"`
	Rest bool   `yaml:"rest,omitempty"`
	Role string `yaml:"role,omitempty"`
}

type personDoc struct {
	ID       string `yaml:"id"`
	Name     string `yaml:"name"`
	Phone    string `yaml:"phone"`
	Email    string `yaml:"email,omitempty"`
	Site     string `yaml:"site,omitempty"`
	Role     string `yaml:"role"`
	Username string `yaml:"username,omitempty"`
	Wave     string `yaml:"wave,omitempty"`
}

type shiftDoc struct {
	Name   string   `yaml:"name"`
	Wave   string   `yaml:"wave"`
	People []string `yaml:"people,flow"`
	Weekly []string `yaml:"weekly,omitempty,flow"`
	Except []string `yaml:"except,omitempty,flow"`
	From   string   `yaml:"from,omitempty"`
	To     string   `yaml:"to,omitempty"`
}

// problems collects every refusal of a roster, so the admin fixes them in one go.
type problems []string

func (p *problems) add(format string, args ...any) { *p = append(*p, fmt.Sprintf(format, args...)) }

func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return fmt.Errorf("%w:\n  - %s", ErrBadRoster, strings.Join(p, "\n  - "))
}

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,39}$`)

// ParseRoster reads and checks a roster in YAML. Phone numbers are
// normalised to E.164; every problem found is reported at once.
func ParseRoster(src []byte) (*Roster, error) {
	dec := yaml.NewDecoder(bytes.NewReader(src))
	dec.KnownFields(true)
	var d rosterDoc
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadRoster, err)
	}
	var pr problems
	r := &Roster{Quorum: d.Quorum, Policy: DefaultPolicy()}
	dur := func(field, v string, to *time.Duration) {
		if v == "" {
			return
		}
		x, err := time.ParseDuration(v)
		if err != nil || x < 0 {
			pr.add("%s %q is not a duration (e.g. 30m, 90s)", field, v)
			return
		}
		*to = x
	}
	dur("target", d.Target, &r.Policy.Target)
	dur("retry_after", d.RetryAfter, &r.Policy.RetryAfter)
	dur("ring", d.Ring, &r.Policy.Ring)
	dur("default_eta", d.DefaultETA, &r.Policy.DefaultETA)
	if d.Retries != nil {
		if *d.Retries < 0 || *d.Retries > 10 {
			pr.add("retries %d: use 0 to 10", *d.Retries)
		} else {
			r.Policy.Retries = *d.Retries
		}
	}
	if r.Quorum <= 0 {
		pr.add("quorum %d: say how many confirmed operators an activation needs (at least 1)", r.Quorum)
	}
	if r.Policy.Ring < 5*time.Second {
		pr.add("ring %s is too short to answer a phone", r.Policy.Ring)
	}
	waves := map[string]bool{}
	if len(d.Waves) == 0 {
		pr.add("no waves: list at least one, e.g. waves: [{name: primary, wait: 5m}]")
	}
	for i, w := range d.Waves {
		wv := Wave{Name: w.Name, Rest: w.Rest, Role: w.Role}
		if !idPattern.MatchString(w.Name) {
			pr.add("wave %d: name %q (lowercase letters, digits, - . _)", i+1, w.Name)
		}
		if waves[w.Name] {
			pr.add("wave %q is listed twice", w.Name)
		}
		waves[w.Name] = true
		dur("wave "+w.Name+" wait", w.Wait, &wv.Wait)
		if w.Role != "" && w.Role != RoleOperator && w.Role != RoleCoordinator {
			pr.add("wave %q: role %q (operator or coordinator)", w.Name, w.Role)
		}
		if w.Role != "" && !w.Rest {
			pr.add("wave %q: role only applies with rest: true", w.Name)
		}
		r.Waves = append(r.Waves, wv)
	}
	if len(d.People) == 0 {
		pr.add("the roster has nobody on it")
	}
	people := map[string]*Person{}
	phones := map[string]string{}
	for i, p := range d.People {
		at := fmt.Sprintf("person %d (%s)", i+1, p.ID)
		if !idPattern.MatchString(p.ID) {
			pr.add("%s: id %q (lowercase letters, digits, - . _)", at, p.ID)
		}
		if people[p.ID] != nil {
			pr.add("%s: id %q is used twice", at, p.ID)
		}
		per := Person{ID: p.ID, Name: strings.TrimSpace(p.Name), Email: strings.TrimSpace(p.Email), Site: p.Site, Role: p.Role,
			Username: p.Username, Wave: p.Wave}
		if per.Name == "" {
			pr.add("%s: no name", at)
		}
		phone, err := NormalizePhone(p.Phone)
		if err != nil {
			pr.add("%s: phone %q: %s", at, p.Phone, strings.TrimPrefix(err.Error(), ErrBadNumber.Error()+": "))
		} else if other, dup := phones[phone]; dup {
			pr.add("%s: phone %s is also %s's", at, phone, other)
		} else {
			phones[phone] = p.ID
		}
		per.Phone = phone
		if per.Email != "" {
			if a, err := mail.ParseAddress(per.Email); err != nil || a.Address != per.Email {
				pr.add("%s: email %q is not an address", at, p.Email)
			}
		}
		if per.Role != RoleOperator && per.Role != RoleCoordinator {
			pr.add("%s: role %q (operator or coordinator)", at, p.Role)
		}
		if per.Wave != "" && !waves[per.Wave] {
			pr.add("%s: wave %q is not in waves", at, per.Wave)
		}
		r.People = append(r.People, per)
		people[p.ID] = &r.People[len(r.People)-1]
	}
	for i, s := range d.Shifts {
		at := fmt.Sprintf("shift %d (%s)", i+1, s.Name)
		sh := Shift{Name: s.Name, Wave: s.Wave, People: s.People, Except: s.Except}
		if strings.TrimSpace(s.Name) == "" {
			pr.add("%s: no name", at)
		}
		if !waves[s.Wave] {
			pr.add("%s: wave %q is not in waves", at, s.Wave)
		}
		seen := map[string]bool{}
		for _, id := range s.People {
			if people[id] == nil {
				pr.add("%s: %q is not on the roster", at, id)
			}
			if seen[id] {
				pr.add("%s: %q is listed twice", at, id)
			}
			seen[id] = true
		}
		override := s.From != "" || s.To != ""
		if len(s.People) == 0 {
			if override {
				pr.add("%s: an override shift with nobody in it would leave the wave empty; name who is on call", at)
			} else {
				pr.add("%s: nobody in it", at)
			}
		}
		if override {
			if len(s.Weekly) > 0 {
				pr.add("%s: either weekly spans or from/to, not both", at)
			}
			from, err1 := parseLocal(s.From)
			to, err2 := parseLocal(s.To)
			if err1 != nil || err2 != nil {
				pr.add("%s: from %q to %q (use 2026-12-25T08:00)", at, s.From, s.To)
			} else if !to.After(from) {
				pr.add("%s: ends (%s) before it starts (%s)", at, s.To, s.From)
			}
			sh.From, sh.To = from, to
		} else {
			if len(s.Weekly) == 0 {
				pr.add("%s: no weekly spans and no from/to", at)
			}
			for _, w := range s.Weekly {
				spans, err := ParseSpans(w)
				if err != nil {
					pr.add("%s: %v", at, err)
				}
				sh.Weekly = append(sh.Weekly, spans...)
			}
			for _, e := range s.Except {
				if _, err := time.ParseInLocation(time.DateOnly, e, rome); err != nil {
					pr.add("%s: except %q is not a date (2026-12-25)", at, e)
				}
			}
		}
		r.Shifts = append(r.Shifts, sh)
	}
	if len(pr) == 0 {
		r.checkOverlaps(&pr)
	}
	if err := pr.err(); err != nil {
		return nil, err
	}
	return r, nil
}

func parseLocal(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02 15:04", time.DateOnly} {
		if t, err := time.ParseInLocation(layout, s, rome); err == nil {
			return t, nil
		}
	}
	return time.Parse(time.RFC3339, s)
}

// checkOverlaps refuses a person on two shifts at the same time: in the
// same wave it is a mistake in the calendar, in two waves it would call
// them twice.
func (r *Roster) checkOverlaps(pr *problems) {
	fixed := map[string]string{}
	for _, p := range r.People {
		if p.Wave != "" {
			fixed[p.ID] = p.Wave
		}
	}
	for i, a := range r.Shifts {
		for _, id := range a.People {
			if w := fixed[id]; w != "" && w != a.Wave {
				pr.add("%s is always in wave %s but shift %q puts them in wave %s: a person cannot be in two waves", id, w, a.Name, a.Wave)
			}
		}
		for _, b := range r.Shifts[i+1:] {
			common := intersect(a.People, b.People)
			if len(common) == 0 {
				continue
			}
			when, ok := overlap(a, b)
			if !ok {
				continue
			}
			if a.Wave != b.Wave {
				pr.add("shifts %q (wave %s) and %q (wave %s) overlap %s with %s in both: a person cannot be in two waves",
					a.Name, a.Wave, b.Name, b.Wave, when, strings.Join(common, ", "))
			} else if !(a.Override() && !b.Override() || b.Override() && !a.Override()) {
				// An override replaces its wave's weekly shifts, so it may
				// overlap them; two weeklies or two overrides may not.
				pr.add("shifts %q and %q of wave %s overlap %s with %s in both", a.Name, b.Name, a.Wave, when, strings.Join(common, ", "))
			}
		}
	}
}

func intersect(a, b []string) []string {
	var out []string
	for _, x := range a {
		if slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

var dayNames = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// overlap says whether two shifts are ever in force together, and when.
func overlap(a, b Shift) (string, bool) {
	switch {
	case !a.Override() && !b.Override():
		for _, x := range a.Weekly {
			for _, y := range b.Weekly {
				if spansOverlap(x, y) {
					return "on " + dayNames[x.Day] + " " + clockOf(x.Start), true
				}
			}
		}
		return "", false
	case a.Override() && b.Override():
		if a.From.Before(b.To) && b.From.Before(a.To) {
			return "from " + later(a.From, b.From).In(rome).Format("2006-01-02 15:04"), true
		}
		return "", false
	case a.Override():
		return overrideMeetsWeekly(a, b)
	default:
		return overrideMeetsWeekly(b, a)
	}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// overrideMeetsWeekly looks for a minute of the override the weekly shift covers.
func overrideMeetsWeekly(o, w Shift) (string, bool) {
	for t := o.From; t.Before(o.To); t = t.Add(15 * time.Minute) {
		if w.covers(t) {
			return "at " + t.In(rome).Format("2006-01-02 15:04"), true
		}
	}
	return "", false
}

func weekOffset(s Span) int { return (int(s.Day)+6)%7*1440 + s.Start }

func spansOverlap(x, y Span) bool {
	xs, ys := weekOffset(x), weekOffset(y)
	// y starts inside x, or x starts inside y (modulo the week).
	return (ys-xs+minutesPerWeek)%minutesPerWeek < x.Length || (xs-ys+minutesPerWeek)%minutesPerWeek < y.Length
}

// covers reports whether the shift puts its people on call at t.
func (s Shift) covers(t time.Time) bool {
	if s.Override() {
		return !t.Before(s.From) && t.Before(s.To)
	}
	lt := t.In(rome)
	tmin := lt.Hour()*60 + lt.Minute()
	tw := (int(lt.Weekday())+6)%7*1440 + tmin
	for _, sp := range s.Weekly {
		d := (tw - weekOffset(sp) + minutesPerWeek) % minutesPerWeek
		if d >= sp.Length {
			continue
		}
		back := 0
		if d > tmin {
			back = (d - tmin + 1439) / 1440
		}
		start := time.Date(lt.Year(), lt.Month(), lt.Day()-back, 0, 0, 0, 0, rome).Format(time.DateOnly)
		if !slices.Contains(s.Except, start) {
			return true
		}
	}
	return false
}

// PlannedWave is a wave with the people it calls at a given moment.
type PlannedWave struct {
	Wave
	People []Person
}

// Plan says who each wave calls at t: people always in a wave, people on a
// shift of that wave (a dated override replaces the wave's weekly shifts
// while it lasts), then the rest waves. Nobody is in two waves.
func (r *Roster) Plan(t time.Time) []PlannedWave {
	placed := map[string]bool{}
	out := make([]PlannedWave, len(r.Waves))
	for i, w := range r.Waves {
		out[i].Wave = w
	}
	members := map[string][]string{}
	for i, w := range r.Waves {
		overridden := false
		for _, s := range r.Shifts {
			if s.Wave == w.Name && s.Override() && s.covers(t) {
				overridden = true
			}
		}
		for _, s := range r.Shifts {
			if s.Wave == w.Name && s.Override() == overridden && s.covers(t) {
				members[w.Name] = append(members[w.Name], s.People...)
			}
		}
		_ = i
	}
	for i, w := range r.Waves {
		for _, p := range r.People {
			if placed[p.ID] {
				continue
			}
			in := p.Wave == w.Name || slices.Contains(members[w.Name], p.ID) || (w.Rest && (w.Role == "" || w.Role == p.Role))
			if in {
				placed[p.ID] = true
				out[i].People = append(out[i].People, p)
			}
		}
	}
	return out
}

// Person returns a person by ID.
func (r *Roster) Person(id string) (Person, bool) {
	for _, p := range r.People {
		if p.ID == id {
			return p, true
		}
	}
	return Person{}, false
}

// YAML writes the roster in its canonical form (what the store keeps and
// `roster export` prints).
func (r *Roster) YAML() []byte {
	d := rosterDoc{Quorum: r.Quorum, Target: r.Policy.Target.String(), Retries: &r.Policy.Retries,
		RetryAfter: r.Policy.RetryAfter.String(), Ring: r.Policy.Ring.String(), DefaultETA: r.Policy.DefaultETA.String()}
	for _, w := range r.Waves {
		d.Waves = append(d.Waves, waveDoc{Name: w.Name, Wait: w.Wait.String(), Rest: w.Rest, Role: w.Role})
	}
	for _, p := range r.People {
		//lint:ignore S1016 spelled out, so a field added to Person is not exported by accident
		d.People = append(d.People, personDoc{ID: p.ID, Name: p.Name, Phone: p.Phone, Email: p.Email, Site: p.Site, Role: p.Role,
			Username: p.Username, Wave: p.Wave})
	}
	for _, s := range r.Shifts {
		sd := shiftDoc{Name: s.Name, Wave: s.Wave, People: s.People, Except: s.Except}
		if s.Override() {
			sd.From, sd.To = s.From.In(rome).Format("2006-01-02T15:04"), s.To.In(rome).Format("2006-01-02T15:04")
		}
		for _, sp := range s.Weekly {
			sd.Weekly = append(sd.Weekly, sp.String())
		}
		d.Shifts = append(d.Shifts, sd)
	}
	var b bytes.Buffer
	b.WriteString("# Reperibilità del Contact Center (on-call roster) — ascolto oncall roster import\n")
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(d); err != nil {
		panic("oncall: encode roster: " + err.Error()) // only plain strings and numbers: cannot fail
	}
	enc.Close()
	return b.Bytes()
}

// Checksum identifies the roster's canonical form.
func (r *Roster) Checksum() string {
	h := sha256.Sum256(r.YAML())
	return hex.EncodeToString(h[:])
}

// WithShifts returns a copy of the roster with other shifts (an
// iCalendar import), checked like a YAML import.
func (r *Roster) WithShifts(shifts []Shift) (*Roster, error) {
	cp := *r
	cp.Shifts = shifts
	return ParseRoster(cp.YAML())
}
