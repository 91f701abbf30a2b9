package arisim

import (
	"net/http/httptest"
	"slices"
	"testing"
)

// Asterisk 20.20.1 keeps only the last of repeated query parameters: a
// client that sends media= once per sound hears only the last one. The
// simulator must do the same, or such a client passes every test here and
// plays one file in ten on a real Asterisk.
func TestRepeatedParameterKeepsTheLast(t *testing.T) {
	r := httptest.NewRequest("POST", "/ari/channels/c1/play?media=sound:a&media=sound:b,sound:c", nil)
	p, err := parseParams(r)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.list("media"); !slices.Equal(got, []string{"sound:b", "sound:c"}) {
		t.Fatalf("media %v, want the last parameter only, split on commas", got)
	}
}
