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

// Italy's extent in degrees, with a margin for the islands and the seas
// around: a pin outside it is a slip of the hand, not a place the service
// covers.
const (
	ItalyLatMin, ItalyLatMax = 35.0, 47.5
	ItalyLonMin, ItalyLonMax = 6.0, 19.0
)

// InItaly reports whether lat, lon is a valid point within Italy's extent.
func InItaly(lat, lon float64) bool {
	return ValidPoint(lat, lon) && lat >= ItalyLatMin && lat <= ItalyLatMax && lon >= ItalyLonMin && lon <= ItalyLonMax
}
