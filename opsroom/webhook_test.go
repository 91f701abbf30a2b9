package opsroom_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ascolto/ascolto/opsroom"
	"github.com/ascolto/ascolto/store"
	"github.com/ascolto/ascolto/store/storetest"
)

const secret = "s3cret-for-the-sala-operativa"

// receiver is the operations room's system: it checks every request's
// signature the way the documentation tells it to.
type receiver struct {
	t       *testing.T
	mu      sync.Mutex
	got     []received
	fail    int           // answer 503 to this many requests first
	block   chan struct{} // when set, every request waits for it to close
	now     func() time.Time
	entered chan struct{}
}

type received struct {
	delivery, event string
	payload         opsroom.Payload
	sigErr          error
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rec := received{delivery: r.Header.Get("X-Ascolto-Delivery"), event: r.Header.Get("X-Ascolto-Event"),
		sigErr: opsroom.Verify([]byte(secret), r.Header.Get("X-Ascolto-Signature"), body, rc.now(), 5*time.Minute)}
	if err := json.Unmarshal(body, &rec.payload); err != nil {
		rc.t.Errorf("webhook body is not JSON: %v", err)
	}
	if rc.entered != nil {
		select {
		case rc.entered <- struct{}{}:
		default:
		}
	}
	if rc.block != nil {
		<-rc.block
	}
	rc.mu.Lock()
	rc.got = append(rc.got, rec)
	fail := len(rc.got) <= rc.fail
	rc.mu.Unlock()
	if fail {
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (rc *receiver) all() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

func TestWebhookSignedRetriedSameID(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			rc := &receiver{t: t, fail: 1}
			srv := httptest.NewServer(rc)
			defer srv.Close()
			r := newRig(t, e, opsroom.Config{WebhookURL: srv.URL + "/hook", WebhookSecret: secret})
			rc.now = r.clk.Now
			c := r.rescueCase("Auto bloccata nel sottopasso", "rossi")
			v, _, err := r.svc.Submit(bg, c.ID, "rossi")
			if err != nil {
				t.Fatal(err)
			}
			r.eventually("first attempt", func() bool { return len(rc.all()) == 1 })
			r.eventually("retry scheduled", func() bool {
				list, _, _ := r.svc.Deliveries(bg, 10)
				return len(list) == 1 && list[0].LastStatus == 503
			})
			r.clk.Advance(opsroom.RetryDelay(1) + time.Second)
			// The sender may compute its next wait just after the jump (the
			// retry then falls due on a short timer of the fake clock): the
			// clock keeps moving while the test waits, as a real one would.
			r.eventually("retry", func() bool { r.clk.Advance(time.Second); return len(rc.all()) == 2 })
			got := rc.all()
			for _, g := range got {
				if g.sigErr != nil {
					t.Fatalf("signature: %v", g.sigErr)
				}
			}
			if got[0].delivery == "" || got[0].delivery != got[1].delivery || got[1].payload.ID != got[0].delivery ||
				got[0].event != "item.forwarded" || got[1].payload.Item.TrackingID != c.TrackingID || got[1].payload.Item.ID != v.ID {
				t.Fatalf("attempts %+v", got)
			}
			r.eventually("sent", func() bool {
				_, counts, _ := r.svc.Deliveries(bg, 10)
				return counts[store.DeliverySent] == 1
			})
			if _, err := r.svc.Acknowledge(bg, v.ID, "verdi"); err != nil {
				t.Fatal(err)
			}
			r.eventually("acknowledgement delivered", func() bool { return len(rc.all()) == 3 })
			ack := rc.all()[2]
			if ack.event != "item.acknowledged" || ack.delivery == got[0].delivery || ack.payload.Item.AckedBy != "verdi" ||
				ack.payload.Sequence <= got[0].payload.Sequence || ack.sigErr != nil {
				t.Fatalf("acknowledgement %+v", ack)
			}
			// A tampered body or another key does not verify.
			body, _ := json.Marshal(got[0].payload)
			sig := opsroom.Sign([]byte(secret), r.clk.Now(), body)
			if opsroom.Verify([]byte(secret), sig, append(body, ' '), r.clk.Now(), time.Minute) == nil ||
				opsroom.Verify([]byte("another key of the room"), sig, body, r.clk.Now(), time.Minute) == nil ||
				opsroom.Verify([]byte(secret), sig, body, r.clk.Now().Add(time.Hour), time.Minute) == nil {
				t.Fatal("a bad signature verified")
			}
		})
	}
}

// A receiver that hangs holds a delivery slot, never the console: items
// are forwarded and acknowledged while it sits on the first request.
func TestSlowReceiverDelaysNothing(t *testing.T) {
	rc := &receiver{t: t, block: make(chan struct{}), entered: make(chan struct{}, 1)}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	r := newRig(t, storetest.Engines()[0], opsroom.Config{WebhookURL: srv.URL, WebhookSecret: secret})
	rc.now = r.clk.Now
	first := r.rescueCase("Primo", "rossi")
	if _, _, err := r.svc.Submit(bg, first.ID, "rossi"); err != nil {
		t.Fatal(err)
	}
	<-rc.entered // the receiver now holds the first delivery
	var ids []int64
	for i := range 8 {
		c := r.rescueCase("Altra richiesta "+strings.Repeat("!", i), "rossi")
		v, _, err := r.svc.Submit(bg, c.ID, "rossi")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, v.ID)
	}
	for _, id := range ids {
		if _, err := r.svc.Acknowledge(bg, id, "verdi"); err != nil {
			t.Fatal(err)
		}
	}
	close(rc.block)
	r.eventually("everything delivered once the receiver answers", func() bool {
		_, counts, _ := r.svc.Deliveries(bg, 100)
		return counts[store.DeliverySent] == 17
	})
	seen := map[string]bool{}
	for _, g := range rc.all() {
		if seen[g.delivery] {
			t.Fatalf("delivery %s sent twice after success", g.delivery)
		}
		seen[g.delivery] = true
	}
}
