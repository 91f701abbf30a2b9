package console

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ascolto/ascolto/ivr"
	"github.com/ascolto/ascolto/live"
	"github.com/ascolto/ascolto/store"
	"github.com/ascolto/ascolto/store/storetest"
	"go.uber.org/zap/zaptest"
)

// seedQueues creates the queues the default flow hands calls to.
func seedQueues(t *testing.T, r *rig) {
	t.Helper()
	for _, q := range ivr.DefaultQueues() {
		if err := r.db.SaveQueue(bg, &store.Queue{Name: q, Strategy: "longest-idle", RingTimeoutS: 15, SLPercent: 80, SLSeconds: 20}, "test"); err != nil {
			t.Fatal(err)
		}
	}
}

// uploadFile posts the upload form with a file part.
func (b *browser) uploadFile(name string, content []byte, comment string) got {
	b.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	w.WriteField("csrf", b.token("/admin/ivr"))
	w.WriteField("source", "")
	w.WriteField("comment", comment)
	fw, _ := w.CreateFormFile("file", name)
	fw.Write(content)
	w.Close()
	req, _ := http.NewRequest("POST", b.r.srv.URL+"/admin/ivr", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return b.do(req)
}

func TestIVRAdminUploadDiffActivateRollback(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			r := newRigOn(t, e, Config{IdleTimeout: 48 * time.Hour, SessionMax: 72 * time.Hour})
			seedQueues(t, r)
			r.user("capo", store.RoleAdmin)
			r.user("coord", store.RoleSupervisor)
			st, err := live.New(r.db, r.clk, zaptest.NewLogger(t), "aq")
			if err != nil {
				t.Fatal(err)
			}

			sup := r.browser()
			sup.login("coord")
			if g := sup.get("/admin/ivr"); g.code != http.StatusForbidden {
				t.Errorf("a supervisor reaches the IVR admin: %d", g.code)
			}
			if g := sup.submit("/account", "/admin/ivr", url.Values{"source": {"x"}}); g.code != http.StatusForbidden {
				t.Errorf("a supervisor uploads a flow: %d", g.code)
			}

			b := r.browser()
			b.login("capo")
			home := b.get("/admin/ivr")
			if home.code != 200 || !strings.Contains(home.body, `href="/admin/ivr" aria-current="page"`) ||
				!strings.Contains(home.body, `<tr data-version="default" class="ivr-active">`) {
				t.Fatalf("list page: %d\n%.2000s", home.code, home.body)
			}
			// Without a token the upload is refused.
			if g := b.post("/admin/ivr", url.Values{"source": {"x"}}); g.code != http.StatusForbidden {
				t.Errorf("upload without a token: %d", g.code)
			}

			// A bad flow: every problem with its line, in Italian; nothing stored.
			good := string(ivr.DefaultFlowSource())
			bad := strings.Replace(good, "queue: soccorso\n", "queue: socorso\n", 1)
			bad = strings.Replace(bad, "timeout: 6s", "timeout: 600s", 1)
			g := b.submit("/admin/ivr", "/admin/ivr", url.Values{"source": {strings.ReplaceAll(bad, "\n", "\r\n")}})
			if g.code != http.StatusBadRequest || !strings.Contains(g.body, "Il flusso non è valido: 2 problemi") ||
				!strings.Contains(g.body, "la coda «socorso» nel nodo «coda-soccorso» non esiste") ||
				!strings.Contains(g.body, "valore «600s» non valido per «timeout»") || strings.Count(g.body, `class="ivr-problem"`) != 2 {
				t.Fatalf("bad flow: %d\n%.3000s", g.code, g.body)
			}
			line := 1 + strings.Count(bad[:strings.Index(bad, "queue: socorso")], "\n")
			if !strings.Contains(g.body, fmt.Sprintf(`<tr class="ivr-problem"><td>%d</td>`, line)) {
				t.Errorf("the problem's line %d is not shown", line)
			}
			if !strings.Contains(g.body, "queue: socorso") {
				t.Error("the text box lost what the admin pasted")
			}
			if list, _ := r.db.Flows(bg); len(list) != 0 {
				t.Fatalf("a bad flow was stored: %+v", list)
			}
			for _, bad := range []url.Values{{"source": {"  "}}, {"source": {"start: a"}, "comment": {strings.Repeat("x", 501)}}} {
				if g := b.submit("/admin/ivr", "/admin/ivr", bad); g.code != http.StatusBadRequest {
					t.Errorf("upload %v: %d", bad, g.code)
				}
			}

			// Good flows, as text and as a file: stored inactive, audited as the CLI's save.
			v1src := strings.Replace(good, "timeout: 2s", "timeout: 3s", 1)
			g = b.submit("/admin/ivr", "/admin/ivr", url.Values{"source": {strings.ReplaceAll(v1src, "\n", "\r\n")}, "comment": {"saluto più lungo"}})
			if g.code != http.StatusSeeOther || !strings.HasPrefix(g.location, "/admin/ivr/1/diff") {
				t.Fatalf("good flow: %d %s %.1000s", g.code, g.location, g.body)
			}
			v1, err := r.db.Flow(bg, 1)
			if err != nil || v1.Active || v1.Source != v1src || v1.Comment != "saluto più lungo" || v1.CreatedBy != "capo" || v1.Name != "800 840 840" {
				t.Fatalf("stored %+v %v", v1, err)
			}
			if _, err := r.db.ActiveFlowVersion(bg); err == nil {
				t.Fatal("the upload activated the flow")
			}
			v2src := strings.Replace(v1src, "retries: 2\n", "retries: 3\n", 1)
			if g := b.uploadFile("nuovo.yaml", []byte(v2src), ""); g.code != http.StatusSeeOther || !strings.HasPrefix(g.location, "/admin/ivr/2/diff") {
				t.Fatalf("file upload: %d %s %.1000s", g.code, g.location, g.body)
			}
			if g := b.uploadFile("rotto.yaml", []byte(bad), ""); g.code != http.StatusBadRequest || !strings.Contains(g.body, "«socorso»") {
				t.Errorf("bad file: %d", g.code)
			}
			if a := auditOf(t, r, "ivr.save"); len(a) != 2 || a[0].Actor != "capo" || a[0].Object != "flow:2" {
				t.Errorf("save audit %+v", a)
			}

			// The diff from the active flow (the built-in default).
			d := b.get("/admin/ivr/1/diff")
			if d.code != 200 || !strings.Contains(d.body, `<span class="d-del">-    timeout: 2s</span>`) ||
				!strings.Contains(d.body, `<span class="d-add">&#43;    timeout: 3s</span>`) || !strings.Contains(d.body, "1 righe tolte, 1 aggiunte") {
				t.Fatalf("diff: %d\n%s", d.code, d.body[strings.Index(d.body, "<main"):])
			}
			// The drawing and the YAML.
			v := b.get("/admin/ivr/1")
			if v.code != 200 || !strings.Contains(v.body, `<svg xmlns="http://www.w3.org/2000/svg" class="flowgraph"`) ||
				!strings.Contains(v.body, `data-step="menu-ordinario"`) || !strings.Contains(v.body, "tasto 1") ||
				!strings.Contains(v.body, "attende 3 s, ripete 0 volte") || !strings.Contains(v.body, `id="ivr-yaml"`) {
				t.Fatalf("flow page: %d\n%.2000s", v.code, v.body)
			}
			for _, path := range []string{"/admin/ivr/99", "/admin/ivr/x", "/admin/ivr/99/diff"} {
				if g := b.get(path); g.code != http.StatusNotFound {
					t.Errorf("%s: %d", path, g.code)
				}
			}

			// Activate 1 (applied, as `ivr apply` audits it), then 2; the
			// running service's state follows.
			activate := func(n int) got {
				return b.submit(fmt.Sprintf("/admin/ivr/%d/diff", n), fmt.Sprintf("/admin/ivr/%d/activate", n), url.Values{})
			}
			if g := activate(1); g.code != http.StatusSeeOther || g.location != "/admin/ivr?done=ivractivated" {
				t.Fatalf("activate 1: %d %s", g.code, g.location)
			}
			if err := st.Refresh(bg); err != nil || st.Flow().Version != 1 {
				t.Fatalf("the service follows version %d (%v)", st.Flow().Version, err)
			}
			if g := activate(2); g.code != http.StatusSeeOther {
				t.Fatalf("activate 2: %d", g.code)
			}
			if err := st.Refresh(bg); err != nil || st.Flow().Version != 2 {
				t.Fatalf("the service follows version %d (%v)", st.Flow().Version, err)
			}
			apply := auditOf(t, r, "ivr.apply")
			if len(apply) != 2 || apply[0].Actor != "capo" || apply[0].Object != "flow:2" || apply[0].Detail["previous"] != float64(1) {
				t.Errorf("apply audit %+v", apply)
			}
			list := b.get("/admin/ivr")
			if !strings.Contains(list.body, `<tr data-version="2" class="ivr-active">`) || !strings.Contains(list.body, "Torna alla versione 1 (attiva prima della 2)") {
				t.Fatalf("list after activation:\n%.3000s", list.body)
			}

			// Roll back: to 1, audited as `ivr rollback`; a stale form is refused.
			tok := b.token("/admin/ivr")
			if g := b.post("/admin/ivr/rollback", url.Values{"csrf": {tok}, "from": {"1"}}); g.code != http.StatusConflict {
				t.Errorf("rollback from a version no longer active: %d", g.code)
			}
			if g := b.submit("/admin/ivr", "/admin/ivr/rollback", url.Values{"from": {"2"}}); g.code != http.StatusSeeOther || g.location != "/admin/ivr?done=ivrrolledback" {
				t.Fatalf("rollback: %d %s %.500s", g.code, g.location, g.body)
			}
			if err := st.Refresh(bg); err != nil || st.Flow().Version != 1 {
				t.Fatalf("after the rollback the service follows %d (%v)", st.Flow().Version, err)
			}
			if a := auditOf(t, r, "ivr.rollback"); len(a) != 1 || a[0].Actor != "capo" || a[0].Object != "flow:1" || a[0].Detail["previous"] != float64(2) {
				t.Errorf("rollback audit %+v", a)
			}
			// Activating the older one again from the list is a rollback too.
			if g := activate(2); g.code != http.StatusSeeOther {
				t.Fatalf("activate 2 again: %d", g.code)
			}
			if g := b.submit("/admin/ivr/1/diff", "/admin/ivr/1/activate", url.Values{}); g.code != http.StatusSeeOther {
				t.Fatal("activate 1 again")
			}
			if a := auditOf(t, r, "ivr.rollback"); len(a) != 2 || a[0].Object != "flow:1" {
				t.Errorf("activating an older version is not audited as a rollback: %+v", a)
			}
		})
	}
}

func TestIVRAdminPagesInBothLanguages(t *testing.T) {
	r := newRig(t, Config{})
	seedQueues(t, r)
	r.user("ad", store.RoleAdmin)
	v := store.FlowVersion{Name: "prova", Source: string(ivr.DefaultFlowSource())}
	if err := r.db.SaveFlow(bg, &v, false, "cli:test"); err != nil {
		t.Fatal(err)
	}
	paths := []string{"/admin/ivr", "/admin/ivr/default", "/admin/ivr/1", "/admin/ivr/1/diff", "/admin/ivr/default/diff"}
	r.pagesTranslated("ad", paths)
}
