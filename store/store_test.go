package store_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/ascolto/ascolto/clock"
	"github.com/ascolto/ascolto/geo"
	"github.com/ascolto/ascolto/store"
	"github.com/ascolto/ascolto/store/storetest"
)

var ctx = context.Background()

func TestMigrateIsIdempotent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		v, err := db.SchemaVersion(ctx)
		if err != nil || v != store.LatestVersion() || v < 2 {
			t.Fatalf("version %d (latest %d), err %v", v, store.LatestVersion(), err)
		}
		res, err := db.Migrate(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Applied) != 0 || res.From != v || res.To != v {
			t.Fatalf("second migrate did something: %+v", res)
		}
		terms, err := db.Terms(ctx, store.CallerTypes, false)
		if err != nil || len(terms) != 7 {
			t.Fatalf("caller types seeded once: %d, %v", len(terms), err)
		}
	})
}

func TestMigrateRefusesNewerSchema(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			return tx.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future.sql', $1)`, tx.Now)
		}); err != nil {
			t.Fatal(err)
		}
		_, err := db.Migrate(ctx)
		var tooNew *store.SchemaTooNewError
		if !errors.As(err, &tooNew) || tooNew.Database != 999 || tooNew.Binary != store.LatestVersion() {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestConcurrentMigrate(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			var url, path string
			if e.Name == "postgres" {
				url = storetest.PostgresURL(t)
			} else {
				path = t.TempDir() + "/c.db"
			}
			var wg sync.WaitGroup
			results := make([]store.MigrateResult, 4)
			errs := make([]error, 4)
			for i := range results {
				db, err := store.Open(store.Options{URL: url, SQLitePath: path})
				if err != nil {
					t.Fatal(err)
				}
				defer db.Close()
				wg.Add(1)
				go func() {
					defer wg.Done()
					results[i], errs[i] = db.Migrate(ctx)
				}()
			}
			wg.Wait()
			applied := 0
			for i := range results {
				if errs[i] != nil {
					t.Fatalf("migrate %d: %v", i, errs[i])
				}
				applied += len(results[i].Applied)
			}
			if applied != store.LatestVersion() {
				t.Fatalf("%d migrations applied in total by 4 concurrent runs, want each once (%d)", applied, store.LatestVersion())
			}
		})
	}
}

func TestCallLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		arrived := time.Date(2026, 11, 26, 10, 0, 0, 123456000, time.UTC)
		c := &store.Call{ChannelID: "1700000000.1", Caller: "+390862123456", Called: "800840840", ArrivedAt: arrived}
		if err := db.InsertCall(ctx, c); err != nil {
			t.Fatal(err)
		}
		if c.ID == 0 {
			t.Fatal("no id assigned")
		}
		if err := db.InsertCall(ctx, &store.Call{ChannelID: "1700000000.1"}); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("duplicate channel: %v", err)
		}
		path, urg, q := "welcome>menu>rescue", store.UrgencyRescue, "generale"
		if err := db.UpdateCall(ctx, c.ChannelID, store.CallUpdate{IVRPath: &path, Urgency: &urg, Queue: &q}); err != nil {
			t.Fatal(err)
		}
		bad := "panic"
		if err := db.UpdateCall(ctx, c.ChannelID, store.CallUpdate{Urgency: &bad}); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("bad urgency: %v", err)
		}
		open, err := db.OpenCalls(ctx)
		if err != nil || len(open) != 1 || open[0].ChannelID != c.ChannelID {
			t.Fatalf("open calls %v %v", open, err)
		}
		wait := 42
		end := arrived.Add(3 * time.Minute)
		if err := db.CloseCall(ctx, c.ChannelID, store.CallEnd{EndedAt: end, Outcome: "answered", HangupCause: 16,
			HangupBy: "caller", Update: store.CallUpdate{WaitS: &wait}}); err != nil {
			t.Fatal(err)
		}
		err = db.CloseCall(ctx, c.ChannelID, store.CallEnd{Outcome: "abandoned"})
		if !errors.Is(err, store.ErrAlreadyClosed) {
			t.Fatalf("second close: %v", err)
		}
		if err := db.UpdateCall(ctx, c.ChannelID, store.CallUpdate{Queue: &q}); !errors.Is(err, store.ErrAlreadyClosed) {
			t.Fatalf("update after close: %v", err)
		}
		if err := db.CloseCall(ctx, "nope", store.CallEnd{}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("close unknown: %v", err)
		}
		got, err := db.CallByChannel(ctx, c.ChannelID)
		if err != nil {
			t.Fatal(err)
		}
		if !got.ArrivedAt.Equal(arrived) || !got.EndedAt.Equal(end) || got.Outcome != "answered" || got.WaitS != 42 ||
			got.IVRPath != path || got.Urgency != store.UrgencyRescue || got.HangupCause != 16 {
			t.Fatalf("read back %+v", got)
		}
		if open, _ := db.OpenCalls(ctx); len(open) != 0 {
			t.Fatalf("closed call still open: %v", open)
		}
		if _, err := db.CallByChannel(ctx, "missing"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("missing call: %v", err)
		}
	})
}

