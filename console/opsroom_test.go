package console

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ascolto/ascolto/geo"
	"github.com/ascolto/ascolto/opsroom"
	"github.com/ascolto/ascolto/report"
	"github.com/ascolto/ascolto/store"
	"github.com/chromedp/chromedp"
	"go.uber.org/zap/zaptest"
)

// grantOpsRoom adds to the authorization table the entries the lead
// merges into authz.go (see MountOpsRoom); adding them twice is harmless.
func grantOpsRoom(p *policy) {
	set := func(perm Permission, roles ...string) {
		p.roles[perm] = map[string]bool{}
		for _, r := range roles {
			p.roles[perm][r] = true
		}
	}
	set(PermOpsAct, store.RoleOpsRoom, store.RoleAdmin)
	set(PermReports, store.RoleOpsRoom, store.RoleSupervisor, store.RoleAdmin)
	p.messages[MsgOpsAck] = PermOpsAct
	p.messages[MsgOpsStatus] = PermOpsAct
	p.topics[TopicOpsRoom] = PermOpsRoom
	p.topics[TopicOpsAlerts] = PermWallboard
}

const feedToken = "feed-token-of-the-sala-operativa"

type opsRig struct {
	*rig
	ops *opsroom.Service
	rep *report.Service
}

// newOpsRig is the console rig with the operations room mounted the way
// `serve` will: the console is the service's publisher.
func newOpsRig(t *testing.T) *opsRig {
	t.Helper()
	r := newRig(t, Config{})
	ds, err := geo.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.db.SeedGeo(bg, ds); err != nil {
		t.Fatal(err)
	}
	grantOpsRoom(r.c.policy)
	cfg, err := opsroom.ParseConfig("", "", "", "", "", "", feedToken, "")
	if err != nil {
		t.Fatal(err)
	}
	ops, err := opsroom.New(opsroom.Options{Store: r.db, Clock: r.clk, Log: zaptest.NewLogger(t), Config: cfg, Publisher: r.c})
	if err != nil {
		t.Fatal(err)
	}
	rep := report.New(report.Options{Store: r.db, Clock: r.clk})
	r.c.MountOpsRoom(r.srv.Config.Handler.(*http.ServeMux), ops, rep)
	return &opsRig{rig: r, ops: ops, rep: rep}
}

// rescue is what the agent desk does when an agent saves a rescue-flagged
// disposition: the disposition, then Submit (one call in ari/desk.go).
func (r *opsRig) rescue(agent string, summary string) (store.Case, opsroom.ItemView) {
	r.t.Helper()
	lat, lon := 44.2227, 12.0407
	return r.rescueAt(agent, summary, "040012", &lat, &lon)
}

// rescueAt is rescue from a comune, with the citizen's coordinates or none.
func (r *opsRig) rescueAt(agent, summary, comune string, lat, lon *float64) (store.Case, opsroom.ItemView) {
	r.t.Helper()
	c := store.Case{Channel: store.ChannelPhone, ComuneCode: comune, ContactPhone: "+39 347 0000001", Summary: summary,
		Lat: lat, Lon: lon}
	if err := r.db.CreateCase(bg, &c); err != nil {
		r.t.Fatal(err)
	}
	u, _ := r.db.UserByName(bg, agent)
	d := store.Disposition{CaseID: c.ID, UserID: u.ID, Category: "idraulico", Outcome: "inoltrata-sala-operativa",
		Urgency: store.UrgencyRescue, ComuneCode: comune, Notes: "Restare al piano alto"}
	if err := r.db.SaveDisposition(bg, &d, agent); err != nil {
		r.t.Fatal(err)
	}
	v, ok, err := r.ops.Submit(bg, c.ID, agent)
	if err != nil || !ok {
		r.t.Fatalf("submit: %v %v", ok, err)
	}
	return c, v
}

