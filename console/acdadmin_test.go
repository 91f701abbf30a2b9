package console

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ascolto/ascolto/store"
	"github.com/ascolto/ascolto/store/storetest"
)

// fakeRoster stands in for oncall.ConsoleBoards (the console cannot import
// oncall): it keeps the YAML it is given and refuses a roster with "bad:"
// in it as the real one refuses a broken roster.
type fakeRoster struct {
	Backend
	yaml    string
	version int64
	by      string
}

func (f *fakeRoster) Roster(context.Context, time.Time) (RosterView, error) {
	if f.version == 0 {
		return RosterView{}, fmt.Errorf("%w: roster", store.ErrNotFound)
	}
	return RosterView{Version: f.version, CreatedBy: f.by, YAML: f.yaml, People: 1, Quorum: 1, Target: "30m0s",
		Waves: []RosterWave{{Name: "prima", Wait: "0s", People: []string{"Anna Rossi +393331112222"}}}}, nil
}

func (f *fakeRoster) ImportRoster(_ context.Context, by Actor, yaml []byte, _ string) (int64, error) {
	if strings.Contains(string(yaml), "bad:") {
		return 0, fmt.Errorf("%w: line 1: field bad not found", store.ErrInvalid)
	}
	f.version++
	f.yaml, f.by = string(yaml), by.Username
	return f.version, nil
}

func queueValues(name string) url.Values {
	return url.Values{"name": {name}, "site": {"aq"}, "strategy": {"round-robin"}, "ring_timeout": {"20"}, "wrapup": {"45"},
		"max_wait": {"0"}, "announce": {"60"}, "max_len": {"0"}, "callback_attempts": {"3"}, "callback_interval": {"120"},
		"overflow": {"none"}, "sl": {"90/15"}}
}

// audited returns the actions the actor is recorded with, newest first.
func audited(t *testing.T, db *store.DB, actor string) []string {
	t.Helper()
	es, err := db.AuditLog(bg, store.AuditFilter{Actor: &actor, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Action+" "+e.Object)
	}
	return out
}

func reloads(t *testing.T, db *store.DB, actor string) int {
	t.Helper()
	cs, err := db.PendingACDCommands(bg)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range cs {
		if c.Kind == "reload" && c.Actor == actor {
			n++
		}
	}
	return n
}

