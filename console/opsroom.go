package console

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ascolto/ascolto/opsroom"
	"github.com/ascolto/ascolto/report"
	"github.com/ascolto/ascolto/store"
)

// The operations room's pages: /opsroom, the live list and map of rescue
// requests and situation reports with acknowledgement and status updates,
// and its machine feeds (/opsroom/cap, an Atom feed of CAP 1.2 alerts);
// /reports, the dashboard, with its exports and the PDF sitrep.

// Permissions of the operations room's pages (authz.go lists their roles).
const (
	// PermOpsAct acknowledges items and updates their status: the
	// operations room's own people (and admins).
	PermOpsAct Permission = "opsroom.act"
	// PermReports reads the dashboard, the exports and the sitrep.
	PermReports Permission = "reports"
)

// Topics of the operations room.
const (
	// TopicOpsRoom carries every item as it changes ("opsroom.item"),
	// escalations ("opsroom.escalated") and the hotspots as time changes
	// them ("opsroom.hotspots"): the room's screens.
	TopicOpsRoom = "opsroom"
	// TopicOpsAlerts carries escalations to the coordinators' wallboard.
	TopicOpsAlerts = "opsroom.alerts"
)

// Message types of the operations room.
const (
	MsgOpsAck    = "opsroom.ack"    // in: {id}
	MsgOpsStatus = "opsroom.status" // in: {id, state, assignee, note}
	// MsgOpsUpdate goes to the agent who forwarded an item (their
	// user:NAME topic) whenever the room acknowledges or updates it.
	MsgOpsUpdate = "opsroom.update"
)

// recentlyClosed is how long a closed item stays on the room's screen.
const recentlyClosed = 6 * time.Hour

// opsPages holds what the operations room's handlers need.
type opsPages struct {
	c     *Console
	ops   *opsroom.Service
	rep   *report.Service
	token string
}

// MountOpsRoom registers the operations room's pages and feeds and its
// WebSocket messages. Its permissions, message types and topics must be
// in the authorization table (authz.go), or HandleMessage panics at start.
func (c *Console) MountOpsRoom(m Mux, ops *opsroom.Service, rep *report.Service) {
	c.cat.add(opsCatalog)
	o := &opsPages{c: c, ops: ops, rep: rep, token: ops.Config().FeedToken}
	signed := func(p Permission, h func(*visit) error) http.Handler {
		return route{c: c, access: accessSignedIn, perm: p, h: h}
	}
	api := func(p Permission, h func(*visit) error) http.Handler {
		return route{c: c, access: accessSignedIn, perm: p, api: true, h: h}
	}
	m.Handle("GET /opsroom", signed(PermOpsRoom, o.page))
	m.Handle("GET /opsroom/api/items", api(PermOpsRoom, o.itemsAPI))
	m.Handle("GET /opsroom/api/items/{id}", api(PermOpsRoom, o.itemAPI))
	m.Handle("GET /opsroom/api/hotspots", api(PermOpsRoom, o.hotspotsAPI))
	m.Handle("GET /opsroom/api/deliveries", api(PermOpsRoom, o.deliveriesAPI))
	m.Handle("POST /opsroom/items/{id}/ack", signed(PermOpsAct, o.ackForm))
	m.Handle("POST /opsroom/items/{id}/status", signed(PermOpsAct, o.statusForm))
	m.Handle("GET /opsroom/cap", o.machine(PermOpsRoom, o.capFeed))
	m.Handle("GET /opsroom/cap/{file}", o.machine(PermOpsRoom, o.capAlert))

	m.Handle("GET /reports", signed(PermReports, o.reportsPage))
	m.Handle("GET /reports/api/dashboard", api(PermReports, o.dashboardAPI))
	m.Handle("GET /reports/api/report", api(PermReports, o.reportAPI))
	m.Handle("GET /reports/api/boundaries", api(PermReports, o.boundariesAPI))
	m.Handle("GET /reports/export", o.machine(PermReports, o.export))
	m.Handle("GET /reports/sitrep", o.machine(PermReports, o.sitrep))

	c.HandleMessage(MsgOpsAck, o.msgAck)
	c.HandleMessage(MsgOpsStatus, o.msgStatus)
}