func TestOpsRoomPageFormsAndRoles(t *testing.T) {
	r := newOpsRig(t)
	r.user("rossi", store.RoleAgent)
	r.user("sala", store.RoleOpsRoom)
	r.user("verdi", store.RoleSupervisor)
	c, v := r.rescue("rossi", "Famiglia sul tetto a Forlì")

	agent := r.browser()
	agent.login("rossi")
	if g := agent.get("/opsroom"); g.code != http.StatusForbidden {
		t.Fatalf("an agent on /opsroom: %d", g.code)
	}
	sup := r.browser()
	sup.login("verdi")
	if g := sup.get("/opsroom"); g.code != http.StatusOK || !strings.Contains(g.body, c.TrackingID) || strings.Contains(g.body, "/ack\"") {
		t.Fatalf("supervisor sees %d (acknowledge form shown: %v)", g.code, strings.Contains(g.body, "/ack\""))
	}
	room := r.browser()
	room.login("sala")
	page := room.get("/opsroom")
	for _, want := range []string{c.TrackingID, "Forlì (FC)", "347 0000001", "Restare al piano alto", "Richiesta di soccorso",
		"1 da prendere in carico", `action="/opsroom/items/` + strconv.FormatInt(v.ID, 10) + `/ack"`, "44.2227"} {
		if !strings.Contains(page.body, want) {
			t.Fatalf("/opsroom lacks %q", want)
		}
	}
	// The supervisor may read, not acknowledge.
	if g := sup.submit("/opsroom", fmt.Sprintf("/opsroom/items/%d/ack", v.ID), url.Values{}); g.code != http.StatusForbidden {
		t.Fatalf("supervisor acknowledging: %d", g.code)
	}
	g := room.submit("/opsroom", fmt.Sprintf("/opsroom/items/%d/ack", v.ID), url.Values{})
	if g.code != http.StatusSeeOther || !strings.Contains(g.location, "done=opsacked") {
		t.Fatalf("acknowledge: %d %s %.300s", g.code, g.location, g.body)
	}
	if it, _ := r.ops.ItemForCase(bg, c.ID); it.AckedBy != "sala" {
		t.Fatalf("acknowledged by %q", it.AckedBy)
	}
	// One acknowledgement, audited once (by the room's service), whatever
	// the way it came.
	sala := "sala"
	var acks []string
	log, _ := r.db.AuditLog(bg, store.AuditFilter{Actor: &sala})
	for _, e := range log {
		if strings.HasPrefix(e.Action, "opsroom.ack") {
			acks = append(acks, e.Action)
		}
	}
	if len(acks) != 1 || acks[0] != "opsroom.acknowledge" {
		t.Fatalf("audit of the acknowledgement: %v", acks)
	}
	// Twice: refused with who did it.
	g = room.submit("/opsroom", fmt.Sprintf("/opsroom/items/%d/ack", v.ID), url.Values{})
	if g.code != http.StatusConflict || !strings.Contains(g.body, "sala") {
		t.Fatalf("second acknowledgement: %d %.300s", g.code, g.body)
	}
	g = room.submit("/opsroom", fmt.Sprintf("/opsroom/items/%d/status", v.ID), url.Values{"state": {"assigned"}, "assignee": {"VVF"},
		"note": {"Squadra fluviale in arrivo"}})
	if g.code != http.StatusSeeOther {
		t.Fatalf("status: %d %.300s", g.code, g.body)
	}
	// The acknowledgement and the status show on the case.
	cp := agent.get("/cases/" + c.TrackingID)
	for _, want := range []string{"Presa in carico dalla Sala Operativa (sala)", "assegnata a / assigned to VVF — Squadra fluviale in arrivo"} {
		if !strings.Contains(cp.body, want) {
			t.Fatalf("the case lacks %q", want)
		}
	}
	// History with who did what, for the room.
	h := room.get(fmt.Sprintf("/opsroom/api/items/%d", v.ID))
	var detail struct {
		History []struct{ Kind, Actor string }
	}
	json.Unmarshal([]byte(h.body), &detail)
	if len(detail.History) != 3 || detail.History[1].Kind != "acknowledged" || detail.History[1].Actor != "sala" {
		t.Fatalf("history %s", h.body)
	}
	if g := room.get("/opsroom/api/deliveries"); g.code != http.StatusOK || !strings.Contains(g.body, `"configured":false`) {
		t.Fatalf("deliveries %d %s", g.code, g.body)
	}
}

