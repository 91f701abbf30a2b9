package console

import (
	"strings"
	"testing"
	"time"

	"github.com/ascolto/ascolto/store"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestBrowserSupervisionSeenByAll: a supervision started by one supervisor
// is marked on the agent's row of every supervisor's wallboard and wall
// display, live, with who and how; switching and stopping it, or the call
// ending, change or clear the mark everywhere, and a page opened later
// shows the supervisions already running.
func TestBrowserSupervisionSeenByAll(t *testing.T) {
	browser := startBrowser(t)
	shots := artifactsDir(t)
	t.Logf("screenshots in %s", shots)
	r := newRig(t, Config{IdleTimeout: time.Hour})
	r.user("rossi", store.RoleAgent)
	r.user("verdi", store.RoleSupervisor)
	r.user("conti", store.RoleSupervisor)
	r.be.mu.Lock()
	r.be.agents[r.be.byUser["verdi"]].Name = "Luca Verdi"
	r.be.agents[r.be.byUser["conti"]].Name = "Carla Conti"
	r.be.mu.Unlock()
	seat, _ := r.be.AgentFor(bg, "rossi")
	r.be.setState(seat.ID, StateOnCall, "c1")

	// Luca on the wallboard, Carla on the wall display.
	a := r.tab(t, browser, shots)
	a.login("verdi", "verdi-password")
	a.open("/supervisor")
	c := r.tab(t, browser, shots)
	c.login("conti", "conti-password")
	c.open("/supervisor/wall")
	for _, x := range []*tab{a, c} {
		x.waitFor(`document.getElementById("ws-status").dataset.state === "online"`)
	}
	row := `#wall-agents tr[data-agent="` + seat.ID + `"]`
	mark := func(x *tab, want string) {
		t.Helper()
		x.waitFor(`(() => { const m = document.querySelector('` + row + ` .watch-mark');
			return m !== null && (` + "`" + want + "`" + ` === "" ? m.hidden && !m.closest("tr").classList.contains("watched")
				: !m.hidden && m.textContent === ` + "`" + want + "`" + ` && m.closest("tr").classList.contains("watched")); })()`)
	}
	mark(a, "")
	mark(c, "")

	// Luca listens: both see it, each in their own words.
	a.menu(seat.ID, `{"watch":"listen"}`)
	mark(a, "in ascolto (tu)")
	mark(c, "Luca Verdi in ascolto")
	// Carla's menu offers no stop for Luca's supervision.
	c.openMenu(seat.ID)
	if got := c.text("#wall-menu"); strings.Contains(got, "Termina supervisione") {
		t.Errorf("another's supervision can be stopped from Carla's menu: %q", got)
	}
	c.shot("45-wall-supervision-by-another")
	c.do(chromedp.KeyEvent(kb.Escape))

	// Luca barges in; Carla listens too.
	a.menu(seat.ID, `{"watch":"barge"}`)
	mark(c, "Luca Verdi in conferenza")
	c.menu(seat.ID, `{"watch":"listen"}`)
	mark(a, "Carla Conti in ascolto; in conferenza (tu)")
	mark(c, "in ascolto (tu); Luca Verdi in conferenza")
	a.shot("46-supervisor-two-supervisions")

	// A wallboard opened now shows both at once.
	late := r.tab(t, browser, shots)
	late.login("verdi", "verdi-password")
	late.open("/supervisor/wall")
	mark(late, "Carla Conti in ascolto; in conferenza (tu)")

	// Luca stops: only Carla's is left, everywhere.
	a.menu(seat.ID, `{"stop":true}`)
	mark(a, "Carla Conti in ascolto")
	mark(c, "in ascolto (tu)")
	mark(late, "Carla Conti in ascolto")

	// In English.
	c.do(chromedp.Click(chromedp.CSS(`form.lang button[value="en"]`)))
	c.waitFor(`document.documentElement.lang === "en"`)
	c.waitFor(`document.getElementById("ws-status").dataset.state === "online"`)
	a.menu(seat.ID, `{"watch":"whisper"}`)
	mark(c, "listening (you); Luca Verdi whispering")
	c.shot("47-wall-supervisions-en")

	// The call ends, and so do its supervisions: the marks go.
	r.be.setState(seat.ID, StateWrapUp, "")
	for _, x := range []*tab{a, c, late} {
		mark(x, "")
	}
	for _, x := range []*tab{a, c, late} {
		x.noJSErrors()
	}
}
