package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/ascolto/ascolto/store"
	"github.com/ascolto/ascolto/store/storetest"
)

func TestQueuesAgentsAndMembers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		qs, err := db.Queues(ctx)
		if err != nil || len(qs) != 3 {
			t.Fatalf("seeded queues %v %v", qs, err)
		}
		info, _ := db.QueueByName(ctx, "informazioni")
		if info.Overflow != "callback" || info.MaxWaitS != 900 || info.Site != "aq" || info.CallbackAttempts != 3 {
			t.Fatalf("informazioni %+v", info)
		}
		q := store.Queue{Name: "regionale", Strategy: "round-robin", RingTimeoutS: 20, WrapupS: 10, SLPercent: 90, SLSeconds: 30,
			MaxWaitS: 300, Overflow: "queue:informazioni", AnnounceS: 45}
		if err := db.SaveQueue(ctx, &q, "cli:admin"); err != nil {
			t.Fatal(err)
		}
		bad := []store.Queue{
			{Name: "x", Strategy: "fastest", RingTimeoutS: 10, SLPercent: 80, SLSeconds: 20},
			{Name: "x", Strategy: "random", RingTimeoutS: 0, SLPercent: 80, SLSeconds: 20},
			{Name: "x", Strategy: "random", RingTimeoutS: 10, SLPercent: 80, SLSeconds: 20, MaxWaitS: 60},
			{Name: "x", Strategy: "random", RingTimeoutS: 10, SLPercent: 80, SLSeconds: 20, MaxWaitS: 60, Overflow: "queue:x"},
			{Name: "x", Strategy: "random", RingTimeoutS: 10, SLPercent: 80, SLSeconds: 20, Overflow: "elsewhere"},
		}
		for _, b := range bad {
			if err := db.SaveQueue(ctx, &b, "cli"); !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("%+v accepted: %v", b, err)
			}
		}
		missing := store.Queue{Name: "y", Strategy: "random", RingTimeoutS: 10, SLPercent: 80, SLSeconds: 20, MaxLen: 5, Overflow: "queue:nessuna"}
		if err := db.SaveQueue(ctx, &missing, "cli"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("overflow to a missing queue: %v", err)
		}
		for _, a := range []store.Agent{{Extension: "101", Endpoint: "PJSIP/101", Name: "Rossi"}, {Extension: "102", Endpoint: "PJSIP/102"}} {
			if err := db.SaveAgent(ctx, &a, "cli:admin"); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.SaveAgent(ctx, &store.Agent{Extension: "103", Endpoint: "101"}, "cli"); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("bad endpoint: %v", err)
		}
		if err := db.SetMembership(ctx, "regionale", "101", store.Member{Penalty: 1, Level: 3}, "cli"); err != nil {
			t.Fatal(err)
		}
		if err := db.SetMembership(ctx, "regionale", "102", store.Member{EmergencyOnly: true}, "cli"); err != nil {
			t.Fatal(err)
		}
		if err := db.SetMembership(ctx, "regionale", "999", store.Member{}, "cli"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown agent: %v", err)
		}
		got, _ := db.QueueByName(ctx, "regionale")
		if len(got.Members) != 2 || got.Members[0].Extension != "102" || !got.Members[0].EmergencyOnly || got.Members[1].Level != 3 {
			t.Fatalf("members %+v", got.Members)
		}
		if err := db.RemoveMembership(ctx, "regionale", "102", "cli"); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.QueueByName(ctx, "regionale"); len(got.Members) != 1 {
			t.Fatalf("after removal %+v", got.Members)
		}
		if err := db.SaveAgentState(ctx, "101", true, true, "pausa pranzo", "rossi"); err != nil {
			t.Fatal(err)
		}
		agents, _ := db.Agents(ctx)
		if len(agents) != 2 || !agents[0].LoggedIn || !agents[0].Paused || agents[0].Reason != "pausa pranzo" || agents[1].LoggedIn {
			t.Fatalf("agents %+v", agents)
		}
	})
}

