package ari

import (
	"context"

	"go.uber.org/zap"
)

// enqueue hands a caller to a queue. The ACD is not wired yet: the caller
// waits on music on hold, and the handoff is logged so nobody is dropped
// silently.
func (c *Controller) enqueue(ctx context.Context, cl *call, queue string, priority int) {
	cl.log().Warn("queue not served yet: caller waits on music on hold", zap.String("queue", queue), zap.Int("priority", priority))
	if err := cl.ctl.o.Client.StartMOH(ctx, cl.id, ""); err != nil && !IsGone(err) {
		cl.log().Error("music on hold refused", zap.Error(err))
	}
}

// dequeue tells the queues a caller has gone.
func (c *Controller) dequeue(cl *call) {}