// machine serves a feed to the operations room's systems with the feed
// token (Authorization: Bearer …) and to people with their session.
func (o *opsPages) machine(p Permission, h func(*visit) error) http.Handler {
	people := route{c: o.c, access: accessSignedIn, perm: p, api: true, h: h}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		tok, ok := strings.CutPrefix(auth, "Bearer ")
		if auth == "" || !ok {
			people.ServeHTTP(w, r)
			return
		}
		o.c.securityHeaders(w)
		v := &visit{w: w, r: r, lang: "it"}
		v.remote, v.secure = o.c.client(r)
		if o.token == "" || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(tok)), []byte(o.token)) != 1 {
			o.c.log.Info("feed token refused")
			w.Header().Set("WWW-Authenticate", `Bearer realm="ascolto"`)
			o.c.fail(v, failure(http.StatusUnauthorized, "error.signin"), true)
			return
		}
		if err := h(v); err != nil {
			o.c.fail(v, err, true)
		}
	})
}

// OpsItemChanged publishes an item to the operations room's screens: kept
// by the hub while open (a screen that syncs gets it), forgotten once
// closed. It makes the Console an opsroom.Publisher.
func (c *Console) OpsItemChanged(v opsroom.ItemView) {
	key := strconv.FormatInt(v.ID, 10)
	if v.Open() {
		c.hub.Publish(TopicOpsRoom, "opsroom.item", key, v)
		return
	}
	c.hub.Send(TopicOpsRoom, "opsroom.item", v)
	c.hub.Publish(TopicOpsRoom, "opsroom.item", key, nil)
}

// OpsItemToAgent tells the agent who forwarded an item what the room did.
func (c *Console) OpsItemToAgent(username string, v opsroom.ItemView) {
	if username != "" {
		c.hub.Send(UserTopic(username), MsgOpsUpdate, v)
	}
}

// OpsEscalated repeats the alert on the room's screens and tells the
// coordinators.
func (c *Console) OpsEscalated(e opsroom.Escalation) {
	c.hub.Send(TopicOpsRoom, "opsroom.escalated", e)
	c.hub.Send(TopicOpsAlerts, "opsroom.escalated", e)
}

// OpsHotspotsChanged sends the room's screens the hotspots as time has
// changed them (trends falling, groups leaving the hour).
func (c *Console) OpsHotspotsChanged(hs []opsroom.HotspotView) {
	c.hub.Send(TopicOpsRoom, "opsroom.hotspots", map[string]any{"hotspots": hs, "at": c.clock.Now()})
}

// opsData is what /opsroom renders before its script takes over: every
// card works without script (forms with their tokens).
type opsData struct {
	Cards     []opsCard
	New       int
	CanAct    bool
	Assignees []string
	Strings   map[string]string
}

// opsCard is one item on the page, with the page for its texts and tokens.
type opsCard struct {
	I      opsroom.ItemView
	P      *page
	CanAct bool
}

func (o *opsPages) page(v *visit) error {
	items, err := o.ops.Items(v.r.Context(), recentlyClosed)
	if err != nil {
		return err
	}
	d := &opsData{CanAct: o.c.policy.allows(v.user.Role, PermOpsAct), Assignees: opsroom.Assignees,
		Strings: map[string]string{}}
	for _, it := range items {
		if it.State == store.OpsNew {
			d.New++
		}
	}
	for k := range o.c.cat {
		if strings.HasPrefix(k, "ops.") {
			d.Strings[k] = o.c.cat.t(v.lang, k)
		}
	}
	p := o.c.newPage(v, "ops.title", d)
	p.Topics = "mode"
	p.Scripts = []string{"opsroom.js"}
	for _, it := range items {
		d.Cards = append(d.Cards, opsCard{I: it, P: p, CanAct: d.CanAct})
	}
	return o.c.render(v, http.StatusOK, "opsroom", p)
}

// itemsAPI is what a screen fetches when it (re)connects: every open item
// and those closed lately, so nothing missed while offline stays missed.
func (o *opsPages) itemsAPI(v *visit) error {
	items, err := o.ops.Items(v.r.Context(), recentlyClosed)
	if err != nil {
		return err
	}
	writeJSON(v.w, http.StatusOK, map[string]any{"items": items, "at": o.c.clock.Now()})
	return nil
}

