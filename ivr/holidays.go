package ivr

import (
	"slices"
	"time"
)

// Italian national holidays, as the law stands today: Legge 27 maggio 1949,
// n. 260 ("Disposizioni in materia di ricorrenze festive"), art. 2, as later
// amended (Legge 5 marzo 1977, n. 54, which dropped several days; D.P.R. 28
// dicembre 1985, n. 792, which restored the Epiphany and makes 29 June a
// holiday for the comune di Roma only — a patron day, configured per site;
// Legge 20 novembre 2000,
// n. 336, which restored 2 June) and most recently by Legge 8 ottobre 2025,
// n. 151 ("Istituzione della festa nazionale di San Francesco d'Assisi",
// Gazzetta Ufficiale n. 236 of 10 October 2025, in force from 1 January
// 2026), which adds 4 October, the feast of St Francis of Assisi, patron
// saint of Italy, as a national holiday from 2026 (first on a weekday in
// 2027: 4 October 2026 is a Sunday).
//
// The table applies today's list to every year except 4 October, which is
// only a holiday from 2026; earlier changes (1977–2000) are not modelled
// because the calendar decides about calls now and in the future.
// Every Sunday is also a holiday under the same article; sites simply have no
// Sunday hours.

// FirstSanFrancescoYear is the first year 4 October is a national holiday
// again (Legge 8 ottobre 2025, n. 151, in force from 1 January 2026).
const FirstSanFrancescoYear = 2026

// Holiday is a day the office is closed by law or by the site's calendar.
type Holiday struct {
	Date    Date
	Name    string // Italian name
	English string // English name
}

// fixedHoliday returns the national holiday on a fixed date, if any.
func fixedHoliday(year int, m time.Month, d int) (it, en string, ok bool) {
	switch {
	case m == time.January && d == 1:
		return "Capodanno", "New Year's Day", true
	case m == time.January && d == 6:
		return "Epifania", "Epiphany", true
	case m == time.April && d == 25:
		return "Festa della Liberazione", "Liberation Day", true
	case m == time.May && d == 1:
		return "Festa del Lavoro", "Labour Day", true
	case m == time.June && d == 2:
		return "Festa della Repubblica", "Republic Day", true
	case m == time.August && d == 15:
		return "Ferragosto (Assunzione)", "Ferragosto (Assumption Day)", true
	case m == time.October && d == 4 && year >= FirstSanFrancescoYear:
		return "San Francesco d'Assisi, patrono d'Italia", "St Francis of Assisi, patron saint of Italy", true
	case m == time.November && d == 1:
		return "Ognissanti", "All Saints' Day", true
	case m == time.December && d == 8:
		return "Immacolata Concezione", "Immaculate Conception", true
	case m == time.December && d == 25:
		return "Natale", "Christmas Day", true
	case m == time.December && d == 26:
		return "Santo Stefano", "St Stephen's Day", true
	}
	return "", "", false
}

// nationalHoliday reports whether a date is an Italian national holiday. It
// allocates nothing, so it is cheap enough to ask on every call.
func nationalHoliday(d Date) (it, en string, ok bool) {
	if it, en, ok := fixedHoliday(d.Year, d.Month, d.Day); ok {
		return it, en, true
	}
	em, ed := Easter(d.Year)
	easter := time.Date(d.Year, em, ed, 12, 0, 0, 0, time.UTC)
	switch time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC).Sub(easter) {
	case 0:
		return "Pasqua", "Easter Sunday", true
	case 24 * time.Hour:
		return "Lunedì dell'Angelo (Pasquetta)", "Easter Monday", true
	}
	return "", "", false
}

// NationalHolidays returns the Italian national holidays of a year, in date order.
func NationalHolidays(year int) []Holiday {
	var out []Holiday
	for m := time.January; m <= time.December; m++ {
		for d := 1; d <= daysIn(year, m); d++ {
			date := Date{Year: year, Month: m, Day: d}
			if it, en, ok := nationalHoliday(date); ok {
				out = append(out, Holiday{Date: date, Name: it, English: en})
			}
		}
	}
	slices.SortFunc(out, func(a, b Holiday) int { return a.Date.compare(b.Date) })
	return out
}

func daysIn(year int, m time.Month) int {
	return time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// Easter returns the date of Easter Sunday in the Gregorian calendar, by the
// anonymous Gregorian computus (Meeus/Jones/Butcher), valid for any year
// after 1582.
func Easter(year int) (time.Month, int) {
	a := year % 19             // position in the 19-year Metonic cycle
	b, c := year/100, year%100 // century and year in century
	d, e := b/4, b%4           // leap-century corrections
	f := (b + 8) / 25
	g := (b - f + 1) / 3              // lunar correction
	h := (19*a + b - d - g + 15) % 30 // days from 21 March to the Paschal full moon, roughly
	i, k := c/4, c%4                  // leap years in the century
	l := (32 + 2*e + 2*i - h - k) % 7 // days to the following Sunday
	m := (a + 11*h + 22*l) / 451      // the two exceptions (April 26 and 25)
	month := (h + l - 7*m + 114) / 31
	day := (h+l-7*m+114)%31 + 1
	return time.Month(month), day
}