func TestACDAdminQueuesAndSeats(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			r := newRigOn(t, e, Config{})
			r.user("admin", store.RoleAdmin)
			r.user("sup", store.RoleSupervisor)

			sup := r.browser()
			sup.login("sup")
			for _, path := range []string{"/admin/queues", "/admin/seats", "/admin/roster", "/admin/queues/new"} {
				if g := sup.get(path); g.code != http.StatusForbidden {
					t.Errorf("supervisor on %s: %d, want 403", path, g.code)
				}
			}

			b := r.browser()
			b.login("admin")
			if g := b.get("/admin/queues"); g.code != http.StatusOK || !strings.Contains(g.body, `href="/admin/seats"`) {
				t.Fatalf("queues page: %d, or no link to seats in the navigation", g.code)
			}

			// Bad input: each refusal next to its field, in the CLI's words; nothing saved.
			bad := queueValues("Nuova Coda")
			bad.Set("sl", "80")
			bad.Set("wrapup", "mezzo")
			g := b.submit("/admin/queues/new", "/admin/queues", bad)
			for _, want := range []string{`id="q-name-err"`, "nome di coda &#34;Nuova Coda&#34; non valido", `id="q-sl-err"`,
				"usa PERCENTUALE/SECONDI", `id="q-wrapup-err"`, "numero intero di secondi", `aria-invalid="true"`} {
				if !strings.Contains(g.body, want) {
					t.Errorf("bad queue: %d, page lacks %q", g.code, want)
				}
			}
			if g.code != http.StatusBadRequest {
				t.Errorf("bad queue: %d, want 400", g.code)
			}
			noOverflow := queueValues("prova")
			noOverflow.Set("max_wait", "300")
			g = b.submit("/admin/queues/new", "/admin/queues", noOverflow)
			if g.code != http.StatusBadRequest || !strings.Contains(g.body, `id="q-overflow-err"`) || !strings.Contains(g.body, "nessun trabocco") {
				t.Errorf("max wait without overflow: %d %s", g.code, errorsOf(g.body))
			}
			// The same refusal in English, for an admin who chose it.
			if g = b.submit("/admin/queues", "/lang", url.Values{"lang": {"en"}, "back": {"/admin/queues"}}); g.code != http.StatusSeeOther {
				t.Fatalf("switch to English: %d", g.code)
			}
			g = b.submit("/admin/queues/new", "/admin/queues", bad)
			for _, want := range []string{"«Service level» &#34;80&#34; is not valid: use PERCENT/SECONDS", "type a whole number of seconds"} {
				if !strings.Contains(g.body, want) {
					t.Errorf("English refusal lacks %q: %s", want, errorsOf(g.body))
				}
			}
			b.submit("/admin/queues", "/lang", url.Values{"lang": {"it"}, "back": {"/admin/queues"}})
			if _, err := r.db.QueueByName(bg, "prova"); err == nil {
				t.Fatal("a refused queue was stored")
			}

			// Create, then edit: stored, audited as the admin, a reload left for the service.
			g = b.submit("/admin/queues/new", "/admin/queues", queueValues("prova"))
			if g.code != http.StatusSeeOther || g.location != "/admin/queues/prova?done=queuecreated" {
				t.Fatalf("create queue: %d %s %s", g.code, g.location, errorsOf(g.body))
			}
			q, err := r.db.QueueByName(bg, "prova")
			if err != nil || q.Strategy != "round-robin" || q.WrapupS != 45 || q.SLPercent != 90 || q.SLSeconds != 15 || q.RingTimeoutS != 20 {
				t.Fatalf("stored queue: %+v %v", q, err)
			}
			edit := queueValues("")
			edit.Set("max_wait", "600")
			edit.Set("overflow", "callback")
			if g = b.submit("/admin/queues/prova", "/admin/queues/prova", edit); g.code != http.StatusSeeOther {
				t.Fatalf("edit queue: %d %s", g.code, errorsOf(g.body))
			}
			if q, _ = r.db.QueueByName(bg, "prova"); q.MaxWaitS != 600 || q.Overflow != "callback" {
				t.Errorf("edited queue: %+v", q)
			}
			if got := audited(t, r.db, "admin"); len(got) < 3 || got[0] != "queue.save queue:prova" || got[1] != got[0] || got[2] != "login user:admin" {
				t.Errorf("audit after two saves: %v", got)
			}
			if n := reloads(t, r.db, "admin"); n != 2 {
				t.Errorf("%d reload orders for the service, want 2", n)
			}

			// Seats: a refused one, then one in the queue.
			g = b.submit("/admin/seats/new", "/admin/seats", url.Values{"extension": {"2001"}, "endpoint": {"PJSIP 2001"},
				"site": {"aq"}, "phone": {"sip"}, "user": {"ghost"}})
			if g.code != http.StatusBadRequest || !strings.Contains(g.body, `id="s-ep-err"`) || !strings.Contains(g.body, "TECNOLOGIA/RISORSA") {
				t.Errorf("bad endpoint: %d %s", g.code, errorsOf(g.body))
			}
			g = b.submit("/admin/seats/new", "/admin/seats", url.Values{"extension": {"2001"}, "endpoint": {"PJSIP/2001"},
				"site": {"aq"}, "phone": {"sip"}, "user": {"ghost"}})
			if g.code != http.StatusBadRequest || !strings.Contains(g.body, `id="s-user-err"`) || !strings.Contains(g.body, "l&#39;utente ghost non esiste") {
				t.Errorf("unknown user: %d %s", g.code, errorsOf(g.body))
			}
			g = b.submit("/admin/seats/new", "/admin/seats", url.Values{"extension": {"2001"}, "endpoint": {"PJSIP/2001"}, "name": {"Anna Rossi"},
				"site": {"aq"}, "phone": {"webrtc"}, "queues": {"prova"}})
			if g.code != http.StatusSeeOther {
				t.Fatalf("create seat: %d %s", g.code, errorsOf(g.body))
			}
			if q, _ = r.db.QueueByName(bg, "prova"); len(q.Members) != 1 || q.Members[0].Extension != "2001" {
				t.Errorf("members after the seat: %+v", q.Members)
			}
			got := audited(t, r.db, "admin")
			if len(got) < 2 || got[0] != "queue.member.set queue:prova" || got[1] != "agent.save agent:2001" {
				t.Errorf("seat audit: %v", got)
			}

			// The member's skill level, refused out of range, then set.
			g = b.submit("/admin/queues/prova", "/admin/queues/prova/members", url.Values{"extension": {"2001"}, "penalty": {"1"}, "level": {"12"}})
			if g.code != http.StatusBadRequest || !strings.Contains(g.body, `id="m-lvl-err"`) || !strings.Contains(g.body, "da 0 a 9") {
				t.Errorf("level 12: %d %s", g.code, errorsOf(g.body))
			}
			g = b.submit("/admin/queues/prova", "/admin/queues/prova/members", url.Values{"extension": {"2001"}, "penalty": {"1"}, "level": {"7"}})
			if q, _ = r.db.QueueByName(bg, "prova"); g.code != http.StatusSeeOther || q.Members[0].Level != 7 || q.Members[0].Penalty != 1 {
				t.Errorf("member set: %d %+v", g.code, q.Members)
			}
			// Edit the seat out of every queue.
			g = b.submit("/admin/seats/2001", "/admin/seats/2001", url.Values{"endpoint": {"PJSIP/2001"}, "site": {"aq"}, "phone": {"sip"}})
			if q, _ = r.db.QueueByName(bg, "prova"); g.code != http.StatusSeeOther || len(q.Members) != 0 {
				t.Errorf("seat left its queues: %d %+v", g.code, q.Members)
			}
			if got = audited(t, r.db, "admin"); got[0] != "queue.member.remove queue:prova" {
				t.Errorf("leaving audited as %v", got[0])
			}
		})
	}
}