func pathID(v *visit) (int64, error) {
	id, err := strconv.ParseInt(v.r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, failure(http.StatusNotFound, "error.notfound")
	}
	return id, nil
}

func (o *opsPages) itemAPI(v *visit) error {
	id, err := pathID(v)
	if err != nil {
		return err
	}
	d, err := o.ops.Item(v.r.Context(), id)
	if err != nil {
		return err
	}
	type event struct {
		At     time.Time      `json:"at"`
		Kind   string         `json:"kind"`
		Actor  string         `json:"actor"`
		Detail map[string]any `json:"detail,omitempty"`
	}
	type delivery struct {
		ID       string    `json:"id"`
		Event    string    `json:"event"`
		State    string    `json:"state"`
		Attempts int       `json:"attempts"`
		Status   int       `json:"last_status,omitempty"`
		Error    string    `json:"last_error,omitempty"`
		Created  time.Time `json:"created_at"`
	}
	out := struct {
		Item       opsroom.ItemView `json:"item"`
		History    []event          `json:"history"`
		Deliveries []delivery       `json:"deliveries"`
	}{Item: d.Item, History: []event{}, Deliveries: []delivery{}}
	for _, h := range d.History {
		out.History = append(out.History, event{h.At, h.Kind, h.Actor, h.Detail})
	}
	for _, x := range d.Deliveries {
		out.Deliveries = append(out.Deliveries, delivery{x.DeliveryID, x.Event, x.State, x.Attempts, x.LastStatus, x.LastError, x.CreatedAt})
	}
	writeJSON(v.w, http.StatusOK, out)
	return nil
}

// deliveriesAPI lists the latest webhook deliveries with their state,
// attempts and last error, and the counts by state: is the room's system
// getting what we send?
func (o *opsPages) deliveriesAPI(v *visit) error {
	list, counts, err := o.ops.Deliveries(v.r.Context(), 100)
	if err != nil {
		return err
	}
	type delivery struct {
		ID       string    `json:"id"`
		Item     int64     `json:"item"`
		Event    string    `json:"event"`
		State    string    `json:"state"`
		Attempts int       `json:"attempts"`
		Next     time.Time `json:"next_attempt_at,omitzero"`
		Status   int       `json:"last_status,omitempty"`
		Error    string    `json:"last_error,omitempty"`
		Created  time.Time `json:"created_at"`
		Sent     time.Time `json:"sent_at,omitzero"`
	}
	out := []delivery{}
	for _, d := range list {
		x := delivery{d.DeliveryID, d.ItemID, d.Event, d.State, d.Attempts, time.Time{}, d.LastStatus, d.LastError, d.CreatedAt, d.SentAt}
		if d.State == store.DeliveryQueued {
			x.Next = d.NextAttemptAt
		}
		out = append(out, x)
	}
	writeJSON(v.w, http.StatusOK, map[string]any{"counts": counts, "deliveries": out, "configured": o.ops.Config().WebhookURL != ""})
	return nil
}

// ackForm and statusForm are the page's forms for browsers without script.
func (o *opsPages) ackForm(v *visit) error {
	id, err := pathID(v)
	if err != nil {
		return err
	}
	if _, err := o.ops.Acknowledge(v.r.Context(), id, v.user.Username); err != nil {
		return opsError(err)
	}
	return redirect(v, "/opsroom?done=opsacked") // audited by the acknowledgement itself
}

func (o *opsPages) statusForm(v *visit) error {
	id, err := pathID(v)
	if err != nil {
		return err
	}
	f := v.r.PostForm
	u := opsroom.StatusUpdate{State: f.Get("state"), Assignee: f.Get("assignee"), Note: f.Get("note")}
	if _, err := o.ops.SetStatus(v.r.Context(), id, u, v.user.Username); err != nil {
		return opsError(err)
	}
	return redirect(v, "/opsroom?done=opsupdated")
}

// opsError says in the room's words why an action was refused.
func opsError(err error) error {
	switch {
	case errors.Is(err, store.ErrConflict):
		return &userError{code: http.StatusConflict, key: "ops.already", detail: strings.TrimPrefix(err.Error(), store.ErrConflict.Error()+": ")}
	case errors.Is(err, store.ErrAlreadyClosed):
		return failure(http.StatusConflict, "ops.closed")
	}
	return err
}

