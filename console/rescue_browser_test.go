package console

import (
	"strconv"
	"strings"
	"testing"

	"github.com/ascolto/ascolto/store"
	"github.com/chromedp/chromedp"
)

// TestBrowserRescueRequest: an agent fills the structured rescue request
// on the desk — hazard, people, vulnerable people, callback, place and a
// pin dropped on the comune's map — is told in Italian what is missing or
// wrong, saves it, and the operations room's screen shows it structured,
// each fact once, with CAP drawing the pin's circle.
func TestBrowserRescueRequest(t *testing.T) {
	browser := startBrowser(t)
	shots := artifactsDir(t)
	r := newOpsRig(t)
	r.user("rossi", store.RoleAgent)
	r.user("sala", store.RoleOpsRoom)
	// The desk's disposition does what ari.Desk does: a case for the call,
	// the disposition with its rescue request, the operations room.
	r.be.save = func(d Disposition) (DispositionResult, error) {
		c := store.Case{Channel: store.ChannelPhone, ContactPhone: "+390546600002", ComuneCode: d.ComuneCode,
			Summary: strings.SplitN(d.Notes, "\n", 2)[0]}
		if err := r.db.CreateCase(bg, &c); err != nil {
			return DispositionResult{}, err
		}
		u, _ := r.db.UserByName(bg, "rossi")
		sd := store.Disposition{CaseID: c.ID, UserID: u.ID, Category: d.Category, Outcome: d.Outcome, Urgency: d.Urgency,
			ComuneCode: d.ComuneCode, CallerType: d.CallerType, Notes: d.Notes}
		if d.Rescue != nil {
			rd := d.Rescue.Details()
			sd.Rescue = &rd
		}
		if err := r.db.SaveDisposition(bg, &sd, "rossi"); err != nil {
			return DispositionResult{}, err
		}
		v, _, err := r.ops.Submit(bg, c.ID, "rossi")
		return DispositionResult{CaseID: c.ID, TrackingID: c.TrackingID, Forwarded: v.Kind}, err
	}

	b := r.tab(t, browser, shots)
	b.login("rossi", "rossi-password")
	b.waitFor(`document.getElementById("ws-status").dataset.state === "online"`)
	seat, _ := r.be.AgentFor(bg, "rossi")
	r.be.setState(seat.ID, StateRinging, "")
	r.c.Offer("rossi", "call.offered", map[string]any{"call": "c1", "caller": "+390546600002", "queue": "soccorso",
		"ivr_path": []string{"benvenuto", "pericolo"}, "digits": "1", "urgency": "rescue", "rescue": true,
		"comune": "Faenza (RA)", "comune_code": "039010"})
	b.waitFor(`document.getElementById("pop-caller").textContent === "+390546600002"`)
	r.be.setState(seat.ID, StateOnCall, "c1")
	// The rescue pop selects «richiesta di soccorso»: the request's form is
	// shown, with the caller's number to call back and the comune's map.
	b.waitFor(`!document.getElementById("rescue").hidden`)
	b.waitFor(`document.getElementById("r-callback").value === "+390546600002"`)
	b.waitFor(`document.querySelectorAll("#r-map svg path.r-prov").length === 1 && document.getElementById("r-map-comune").textContent === "Faenza (RA)"`)
	b.do(chromedp.SetValue(chromedp.CSS("#d-category"), "idraulico"),
		chromedp.SetValue(chromedp.CSS("#d-outcome"), "inoltrata-sala-operativa"),
		chromedp.SendKeys(chromedp.CSS("#d-notes"), "Auto bloccata nel sottopasso, acqua alle portiere.\nDetto di salire sul tetto dell'auto."))
	// Started and incomplete: said on the page, in Italian (left empty,
	// the request would go as before, without its details).
	b.do(chromedp.SendKeys(chromedp.CSS("#r-place"), "sottopasso di Via Emilia"))
	b.do(chromedp.Click(chromedp.CSS("#d-save")))
	b.waitFor(`document.getElementById("disp-error").textContent === "Indica quante persone sono coinvolte (almeno 1)."`)
	b.waitFor(`document.activeElement.id === "r-people"`)
	b.do(chromedp.SendKeys(chromedp.CSS("#r-people"), "3"),
		chromedp.Click(chromedp.CSS("#r-v-children")), chromedp.Click(chromedp.CSS("#r-v-elderly")))
	// The server checks what the page does not: no hazard chosen.
	b.do(chromedp.Click(chromedp.CSS("#d-save")))
	b.waitFor(`document.getElementById("disp-error").textContent.startsWith("Scegli il pericolo.")`)
	b.waitFor(`document.activeElement.id === "r-hazard"`)
	b.do(chromedp.SetValue(chromedp.CSS("#r-hazard"), "water"))
	// A callback number that is not one.
	b.eval(`(() => { document.getElementById("r-callback").value = "chiamami"; return {}; })()`)
	b.do(chromedp.Click(chromedp.CSS("#d-save")))
	b.waitFor(`document.getElementById("disp-error").textContent.startsWith("Il numero da richiamare non è valido")`)
	b.waitFor(`document.activeElement.id === "r-callback"`)
	// Typing a number takes the reproach away at once.
	b.eval(`(() => { document.getElementById("r-callback").value = ""; return {}; })()`)
	b.do(chromedp.SendKeys(chromedp.CSS("#r-callback"), "+39 333 765 4321"))
	b.waitFor(`document.getElementById("disp-error").hidden`)
	// The pin: a click on the map.
	b.do(chromedp.Click(chromedp.CSS("#r-map svg")))
	b.waitFor(`document.getElementById("r-map").dataset.pinned === "1" && document.getElementById("r-lat").value !== ""`)
	pin := b.eval(`({lat: +document.getElementById("r-lat").value, lon: +document.getElementById("r-lon").value})`)
	lat, _ := pin["lat"].(float64)
	lon, _ := pin["lon"].(float64)
	if lat < 43.9 || lat > 44.8 || lon < 11.4 || lon > 12.8 {
		t.Fatalf("the pin at %v,%v is not in the province of Ravenna", lat, lon)
	}
	b.shot("30-desk-rescue-request") // checked by axe-core first
	b.do(chromedp.Click(chromedp.CSS("#d-save")))
	b.waitFor(`!document.getElementById("saved").hidden`)
	b.noJSErrors()

	saved := r.be.saved[len(r.be.saved)-1]
	if saved.Rescue == nil || saved.Rescue.People != 3 || saved.Rescue.Hazard != "water" || saved.Rescue.Lat == nil ||
		strings.Join(saved.Rescue.Vulnerable, ",") != "children,elderly" || saved.Rescue.RadiusM != 250 {
		t.Fatalf("the desk sent %+v", saved.Rescue)
	}

	room := r.tab(t, browser, shots)
	room.login("sala", "sala-password")
	room.open("/opsroom")
	room.waitFor(`document.getElementById("ws-status").dataset.state === "online"`)
	card := `document.querySelector("#ops-list .ops-item.kind-rescue")`
	room.waitFor(card + ` !== null && ` + card + `.textContent.includes("Acqua in aumento")`)
	text := room.text("#ops-list .ops-item.kind-rescue")
	for _, want := range []string{"Pericolo", "Acqua in aumento", "Persone coinvolte", "3", "Persone vulnerabili",
		"bambini, anziani", "+39 333 765 4321", "sottopasso di Via Emilia", "Faenza (RA)",
		"segnaposto dell'operatore, raggio 250 m", "Note dell'operatore"} {
		if !strings.Contains(text, want) {
			t.Errorf("the room's card lacks %q:\n%s", want, text)
		}
	}
	// The agent's notes once, not again under «Cosa».
	if n := strings.Count(text, "Auto bloccata nel sottopasso"); n != 1 {
		t.Errorf("the notes appear %d times on the card:\n%s", n, text)
	}
	room.shot("31-opsroom-rescue-structured")
	// The same after the screen draws it live (a new item over the WebSocket).
	got := room.eval(`fetch("/opsroom/api/items").then(r => r.json()).then(b => ({r: b.items[0].rescue, id: b.items[0].id}))`)
	rv, _ := got["r"].(map[string]any)
	if rv == nil || rv["hazard"] != "water" || rv["people"] != float64(3) || rv["callback"] != "+39 333 765 4321" {
		t.Fatalf("items API rescue %v", got)
	}
	capDoc := room.eval(`fetch("/opsroom/cap/" + ` + jsNum(got["id"]) + ` + ".xml").then(r => r.text()).then(x => ({x}))`)
	if x, _ := capDoc["x"].(string); !strings.Contains(x, " 0.25</circle>") || !strings.Contains(x, "<valueName>pericolo</valueName>") {
		t.Errorf("CAP alert:\n%s", x)
	}

	// Two more calls about rising water in Faenza: the room's feed and
	// map show one hotspot of three, rising, and the three requests stay
	// on the list each.
	r.rescueAt("rossi", "Acqua nel sottopasso, auto ferme", "039010", nil, nil)
	r.rescueAt("rossi", "Sottopasso allagato", "039010", nil, nil)
	room.waitFor(`document.querySelectorAll("#ops-hot-list .ops-hot").length === 1 && document.querySelectorAll("#ops-hot-list .ops-hot-members li").length === 3`)
	hot := room.text("#ops-hot-list .ops-hot strong")
	if hot != "3 richieste · Acqua in aumento · sottopasso di Via Emilia, Faenza (RA) · in aumento" {
		t.Errorf("hotspot reads %q", hot)
	}
	room.waitFor(`document.querySelectorAll("#ops-list .ops-item.kind-rescue").length === 3 && document.querySelector("#ops-map circle.ops-hotring[data-count='3']") !== null`)
	room.shot("32-opsroom-hotspot")
	room.noJSErrors()

	// The case page shows the same request, each fact in its place.
	tid, _ := room.eval(`fetch("/opsroom/api/items").then(r => r.json()).then(b => ({t: b.items.find(i => i.rescue && i.rescue.people === 3).tracking_id}))`)["t"].(string)
	room.open("/cases/" + tid)
	room.waitFor(`document.getElementById("rescue-hazard") !== null`)
	facts := room.text("#rescue")
	for _, want := range []string{"Acqua in aumento", "bambini, anziani", "+39 333 765 4321", "sottopasso di Via Emilia", "raggio 250 m"} {
		if !strings.Contains(facts, want) {
			t.Errorf("the case page's rescue request lacks %q:\n%s", want, facts)
		}
	}
	room.shot("33-case-rescue") // checked by axe-core first
}

func jsNum(v any) string {
	f, _ := v.(float64)
	return strconv.FormatInt(int64(f), 10)
}