func TestOpsRoomLiveOverTheHub(t *testing.T) {
	r := newOpsRig(t)
	r.user("rossi", store.RoleAgent)
	r.user("sala", store.RoleOpsRoom)
	room := r.browser()
	room.login("sala")
	ws, _, err := room.dial("/opsroom")
	if err != nil {
		t.Fatal(err)
	}
	if m := ws.call("subscribe", map[string]any{"topics": []string{TopicOpsRoom}}); m.Type != "ack" {
		t.Fatalf("subscribe: %+v", m)
	}
	agent := r.browser()
	agent.login("rossi")
	aws, _, err := agent.dial("/agent")
	if err != nil {
		t.Fatal(err)
	}
	if m := aws.call("subscribe", map[string]any{"topics": []string{TopicOpsRoom}}); m.Type != "error" {
		t.Fatalf("an agent subscribed to the operations room: %+v", m)
	}
	c, v := r.rescue("rossi", "Anziano isolato, casa allagata")
	m := ws.expect("opsroom.item")
	if m.Data["tracking_id"] != c.TrackingID || m.Data["state"] != "new" || m.Data["kind"] != "rescue" {
		t.Fatalf("item %v", m.Data)
	}
	ack := ws.call(MsgOpsAck, map[string]any{"id": v.ID})
	if ack.Type != "ack" || ack.Data["acked_by"] != "sala" {
		t.Fatalf("acknowledge %+v", ack)
	}
	// The agent who took the call hears it on their desk.
	up := aws.expect(MsgOpsUpdate)
	if up.Data["tracking_id"] != c.TrackingID || up.Data["acked_by"] != "sala" {
		t.Fatalf("agent told %v", up.Data)
	}
	if m := ws.call(MsgOpsStatus, map[string]any{"id": v.ID, "state": "exploded"}); m.Type != "error" {
		t.Fatalf("bad status accepted: %+v", m)
	}
	if m := ws.call(MsgOpsStatus, map[string]any{"id": v.ID, "state": "closed", "note": "Evacuato"}); m.Type != "ack" || m.Data["state"] != "closed" {
		t.Fatalf("close %+v", m)
	}
	// A screen that reconnects gets every open item from the list.
	_, v2 := r.rescue("rossi", "Secondo intervento")
	var list struct {
		Items []opsroom.ItemView
	}
	if err := json.Unmarshal([]byte(room.get("/opsroom/api/items").body), &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 2 || list.Items[0].ID != v2.ID || list.Items[1].State != store.OpsClosed {
		t.Fatalf("list %+v", list.Items)
	}
}

func TestCAPFeedForPeopleAndMachines(t *testing.T) {
	r := newOpsRig(t)
	r.user("rossi", store.RoleAgent)
	r.user("sala", store.RoleOpsRoom)
	_, v := r.rescue("rossi", "Ponte crollato")
	anon := r.browser()
	if g := anon.get("/opsroom/cap"); g.code != http.StatusUnauthorized {
		t.Fatalf("anonymous feed: %d", g.code)
	}
	anon.header.Set("Authorization", "Bearer not-the-token")
	if g := anon.get("/opsroom/cap"); g.code != http.StatusUnauthorized {
		t.Fatalf("wrong token: %d", g.code)
	}
	anon.header.Set("Authorization", "Bearer "+feedToken)
	feed := anon.get("/opsroom/cap")
	if feed.code != http.StatusOK || !strings.Contains(feed.resp.Header.Get("Content-Type"), "atom+xml") ||
		!strings.Contains(feed.body, fmt.Sprintf("/opsroom/cap/%d.xml", v.ID)) {
		t.Fatalf("feed %d %.400s", feed.code, feed.body)
	}
	alert := anon.get(fmt.Sprintf("/opsroom/cap/%d.xml", v.ID))
	if alert.code != http.StatusOK || !strings.Contains(alert.body, "<geocode>") {
		t.Fatalf("alert %d %.300s", alert.code, alert.body)
	}
	capValid(t, alert.body)
	if g := anon.get("/opsroom/cap/abc.xml"); g.code != http.StatusNotFound {
		t.Fatalf("bad alert name: %d", g.code)
	}
	room := r.browser()
	room.login("sala")
	if g := room.get("/opsroom/cap"); g.code != http.StatusOK {
		t.Fatalf("feed with a session: %d", g.code)
	}
}

func capValid(t *testing.T, doc string) {
	t.Helper()
	bin, err := exec.LookPath("xmllint")
	xsd := "../../shared/cap/CAP-v1.2.xsd"
	if _, serr := os.Stat(xsd); err != nil || serr != nil {
		t.Log("xmllint or the CAP schema missing: alert not validated")
		return
	}
	f := filepath.Join(t.TempDir(), "a.xml")
	os.WriteFile(f, []byte(doc), 0o600)
	if out, err := exec.Command(bin, "--noout", "--schema", xsd, f).CombinedOutput(); err != nil {
		t.Fatalf("CAP alert not valid: %s\n%s", out, doc)
	}
}

func TestReportsPageAPIAndExports(t *testing.T) {
	r := newOpsRig(t)
	r.user("rossi", store.RoleAgent)
	r.user("verdi", store.RoleSupervisor)
	flood := store.EmergencyEvent{Name: "Alluvione Romagna", Area: []string{"08"}}
	if err := r.db.OpenEvent(bg, &flood, "verdi"); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		r.rescue("rossi", fmt.Sprintf("Richiesta %d", i))
		r.clk.Advance(10 * time.Minute)
	}
	if _, err := r.rep.CatchUp(bg); err != nil {
		t.Fatal(err)
	}
	agent := r.browser()
	agent.login("rossi")
	if g := agent.get("/reports"); g.code != http.StatusForbidden {
		t.Fatalf("agent on /reports: %d", g.code)
	}
	sup := r.browser()
	sup.login("verdi")
	page := sup.get("/reports")
	if page.code != http.StatusOK || !strings.Contains(page.body, "Alluvione Romagna") || !strings.Contains(page.body, "Forlì (FC)") ||
		!strings.Contains(page.body, fmt.Sprintf("/reports/sitrep?event=%d", flood.ID)) {
		t.Fatalf("/reports %d %.500s", page.code, page.body)
	}
	var d report.Dashboard
	if err := json.Unmarshal([]byte(sup.get(fmt.Sprintf("/reports/api/dashboard?event=%d", flood.ID)).body), &d); err != nil {
		t.Fatal(err)
	}
	if d.Total != 5 || len(d.Comuni) != 1 || d.Comuni[0].Code != "040012" || d.OpenCounts["new"] != 5 {
		t.Fatalf("dashboard %+v", d)
	}
	csvBody := sup.get(fmt.Sprintf("/reports/export?format=csv&event=%d", flood.ID))
	recs, err := csv.NewReader(strings.NewReader(csvBody.body)).ReadAll()
	if err != nil || len(recs) != 6 || !strings.Contains(csvBody.resp.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("csv %d records %v", len(recs), err)
	}
	agg := sup.get(fmt.Sprintf("/reports/export?format=csv&event=%d&by=category,provincia&bucket=hour", flood.ID))
	if !strings.HasPrefix(agg.body, "bucket,category,category_label,provincia,provincia_label,n") {
		t.Fatalf("report csv %.200s", agg.body)
	}
	capx := sup.get(fmt.Sprintf("/reports/export?format=cap&event=%d", flood.ID))
	if capx.code != http.StatusOK || strings.Count(capx.body, "<alert") != 5 {
		t.Fatalf("cap export %d: %d alerts", capx.code, strings.Count(capx.body, "<alert"))
	}
	bad := sup.get("/reports/api/report?comune=999999")
	if bad.code != http.StatusBadRequest || !strings.Contains(bad.body, "999999") {
		t.Fatalf("unknown comune: %d %s", bad.code, bad.body)
	}
	bad = sup.get("/reports/export?format=csv&from=2020-01-01&to=2026-01-01&bucket=15m&by=category")
	if bad.code != http.StatusBadRequest || !strings.Contains(bad.body, "troppo lungo") {
		t.Fatalf("huge range: %d %s", bad.code, bad.body)
	}
	pdf := sup.get(fmt.Sprintf("/reports/sitrep?event=%d", flood.ID))
	if pdf.code != http.StatusOK || !bytes.HasPrefix([]byte(pdf.body), []byte("%PDF")) {
		t.Fatalf("sitrep %d %.100q", pdf.code, pdf.body)
	}
	machine := r.browser()
	machine.header.Set("Authorization", "Bearer "+feedToken)
	if g := machine.get(fmt.Sprintf("/reports/export?format=geojson&kind=comuni&event=%d", flood.ID)); g.code != http.StatusOK ||
		!strings.Contains(g.body, `"istat":"040012"`) || strings.Contains(g.body, `"geometry":null`) {
		t.Fatalf("machine export %d %.300s", g.code, g.body)
	}
	// A request with its comune only is still a point in the export: its
	// province's centroid, from the bundled boundaries, saying so.
	r.rescueAt("rossi", "Solo il comune", "039010", nil, nil)
	if _, err := r.rep.CatchUp(bg); err != nil {
		t.Fatal(err)
	}
	pts := machine.get(fmt.Sprintf("/reports/export?format=geojson&event=%d", flood.ID))
	var fc struct {
		Features []struct {
			Geometry   *struct{ Type string }
			Properties map[string]any
		}
	}
	if err := json.Unmarshal([]byte(pts.body), &fc); err != nil || len(fc.Features) != 6 {
		t.Fatalf("points export: %d features, %v", len(fc.Features), err)
	}
	for _, f := range fc.Features {
		want := geo.PrecisionExact
		if f.Properties["comune_istat"] == "039010" {
			want = geo.PrecisionProvincia
		}
		if f.Geometry == nil || f.Geometry.Type != "Point" || f.Properties["precision"] != want {
			t.Fatalf("request %v of %v: geometry %+v, precision %v", f.Properties["tracking_id"], f.Properties["comune_istat"], f.Geometry, f.Properties["precision"])
		}
	}
}