// TestBatchIsolatesFailures: one bad write in a group commit must not make
// its neighbours fail or vanish.
func TestBatchIsolatesFailures(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		if err := db.InsertCall(ctx, &store.Call{ChannelID: "dup"}); err != nil {
			t.Fatal(err)
		}
		const n = 64
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				id := fmt.Sprintf("ch-%d", i)
				if i%16 == 0 {
					id = "dup"
				}
				errs[i] = db.InsertCall(ctx, &store.Call{ChannelID: id})
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if i%16 == 0 {
				if !errors.Is(err, store.ErrConflict) {
					t.Fatalf("write %d: %v, want conflict", i, err)
				}
			} else if err != nil {
				t.Fatalf("write %d failed beside a bad neighbour: %v", i, err)
			}
		}
		open, _ := db.OpenCalls(ctx)
		if len(open) != 1+n-n/16 {
			t.Fatalf("%d calls stored, want %d", len(open), 1+n-n/16)
		}
	})
}

func TestQueueEvents(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t0 := time.Date(2026, 5, 16, 8, 0, 0, 0, time.UTC)
		err := db.AppendQueueEvents(ctx,
			store.QueueEvent{At: t0, CallID: "c1", Queue: "generale", Event: store.QEnterQueue, Data: [5]string{"", "+390512345678", "1"}},
			store.QueueEvent{At: t0.Add(12 * time.Second), CallID: "c1", Queue: "generale", Agent: "101", Event: store.QConnect, Data: [5]string{"12", "c1-agent", "3"}},
			store.QueueEvent{At: t0.Add(5 * time.Second), Queue: "generale", Agent: "102", Event: store.QPause, Data: [5]string{"no-answer"}},
		)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.AppendQueueEvents(ctx, store.QueueEvent{CallID: "x"}); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("event without name: %v", err)
		}
		c1 := "c1"
		evs, err := db.QueueEvents(ctx, store.QueueEventFilter{CallID: &c1})
		if err != nil || len(evs) != 2 || evs[0].Event != store.QEnterQueue || evs[1].Data[0] != "12" {
			t.Fatalf("events %+v %v", evs, err)
		}
		q := "generale"
		all, _ := db.QueueEvents(ctx, store.QueueEventFilter{Queue: &q})
		if len(all) != 3 || all[1].CallID != "NONE" || all[1].Event != store.QPause {
			t.Fatalf("ordered by time: %+v", all)
		}
	})
}

