package opsroom

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ascolto/ascolto/config"
	"github.com/ascolto/ascolto/store"
	"go.uber.org/zap"
)

// The webhook posts every change of an item as JSON to the operations
// room's system:
//
//	POST <webhook URL>
//	Content-Type: application/json
//	X-Ascolto-Delivery: d_3f…   (the same on every retry: deduplicate on it)
//	X-Ascolto-Event: item.forwarded | item.updated | item.acknowledged | item.status | item.escalated
//	X-Ascolto-Signature: t=1795600000,v1=<hex HMAC-SHA256(secret, "1795600000." + body)>
//
//	{"id":"d_3f…","event":"item.forwarded","sequence":42,"occurred_at":"…","item":{…ItemView…}}
//
// Any 2xx is success. Anything else, or no answer within the client's
// timeout, is retried with growing delays (10 s, 20 s, 40 s … at most 30
// min) for about a day; then the delivery is failed and the room is
// emailed instead. Deliveries come from a durable queue written in the
// change's transaction, so a crash neither loses nor invents one.

// Payload is the webhook's body.
type Payload struct {
	ID         string    `json:"id"`
	Event      string    `json:"event"`
	Sequence   int64     `json:"sequence"`
	OccurredAt time.Time `json:"occurred_at"`
	Actor      string    `json:"actor,omitempty"`
	Detail     any       `json:"detail,omitempty"`
	Item       ItemView  `json:"item"`
}

// Webhook retry policy.
const (
	firstRetry  = 10 * time.Second
	maxRetry    = 30 * time.Minute
	maxAttempts = 60 // about a day at the longest delay
	claimLease  = time.Minute
)

func (s *Service) enqueueWebhook(ctx context.Context, tx *store.Tx, it store.OpsItem, ev store.OpsEvent, event string) error {
	if s.cfg.WebhookURL == "" {
		return nil
	}
	p := Payload{ID: randomID("d_"), Event: event, Sequence: ev.ID, OccurredAt: ev.At.UTC(), Actor: ev.Actor, Item: s.view(ctx, it)}
	if len(ev.Detail) > 0 {
		p.Detail = ev.Detail
	}
	body, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("opsroom: encode webhook: %w", err)
	}
	return tx.EnqueueOpsDelivery(ctx, &store.OpsDelivery{DeliveryID: p.ID, ItemID: it.ID, EventID: ev.ID, Event: event,
		URL: s.cfg.WebhookURL, Payload: body})
}

// Sign computes the X-Ascolto-Signature header for body at time t.
func Sign(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte("."))
	m.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(m.Sum(nil))
}

// ErrBadSignature means a webhook's signature does not match its body,
// or is too old.
var ErrBadSignature = errors.New("opsroom: bad webhook signature")

// Verify checks a received webhook as the operations room's system
// should: the HMAC over the timestamp and the body, and a timestamp
// within tolerance of now (so a captured request cannot be replayed
// later).
func Verify(secret []byte, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts, sig string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sig == "" {
		return fmt.Errorf("%w: header %q is not t=…,v1=…", ErrBadSignature, header)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: timestamp %s is %s away from now", ErrBadSignature, ts, d.Round(time.Second))
	}
	want := Sign(secret, time.Unix(sec, 0), body)
	if !hmac.Equal([]byte(want), []byte("t="+ts+",v1="+sig)) {
		return fmt.Errorf("%w: HMAC does not match the body", ErrBadSignature)
	}
	return nil
}

func (s *Service) wakeWebhook() {
	select {
	case s.wakeHook <- struct{}{}:
	default:
	}
}

