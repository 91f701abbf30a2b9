package console

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/ascolto/ascolto/geo"
	"github.com/ascolto/ascolto/store"
)

// deskData is what the agent desk shows before the WebSocket takes over.
type deskData struct {
	Agent   AgentView
	HasSeat bool
	Reasons []PauseReason
	Notice  string // catalog key: ACD not connected, no seat
	// The disposition form's vocabularies, from the store.
	Categories  []store.Term
	Outcomes    []store.Term
	CallerTypes []store.Term
	// Hazards a rescue request names (store.Hazards).
	Hazards []string
	// Queues to transfer to.
	Queues []string
	// Softphone: the WSS address and SIP domain; empty when the console
	// has no WebRTC softphone configured.
	SoftphoneWSS    string
	SoftphoneDomain string
	// SoftphoneUser is the SIP user the softphone registers as: the
	// seat's PJSIP endpoint, which is what the ACD rings; empty for a
	// seat whose phone is not the console's softphone (kind sip).
	SoftphoneUser string
}

// agentPage is the agent desk: state control, phone and softphone, the
// call panel (screen pop, call controls, disposition form, wrap-up
// reminders) and the knowledge-base panel.
func (c *Console) agentPage(v *visit) error {
	ctx := v.r.Context()
	d := deskData{SoftphoneWSS: c.cfg.Softphone.WSSURL, SoftphoneDomain: c.cfg.Softphone.Domain, Hazards: store.Hazards}
	a, err := c.backend.AgentFor(ctx, v.user.Username)
	switch {
	case err == nil:
		d.Agent, d.HasSeat = a, true
		// Only a seat whose phone is the softphone drives one: an agent at a
		// desk phone who connected it would register over the desk phone's
		// endpoint and take its place (max_contacts = 1, remove_existing).
		if a.Phone.Kind == "webrtc" {
			d.SoftphoneUser = sipUser(a)
		}
	case errors.Is(err, ErrNotWired):
		d.Notice = "error.notwired"
	case errors.Is(err, ErrNoAgent):
		d.Notice = "error.noagent"
	default:
		return err
	}
	if d.HasSeat {
		if d.Reasons, err = c.backend.PauseReasons(ctx); err != nil && !errors.Is(err, ErrNotWired) {
			return err
		}
	}
	for _, voc := range []struct {
		v  store.Vocabulary
		to *[]store.Term
	}{{store.Categories, &d.Categories}, {store.Outcomes, &d.Outcomes}, {store.CallerTypes, &d.CallerTypes}} {
		if *voc.to, err = c.db.Terms(ctx, voc.v, false); err != nil {
			return err
		}
	}
	if d.Queues, err = c.db.QueueNames(ctx); err != nil {
		return err
	}
	p := c.newPage(v, "desk.title", d)
	p.Topics = "queues mode kb"
	p.Scripts = []string{"rescue.js", "desk.js"}
	if d.SoftphoneWSS != "" && d.SoftphoneUser != "" {
		p.Scripts = append([]string{"vendor/jssip/jssip.min.js", "softphone.js"}, p.Scripts...)
	} else {
		p.Scripts = append([]string{"softphone.js"}, p.Scripts...)
	}
	return c.render(v, http.StatusOK, "agent", p)
}

// sipUser is the SIP user of the seat's in-page softphone: the resource of
// its PJSIP endpoint (PJSIP/anna.rossi → anna.rossi), since Asterisk
// identifies a registration by the endpoint's name and the ACD dials that
// endpoint; the extension only when the endpoint is not a plain PJSIP one.
// A softphone registered as the extension of a seat whose endpoint is
// named otherwise is refused, or worse takes another endpoint's place.
func sipUser(a AgentView) string {
	tech, res, ok := strings.Cut(a.Phone.Endpoint, "/")
	if !ok || !strings.EqualFold(tech, "PJSIP") || res == "" || strings.ContainsAny(res, "@/;:?& \t") {
		return a.ID
	}
	return res
}

// fill checks the softphone settings and derives the SIP domain from the
// WSS address when it is not given.
func (s *Softphone) fill() error {
	if s.WSSURL == "" {
		return nil
	}
	u, err := url.Parse(s.WSSURL)
	if err != nil || (u.Scheme != "wss" && u.Scheme != "ws") || u.Host == "" {
		return errors.New("console: softphone WSS URL must look like wss://pbx.example.it:8089/ws")
	}
	if s.Domain == "" {
		s.Domain = u.Hostname()
	}
	if strings.ContainsAny(s.Domain, " /@:") {
		return errors.New("console: softphone SIP domain must be a host name such as pbx.example.it")
	}
	return nil
}

// connectOrigin is the softphone's WebSocket origin for the page's
// Content-Security-Policy (connect-src), or "".
func (s Softphone) connectOrigin() string {
	if s.WSSURL == "" {
		return ""
	}
	u, err := url.Parse(s.WSSURL)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// placeIndex is the comuni type-ahead, built from the store on first use.
type placeIndex struct {
	mu  sync.Mutex
	idx *geo.Index
}

func (p *placeIndex) get(ctx context.Context, db *store.DB) (*geo.Index, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.idx != nil {
		return p.idx, nil
	}
	places, err := db.Places(ctx)
	if err != nil {
		return nil, err
	}
	p.idx = geo.NewIndex(places)
	return p.idx, nil
}

// comuneHit is one type-ahead suggestion.
type comuneHit struct {
	Code  string `json:"code"`
	Label string `json:"label"`
	// Text is what the input shows once chosen: the label and the code,
	// so the form sends the code whether or not the script runs.
	Text string `json:"text"`
}

// comuniAPI answers the disposition form's comune type-ahead: a name
// prefix ("aquil", accents and apostrophes ignored) or a 6-digit ISTAT code.
func (c *Console) comuniAPI(v *visit) error {
	q := strings.TrimSpace(v.r.URL.Query().Get("q"))
	if q == "" || utf8.RuneCountInString(q) > 60 {
		return failure(http.StatusBadRequest, "desk.comunequery")
	}
	idx, err := c.places.get(v.r.Context(), c.db)
	if err != nil {
		return err
	}
	var places []geo.Place
	switch {
	case sixDigits(q):
		if p, ok := idx.ByCode(q); ok {
			places = append(places, p)
		}
	case v.r.URL.Query().Get("exact") == "1":
		// A name typed in full: the comuni with exactly that name.
		places = idx.Exact(q)
	default:
		places = idx.Search(q, 10)
	}
	out := make([]comuneHit, 0, len(places))
	for _, p := range places {
		out = append(out, comuneHit{Code: p.Code, Label: p.Label(), Text: p.Label() + " · " + p.Code})
	}
	writeJSON(v.w, http.StatusOK, map[string]any{"results": out})
	return nil
}