type opsAck struct {
	ID int64 `json:"id"`
}

func (o *opsPages) msgAck(ctx context.Context, m *Message) (any, error) {
	var d opsAck
	if err := m.Decode(&d); err != nil {
		return nil, err
	}
	if d.ID <= 0 {
		return nil, badMessage("id must be a positive item id")
	}
	v, err := o.ops.Acknowledge(ctx, d.ID, m.Actor.Username)
	if err != nil {
		return nil, opsError(err)
	}
	return v, nil
}

type opsStatus struct {
	ID       int64  `json:"id"`
	State    string `json:"state"`
	Assignee string `json:"assignee,omitempty"`
	Note     string `json:"note,omitempty"`
}

func (o *opsPages) msgStatus(ctx context.Context, m *Message) (any, error) {
	var d opsStatus
	if err := m.Decode(&d); err != nil {
		return nil, err
	}
	if d.ID <= 0 {
		return nil, badMessage("id must be a positive item id")
	}
	if d.State != store.OpsAssigned && d.State != store.OpsClosed {
		return nil, badMessage("state must be assigned or closed")
	}
	v, err := o.ops.SetStatus(ctx, d.ID, opsroom.StatusUpdate{State: d.State, Assignee: d.Assignee, Note: d.Note}, m.Actor.Username)
	if err != nil {
		return nil, opsError(err)
	}
	return v, nil
}

// baseURL is where links in feeds point: the configured public address,
// or the address this request came to.
func (o *opsPages) baseURL(v *visit) string {
	if u := o.ops.Config().PublicURL; u != "" {
		return u
	}
	scheme := "http"
	if v.secure {
		scheme = "https"
	}
	return scheme + "://" + v.r.Host
}

// capFeed is the Atom feed of the current alerts: every item not closed.
func (o *opsPages) capFeed(v *visit) error {
	items, err := o.ops.Items(v.r.Context(), 0)
	if err != nil {
		return err
	}
	updated := o.c.clock.Now()
	if len(items) > 0 {
		updated = items[0].UpdatedAt
		for _, it := range items {
			if it.UpdatedAt.After(updated) {
				updated = it.UpdatedAt
			}
		}
	}
	i := 0
	v.w.Header().Set("Content-Type", "application/atom+xml; charset=utf-8")
	v.w.Header().Set("Cache-Control", "no-store")
	return opsroom.WriteFeed(v.w, opsroom.FeedOptions{CAPOptions: o.capOptions(v), Self: "/opsroom/cap", Updated: updated}, func() (opsroom.ItemView, bool) {
		if i == len(items) {
			return opsroom.ItemView{}, false
		}
		i++
		return items[i-1], true
	})
}

// capAlert serves one item's alert at /opsroom/cap/{id}.xml.
func (o *opsPages) capAlert(v *visit) error {
	name, ok := strings.CutSuffix(v.r.PathValue("file"), ".xml")
	id, err := strconv.ParseInt(name, 10, 64)
	if !ok || err != nil || id <= 0 {
		return failure(http.StatusNotFound, "error.notfound")
	}
	d, err := o.ops.Item(v.r.Context(), id)
	if err != nil {
		return err
	}
	v.w.Header().Set("Content-Type", "application/cap+xml; charset=utf-8")
	v.w.Header().Set("Cache-Control", "no-store")
	return opsroom.WriteCAP(v.w, d.Item, o.capOptions(v))
}

// reportProblem writes a refused question in the person's language.
func (o *opsPages) reportProblem(v *visit, err error) error {
	var p *report.Problem
	if errors.As(err, &p) {
		writeJSON(v.w, http.StatusBadRequest, map[string]string{"error": "invalid", "message": p.In(v.lang)})
		return nil
	}
	return err
}

// reportsData is what /reports renders before its script takes over.
type reportsData struct {
	Dashboard report.Dashboard
	Events    []store.EmergencyEvent
	EventID   int64
	From, To  string
	Query     string // the filters, for the export links
	Problem   string
	Strings   map[string]string
}

