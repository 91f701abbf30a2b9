package acd

import (
	"math"
	"time"
)

// Erlang C staffing. Traffic A (erlangs) is arrival rate × handle time.
// ErlangB is computed with the recurrence B(0)=1, B(k) = A·B(k−1) / (k + A·B(k−1)),
// which needs no factorials or powers and stays within [0,1] for any N, so
// large centres (thousands of agents) are as exact as small ones.

// Traffic returns the offered load in erlangs for callsPerHour calls of average handle time aht.
func Traffic(callsPerHour float64, aht time.Duration) float64 {
	return callsPerHour * aht.Hours()
}

// ErlangB returns the blocking probability of n servers offered a erlangs.
func ErlangB(a float64, n int) float64 {
	if a <= 0 {
		return 0
	}
	b := 1.0
	for k := 1; k <= n; k++ {
		b = a * b / (float64(k) + a*b)
	}
	return b
}

// ErlangC returns the probability that a call waits, with n agents and a
// erlangs of traffic. With n <= a the queue grows without bound: 1.
func ErlangC(a float64, n int) float64 {
	if a <= 0 {
		return 0
	}
	if float64(n) <= a {
		return 1
	}
	return erlangCFromB(a, n, ErlangB(a, n))
}

func erlangCFromB(a float64, n int, b float64) float64 {
	return float64(n) * b / (float64(n) - a*(1-b))
}

// ServiceLevel returns the expected share of calls answered within t:
// 1 − C(A,N)·e^(−(N−A)·t/AHT).
func ServiceLevel(a float64, n int, aht, t time.Duration) float64 {
	if a <= 0 {
		return 1
	}
	if float64(n) <= a || aht <= 0 {
		return 0
	}
	return serviceLevel(a, n, ErlangC(a, n), aht, t)
}

func serviceLevel(a float64, n int, c float64, aht, t time.Duration) float64 {
	return 1 - c*math.Exp(-(float64(n)-a)*t.Seconds()/aht.Seconds())
}

// AverageSpeedOfAnswer returns the expected wait of all calls: C(A,N)·AHT/(N−A).
// With n <= a it is unbounded and the result is the largest Duration.
func AverageSpeedOfAnswer(a float64, n int, aht time.Duration) time.Duration {
	if a <= 0 {
		return 0
	}
	if float64(n) <= a {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(ErlangC(a, n) * float64(aht) / (float64(n) - a))
}

// AgentsFor returns the fewest agents that answer target (0..1) of the calls
// within t, for a erlangs of traffic at handle time aht. It walks N upwards
// carrying Erlang B along, so the cost is O(N) in total.
func AgentsFor(a float64, aht, t time.Duration, target float64) int {
	if a <= 0 {
		return 0
	}
	if target >= 1 || aht <= 0 {
		target = math.Nextafter(1, 0)
	}
	b := 1.0
	for n := 1; ; n++ {
		b = a * b / (float64(n) + a*b)
		if float64(n) <= a {
			continue
		}
		if serviceLevel(a, n, erlangCFromB(a, n, b), aht, t) >= target {
			return n
		}
	}
}
