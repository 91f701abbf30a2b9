package geo

import "math"

// ValidPoint reports whether lat, lon are a point on Earth in degrees
// (WGS84): finite, latitude within ±90, longitude within ±180. NaN fails
// every comparison, so a range check alone lets it through: PostgreSQL then
// stores it (SQLite stores NULL instead) and a map built from it is wrong.
func ValidPoint(lat, lon float64) bool {
	for _, f := range []float64{lat, lon} {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return false
		}
	}
	return lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180
}
