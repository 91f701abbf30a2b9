package oncall

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ascolto/ascolto/store"
)

// StoreEvents opens and closes the operations room's emergency events in
// the store (the events `ascolto event open` manages). An event of the
// same name and kind already open is joined, not duplicated, and is left
// open when the activation closes: whoever opened it closes it.
type StoreEvents struct{ DB *store.DB }

// joined marks a reference to an event the activation did not open.
const joined = "joined:"

// OpenEvent opens the event, or joins the open one of the same name.
func (e StoreEvents) OpenEvent(ctx context.Context, r EventRequest) (string, error) {
	open, err := e.DB.Events(ctx, true)
	if err != nil {
		return "", err
	}
	for _, ev := range open {
		if strings.EqualFold(strings.TrimSpace(ev.Name), strings.TrimSpace(r.Name)) && ev.Exercise == r.Exercise {
			return joined + strconv.FormatInt(ev.ID, 10), nil
		}
	}
	ev := store.EmergencyEvent{Name: r.Name, Area: r.Area, Exercise: r.Exercise}
	if err := e.DB.OpenEvent(ctx, &ev, r.By); err != nil {
		return "", fmt.Errorf("oncall: open event %q: %w", r.Name, err)
	}
	return strconv.FormatInt(ev.ID, 10), nil
}

// CloseEvent closes an event the activation opened.
func (e StoreEvents) CloseEvent(ctx context.Context, ref, by string) error {
	if strings.HasPrefix(ref, joined) {
		return nil
	}
	id, err := strconv.ParseInt(ref, 10, 64)
	if err != nil {
		return fmt.Errorf("oncall: event reference %q: %w", ref, err)
	}
	_, err = e.DB.CloseEvent(ctx, id, time.Time{}, by)
	return err
}
