package oncall

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

var dayWords = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday, "thu": time.Thursday,
	"fri": time.Friday, "sat": time.Saturday,
	"dom": time.Sunday, "lun": time.Monday, "mar": time.Tuesday, "mer": time.Wednesday, "gio": time.Thursday,
	"ven": time.Friday, "sab": time.Saturday,
}

// ParseSpans reads a weekly period as people write it:
//
//	sat 00:00-24:00          a whole Saturday
//	mon-fri 18:00-09:00      every weekday evening to the next morning
//	sat,sun 08:00-20:00      two days
//	daily 20:00-08:00        every night
//	fri 18:00-mon 08:00      one span across days
//
// Days are English or Italian three-letter names (lun, mar, mer, gio, ven,
// sab, dom); times are Italian time. An end at or before the start is on
// the next day.
func ParseSpans(s string) ([]Span, error) {
	f := strings.Fields(strings.ToLower(strings.ReplaceAll(s, " - ", "-")))
	bad := func() ([]Span, error) {
		return nil, fmt.Errorf("weekly %q: write e.g. \"sat 00:00-24:00\", \"mon-fri 18:00-09:00\" or \"fri 18:00-mon 08:00\"", s)
	}
	switch len(f) {
	case 2: // DAYS HH:MM-HH:MM
		days, ok := parseDays(f[0])
		if !ok {
			return bad()
		}
		from, to, ok := strings.Cut(f[1], "-")
		if !ok {
			return bad()
		}
		start, ok1 := parseClock(from)
		end, ok2 := parseClock(to)
		if !ok1 || !ok2 || start == 1440 {
			return bad()
		}
		length := end - start
		if length <= 0 {
			length += 1440
		}
		var out []Span
		for _, d := range days {
			out = append(out, Span{Day: d, Start: start, Length: length})
		}
		return out, nil
	case 3: // DAY HH:MM-DAY HH:MM
		d1, ok1 := dayWords[f[0]]
		from, d2s, ok := strings.Cut(f[1], "-")
		d2, ok2 := dayWords[d2s]
		start, ok3 := parseClock(from)
		end, ok4 := parseClock(f[2])
		if !ok || !ok1 || !ok2 || !ok3 || !ok4 || start == 1440 {
			return bad()
		}
		length := ((int(d2)-int(d1)+7)%7)*1440 + end - start
		if length <= 0 {
			length += minutesPerWeek
		}
		return []Span{{Day: d1, Start: start, Length: length}}, nil
	}
	return bad()
}

func parseDays(s string) ([]time.Weekday, bool) {
	if s == "daily" || s == "ogni-giorno" || s == "tutti" {
		return []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}, true
	}
	var out []time.Weekday
	for _, part := range strings.Split(s, ",") {
		if a, b, ok := strings.Cut(part, "-"); ok {
			da, ok1 := dayWords[a]
			db, ok2 := dayWords[b]
			if !ok1 || !ok2 {
				return nil, false
			}
			for d := da; ; d = (d + 1) % 7 {
				out = append(out, d)
				if d == db {
					break
				}
			}
			continue
		}
		d, ok := dayWords[part]
		if !ok {
			return nil, false
		}
		out = append(out, d)
	}
	return out, len(out) > 0
}

func parseClock(s string) (int, bool) {
	h, m, ok := strings.Cut(s, ":")
	if !ok {
		return 0, false
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || mm < 0 || mm > 59 || hh > 24 || (hh == 24 && mm != 0) {
		return 0, false
	}
	return hh*60 + mm, true
}

func clockOf(min int) string { return fmt.Sprintf("%02d:%02d", min/60, min%60) }

// String writes the span the way ParseSpans reads it.
func (s Span) String() string {
	end := s.Start + s.Length
	if end <= s.Start+1440 && s.Length <= 1440 {
		e := end % 1440
		if e == 0 && s.Start == 0 {
			return dayNames[s.Day] + " 00:00-24:00"
		}
		return dayNames[s.Day] + " " + clockOf(s.Start) + "-" + clockOf(e)
	}
	endDay := (int(s.Day) + end/1440) % 7
	return dayNames[s.Day] + " " + clockOf(s.Start) + "-" + dayNames[endDay] + " " + clockOf(end%1440)
}