func TestCasesAndTrackingIDs(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			// 23:30 UTC on 31 December is already 1 January in Rome.
			fake := clock.NewFake(time.Date(2026, 12, 31, 22, 0, 0, 0, time.UTC))
			db := e.Open(t, fake)
			mk := func() store.Case {
				c := store.Case{Channel: store.ChannelPhone, ContactPhone: "+390862123456", Summary: "albero caduto"}
				if err := db.CreateCase(ctx, &c); err != nil {
					t.Fatal(err)
				}
				return c
			}
			a, b := mk(), mk()
			fake.Set(time.Date(2026, 12, 31, 23, 30, 0, 0, time.UTC))
			c := mk()
			if a.TrackingID != "CC-2026-000001" || b.TrackingID != "CC-2026-000002" || c.TrackingID != "CC-2027-000001" {
				t.Fatalf("tracking ids %s %s %s", a.TrackingID, b.TrackingID, c.TrackingID)
			}
			got, err := db.CaseByTrackingID(ctx, " cc-2026-000002 ")
			if err != nil || got.ID != b.ID || got.Summary != "albero caduto" || got.Status != "open" {
				t.Fatalf("lookup %+v %v", got, err)
			}
			if _, err := db.CaseByTrackingID(ctx, "CC-2026-999999"); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("unknown id: %v", err)
			}
			if _, err := db.CaseByTrackingID(ctx, "CC-26-1; DROP TABLE cases"); !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("forged id: %v", err)
			}
			bad := store.Case{Channel: "pigeon"}
			if err := db.CreateCase(ctx, &bad); !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("bad channel: %v", err)
			}
			err = db.InTx(ctx, func(tx *store.Tx) error {
				return tx.AddContact(ctx, &store.Contact{CaseID: a.ID, Channel: store.ChannelNote, Direction: "internal", Author: "rossi", Content: "richiamato"})
			})
			if err != nil {
				t.Fatal(err)
			}
			err = db.InTx(ctx, func(tx *store.Tx) error {
				return tx.AddContact(ctx, &store.Contact{CaseID: 99999, Channel: store.ChannelNote})
			})
			if !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("contact on missing case: %v", err)
			}
			tl, err := db.Timeline(ctx, a.ID)
			if err != nil || len(tl) != 1 || tl[0].Content != "richiamato" {
				t.Fatalf("timeline %+v %v", tl, err)
			}
			d := store.Disposition{CaseID: a.ID, Category: "idrogeologico", Outcome: "segnalazione-registrata",
				Urgency: store.UrgencyElevated, ComuneCode: "066049", CallerType: "cittadino"}
			if err := db.SaveDisposition(ctx, &d, "rossi"); err != nil {
				t.Fatal(err)
			}
			ca, _ := db.CaseByID(ctx, a.ID)
			if ca.Category != "idrogeologico" || ca.Urgency != store.UrgencyElevated || ca.ComuneCode != "066049" {
				t.Fatalf("disposition not carried to case: %+v", ca)
			}
			if err := db.SaveDisposition(ctx, &store.Disposition{CaseID: a.ID, ComuneCode: "66049"}, "rossi"); !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("bad comune code: %v", err)
			}
			if err := db.CloseCase(ctx, a.ID, "informazione-fornita", "rossi"); err != nil {
				t.Fatal(err)
			}
			if err := db.CloseCase(ctx, a.ID, "x", "rossi"); !errors.Is(err, store.ErrAlreadyClosed) {
				t.Fatalf("second close: %v", err)
			}
			phone := "+390862123456"
			list, _ := db.Cases(ctx, store.CaseFilter{Phone: &phone})
			if len(list) != 3 {
				t.Fatalf("cases by phone: %d", len(list))
			}
			actions := map[string]int{}
			log, _ := db.AuditLog(ctx, store.AuditFilter{})
			for _, e := range log {
				actions[e.Action]++
			}
			if actions["disposition.save"] != 1 || actions["case.close"] != 1 {
				t.Fatalf("audit %v", actions)
			}
		})
	}
}

func TestConcurrentTrackingIDsAreUnique(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		const n = 40
		ids := make(chan string, n)
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := store.Case{Channel: store.ChannelWeb}
				if err := db.CreateCase(ctx, &c); err != nil {
					t.Error(err)
				}
				ids <- c.TrackingID
			}()
		}
		wg.Wait()
		close(ids)
		seen := map[string]bool{}
		for id := range ids {
			if seen[id] {
				t.Fatalf("tracking id %s given twice", id)
			}
			seen[id] = true
		}
		if len(seen) != n {
			t.Fatalf("%d ids", len(seen))
		}
	})
}

