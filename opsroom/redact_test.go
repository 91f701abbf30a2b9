package opsroom_test

import (
	"net"
	"strings"
	"testing"

	"github.com/ascolto/ascolto/opsroom"
	"github.com/ascolto/ascolto/store/storetest"
)

// TestWebhookProblemHidesToken: a webhook that cannot be reached leaves a
// problem (stored, logged, emailed to the room at the last attempt) that
// says why without the token or password its URL carries.
func TestWebhookProblemHidesToken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close() // nothing listens there now
	e := storetest.Engines()[0]
	r := newRig(t, e, opsroom.Config{WebhookURL: "http://sala:hookHunter@" + dead + "/hook?token=hookHunter", WebhookSecret: secret})
	c := r.rescueCase("Anziana isolata al primo piano", "rossi")
	if _, _, err := r.svc.Submit(bg, c.ID, "rossi"); err != nil {
		t.Fatal(err)
	}
	var problem string
	r.eventually("a failed attempt", func() bool {
		list, _, _ := r.svc.Deliveries(bg, 10)
		if len(list) == 1 {
			problem = list[0].LastError
		}
		return problem != ""
	})
	if !strings.Contains(problem, "refused") || strings.Contains(problem, "hookHunter") {
		t.Fatalf("problem recorded as %q", problem)
	}
}
