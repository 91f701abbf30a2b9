package store_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ascolto/ascolto/store"
	"github.com/ascolto/ascolto/store/storetest"
)

func TestKBArticleHistoryAndConflicts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := store.KBArticle{Slug: "terremoto-cosa-fare", Topic: "autoprotezione", Title: "Terremoto: cosa fare",
			Body: "Durante:\r\n- riparati sotto un tavolo", Tags: "terremoto, sisma"}
		if err := db.CreateKBArticle(ctx, &a, "prima stesura", "admin"); err != nil {
			t.Fatal(err)
		}
		if a.ID == 0 || a.Version != 1 || a.Status != store.KBDraft || strings.Contains(a.Body, "\r") {
			t.Fatalf("created %+v", a)
		}
		dup := store.KBArticle{Slug: "terremoto-cosa-fare", Title: "Altro"}
		if err := db.CreateKBArticle(ctx, &dup, "", "admin"); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("duplicate slug: %v", err)
		}
		bad := []store.KBArticle{
			{Slug: "Con Spazi", Title: "x"},
			{Slug: "ok", Title: ""},
			{Slug: "ok", Title: strings.Repeat("t", store.KBMaxTitle+1)},
			{Slug: "ok", Title: "x", Body: strings.Repeat("b", store.KBMaxBody+1)},
			{Slug: "ok", Title: "x", Status: "archived"},
		}
		for _, b := range bad {
			if err := db.CreateKBArticle(ctx, &b, "", "admin"); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("%q/%d bytes of title: %v", b.Slug, len(b.Title), err)
			}
		}
		// Two admins edit version 1; the second save is refused, not merged.
		first, second := a, a
		first.Title = "Terremoto: cosa fare prima, durante e dopo"
		if err := db.UpdateKBArticle(ctx, &first, 1, "titolo", "admin"); err != nil || first.Version != 2 {
			t.Fatalf("edit: %v, version %d", err, first.Version)
		}
		second.Title = "Sovrascrittura"
		if err := db.UpdateKBArticle(ctx, &second, 1, "", "altro-admin"); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("stale edit: %v", err)
		}
		missing := store.KBArticle{ID: 999, Slug: "x-y", Title: "x"}
		if err := db.UpdateKBArticle(ctx, &missing, 1, "", "admin"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("edit of a missing article: %v", err)
		}
		// Pinning needs a published article and an existing case.
		c := store.Case{Channel: store.ChannelPhone}
		if err := db.CreateCase(ctx, &c); err != nil {
			t.Fatal(err)
		}
		if _, err := db.PinKBArticle(ctx, c.ID, a.ID, "rossi"); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("pin a draft: %v", err)
		}
		pub, err := db.SetKBStatus(ctx, a.ID, store.KBPublished, "revisionato", "admin")
		if err != nil || pub.Version != 3 || pub.Status != store.KBPublished {
			t.Fatalf("publish: %+v %v", pub, err)
		}
		if again, err := db.SetKBStatus(ctx, a.ID, store.KBPublished, "", "admin"); err != nil || again.Version != 3 {
			t.Fatalf("publishing twice must change nothing: %+v %v", again, err)
		}
		if _, err := db.PinKBArticle(ctx, 999999, a.ID, "rossi"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("pin to a missing case: %v", err)
		}
		for range 2 {
			p, err := db.PinKBArticle(ctx, c.ID, a.ID, "rossi")
			if err != nil || p.Version != 3 {
				t.Fatalf("pin: %+v %v", p, err)
			}
		}
		pins, err := db.KBPins(ctx, c.ID)
		if err != nil || len(pins) != 1 || pins[0].Title != first.Title || pins[0].PinnedBy != "rossi" {
			t.Fatalf("pins = %+v %v", pins, err)
		}
		if _, err := db.SetKBStatus(ctx, a.ID, store.KBRetired, "superato", "admin"); err != nil {
			t.Fatal(err)
		}
		hist, err := db.KBHistory(ctx, a.ID)
		if err != nil || len(hist) != 4 {
			t.Fatalf("history: %d revisions, %v", len(hist), err)
		}
		want := []struct {
			v      int
			status string
			title  string
		}{{4, "retired", first.Title}, {3, "published", first.Title}, {2, "draft", first.Title}, {1, "draft", "Terremoto: cosa fare"}}
		for i, w := range want {
			if hist[i].Version != w.v || hist[i].Status != w.status || hist[i].Title != w.title {
				t.Errorf("revision %d = %d %s %q, want %+v", i, hist[i].Version, hist[i].Status, hist[i].Title, w)
			}
		}
		pubs, err := db.KBArticles(ctx, store.KBPublished)
		if err != nil || len(pubs) != 0 {
			t.Fatalf("published after retiring: %d %v", len(pubs), err)
		}
		act := "kb.retired"
		if log, err := db.AuditLog(ctx, store.AuditFilter{Action: &act}); err != nil || len(log) != 1 {
			t.Fatalf("retire audited: %+v %v", log, err)
		}
	})
}

func TestSeedKBOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		set := func() []store.KBArticle {
			return []store.KBArticle{
				{Slug: "uno", Title: "Uno", Status: store.KBPublished},
				{Slug: "due", Title: "Due", Status: store.KBPublished},
			}
		}
		stamp0, _ := db.KBStamp(ctx)
		n, err := db.SeedKB(ctx, set(), "system")
		if err != nil || n != 2 {
			t.Fatalf("seed: %d %v", n, err)
		}
		if n, err := db.SeedKB(ctx, set(), "system"); err != nil || n != 0 {
			t.Fatalf("second seed: %d %v", n, err)
		}
		stamp1, _ := db.KBStamp(ctx)
		if stamp0 == stamp1 {
			t.Fatal("stamp did not change with the seed")
		}
		if _, err := db.SetKBStatus(ctx, 1, store.KBRetired, "", "admin"); err != nil {
			t.Fatal(err)
		}
		if stamp2, _ := db.KBStamp(ctx); stamp2 == stamp1 {
			t.Fatal("stamp did not change with a status change")
		}
		if _, err := db.SeedKB(ctx, []store.KBArticle{{Slug: "BAD"}}, "system"); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("bad seed: %v", err)
		}
	})
}