func TestUsers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		n, _ := db.CountActiveAdmins(ctx)
		if n != 0 {
			t.Fatalf("fresh install has %d admins", n)
		}
		u := store.User{Username: "bianchi", Role: store.RoleAdmin, PasswordHash: "$argon2id$..."}
		if err := db.CreateUser(ctx, &u, "cli:root"); err != nil {
			t.Fatal(err)
		}
		if err := db.CreateUser(ctx, &store.User{Username: "bianchi", Role: store.RoleAgent, PasswordHash: "x"}, "cli"); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("duplicate user: %v", err)
		}
		if err := db.CreateUser(ctx, &store.User{Username: "x", Role: "god", PasswordHash: "x"}, "cli"); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("bad role: %v", err)
		}
		got, err := db.UserByName(ctx, "bianchi")
		if err != nil || got.Role != store.RoleAdmin || got.Lang != "it" || got.Disabled {
			t.Fatalf("%+v %v", got, err)
		}
		if n, _ := db.CountActiveAdmins(ctx); n != 1 {
			t.Fatalf("admins %d", n)
		}
	})
}

func TestVocabularies(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		cats, err := db.Terms(ctx, store.Categories, false)
		if err != nil {
			t.Fatal(err)
		}
		byCode := map[string]store.Term{}
		for _, c := range cats {
			byCode[c.Code] = c
		}
		if byCode["sismico"].Kind != "risk" || byCode["disalimentazione"].Label("en") != "Power outage" {
			t.Fatalf("seeded categories: %v", byCode)
		}
		if err := db.UpsertTerm(ctx, store.Categories, store.Term{Code: "sismico", Kind: "risk", LabelIT: "Terremoto", Active: false, Sort: 10}, "admin"); err != nil {
			t.Fatal(err)
		}
		active, _ := db.Terms(ctx, store.Categories, false)
		all, _ := db.Terms(ctx, store.Categories, true)
		if len(all) != len(active)+1 {
			t.Fatalf("deactivated term: %d active of %d", len(active), len(all))
		}
		if err := db.UpsertTerm(ctx, store.Categories, store.Term{Code: "x", Kind: "weird", LabelIT: "x"}, "admin"); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("bad kind: %v", err)
		}
	})
}

func sample(t *testing.T) *geo.Dataset {
	t.Helper()
	f, err := os.Open("../geo/testdata/istat-sample.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ds, err := geo.ParseISTAT(f)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func TestGeoImportAndLookup(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ds := sample(t)
		res, err := db.ImportGeo(ctx, ds, "cli:test")
		if err != nil {
			t.Fatal(err)
		}
		if res.Comuni != len(ds.Comuni) || res.Retired != 0 {
			t.Fatalf("import %+v", res)
		}
		places, err := db.Places(ctx)
		if err != nil || len(places) != len(ds.Comuni) {
			t.Fatalf("places %d %v", len(places), err)
		}
		idx := geo.NewIndex(places)
		if got := idx.Search("laq", 1); len(got) != 1 || got[0].Label() != "L'Aquila (AQ)" || got[0].Regione != "Abruzzo" {
			t.Fatalf("index over stored places: %+v", got)
		}
		aq, err := db.ComuneByCode(ctx, "066049")
		if err != nil || aq.Label() != "L'Aquila (AQ)" || aq.Regione != "Abruzzo" {
			t.Fatalf("by code %+v %v", aq, err)
		}
		if _, err := db.ComuneByCode(ctx, "999999"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown code %v", err)
		}
		// Re-import without Forlì: it is retired, not deleted.
		smaller := *ds
		smaller.Comuni = nil
		for _, c := range ds.Comuni {
			if c.Name != "Forlì" {
				smaller.Comuni = append(smaller.Comuni, c)
			}
		}
		res, err = db.ImportGeo(ctx, &smaller, "cli:test")
		if err != nil || res.Retired != 1 {
			t.Fatalf("re-import %+v %v", res, err)
		}
		places, _ = db.Places(ctx)
		if got := geo.NewIndex(places).Search("forli", 5); len(got) != 0 {
			t.Fatalf("retired comune still offered: %v", got)
		}
		if fc, err := db.ComuneByCode(ctx, "040012"); err != nil || fc.Active {
			t.Fatalf("retired comune by code: %+v %v", fc, err)
		}

		// A broken list (comune in an unknown provincia) stores nothing.
		broken := *ds
		broken.Comuni = append(append([]geo.Comune{}, ds.Comuni...), geo.Comune{Code: "999001", Name: "Atlantide", ProvinciaCode: "999"})
		if _, err := db.ImportGeo(ctx, &broken, "cli:test"); err == nil {
			t.Fatal("import with a dangling provincia succeeded")
		}
		if n, _ := db.CountComuni(ctx); n != len(smaller.Comuni) {
			t.Fatalf("failed import changed data: %d comuni", n)
		}
	})
}

