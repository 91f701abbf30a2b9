package oncall

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// The iCalendar subset (RFC 5545) on-call shifts travel in, so a shift
// plan made in a calendar program can be imported and the roster's shifts
// looked at in one:
//
//   - one VEVENT per shift span: SUMMARY is the shift's name, CATEGORIES its
//     wave, one ATTENDEE per person (CN, the person's id in X-ASCOLTO-ID,
//     mailto: or tel:), DTSTART/DTEND in Europe/Rome (TZID), UTC (…Z) or
//     floating (read as Italian time);
//   - a weekly shift has RRULE:FREQ=WEEKLY with BYDAY (INTERVAL 1, no
//     COUNT or UNTIL) and EXDATE for the days it does not start on;
//   - an event without RRULE is a dated override of its wave.
//
// Lines are folded at 75 octets and text is escaped as the RFC says.
// Anything outside the subset is refused with the line it is on.

var icalDays = []string{"SU", "MO", "TU", "WE", "TH", "FR", "SA"}

// ExportICS writes the roster's shifts as an iCalendar file.
func (r *Roster) ExportICS(w io.Writer, now time.Time) error {
	var b bytes.Buffer
	line := func(s string) { writeFolded(&b, s) }
	line("BEGIN:VCALENDAR")
	line("VERSION:2.0")
	line("PRODID:-//ascolto//oncall roster//IT")
	line("CALSCALE:GREGORIAN")
	line("X-WR-CALNAME:Reperibilità Contact Center")
	for _, l := range romeVTimezone {
		line(l)
	}
	stamp := now.UTC().Format("20060102T150405Z")
	// The first week that contains every weekly occurrence's start: the
	// Monday of the week the export is made.
	lt := now.In(rome)
	monday := time.Date(lt.Year(), lt.Month(), lt.Day()-(int(lt.Weekday())+6)%7, 0, 0, 0, 0, rome)
	for i, s := range r.Shifts {
		groups := groupSpans(s.Weekly)
		if s.Override() {
			groups = [][]Span{nil}
		}
		for j, g := range groups {
			line("BEGIN:VEVENT")
			line(fmt.Sprintf("UID:shift-%d-%d-%s@ascolto", i+1, j+1, r.Checksum()[:12]))
			line("DTSTAMP:" + stamp)
			line("SUMMARY:" + escapeText(s.Name))
			line("CATEGORIES:" + escapeText(s.Wave))
			if s.Override() {
				line("DTSTART;TZID=Europe/Rome:" + s.From.In(rome).Format("20060102T150405"))
				line("DTEND;TZID=Europe/Rome:" + s.To.In(rome).Format("20060102T150405"))
			} else {
				first := g[0]
				start := monday.AddDate(0, 0, (int(first.Day)+6)%7).Add(time.Duration(first.Start) * time.Minute)
				end := start.Add(time.Duration(first.Length) * time.Minute)
				line("DTSTART;TZID=Europe/Rome:" + start.Format("20060102T150405"))
				line("DTEND;TZID=Europe/Rome:" + end.Format("20060102T150405"))
				var days []string
				for _, sp := range g {
					days = append(days, icalDays[sp.Day])
				}
				line("RRULE:FREQ=WEEKLY;BYDAY=" + strings.Join(days, ","))
				for _, ex := range s.Except {
					d, err := time.ParseInLocation(time.DateOnly, ex, rome)
					if err != nil {
						continue
					}
					for _, sp := range g {
						if d.Weekday() == sp.Day {
							line("EXDATE;TZID=Europe/Rome:" + d.Add(time.Duration(sp.Start)*time.Minute).Format("20060102T150405"))
						}
					}
				}
			}
			for _, id := range s.People {
				p, _ := r.Person(id)
				addr := "tel:" + p.Phone
				if p.Email != "" {
					addr = "mailto:" + p.Email
				}
				line("ATTENDEE;CN=" + quoteParam(p.Name) + ";X-ASCOLTO-ID=" + p.ID + ":" + addr)
			}
			line("END:VEVENT")
		}
	}
	line("END:VCALENDAR")
	_, err := w.Write(b.Bytes())
	return err
}

