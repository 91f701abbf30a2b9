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
	for start, end := range c.openSpans(from) {
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
	return time.Time{}, false
}
