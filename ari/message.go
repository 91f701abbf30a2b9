package ari

import (
	"context"
	"fmt"

	"github.com/ascolto/ascolto/ivr"
	"github.com/ascolto/ascolto/store"
	"go.uber.org/zap"
)

// saveMessage turns the message a caller left (an IVR record node) into a
// case with the audio attached, so a report made out of hours or in a surge
// is followed up like any other. If Asterisk cannot hand over the audio,
// the case is still opened and says so: the report itself is not lost.
func (c *call) saveMessage(ctx context.Context, rec ivr.Recording) {
	audio, ctype, ferr := c.ctl.o.Client.StoredRecordingFile(ctx, rec.Name)
	if ferr != nil {
		c.ctl.m.errors.WithLabelValues("recording-file").Inc()
		c.log().Error("recorded message audio not fetched", zap.String("recording", rec.Name), zap.Error(ferr))
	}
	if ctype == "" || ctype == "application/octet-stream" {
		ctype = "audio/wav"
	}
	c.settleRecord(ctx) // the contact names the call by its record's id
	cat, urg := c.tags()
	secs := int(rec.Duration.Seconds())
	cs := store.Case{Channel: store.ChannelPhone, Category: cat, Urgency: urg.String(), ContactPhone: callerNumber(c.ch),
		ContactName: callerName(c.ch),
		Summary:     fmt.Sprintf("Messaggio vocale lasciato al numero %s (%d s)", calledNumber(c.ch, c.args), secs)}
	err := c.ctl.o.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.CreateCase(ctx, &cs); err != nil {
			return err
		}
		content := fmt.Sprintf("Messaggio vocale di %d s registrato dall'IVR (nodo %s).", secs, rec.Node)
		if ferr != nil {
			content += " Audio non disponibile: " + ferr.Error()
		}
		ct := store.Contact{CaseID: cs.ID, Channel: store.ChannelPhone, Direction: "in", Author: callerNumber(c.ch), Content: content}
		if c.rec != nil {
			ct.CallID = c.rec.ID
		}
		if err := tx.AddContact(ctx, &ct); err != nil {
			return err
		}
		if ferr != nil {
			return nil
		}
		return tx.AddAttachment(ctx, &store.Attachment{CaseID: cs.ID, ContactID: ct.ID, Filename: rec.Name + ".wav",
			ContentType: ctype, Data: audio})
	})
	if err != nil {
		c.ctl.m.errors.WithLabelValues("store").Inc()
		c.log().Error("recorded message not stored as a case", zap.Error(err))
		return
	}
	id := cs.ID
	c.update.CaseID = &id
	c.log().Info("recorded message stored", zap.String("case", cs.TrackingID), zap.Int("seconds", secs), zap.Int("bytes", len(audio)))
}
