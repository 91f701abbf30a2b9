package opsroom

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/ascolto/ascolto/store"
	"go.uber.org/zap"
)

// Prompts of the escalation call (ivr/prompts.yaml, sound:ascolto/NAME).
const (
	PromptAlert    = "sala-operativa-avviso"
	PromptWaiting  = "sala-operativa-in-attesa"
	PromptRescue   = "sala-operativa-soccorso"
	PromptReport   = "sala-operativa-segnalazione"
	PromptTracking = "sala-operativa-pratica"
	PromptConfirm  = "sala-operativa-conferma"
)

// maxAnnounced bounds how many tracking ids one call reads out.
const maxAnnounced = 3

// arm sets the escalation timer for the earliest item due, on the clock.
// Every change that may move that moment calls it; it is cheap.
func (s *Service) arm() {
	s.mu.Lock()
	ctx := s.runCtx
	s.mu.Unlock()
	if ctx.Err() != nil {
		return
	}
	due, err := s.db.NextOpsEscalation(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) && ctx.Err() == nil {
			s.log.Warn("escalation: cannot read the next due item", zap.Error(err))
		}
		if s.timer != nil && errors.Is(err, store.ErrNotFound) {
			s.timer.Stop()
			s.timer, s.timerAt = nil, time.Time{}
		}
		return
	}
	if s.timer != nil && s.timerAt.Equal(due) {
		return
	}
	if s.timer != nil {
		s.timer.Stop()
	}
	s.timerAt = due
	s.timer = s.clock.AfterFunc(max(0, due.Sub(s.clock.Now())), s.fire)
}

func (s *Service) fire() {
	s.mu.Lock()
	ctx := s.runCtx
	s.timer, s.timerAt = nil, time.Time{}
	s.mu.Unlock()
	if ctx.Err() != nil {
		return
	}
	if err := s.escalate(ctx); err != nil && ctx.Err() == nil {
		s.log.Error("escalation failed", zap.Error(err))
	}
	s.arm()
}

// escalate escalates every item due: the alert repeats on the room's
// screens, the coordinators are told (console and email), the room is
// emailed, and its number phoned with the tracking ids.
func (s *Service) escalate(ctx context.Context) error {
	now := s.clock.Now()
	due, err := s.db.OpsItems(ctx, store.OpsFilter{DueBy: now, Limit: 1000})
	if err != nil {
		return err
	}
	if len(due) == 0 {
		return nil
	}
	call := s.o.Phone != nil && s.cfg.RoomNumber != "" && !s.calling.Load()
	var escalated []store.OpsItem
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		escalated = escalated[:0]
		for _, it := range due {
			e, ok, err := tx.EscalateOpsItem(ctx, it.ID, tx.Now.Add(s.cfg.RepeatEvery))
			if err != nil {
				return err
			}
			if !ok {
				continue // acknowledged meanwhile
			}
			ev := store.OpsEvent{ItemID: e.ID, Kind: "escalated", Actor: "system",
				Detail: map[string]any{"escalation": e.Escalations, "waiting_s": int(tx.Now.Sub(e.CreatedAt).Seconds()),
					"call": call, "email": len(s.cfg.CoordinatorEmail) + len(s.cfg.RoomEmail)}}
			if err := tx.AddOpsEvent(ctx, &ev); err != nil {
				return err
			}
			if err := s.enqueueWebhook(ctx, tx, e, ev, "item.escalated"); err != nil {
				return err
			}
			escalated = append(escalated, e)
		}
		if len(escalated) == 0 {
			return nil
		}
		views := make([]ItemView, len(escalated))
		for i, e := range escalated {
			views[i] = s.view(ctx, e)
		}
		return s.emailEscalation(ctx, tx, views)
	})
	if err != nil || len(escalated) == 0 {
		return err
	}
	s.wakeMail()
	s.mEscalations.Add(float64(len(escalated)))
	esc := Escalation{At: now, Called: call}
	for _, e := range escalated {
		v := s.view(ctx, e)
		esc.Items = append(esc.Items, v)
		s.pub.OpsItemChanged(v)
	}
	s.pub.OpsEscalated(esc)
	s.wakeWebhook()
	// Warn once per request, at its first escalation; the repeats until
	// someone acknowledges are in its history, the metric and the room's
	// screens, and would flood the log in a surge (debug level only).
	var first, again []string
	for _, e := range escalated {
		if e.Escalations <= 1 {
			first = append(first, e.Case.TrackingID)
		} else {
			again = append(again, e.Case.TrackingID)
		}
	}
	if len(first) > 0 {
		s.log.Warn("operations room has not acknowledged: escalated", zap.Strings("tracking_ids", first), zap.Bool("call", call))
	}
	if len(again) > 0 {
		s.log.Debug("escalation repeated: still not acknowledged", zap.Strings("tracking_ids", again), zap.Bool("call", call))
	}
	if call {
		s.placeCall(ctx, esc.Items)
	}
	return nil
}