func TestTimesRoundTripExactly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		rome, _ := time.LoadLocation("Europe/Rome")
		at := time.Date(2026, 3, 29, 2, 30, 0, 987654321, rome) // DST change night
		c := &store.Call{ChannelID: "tz", ArrivedAt: at}
		if err := db.InsertCall(ctx, c); err != nil {
			t.Fatal(err)
		}
		got, _ := db.CallByChannel(ctx, "tz")
		if !got.ArrivedAt.Equal(at.Truncate(time.Microsecond)) {
			t.Fatalf("stored %v, read %v", at, got.ArrivedAt)
		}
	})
}

func TestDefaultQueuesAndAttachments(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		names, err := db.QueueNames(ctx)
		if err != nil || len(names) != 3 || names[0] != "informazioni" || names[2] != "soccorso" {
			t.Fatalf("queues %v %v", names, err)
		}
		c := store.Case{Channel: store.ChannelPhone}
		if err := db.CreateCase(ctx, &c); err != nil {
			t.Fatal(err)
		}
		wav := []byte("RIFF....WAVEfmt fake audio")
		var id int64
		err = db.InTx(ctx, func(tx *store.Tx) error {
			ct := store.Contact{CaseID: c.ID, Channel: store.ChannelPhone, Content: "messaggio registrato"}
			if err := tx.AddContact(ctx, &ct); err != nil {
				return err
			}
			a := store.Attachment{CaseID: c.ID, ContactID: ct.ID, Filename: "messaggio.wav", ContentType: "audio/wav", Data: wav}
			err := tx.AddAttachment(ctx, &a)
			id = a.ID
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		list, _ := db.Attachments(ctx, c.ID)
		if len(list) != 1 || list[0].Size != int64(len(wav)) || list[0].Data != nil || len(list[0].SHA256) != 64 {
			t.Fatalf("list %+v", list)
		}
		got, err := db.AttachmentData(ctx, id)
		if err != nil || string(got.Data) != string(wav) {
			t.Fatalf("data %q %v", got.Data, err)
		}
	})
}

func TestCallCounts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		for i := 0; i < 3; i++ {
			if err := db.InsertCall(ctx, &store.Call{ChannelID: fmt.Sprint("cc", i)}); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.CloseCall(ctx, "cc1", store.CallEnd{Outcome: "answered"}); err != nil {
			t.Fatal(err)
		}
		closed, open, err := db.CallCounts(ctx)
		if err != nil || closed != 1 || open != 2 {
			t.Fatalf("closed %d open %d %v", closed, open, err)
		}
	})
}

// TestWriteAfterCloseFails: a write racing Close gets an error, never hangs.
func TestWriteAfterCloseFails(t *testing.T) {
	db, err := store.Open(store.Options{SQLitePath: t.TempDir() + "/c.db"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 50)
	for i := 0; i < 50; i++ {
		go func() { done <- db.InsertCall(ctx, &store.Call{ChannelID: fmt.Sprint("late-", i)}) }()
	}
	db.Close()
	for i := 0; i < 50; i++ {
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("a write racing Close hung")
		}
	}
}