// webhookLoop delivers due webhook calls with at most Workers in flight,
// sleeping until the next one falls due or a change wakes it.
func (s *Service) webhookLoop(ctx context.Context) {
	sem := make(chan struct{}, s.o.Workers)
	done := make(chan struct{}, 1)
	var inflight sync.WaitGroup
	defer inflight.Wait()
	for {
		free := s.o.Workers - len(sem)
		var batch []store.OpsDelivery
		if free > 0 {
			var err error
			batch, err = s.db.ClaimOpsDeliveries(ctx, free, claimLease)
			if err != nil && ctx.Err() == nil {
				s.log.Warn("webhook: cannot read the queue", zap.Error(err))
			}
		}
		for _, d := range batch {
			sem <- struct{}{}
			inflight.Add(1)
			go func() {
				defer inflight.Done()
				s.deliver(ctx, d)
				<-sem
				select {
				case done <- struct{}{}:
				default:
				}
			}()
		}
		wait := time.Second
		if len(batch) == 0 {
			if next, err := s.db.NextOpsDeliveryDue(ctx); err == nil {
				wait = min(max(next.Sub(s.clock.Now()), 50*time.Millisecond), 30*time.Second)
			} else {
				wait = 30 * time.Second
			}
		} else if len(batch) == free {
			wait = 0 // there may be more
		}
		if wait == 0 && len(sem) < s.o.Workers {
			continue
		}
		t := s.clock.NewTimer(max(wait, time.Millisecond))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-s.wakeHook:
		case <-done:
		case <-t.C():
		}
		t.Stop()
	}
}

// deliver makes one attempt and records its result.
func (s *Service) deliver(ctx context.Context, d store.OpsDelivery) {
	status, problem := s.post(ctx, d)
	if ctx.Err() != nil {
		return // the lease runs out and the next run tries again
	}
	switch {
	case problem == "":
		s.mWebhook.WithLabelValues("sent").Inc()
		if err := s.db.FinishOpsDelivery(ctx, d.ID, store.DeliverySent, status, "", time.Time{}); err != nil {
			s.log.Warn("webhook: delivery not recorded", zap.String("delivery", d.DeliveryID), zap.Error(err))
		}
	case d.Attempts >= maxAttempts:
		s.mWebhook.WithLabelValues("failed").Inc()
		if err := s.db.FinishOpsDelivery(ctx, d.ID, store.DeliveryFailed, status, problem, time.Time{}); err != nil {
			s.log.Warn("webhook: failure not recorded", zap.String("delivery", d.DeliveryID), zap.Error(err))
		}
		s.log.Error("webhook delivery failed for good; emailing the operations room", zap.String("delivery", d.DeliveryID),
			zap.String("problem", problem))
		if it, err := s.db.OpsItemByID(ctx, d.ItemID); err == nil {
			if err := s.emailDeliveryFailed(ctx, s.view(ctx, it), d.Event, problem); err != nil {
				s.log.Warn("webhook: fallback email not queued", zap.Error(err))
			}
		}
	default:
		s.mWebhook.WithLabelValues("retry").Inc()
		next := s.clock.Now().Add(RetryDelay(d.Attempts))
		if err := s.db.FinishOpsDelivery(ctx, d.ID, store.DeliveryQueued, status, problem, next); err != nil {
			s.log.Warn("webhook: retry not recorded", zap.String("delivery", d.DeliveryID), zap.Error(err))
		}
	}
}

// RetryDelay is how long to wait after the given number of attempts.
func RetryDelay(attempts int) time.Duration {
	d := firstRetry
	for i := 1; i < attempts && d < maxRetry; i++ {
		d *= 2
	}
	return min(d, maxRetry)
}

// post sends one attempt: the status code, and "" or what went wrong.
func (s *Service) post(ctx context.Context, d store.OpsDelivery) (int, string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(d.Payload))
	if err != nil {
		return 0, config.Redact(err.Error())
	}
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "ascolto-opsroom/1")
	h.Set("X-Ascolto-Delivery", d.DeliveryID)
	h.Set("X-Ascolto-Event", d.Event)
	h.Set("X-Ascolto-Signature", Sign([]byte(s.cfg.WebhookSecret), s.clock.Now(), d.Payload))
	resp, err := s.o.HTTPClient.Do(req)
	if err != nil {
		// The client quotes the URL, with its ?token= if it has one; the
		// problem is logged, stored and emailed to the room.
		return 0, config.Redact(err.Error())
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, resp.Status
	}
	return resp.StatusCode, ""
}

// Deliveries lists the latest webhook deliveries and counts them by
// state, for the console.
func (s *Service) Deliveries(ctx context.Context, limit int) ([]store.OpsDelivery, map[string]int, error) {
	list, err := s.db.OpsDeliveries(ctx, 0, limit)
	if err != nil {
		return nil, nil, err
	}
	counts, err := s.db.OpsDeliveryCounts(ctx)
	return list, counts, err
}