// TestBrowserOpsRoom: the operations room's screen in headless Chromium.
// A rescue request saved by an agent appears and sounds the alert; the
// room acknowledges it with the button; the case says so.
func TestBrowserOpsRoom(t *testing.T) {
	browser := startBrowser(t)
	shots := artifactsDir(t)
	r := newOpsRig(t)
	r.user("rossi", store.RoleAgent)
	r.user("sala", store.RoleOpsRoom)
	for _, f := range []string{"limits_IT_regions.geojson"} {
		if fh, err := os.Open("../../shared/geo/" + f); err == nil {
			bs, err := geo.ParseBoundaries(fh, geo.BoundaryOptions{})
			fh.Close()
			if err != nil {
				t.Fatal(err)
			}
			var sb []store.Boundary
			for _, b := range bs {
				sb = append(sb, store.Boundary{Code: b.Code, Name: b.Name, Geometry: b.Geometry})
			}
			if _, err := r.db.SaveBoundaries(bg, store.GeoRegione, sb, "test"); err != nil {
				t.Fatal(err)
			}
		}
	}
	b := r.tab(t, browser, shots)
	b.login("sala", "sala-password")
	b.open("/opsroom")
	b.waitFor(`document.getElementById("ws-status").dataset.state === "online"`)
	b.do(chromedp.Click(chromedp.CSS("#ops-sound")))
	b.waitFor(`document.getElementById("ops-sound").getAttribute("aria-pressed") === "true"`)
	// Give the page its subscription before the request arrives.
	b.waitFor(`document.getElementById("ops-root").dataset.waiting === "0"`)
	start := time.Now()
	c, v := r.rescue("rossi", "Famiglia bloccata, acqua al primo piano")
	b.waitFor(fmt.Sprintf(`document.querySelector('#ops-list [data-item="%d"]') !== null`, v.ID))
	t.Logf("saved → on the screen in %s (headless Chromium, one screen)", time.Since(start).Round(time.Millisecond))
	b.waitFor(`document.getElementById("ops-root").dataset.alerts === "1"`)
	b.waitFor(`+(document.getElementById("ops-root").dataset.beeps || 0) >= 2`)
	if got := b.text(fmt.Sprintf(`[data-item="%d"] .tracking`, v.ID)); got != c.TrackingID {
		t.Fatalf("card shows %q", got)
	}
	b.shot("ops-01-new-request")
	b.do(chromedp.Click(chromedp.CSS(fmt.Sprintf(`button[data-ack="%d"]`, v.ID))))
	b.waitFor(fmt.Sprintf(`document.querySelector('[data-item="%d"]').classList.contains("state-acknowledged")`, v.ID))
	it, err := r.ops.ItemForCase(context.Background(), c.ID)
	if err != nil || it.AckedBy != "sala" {
		t.Fatalf("acknowledged by %q (%v)", it.AckedBy, err)
	}
	tl, _ := r.db.Timeline(bg, c.ID)
	found := false
	for _, e := range tl {
		found = found || strings.Contains(e.Content, "Presa in carico dalla Sala Operativa (sala)")
	}
	if !found {
		t.Fatalf("the case's timeline lacks the acknowledgement: %+v", tl)
	}
	b.shot("ops-02-acknowledged")
	// The dashboard, with its map of the regions.
	if _, err := r.rep.CatchUp(bg); err != nil {
		t.Fatal(err)
	}
	b.open("/reports")
	b.waitFor(`document.getElementById("rep-root").dataset.refreshed >= "1"`)
	b.shot("ops-03-reports")
}