// groupSpans puts together spans with the same start time and length (one
// RRULE with several BYDAY), keeping the first one's order.
func groupSpans(spans []Span) [][]Span {
	var out [][]Span
	for _, sp := range spans {
		found := false
		for i, g := range out {
			if g[0].Start == sp.Start && g[0].Length == sp.Length {
				out[i] = append(out[i], sp)
				found = true
				break
			}
		}
		if !found {
			out = append(out, []Span{sp})
		}
	}
	return out
}

var romeVTimezone = []string{
	"BEGIN:VTIMEZONE", "TZID:Europe/Rome",
	"BEGIN:DAYLIGHT", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200", "TZNAME:CEST", "DTSTART:19700329T020000",
	"RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "END:DAYLIGHT",
	"BEGIN:STANDARD", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", "TZNAME:CET", "DTSTART:19701025T030000",
	"RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", "END:STANDARD",
	"END:VTIMEZONE",
}

// writeFolded writes a content line, folded at 75 octets without
// splitting a UTF-8 character, ending in CRLF.
func writeFolded(b *bytes.Buffer, s string) {
	n := 0
	for _, r := range s {
		l := len(string(r))
		if n+l > 75 {
			b.WriteString("\r\n ")
			n = 1
		}
		b.WriteRune(r)
		n += l
	}
	b.WriteString("\r\n")
}

func escapeText(s string) string {
	return strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\n", `\n`).Replace(s)
}

