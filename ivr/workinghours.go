package ivr

import "time"

// AddWorkingTime returns the moment when d of the site's working time has
// passed after from: only the opening hours of days that are not holidays,
// the patron saint's day or a closure count. It is how a response time
// such as "an email answered within 8 working hours" becomes a due time:
// an email that arrives on Friday at 17:00 with 8 working hours is due on
// Monday at 16:00 (Tuesday if Monday is a holiday). It reports false when
// the site has no opening hours within two years.
func (c *Calendar) AddWorkingTime(from time.Time, d time.Duration) (time.Time, bool) {
	if d <= 0 {
		return from, true
	}
	loc := c.site.Location
	local := from.In(loc)
	day := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc)
	for i := 0; i < 2*366; i++ {
		dd := day.AddDate(0, 0, i)
		if _, off := c.dayOff(DateOf(dd)); off {
			continue
		}
		for _, s := range c.site.Week[dd.Weekday()] {
			// time.Date per bound, not midnight plus minutes, so that a
			// daylight-saving change keeps 09:00 at 09:00.
			start := time.Date(dd.Year(), dd.Month(), dd.Day(), s.From/60, s.From%60, 0, 0, loc)
			end := time.Date(dd.Year(), dd.Month(), dd.Day(), s.To/60, s.To%60, 0, 0, loc)
			if !end.After(from) {
				continue
			}
			if start.Before(from) {
				start = from
			}
			if left := end.Sub(start); d <= left {
				return start.Add(d), true
			} else {
				d -= left
			}
		}
	}
	return time.Time{}, false
}