func (o *opsPages) reportsPage(v *visit) error {
	ctx := v.r.Context()
	d := reportsData{Strings: map[string]string{}}
	var err error
	if d.Events, err = o.c.db.Events(ctx, false); err != nil {
		return err
	}
	vals := v.r.URL.Query()
	if vals.Get("event") == "" && vals.Get("from") == "" && len(d.Events) > 0 && d.Events[0].Open() {
		vals.Set("event", strconv.FormatInt(d.Events[0].ID, 10)) // the emergency under way
	}
	q, err := report.ParseQuery(vals)
	if err == nil {
		d.Dashboard, err = o.rep.Dashboard(ctx, q, v.lang)
	}
	if err != nil {
		var p *report.Problem
		if !errors.As(err, &p) {
			return err
		}
		d.Problem = p.In(v.lang)
	}
	d.EventID, d.From, d.To = q.EventID, vals.Get("from"), vals.Get("to")
	keep := url.Values{}
	for _, k := range []string{"event", "from", "to", "site", "mode"} {
		if x := vals.Get(k); x != "" {
			keep.Set(k, x)
		}
	}
	d.Query = keep.Encode()
	for k := range opsCatalog {
		if strings.HasPrefix(k, "rep.") {
			d.Strings[k] = o.c.cat.t(v.lang, k)
		}
	}
	p := o.c.newPage(v, "rep.title", d)
	p.Topics = "mode"
	p.Scripts = []string{"reports.js"}
	return o.c.render(v, http.StatusOK, "reports", p)
}

func (o *opsPages) dashboardAPI(v *visit) error {
	q, err := report.ParseQuery(v.r.URL.Query())
	if err != nil {
		return o.reportProblem(v, err)
	}
	d, err := o.rep.Dashboard(v.r.Context(), q, v.lang)
	if err != nil {
		return o.reportProblem(v, err)
	}
	writeJSON(v.w, http.StatusOK, d)
	return nil
}

func (o *opsPages) reportAPI(v *visit) error {
	q, err := report.ParseQuery(v.r.URL.Query())
	if err != nil {
		return o.reportProblem(v, err)
	}
	res, err := o.rep.Ask(v.r.Context(), q, v.lang)
	if err != nil {
		return o.reportProblem(v, err)
	}
	writeJSON(v.w, http.StatusOK, res)
	return nil
}

// boundariesAPI serves a level's boundaries as one GeoJSON
// FeatureCollection for the dashboard's map (cached an hour: they change
// with an import).
func (o *opsPages) boundariesAPI(v *visit) error {
	level := v.r.URL.Query().Get("level")
	if level != store.GeoRegione && level != store.GeoProvincia && level != store.GeoComune {
		writeJSON(v.w, http.StatusBadRequest, map[string]string{"error": "invalid", "message": "level: regione, provincia, comune"})
		return nil
	}
	bs, err := o.rep.Boundaries(v.r.Context(), level)
	if err != nil {
		return err
	}
	v.w.Header().Set("Content-Type", "application/geo+json")
	v.w.Header().Set("Cache-Control", "private, max-age=3600")
	v.w.WriteHeader(http.StatusOK)
	fmt.Fprint(v.w, `{"type":"FeatureCollection","features":[`)
	for i, b := range bs {
		if i > 0 {
			fmt.Fprint(v.w, ",")
		}
		props, _ := json.Marshal(map[string]string{"code": b.Code, "name": b.Name})
		fmt.Fprintf(v.w, `{"type":"Feature","properties":%s,"geometry":%s}`, props, b.Geometry)
	}
	_, err = fmt.Fprint(v.w, "]}\n")
	return err
}