// TestBrowserOpsRoomMapFreshInstall: with nothing imported, the room's map
// draws the bundled regions and provinces, a filled marker for a request
// with the citizen's coordinates and a hollow, dashed one at the
// province's centroid for a request with only its comune, whose popup
// says the position is approximate; the attribution is under the map.
// Both pages pass axe-core and raise no JavaScript error.
func TestBrowserOpsRoomMapFreshInstall(t *testing.T) {
	browser := startBrowser(t)
	shots := artifactsDir(t)
	r := newOpsRig(t)
	r.user("rossi", store.RoleAgent)
	r.user("sala", store.RoleOpsRoom)
	lat, lon := 44.2227, 12.0407
	_, exact := r.rescueAt("rossi", "Anziana sola, acqua in casa", "040012", &lat, &lon)    // Forlì, with coordinates
	_, approx := r.rescueAt("rossi", "Sottopasso allagato, auto ferma", "039010", nil, nil) // Faenza, the comune only
	if exact.Position == nil || exact.Position.Precision != geo.PrecisionExact ||
		approx.Position == nil || approx.Position.Precision != geo.PrecisionProvincia {
		t.Fatalf("positions %+v %+v", exact.Position, approx.Position)
	}
	b := r.tab(t, browser, shots)
	b.login("sala", "sala-password")
	b.open("/opsroom")
	b.waitFor(`document.getElementById("ws-status").dataset.state === "online"`)
	b.waitFor(`document.getElementById("ops-root").dataset.shapes === "127"`) // 107 provinces, 20 regions
	if n := b.eval(`({n: document.querySelectorAll("#ops-map path.level-provincia").length})`)["n"]; n != float64(107) {
		t.Fatalf("%v provinces drawn", n)
	}
	exactDot := fmt.Sprintf(`#ops-map circle.ops-dot.exact[data-items~="%d"]`, exact.ID)
	approxDot := fmt.Sprintf(`#ops-map circle.ops-dot.approx[data-precision="provincia"][data-items~="%d"]`, approx.ID)
	b.waitFor(fmt.Sprintf(`document.querySelector('%s') !== null && document.querySelector('%s') !== null`, exactDot, approxDot))
	// The approximate marker is drawn hollow and dashed, the exact one filled.
	style := b.eval(fmt.Sprintf(`(() => { const a = getComputedStyle(document.querySelector('%s')), e = getComputedStyle(document.querySelector('%s'));
		return {dash: a.strokeDasharray, fill: a.fill, exactDash: e.strokeDasharray, exactFill: e.fill}; })()`, approxDot, exactDot))
	if style["dash"] == "none" || style["fill"] != "rgb(255, 255, 255)" || style["exactDash"] != "none" || style["exactFill"] == "rgb(255, 255, 255)" {
		t.Fatalf("marker styles %v", style)
	}
	// The approximate marker sits inside the province of Ravenna's shape.
	inside := b.eval(fmt.Sprintf(`(() => { const c = document.querySelector('%s'), svg = c.ownerSVGElement, p = svg.createSVGPoint();
		p.x = +c.getAttribute("cx"); p.y = +c.getAttribute("cy");
		const ra = document.querySelector('#ops-map path.level-provincia[data-code="039"]');
		return {inside: ra.isPointInFill(p)}; })()`, approxDot))
	if inside["inside"] != true {
		t.Fatalf("the approximate marker is not inside the province of Ravenna: %v", inside)
	}
	// The map zooms on the requests (Romagna), not all of Italy.
	if w := b.eval(`({w: document.querySelector("#ops-map svg").viewBox.baseVal.width})`)["w"].(float64); w > 400 {
		t.Fatalf("map not zoomed on the requests: viewBox width %v", w)
	}
	b.shot("ops-04-map-fresh-install")
	b.do(chromedp.Click(chromedp.CSS(approxDot)))
	b.waitFor(`!document.getElementById("ops-pop").hidden`)
	if got := b.text("#ops-pop-list"); !strings.Contains(got, approx.TrackingID) || !strings.Contains(got, "posizione approssimativa: centro della provincia") {
		t.Fatalf("popup says %q", got)
	}
	if got := b.text(fmt.Sprintf(`[data-item="%d"]`, approx.ID)); !strings.Contains(got, "posizione approssimativa") {
		t.Fatalf("card says %q", got)
	}
	if got := b.text("#ops-attrib"); !strings.Contains(got, "ISTAT") || !strings.Contains(got, "CC BY") || !strings.Contains(got, "openpolis") {
		t.Fatalf("attribution %q", got)
	}
	b.shot("ops-05-map-approximate")
	b.axe("/opsroom")
	// The dashboard's choropleth uses the bundled provinces too.
	if _, err := r.rep.CatchUp(bg); err != nil {
		t.Fatal(err)
	}
	b.open("/reports")
	b.waitFor(`document.getElementById("rep-root").dataset.map === "provincia"`)
	b.waitFor(`document.querySelectorAll("#rep-map path.rep-shape").length === 107`)
	if got := b.text(".ops-attrib"); !strings.Contains(got, "ISTAT") {
		t.Fatalf("reports attribution %q", got)
	}
	b.shot("ops-06-reports-fresh-install")
	b.axe("/reports")
	b.noJSErrors()
}