// Media is the recorded message for waiting items: how many, then up to
// three tracking ids (oldest first, rescue requests first), then the
// request to press 1.
func Media(items []ItemView) []string {
	sorted := append([]ItemView(nil), items...)
	sort.SliceStable(sorted, func(i, j int) bool {
		if (sorted[i].Kind == store.OpsRescue) != (sorted[j].Kind == store.OpsRescue) {
			return sorted[i].Kind == store.OpsRescue
		}
		return sorted[i].CreatedAt.Before(sorted[j].CreatedAt)
	})
	media := []string{"sound:ascolto/" + PromptAlert, fmt.Sprintf("number:%d", len(items)), "sound:ascolto/" + PromptWaiting}
	for _, it := range sorted[:min(len(sorted), maxAnnounced)] {
		kind := PromptReport
		if it.Kind == store.OpsRescue {
			kind = PromptRescue
		}
		media = append(media, "sound:ascolto/"+kind, "sound:ascolto/"+PromptTracking)
		media = append(media, trackingMedia(it.TrackingID)...)
	}
	return append(media, "sound:ascolto/"+PromptConfirm)
}

// trackingMedia reads CC-2026-000123 out as "C C, 2 0 2 6, 0 0 0 1 2 3":
// letters, the year, the number, digit by digit, as a person types it.
func trackingMedia(tid string) []string {
	parts := strings.Split(tid, "-")
	if len(parts) != 3 {
		return []string{"characters:" + strings.ReplaceAll(tid, "-", "")}
	}
	return []string{"characters:" + parts[0], "digits:" + parts[1], "digits:" + parts[2]}
}

// placeCall phones the room in the background (one call at a time) and
// records how it went on the items.
func (s *Service) placeCall(ctx context.Context, items []ItemView) {
	if !s.calling.CompareAndSwap(false, true) {
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer s.calling.Store(false)
		cctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
		defer cancel()
		a := Announcement{Number: s.cfg.RoomNumber, LinkedID: fmt.Sprintf("opsroom-escalation-%d", items[0].ID), Media: Media(items)}
		res, err := s.o.Phone.Announce(cctx, a)
		detail := map[string]any{"number": s.cfg.RoomNumber, "answered": res.Answered, "confirmed": res.Confirmed}
		if err != nil {
			detail["error"] = err.Error()
			s.log.Warn("escalation call to the operations room failed", zap.String("number", s.cfg.RoomNumber), zap.Error(err))
		}
		if ctx.Err() != nil {
			return
		}
		err = s.db.InTx(context.Background(), func(tx *store.Tx) error {
			for _, it := range items {
				if err := tx.AddOpsEvent(ctx, &store.OpsEvent{ItemID: it.ID, Kind: "called", Actor: "system", Detail: detail}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			s.log.Warn("escalation call not recorded", zap.Error(err))
		}
	}()
}

// Calling reports whether an escalation call is in progress.
func (s *Service) Calling() bool { return s.calling.Load() }
