// Package hotspot groups requests that cluster in space and time — the
// same hazard, in the same comune or within a few hundred metres of each
// other, within the last hour — into one item with its count, trend and
// members, so the operations room reads "12 chiamate per il sottopasso di
// Via Emilia, Faenza, in aumento" instead of twelve cards.
//
// It is pure: it takes the requests and a time and returns the groups. It
// must not read a clock, a database or the network, nor hide a request:
// the members are listed, the requests stay where they are.
package hotspot
