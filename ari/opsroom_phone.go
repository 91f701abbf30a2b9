package ari

import (
	"context"

	"github.com/ascolto/ascolto/opsroom"
)

// OpsRoomPhone phones the operations room on an escalation through the
// controller: the recorded message, 1 to confirm, once more if nobody
// pressed it. (It lives here, as Desk does for the console: opsroom
// cannot import this package, which imports the console.)
func OpsRoomPhone(c *Controller) opsroom.Phone { return roomPhone{c} }

type roomPhone struct{ c *Controller }

func (p roomPhone) Announce(ctx context.Context, a opsroom.Announcement) (opsroom.AnnounceResult, error) {
	answered, confirmed, err := p.c.Announce(ctx, Announcement{Number: a.Number, Purpose: "escalation",
		LinkedID: a.LinkedID, Media: a.Media})
	return opsroom.AnnounceResult{Answered: answered, Confirmed: confirmed}, err
}
