package acd_test

import (
	"fmt"
	"time"

	"github.com/ascolto/ascolto/acd"
	"github.com/ascolto/ascolto/clock"
)

// The controller owns the engine in one goroutine: it stamps each event with
// its clock, executes the decisions in order, and ticks at NextDeadline.
func Example() {
	clk := clock.NewFake(time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC))
	e, _, err := acd.New(acd.State{
		At:     clk.Now(),
		Agents: []acd.Agent{{ID: "mario", Site: "AQ"}, {ID: "lucia", Site: "AQ"}},
		Queues: []acd.Queue{{Name: "800840840", Site: "AQ", RingTimeout: 15 * time.Second,
			Members: []acd.Member{{Agent: "mario"}, {Agent: "lucia"}}}},
	})
	if err != nil {
		panic(err)
	}
	execute := func(ds []acd.Decision) {
		for _, d := range ds {
			switch d := d.(type) {
			case acd.Ring:
				fmt.Printf("ring %s for %s\n", d.Agent, d.Call)
			case acd.StopRinging:
				fmt.Printf("stop ringing %s\n", d.Agent)
			case acd.Bridge:
				fmt.Printf("bridge %s with %s\n", d.Call, d.Agent)
			case acd.Record:
				fmt.Println(d.QueueLog())
			}
		}
	}
	handle := func(ev acd.Event) {
		ds, err := e.Handle(ev)
		execute(ds) // decisions come even with an error: deadlines may have fallen due
		if err != nil {
			fmt.Println("rejected:", err)
		}
	}
	handle(acd.Login{At: clk.Now(), Agent: "mario"})
	clk.Advance(time.Second)
	handle(acd.Login{At: clk.Now(), Agent: "lucia"})
	handle(acd.Arrive{At: clk.Now(), Call: "1795683600.1", Queue: "800840840", CallerID: "0862000000"})

	// Nobody answers: the controller sleeps until the engine's deadline and ticks.
	deadline, _ := e.NextDeadline()
	clk.Set(deadline)
	handle(acd.Tick{At: clk.Now()})
	clk.Advance(3 * time.Second)
	handle(acd.Answer{At: clk.Now(), Call: "1795683600.1", Agent: "lucia"})
	clk.Advance(2 * time.Minute)
	handle(acd.Hangup{At: clk.Now(), Call: "1795683600.1", By: acd.ByCaller})
	// Output:
	// 1795683600|NONE|NONE|mario|AGENTLOGIN|
	// 1795683601|NONE|NONE|lucia|AGENTLOGIN|
	// 1795683601|1795683600.1|800840840|NONE|ENTERQUEUE||0862000000
	// ring mario for 1795683600.1
	// stop ringing mario
	// 1795683616|1795683600.1|800840840|mario|RINGNOANSWER|15000
	// 1795683616|NONE|800840840|mario|PAUSE|no answer
	// ring lucia for 1795683600.1
	// bridge 1795683600.1 with lucia
	// 1795683619|1795683600.1|800840840|lucia|CONNECT|18|1795683600.1|3
	// 1795683739|1795683600.1|800840840|lucia|COMPLETECALLER|18|120|1
}
