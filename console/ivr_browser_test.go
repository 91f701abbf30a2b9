package console

import (
	"strings"
	"testing"
	"time"

	"github.com/ascolto/ascolto/ivr"
	"github.com/ascolto/ascolto/store"
	"github.com/ascolto/ascolto/store/storetest"
	"github.com/chromedp/chromedp"
)

// TestBrowserIVRAdmin walks the IVR flow's admin pages as an admin does:
// a bad flow pasted (the problems shown), a good one, its diff, the
// activation, the rollback; every page checked with axe-core and
// photographed.
func TestBrowserIVRAdmin(t *testing.T) {
	browser := startBrowser(t)
	shots := artifactsDir(t)
	t.Logf("screenshots in %s", shots)
	r := newRigWith(t, storetest.Engines()[0], Config{IdleTimeout: time.Hour}, nil)
	seedQueues(t, r)
	r.user("capo", store.RoleAdmin)
	// An earlier version, active, so there is something to roll back to.
	v1 := store.FlowVersion{Name: "800 840 840", Source: string(ivr.DefaultFlowSource()), Comment: "prima versione"}
	if err := r.db.SaveFlow(bg, &v1, true, "cli:root"); err != nil {
		t.Fatal(err)
	}

	b := r.tab(t, browser, shots)
	b.login("capo", "capo-password")
	b.open("/admin/ivr")
	b.waitFor(`document.querySelector('#ivr-versions tr[data-version="1"].ivr-active') !== null`)
	b.shot("60-ivr-versions")

	paste := func(src string) {
		t.Helper()
		b.do(chromedp.SetValue(chromedp.CSS("#ivr-source"), src))
		b.submit("#ivr-save")
	}
	good := string(ivr.DefaultFlowSource())
	bad := strings.Replace(good, "queue: soccorso\n", "queue: socorso\n", 1)
	paste(bad)
	b.waitFor(`document.getElementById("ivr-problems") !== null`)
	if txt := b.text("#ivr-problems"); !strings.Contains(txt, "la coda «socorso» nel nodo «coda-soccorso» non esiste") {
		t.Errorf("the problem is not shown: %q", txt)
	}
	if txt := b.text(".alert.err"); !strings.Contains(txt, "1 problema") {
		t.Errorf("the alert: %q", txt)
	}
	b.shot("61-ivr-bad-upload")

	paste(strings.Replace(good, "timeout: 2s", "timeout: 3s", 1))
	b.waitFor(`document.getElementById("ivr-diff") !== null`)
	if !strings.HasPrefix(b.location(), "/admin/ivr/2/diff") {
		t.Fatalf("after the upload: %s", b.location())
	}
	if txt := b.text("#ivr-diff .d-add"); txt != "+    timeout: 3s" {
		t.Errorf("the diff's added line: %q", txt)
	}
	b.shot("62-ivr-diff")

	b.open("/admin/ivr/2")
	b.waitFor(`document.querySelectorAll('#flow-graph .g-box').length === 20`)
	// No two boxes overlap as the browser lays them out.
	res := b.eval(`(() => { const rs = Array.from(document.querySelectorAll('#flow-graph .g-box rect')).map(r => r.getBoundingClientRect());
		let n = 0; for (let i = 0; i < rs.length; i++) for (let j = i + 1; j < rs.length; j++) {
		const a = rs[i], c = rs[j]; if (a.left < c.right && c.left < a.right && a.top < c.bottom && c.top < a.bottom) n++ }
		return {overlaps: n, boxes: rs.length} })()`)
	if res["overlaps"].(float64) != 0 {
		t.Errorf("boxes overlap in the browser: %v", res)
	}
	b.shot("63-ivr-graph")

	b.open("/admin/ivr/2/diff")
	b.submit("#ivr-activate")
	b.waitFor(`document.querySelector('#ivr-versions tr[data-version="2"].ivr-active') !== null`)
	if txt := b.text(".alert.ok"); !strings.Contains(txt, "Versione attiva") {
		t.Errorf("after the activation: %q", txt)
	}
	b.submit("#ivr-rollback")
	b.waitFor(`document.querySelector('#ivr-versions tr[data-version="1"].ivr-active') !== null`)
	if act, _ := r.db.ActiveFlowVersion(bg); act != 1 {
		t.Errorf("after the rollback version %d is active", act)
	}
	b.shot("64-ivr-rolled-back")
	for _, a := range []string{"ivr.save", "ivr.apply", "ivr.rollback"} {
		if es := auditOf(t, r, a); len(es) == 0 || es[0].Actor != "capo" {
			t.Errorf("%s audit: %+v", a, es)
		}
	}
	b.noJSErrors()
}
