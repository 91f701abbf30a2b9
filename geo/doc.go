// Package geo owns Italian administrative geography as ISTAT publishes it:
// regioni, province (unità territoriali sovracomunali) and comuni with their
// codes, the parser for ISTAT's "Elenco comuni italiani" CSV, the bundled
// snapshot that makes a fresh installation work offline, and the name
// normalisation behind accent- and case-insensitive lookup.
//
// It reads and checks data; it does not store it (package store does) and
// it does not serve it.
package geo