func unescapeText(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
			switch s[i] {
			case 'n', 'N':
				b.WriteByte('\n')
			default:
				b.WriteByte(s[i])
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func quoteParam(s string) string {
	s = strings.ReplaceAll(s, `"`, "'")
	if strings.ContainsAny(s, ";:,") {
		return `"` + s + `"`
	}
	return s
}

// icalLine is one unfolded content line: NAME;PARAM=V;…:VALUE.
type icalLine struct {
	n      int // line number of its first physical line
	name   string
	params map[string]string
	value  string
}

// unfold reads the content lines of an iCalendar file.
func unfold(src io.Reader) ([]icalLine, error) {
	sc := bufio.NewScanner(src)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var raw []string
	var nums []int
	n := 0
	for sc.Scan() {
		n++
		l := strings.TrimRight(sc.Text(), "\r")
		if n == 1 {
			l = strings.TrimPrefix(l, "\ufeff")
		}
		if (strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t")) && len(raw) > 0 {
			raw[len(raw)-1] += l[1:]
			continue
		}
		if strings.TrimSpace(l) == "" {
			continue
		}
		raw = append(raw, l)
		nums = append(nums, n)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: read calendar: %w", ErrBadRoster, err)
	}
	out := make([]icalLine, 0, len(raw))
	for i, l := range raw {
		// The name and parameters end at the first colon outside quotes.
		inQ := false
		colon := -1
		for j := 0; j < len(l); j++ {
			if l[j] == '"' {
				inQ = !inQ
			} else if l[j] == ':' && !inQ {
				colon = j
				break
			}
		}
		if colon < 0 {
			return nil, fmt.Errorf("%w: calendar line %d: no ':' in %q", ErrBadRoster, nums[i], l)
		}
		head, value := l[:colon], l[colon+1:]
		parts := splitParams(head)
		il := icalLine{n: nums[i], name: strings.ToUpper(parts[0]), params: map[string]string{}, value: value}
		for _, p := range parts[1:] {
			k, v, _ := strings.Cut(p, "=")
			il.params[strings.ToUpper(k)] = strings.Trim(v, `"`)
		}
		out = append(out, il)
	}
	return out, nil
}

func splitParams(s string) []string {
	var out []string
	inQ := false
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			inQ = !inQ
		case ';':
			if !inQ {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// ImportICS reads shifts from an iCalendar file, matching attendees to the
// roster's people (by X-ASCOLTO-ID, else email, else phone). The result
// replaces the roster's shifts via WithShifts, which checks it.
func (r *Roster) ImportICS(src io.Reader) ([]Shift, error) {
	lines, err := unfold(src)
	if err != nil {
		return nil, err
	}
	var shifts []Shift
	var pr problems
	var ev *icalEvent
	depth := []string{}
	for _, l := range lines {
		switch l.name {
		case "BEGIN":
			depth = append(depth, strings.ToUpper(l.value))
			if strings.EqualFold(l.value, "VEVENT") {
				ev = &icalEvent{line: l.n}
			}
			continue
		case "END":
			if len(depth) == 0 || !strings.EqualFold(depth[len(depth)-1], l.value) {
				return nil, fmt.Errorf("%w: calendar line %d: END:%s without its BEGIN", ErrBadRoster, l.n, l.value)
			}
			depth = depth[:len(depth)-1]
			if strings.EqualFold(l.value, "VEVENT") && ev != nil {
				if sh, ok := r.eventShift(ev, &pr); ok {
					shifts = mergeShift(shifts, sh)
				}
				ev = nil
			}
			continue
		}
		if ev == nil || len(depth) == 0 || depth[len(depth)-1] != "VEVENT" {
			continue // calendar properties, time zones, alarms: not ours
		}
		ev.props = append(ev.props, l)
	}
	if len(depth) != 0 {
		pr.add("the calendar ends inside %s", depth[len(depth)-1])
	}
	if len(shifts) == 0 && len(pr) == 0 {
		pr.add("the calendar has no events")
	}
	if err := pr.err(); err != nil {
		return nil, err
	}
	return shifts, nil
}

type icalEvent struct {
	line  int
	props []icalLine
}

func (r *Roster) eventShift(ev *icalEvent, pr *problems) (Shift, bool) {
	var sh Shift
	var start, end time.Time
	var rrule string
	var exdates []time.Time
	at := fmt.Sprintf("calendar event at line %d", ev.line)
	ok := true
	for _, p := range ev.props {
		switch p.name {
		case "SUMMARY":
			sh.Name = unescapeText(p.value)
			at = fmt.Sprintf("calendar event %q (line %d)", sh.Name, ev.line)
		case "CATEGORIES":
			sh.Wave = strings.TrimSpace(strings.Split(unescapeText(p.value), ",")[0])
		case "DTSTART", "DTEND":
			t, err := icalTime(p)
			if err != nil {
				pr.add("%s: line %d: %v", at, p.n, err)
				ok = false
			}
			if p.name == "DTSTART" {
				start = t
			} else {
				end = t
			}
		case "RRULE":
			rrule = p.value
		case "EXDATE":
			for _, v := range strings.Split(p.value, ",") {
				t, err := icalTime(icalLine{n: p.n, params: p.params, value: v})
				if err != nil {
					pr.add("%s: line %d: %v", at, p.n, err)
					ok = false
				}
				exdates = append(exdates, t)
			}
		case "RDATE", "DURATION":
			pr.add("%s: line %d: %s is not supported; use DTEND and weekly RRULEs", at, p.n, p.name)
			ok = false
		case "ATTENDEE":
			id := r.attendee(p)
			if id == "" {
				pr.add("%s: line %d: attendee %s is not on the roster", at, p.n, p.value)
				ok = false
				continue
			}
			sh.People = append(sh.People, id)
		}
	}
	if sh.Name == "" {
		sh.Name = fmt.Sprintf("evento %d", ev.line)
	}
	if start.IsZero() || end.IsZero() || !end.After(start) {
		pr.add("%s: needs DTSTART and a later DTEND", at)
		return sh, false
	}
	if rrule == "" {
		sh.From, sh.To = start, end
		return sh, ok
	}
	days, err := weeklyDays(rrule, start)
	if err != nil {
		pr.add("%s: %v", at, err)
		return sh, false
	}
	ls := start.In(rome)
	length := int(end.Sub(start) / time.Minute)
	if length > minutesPerWeek {
		pr.add("%s: a weekly shift longer than a week", at)
		return sh, false
	}
	for _, d := range days {
		sh.Weekly = append(sh.Weekly, Span{Day: d, Start: ls.Hour()*60 + ls.Minute(), Length: length})
	}
	for _, x := range exdates {
		sh.Except = append(sh.Except, x.In(rome).Format(time.DateOnly))
	}
	return sh, ok
}

func (r *Roster) attendee(p icalLine) string {
	if id := p.params["X-ASCOLTO-ID"]; id != "" {
		if _, ok := r.Person(id); ok {
			return id
		}
		return ""
	}
	v := p.value
	if addr, ok := cutPrefixFold(v, "mailto:"); ok {
		for _, per := range r.People {
			if per.Email != "" && strings.EqualFold(per.Email, addr) {
				return per.ID
			}
		}
	}
	if tel, ok := cutPrefixFold(v, "tel:"); ok {
		if n, err := NormalizePhone(tel); err == nil {
			for _, per := range r.People {
				if per.Phone == n {
					return per.ID
				}
			}
		}
	}
	return ""
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return "", false
}

// icalTime reads a DATE-TIME (TZID=Europe/Rome, UTC with Z, or floating,
// read as Italian time) or a DATE (midnight, Italian time).
func icalTime(p icalLine) (time.Time, error) {
	v := strings.TrimSpace(p.value)
	loc := rome
	if tz := p.params["TZID"]; tz != "" && tz != "Europe/Rome" {
		l, err := time.LoadLocation(tz)
		if err != nil {
			return time.Time{}, fmt.Errorf("time zone %q unknown", tz)
		}
		loc = l
	}
	switch {
	case strings.HasSuffix(v, "Z"):
		return time.Parse("20060102T150405Z", v)
	case len(v) == 8:
		return time.ParseInLocation("20060102", v, loc)
	}
	t, err := time.ParseInLocation("20060102T150405", v, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("time %q (use 20261225T080000)", v)
	}
	return t, nil
}

// weeklyDays reads the RRULE subset: FREQ=WEEKLY, BYDAY, INTERVAL=1.
func weeklyDays(rule string, start time.Time) ([]time.Weekday, error) {
	var days []time.Weekday
	weekly := false
	for _, part := range strings.Split(rule, ";") {
		k, v, _ := strings.Cut(part, "=")
		switch strings.ToUpper(k) {
		case "FREQ":
			weekly = strings.EqualFold(v, "WEEKLY")
		case "BYDAY":
			for _, d := range strings.Split(v, ",") {
				i := slices.Index(icalDays, strings.ToUpper(d))
				if i < 0 {
					return nil, fmt.Errorf("RRULE BYDAY %q: only plain days (MO, TU …)", d)
				}
				days = append(days, time.Weekday(i))
			}
		case "INTERVAL":
			if v != "1" {
				return nil, fmt.Errorf("RRULE INTERVAL=%s: only every week", v)
			}
		case "WKST":
		default:
			return nil, fmt.Errorf("RRULE %s is not supported: shifts repeat every week with no end (use EXDATE for exceptions)", k)
		}
	}
	if !weekly {
		return nil, fmt.Errorf("RRULE %q: only FREQ=WEEKLY", rule)
	}
	if len(days) == 0 {
		days = []time.Weekday{start.In(rome).Weekday()}
	}
	return days, nil
}

// mergeShift joins events that are the same shift (one per span when it
// was exported) back into one.
func mergeShift(shifts []Shift, sh Shift) []Shift {
	if !sh.Override() {
		for i, s := range shifts {
			if !s.Override() && s.Name == sh.Name && s.Wave == sh.Wave && slices.Equal(s.People, sh.People) {
				shifts[i].Weekly = append(shifts[i].Weekly, sh.Weekly...)
				for _, e := range sh.Except {
					if !slices.Contains(shifts[i].Except, e) {
						shifts[i].Except = append(shifts[i].Except, e)
					}
				}
				return shifts
			}
		}
	}
	return append(shifts, sh)
}