func TestACDAdminImportAndLongList(t *testing.T) {
	r := newRig(t, Config{})
	r.user("admin", store.RoleAdmin)
	b := r.browser()
	b.login("admin")
	if g := b.submit("/admin/queues/new", "/admin/queues", queueValues("prova")); g.code != http.StatusSeeOther {
		t.Fatalf("create queue: %d", g.code)
	}
	bad := "interno,telefono,code\n3001,PJSIP/3001,soccorso\n3002,,soccorso\n3003,PJSIP/3003,fantasma\n"
	g := b.submit("/admin/seats", "/admin/seats/import", url.Values{"csv": {bad}})
	for _, want := range []string{"riga 3: il telefono è obbligatorio", "riga 4: la coda &#34;fantasma&#34; non esiste", "3001,PJSIP/3001"} {
		if !strings.Contains(g.body, want) {
			t.Errorf("refused import: %d, page lacks %q", g.code, want)
		}
	}
	if ag, _ := r.db.Agents(bg); len(ag) != 0 {
		t.Fatalf("a refused file stored %d seats", len(ag))
	}
	var csv strings.Builder
	csv.WriteString("interno,telefono,nome,code\n")
	for i := range 300 {
		fmt.Fprintf(&csv, "%d,PJSIP/%d,Operatore %d,soccorso\n", 4000+i, 4000+i, i)
	}
	if g = b.submit("/admin/seats", "/admin/seats/import", url.Values{"csv": {csv.String()}}); g.code != http.StatusSeeOther {
		t.Fatalf("import of 300: %d %s", g.code, errorsOf(g.body))
	}
	g = b.get("/admin/seats")
	if n := strings.Count(g.body, `<tr><th scope="row"><a href="/admin/seats/4`); n != 300 {
		t.Errorf("seat list shows %d of 300 rows", n)
	}
	if q, _ := r.db.QueueByName(bg, "soccorso"); len(q.Members) != 300 {
		t.Errorf("queue has %d members after the import, want 300", len(q.Members))
	}
}

func TestACDAdminRoster(t *testing.T) {
	fr := &fakeRoster{}
	r := newRigWith(t, storetest.Engines()[0], Config{}, func(c *Console) { fr.Backend = c.backend; c.backend = fr })
	r.user("admin", store.RoleAdmin)
	b := r.browser()
	b.login("admin")
	if g := b.get("/admin/roster"); g.code != http.StatusOK || !strings.Contains(g.body, "Nessun elenco dei reperibili") {
		t.Fatalf("empty roster page: %d", g.code)
	}
	g := b.submit("/admin/roster", "/admin/roster", url.Values{"yaml": {"bad: yes\n"}})
	if g.code != http.StatusBadRequest || !strings.Contains(g.body, `id="r-err"`) || !strings.Contains(g.body, "field bad not found") ||
		!strings.Contains(g.body, "bad: yes") {
		t.Errorf("refused roster: %d %s", g.code, errorsOf(g.body))
	}
	if g = b.submit("/admin/roster", "/admin/roster", url.Values{"yaml": {"quorum: 1\r\n"}}); g.code != http.StatusSeeOther {
		t.Fatalf("save roster: %d", g.code)
	}
	if fr.by != "admin" || fr.yaml != "quorum: 1\n" {
		t.Errorf("roster saved by %q as %q", fr.by, fr.yaml)
	}
	if g = b.get("/admin/roster"); !strings.Contains(g.body, "Anna Rossi &#43;393331112222") {
		t.Errorf("roster page does not show who is on call: %d %s", g.code, g.body)
	}
}

// errorsOf picks the field errors out of a page, for failure messages.
func errorsOf(body string) string {
	var out []string
	for _, part := range strings.Split(body, `class="field-err">`)[1:] {
		out = append(out, part[:strings.Index(part, "<")])
	}
	if i := strings.Index(body, `class="alert err"`); i >= 0 {
		out = append(out, body[i:min(len(body), i+200)])
	}
	return strings.Join(out, " | ")
}
