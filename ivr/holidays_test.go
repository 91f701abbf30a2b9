package ivr

import (
	"fmt"
	"testing"
	"time"
)

func TestEasterKnownDates(t *testing.T) {
	// knownEaster lists Easter Sunday for 1950-2050 as YYYYMMDD, taken from
	// python-dateutil's easter() (an independent implementation, EASTER_WESTERN)
	// and matching the tables published by the Church and astronomers for
	// spot-checked years (2000-04-23, 2011-04-24, 2038-04-25).
	knownEaster := []int{
		19500409, 19510325, 19520413, 19530405, 19540418, 19550410, 19560401, 19570421,
		19580406, 19590329, 19600417, 19610402, 19620422, 19630414, 19640329, 19650418,
		19660410, 19670326, 19680414, 19690406, 19700329, 19710411, 19720402, 19730422,
		19740414, 19750330, 19760418, 19770410, 19780326, 19790415, 19800406, 19810419,
		19820411, 19830403, 19840422, 19850407, 19860330, 19870419, 19880403, 19890326,
		19900415, 19910331, 19920419, 19930411, 19940403, 19950416, 19960407, 19970330,
		19980412, 19990404, 20000423, 20010415, 20020331, 20030420, 20040411, 20050327,
		20060416, 20070408, 20080323, 20090412, 20100404, 20110424, 20120408, 20130331,
		20140420, 20150405, 20160327, 20170416, 20180401, 20190421, 20200412, 20210404,
		20220417, 20230409, 20240331, 20250420, 20260405, 20270328, 20280416, 20290401,
		20300421, 20310413, 20320328, 20330417, 20340409, 20350325, 20360413, 20370405,
		20380425, 20390410, 20400401, 20410421, 20420406, 20430329, 20440417, 20450409,
		20460325, 20470414, 20480405, 20490418, 20500410,
	}

	for _, ymd := range knownEaster {
		year, month, day := ymd/10000, time.Month(ymd/100%100), ymd%100
		t.Run(fmt.Sprint(year), func(t *testing.T) {
			m, d := Easter(year)
			if m != month || d != day {
				t.Errorf("Easter(%d) = %d %s, want %d %s", year, d, m, day, month)
			}
		})
	}
	// The extremes of the Gregorian computus.
	for _, c := range []struct {
		year  int
		month time.Month
		day   int
	}{{1818, time.March, 22}, {2285, time.March, 22}, {1943, time.April, 25}, {2038, time.April, 25}} {
		if m, d := Easter(c.year); m != c.month || d != c.day {
			t.Errorf("Easter(%d) = %d %s, want %d %s", c.year, d, m, c.day, c.month)
		}
	}
}

func TestEasterIsASundayBetween22MarchAnd25April(t *testing.T) {
	for year := 1583; year <= 4099; year++ {
		m, d := Easter(year)
		date := time.Date(year, m, d, 12, 0, 0, 0, time.UTC)
		lo := time.Date(year, time.March, 22, 0, 0, 0, 0, time.UTC)
		hi := time.Date(year, time.April, 26, 0, 0, 0, 0, time.UTC)
		if date.Weekday() != time.Sunday || date.Before(lo) || !date.Before(hi) {
			t.Fatalf("Easter(%d) = %s, a %s", year, date.Format(time.DateOnly), date.Weekday())
		}
	}
}

func TestNationalHolidays(t *testing.T) {
	tests := []struct {
		year int
		want []string // YYYY-MM-DD name
	}{
		{2025, []string{
			"2025-01-01 Capodanno", "2025-01-06 Epifania", "2025-04-20 Pasqua", "2025-04-21 Lunedì dell'Angelo (Pasquetta)",
			"2025-04-25 Festa della Liberazione", "2025-05-01 Festa del Lavoro", "2025-06-02 Festa della Repubblica",
			"2025-08-15 Ferragosto (Assunzione)", "2025-11-01 Ognissanti", "2025-12-08 Immacolata Concezione",
			"2025-12-25 Natale", "2025-12-26 Santo Stefano",
		}},
		{2026, []string{
			"2026-01-01 Capodanno", "2026-01-06 Epifania", "2026-04-05 Pasqua", "2026-04-06 Lunedì dell'Angelo (Pasquetta)",
			"2026-04-25 Festa della Liberazione", "2026-05-01 Festa del Lavoro", "2026-06-02 Festa della Repubblica",
			"2026-08-15 Ferragosto (Assunzione)", "2026-10-04 San Francesco d'Assisi, patrono d'Italia",
			"2026-11-01 Ognissanti", "2026-12-08 Immacolata Concezione", "2026-12-25 Natale", "2026-12-26 Santo Stefano",
		}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.year), func(t *testing.T) {
			got := NationalHolidays(tt.year)
			if len(got) != len(tt.want) {
				t.Fatalf("%d holidays, want %d: %v", len(got), len(tt.want), got)
			}
			for i, h := range got {
				if s := h.Date.String() + " " + h.Name; s != tt.want[i] {
					t.Errorf("holiday %d = %q, want %q", i, s, tt.want[i])
				}
				if h.English == "" || h.English == h.Name {
					t.Errorf("holiday %s has no English name", h.Date)
				}
			}
		})
	}
}
