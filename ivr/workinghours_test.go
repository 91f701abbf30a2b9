package ivr

import (
	"testing"
	"time"
)

func TestAddWorkingTime(t *testing.T) {
	cal := defaultCalendar(t)
	loc := rome(t)
	at := func(m time.Month, d, h, min int) time.Time { return time.Date(2026, m, d, h, min, 0, 0, loc) }
	tests := []struct {
		name     string
		from     time.Time
		d        time.Duration
		want     time.Time
		wantOpen bool
	}{
		{"within the day", at(time.December, 2, 10, 0), 3 * time.Hour, at(time.December, 2, 13, 0), true},
		{"before opening starts at 9", at(time.December, 2, 7, 0), 2 * time.Hour, at(time.December, 2, 11, 0), true},
		{"up to closing exactly", at(time.December, 2, 9, 0), 9 * time.Hour, at(time.December, 2, 18, 0), true},
		{"Friday evening to Monday", at(time.December, 4, 17, 0), 8 * time.Hour, at(time.December, 7, 16, 0), true},
		{"Saturday counts nothing", at(time.December, 5, 10, 0), time.Hour, at(time.December, 7, 10, 0), true},
		{"over the Immacolata (Tue 8 Dec)", at(time.December, 7, 17, 0), 8 * time.Hour, at(time.December, 9, 16, 0), true},
		{"Christmas and St Stephen", at(time.December, 24, 17, 30), time.Hour, at(time.December, 28, 9, 30), true},
		{"the patron saint (10 June)", at(time.June, 9, 17, 0), 2 * time.Hour, at(time.June, 11, 10, 0), true},
		{"across the clock change", at(time.March, 27, 17, 0), 2 * time.Hour, at(time.March, 30, 10, 0), true},
		{"nothing to add", at(time.December, 5, 10, 0), 0, at(time.December, 5, 10, 0), true},
		{"sixteen hours span two days", at(time.December, 2, 12, 0), 16 * time.Hour, at(time.December, 4, 10, 0), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := cal.AddWorkingTime(tt.from, tt.d)
			if ok != tt.wantOpen || !got.Equal(tt.want) {
				t.Errorf("AddWorkingTime(%s, %s) = %s, %v; want %s", tt.from, tt.d, got.In(loc), ok, tt.want)
			}
		})
	}
}

func TestAddWorkingTimeNeverOpen(t *testing.T) {
	site, err := DefaultSite()
	if err != nil {
		t.Fatal(err)
	}
	site.Week = [7][]Span{}
	cal, err := NewCalendar(site)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := cal.AddWorkingTime(time.Date(2026, 12, 2, 10, 0, 0, 0, site.Location), time.Hour); ok {
		t.Fatalf("a site with no hours gave %s", got)
	}
}
