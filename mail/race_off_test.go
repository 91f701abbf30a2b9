//go:build !race

package mail

// raceDetector is true when the tests run with -race.
const raceDetector = false