func TestACDCommandsAndSnapshot(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := store.ACDCommand{Kind: "pause", Agent: "101", Arg: "riunione", Actor: "cli:rossi"}
		if err := db.QueueACDCommand(ctx, &c); err != nil {
			t.Fatal(err)
		}
		pending, _ := db.PendingACDCommands(ctx)
		if len(pending) != 1 || pending[0].Arg != "riunione" {
			t.Fatalf("pending %+v", pending)
		}
		if ok, err := db.ClaimACDCommand(ctx, c.ID); !ok || err != nil {
			t.Fatalf("claim %v %v", ok, err)
		}
		if ok, _ := db.ClaimACDCommand(ctx, c.ID); ok {
			t.Fatal("claimed twice")
		}
		if ok, _ := db.WithdrawACDCommand(ctx, c.ID, "withdrawn"); ok {
			t.Fatal("a claimed command was withdrawn")
		}
		late := store.ACDCommand{Kind: "login", Agent: "102", Actor: "cli"}
		db.QueueACDCommand(ctx, &late)
		if ok, _ := db.WithdrawACDCommand(ctx, late.ID, "withdrawn"); !ok {
			t.Fatal("an unclaimed command was not withdrawn")
		}
		if ok, _ := db.ClaimACDCommand(ctx, late.ID); ok {
			t.Fatal("a withdrawn command was claimed")
		}
		if err := db.FinishACDCommand(ctx, c.ID, "ok"); err != nil {
			t.Fatal(err)
		}
		if err := db.FinishACDCommand(ctx, c.ID, "twice"); err != nil {
			t.Fatal(err)
		}
		got, _ := db.ACDCommandByID(ctx, c.ID)
		if got.Result != "ok" || got.DoneAt.IsZero() {
			t.Fatalf("finished %+v", got)
		}
		if p, _ := db.PendingACDCommands(ctx); len(p) != 0 {
			t.Fatalf("still pending %+v", p)
		}
		if _, _, err := db.ACDSnapshot(ctx); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("no snapshot yet: %v", err)
		}
		at := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
		db.SaveACDSnapshot(ctx, at, `{"a":1}`)
		db.SaveACDSnapshot(ctx, at.Add(time.Second), `{"a":2}`)
		when, body, err := db.ACDSnapshot(ctx)
		if err != nil || body != `{"a":2}` || !when.Equal(at.Add(time.Second)) {
			t.Fatalf("snapshot %v %q %v", when, body, err)
		}
		p := 7
		q := "soccorso"
		db.InsertCall(ctx, &store.Call{ChannelID: "w1"})
		db.UpdateCall(ctx, "w1", store.CallUpdate{Queue: &q, Priority: &p})
		db.InsertCall(ctx, &store.Call{ChannelID: "w2"})
		queued, _ := db.QueuedCalls(ctx)
		if len(queued) != 1 || queued[0].Priority != 7 || queued[0].Queue != "soccorso" {
			t.Fatalf("queued %+v", queued)
		}
	})
}

func TestSetCallACDAfterClose(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		db.InsertCall(ctx, &store.Call{ChannelID: "acd1"})
		if err := db.CloseCall(ctx, "acd1", store.CallEnd{Outcome: "answered"}); err != nil {
			t.Fatal(err)
		}
		at := time.Date(2026, 11, 26, 10, 0, 30, 0, time.UTC)
		if err := db.SetCallACD(ctx, "acd1", store.CallACD{Queue: "soccorso", Agent: "101", ConnectedAt: at, WaitS: 30, RingS: 4, TalkS: 95}); err != nil {
			t.Fatal(err)
		}
		if err := db.SetCallACD(ctx, "acd1", store.CallACD{WrapupS: 40}); err != nil {
			t.Fatal(err)
		}
		c, _ := db.CallByChannel(ctx, "acd1")
		if c.Agent != "101" || c.WaitS != 30 || c.RingS != 4 || c.TalkS != 95 || c.WrapupS != 40 || !c.ConnectedAt.Equal(at) || c.Outcome != "answered" {
			t.Fatalf("call %+v", c)
		}
		if err := db.SetCallACD(ctx, "nope", store.CallACD{WaitS: 1}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown call: %v", err)
		}
		if _, _, err := db.ACDState(ctx); !errors.Is(err, store.ErrNotFound) {
			t.Fatal(err)
		}
		db.SaveACDState(ctx, at, `{"Queues":[]}`)
		if _, body, err := db.ACDState(ctx); err != nil || body != `{"Queues":[]}` {
			t.Fatalf("state %q %v", body, err)
		}
	})
}