// export streams /reports/export?format=csv|geojson|cap&… : with by=…, the
// report's answer in that format; without, every request (csv), the
// geolocated ones as points (geojson; kind=comuni for per-comune
// aggregates), or the operations room's alerts of the period (cap).
func (o *opsPages) export(v *visit) error {
	ctx := v.r.Context()
	vals := v.r.URL.Query()
	format, kind := vals.Get("format"), vals.Get("kind")
	q, err := report.ParseQuery(vals)
	if err != nil {
		return o.reportProblem(v, err)
	}
	p, err := o.rep.Check(ctx, q)
	if err != nil {
		return o.reportProblem(v, err)
	}
	stamp := p.From.In(time.UTC).Format("20060102") + "-" + p.To.In(time.UTC).Format("20060102")
	h := v.w.Header()
	h.Set("Cache-Control", "no-store")
	attach := func(ctype, ext string) {
		h.Set("Content-Type", ctype)
		h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="ascolto-%s.%s"`, stamp, ext))
	}
	flush := func() {
		if f, ok := v.w.(http.Flusher); ok {
			f.Flush()
		}
	}
	rc := http.NewResponseController(v.w)
	rc.SetWriteDeadline(time.Time{}) // a ten-million-row export takes minutes
	switch {
	case len(q.By) > 0 && (format == report.FormatCSV || format == report.FormatJSON || format == report.FormatGeoJSON):
		res, err := o.rep.Run(ctx, p, v.lang)
		if err != nil {
			return o.reportProblem(v, err)
		}
		switch format {
		case report.FormatCSV:
			attach("text/csv; charset=utf-8", "csv")
			return report.WriteCSV(v.w, res)
		case report.FormatJSON:
			attach("application/json", "json")
			return report.WriteJSON(v.w, res)
		}
		attach("application/geo+json", "geojson")
		return o.rep.WriteGeoJSON(ctx, v.w, p, res)
	case format == report.FormatCSV:
		attach("text/csv; charset=utf-8", "csv")
		_, err := o.rep.ExportRequests(ctx, v.w, p, format, flush)
		return err
	case format == report.FormatGeoJSON && kind == "comuni":
		attach("application/geo+json", "geojson")
		return o.rep.ExportComuni(ctx, v.w, p)
	case format == report.FormatGeoJSON:
		attach("application/geo+json", "geojson")
		_, err := o.rep.ExportRequests(ctx, v.w, p, format, flush)
		return err
	case format == report.FormatCAP:
		return o.capExport(v, p, stamp)
	}
	writeJSON(v.w, http.StatusBadRequest, map[string]string{"error": "invalid",
		"message": o.c.cat.t(v.lang, "rep.badformat")})
	return nil
}

// capExport writes the alerts of the items forwarded in the period as an
// Atom feed with each CAP alert inside.
func (o *opsPages) capExport(v *visit, p report.Plan, stamp string) error {
	items, err := o.c.db.OpsItems(v.r.Context(), store.OpsFilter{UpdatedSince: p.From, EventID: p.EventID, Limit: 5000})
	if err != nil {
		return err
	}
	var views []opsroom.ItemView
	for _, it := range items {
		if !it.CreatedAt.Before(p.To) {
			continue
		}
		d, err := o.ops.Item(v.r.Context(), it.ID)
		if err != nil {
			return err
		}
		views = append(views, d.Item)
	}
	h := v.w.Header()
	h.Set("Content-Type", "application/atom+xml; charset=utf-8")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="ascolto-cap-%s.xml"`, stamp))
	i := 0
	return opsroom.WriteFeed(v.w, opsroom.FeedOptions{CAPOptions: o.capOptions(v), Self: "/reports/export?format=cap", Updated: o.c.clock.Now(), Embed: true},
		func() (opsroom.ItemView, bool) {
			if i == len(views) {
				return opsroom.ItemView{}, false
			}
			i++
			return views[i-1], true
		})
}

// sitrep serves the one-page PDF situation report of an event.
func (o *opsPages) sitrep(v *visit) error {
	id, err := strconv.ParseInt(v.r.URL.Query().Get("event"), 10, 64)
	if err != nil || id <= 0 {
		writeJSON(v.w, http.StatusBadRequest, map[string]string{"error": "invalid", "message": o.c.cat.t(v.lang, "rep.needevent")})
		return nil
	}
	var buf bytes.Buffer
	if err := o.rep.WriteSitrep(v.r.Context(), &buf, id); err != nil {
		return o.reportProblem(v, err)
	}
	h := v.w.Header()
	h.Set("Content-Type", "application/pdf")
	h.Set("Content-Disposition", fmt.Sprintf(`inline; filename="sitrep-evento-%d.pdf"`, id))
	h.Set("Cache-Control", "no-store")
	_, err = v.w.Write(buf.Bytes())
	return err
}
