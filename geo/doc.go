// Package geo owns Italian administrative geography as ISTAT publishes it:
// regioni, province (unità territoriali sovracomunali) and comuni with their
// codes, the parser for ISTAT's "Elenco comuni italiani" CSV, the bundled
// snapshot that makes a fresh installation work offline, and the name
// normalisation behind accent- and case-insensitive lookup. For maps it
// parses and simplifies boundaries, bundles those of the regions and
// provinces (data/boundaries.geojson.gz, with its attribution in
// data/ATTRIBUTION.md), and its Atlas places a request: at the citizen's
// coordinates, else at its comune's or province's centroid.
//
// It reads and checks data; it does not store it (package store does) and
// it does not serve it.
package geo
