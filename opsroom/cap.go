package opsroom

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ascolto/ascolto/geo"
	"github.com/ascolto/ascolto/store"
)

// CAP 1.2 (OASIS Common Alerting Protocol) for the operations room's
// systems: each item is an alert whose identifier carries its version, so
// every change is a new message (msgType Update, referencing the first);
// scope is Restricted (the alerts carry callers' phone numbers), status
// Exercise for items of an exercise event, the area names the comune by
// ISTAT code (geocodes ISTAT, ISTAT_PROVINCIA, ISTAT_REGIONE) with a
// circle when coordinates are known.

// CAPNamespace is CAP 1.2's XML namespace.
const CAPNamespace = "urn:oasis:names:tc:emergency:cap:1.2"

type capAlert struct {
	XMLName     xml.Name  `xml:"urn:oasis:names:tc:emergency:cap:1.2 alert"`
	Identifier  string    `xml:"identifier"`
	Sender      string    `xml:"sender"`
	Sent        string    `xml:"sent"`
	Status      string    `xml:"status"`
	MsgType     string    `xml:"msgType"`
	Source      string    `xml:"source"`
	Scope       string    `xml:"scope"`
	Restriction string    `xml:"restriction"`
	Note        string    `xml:"note,omitempty"`
	References  string    `xml:"references,omitempty"`
	Incidents   string    `xml:"incidents"`
	Info        []capInfo `xml:"info"`
}

type capInfo struct {
	Language    string     `xml:"language"`
	Category    []string   `xml:"category"`
	Event       string     `xml:"event"`
	Urgency     string     `xml:"urgency"`
	Severity    string     `xml:"severity"`
	Certainty   string     `xml:"certainty"`
	EventCode   []capValue `xml:"eventCode"`
	SenderName  string     `xml:"senderName"`
	Headline    string     `xml:"headline"`
	Description string     `xml:"description"`
	Web         string     `xml:"web,omitempty"`
	Contact     string     `xml:"contact,omitempty"`
	Parameter   []capValue `xml:"parameter"`
	Area        capArea    `xml:"area"`
}

type capValue struct {
	ValueName string `xml:"valueName"`
	Value     string `xml:"value"`
}

type capArea struct {
	AreaDesc string     `xml:"areaDesc"`
	Polygon  []string   `xml:"polygon,omitempty"`
	Circle   string     `xml:"circle,omitempty"`
	Geocode  []capValue `xml:"geocode"`
}

// capCategory maps the request categories (configurable data seeded from
// the civil-protection code) to CAP's fixed list.
var capCategory = map[string]string{
	"sismico": "Geo", "vulcanico": "Geo", "maremoto": "Geo", "idrogeologico": "Geo",
	"idraulico": "Met", "meteo-avverso": "Met",
	"deficit-idrico": "Env", "ambientale": "Env",
	"incendi-boschivi": "Fire",
	"chimico":          "CBRNE", "nucleare": "CBRNE", "radiologico": "CBRNE",
	"tecnologico": "Safety", "industriale": "Safety", "oggetti-spaziali": "Safety", "assistenza": "Safety",
	"trasporti": "Transport", "viabilita": "Transport",
	"igienico-sanitario": "Health",
	"soccorso":           "Rescue", "dispersi": "Rescue",
	"disalimentazione": "Infra", "acqua": "Infra",
}

// CAPCategories lists the CAP categories of an item: Rescue first for a
// rescue request, then its request category's (Other when it has none).
func CAPCategories(v ItemView) []string {
	var out []string
	if v.Kind == store.OpsRescue {
		out = append(out, "Rescue")
	}
	c, ok := capCategory[v.Category]
	if !ok {
		c = "Other"
	}
	if len(out) == 0 || c != out[0] && c != "Other" {
		out = append(out, c)
	}
	return out
}

// capTime is CAP's dateTime: seconds, an explicit offset, no "Z".
func capTime(t time.Time) string { return t.In(rome).Format("2006-01-02T15:04:05-07:00") }

// CAPIdentifier names one version of an item's alert.
func CAPIdentifier(v ItemView, version int) string {
	return fmt.Sprintf("it.protezionecivile.ascolto.%s.v%d", v.TrackingID, version)
}

// CAPOptions says who sends the alerts and where their links point.
type CAPOptions struct {
	Sender  string // e.g. contactcenter@protezionecivile.it
	BaseURL string // e.g. https://ascolto.example.it ("" : no web link)
	// Atlas, when set, gives the comune's polygon to an alert without a
	// point (comuni have shapes only once imported).
	Atlas *geo.Atlas
}

// WriteCAP writes an item's alert, in its current version, as a CAP 1.2
// document.
func WriteCAP(w io.Writer, v ItemView, o CAPOptions) error {
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(capOf(v, o)); err != nil {
		return fmt.Errorf("opsroom: encode CAP: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func capOf(v ItemView, o CAPOptions) capAlert {
	a := capAlert{Identifier: CAPIdentifier(v, v.Version), Sender: o.Sender, Sent: capTime(v.UpdatedAt), Status: "Actual",
		MsgType: "Alert", Source: "ascolto 800 840 840", Scope: "Restricted",
		Restriction: "Sala Operativa del Dipartimento della Protezione Civile: contiene dati personali",
		Incidents:   v.TrackingID}
	if v.Exercise {
		a.Status = "Exercise"
	}
	if v.Version > 1 {
		a.MsgType = "Update"
		a.References = strings.Join([]string{o.Sender, CAPIdentifier(v, 1), capTime(v.CreatedAt)}, ",")
	}
	switch v.State {
	case store.OpsAcknowledged:
		a.Note = "Presa in carico da " + v.AckedBy
	case store.OpsAssigned:
		a.Note = "Assegnata a " + v.Assignee
	case store.OpsClosed:
		a.Note = "Chiusa dalla Sala Operativa"
	}
	info := capInfo{Language: "it-IT", Category: CAPCategories(v), SenderName: "Contact Center Protezione Civile - 800 840 840",
		Urgency: "Expected", Severity: "Moderate", Certainty: "Likely"}
	event := "Segnalazione"
	if v.Kind == store.OpsRescue {
		event, info.Urgency, info.Severity, info.Certainty = "Richiesta di soccorso", "Immediate", "Severe", "Observed"
	}
	if v.CategoryLabel != "" {
		event += " - " + v.CategoryLabel
	}
	info.Event = event
	if v.Category != "" {
		info.EventCode = append(info.EventCode, capValue{"ascolto:categoria", v.Category})
	}
	where := v.Comune.Label()
	if where == "" {
		where = "luogo non indicato"
	}
	info.Headline = clip(strings.SplitN(event, " - ", 2)[0]+" a "+where+": "+v.Summary, 160)
	var d strings.Builder
	if v.Summary != "" {
		d.WriteString(v.Summary + "\n")
	}
	if v.Notes != "" {
		d.WriteString(v.Notes + "\n")
	}
	switch {
	case v.Rescue != nil:
		describeRescue(&d, v.Rescue)
	default:
		if v.People > 0 {
			fmt.Fprintf(&d, "Persone coinvolte: %d\n", v.People)
		}
		if v.Address != "" {
			d.WriteString("Indirizzo: " + v.Address + "\n")
		}
	}
	if v.Advice != "" {
		d.WriteString("Indicazioni date dall'operatore: " + v.Advice + "\n")
	}
	fmt.Fprintf(&d, "Pratica %s, ricevuta il %s.", v.TrackingID, v.CreatedAt.In(rome).Format("02/01/2006 alle 15:04"))
	info.Description = d.String()
	if o.BaseURL != "" {
		info.Web = strings.TrimRight(o.BaseURL, "/") + "/cases/" + v.TrackingID
	}
	if v.ContactPhone != "" {
		info.Contact = strings.TrimSpace(v.ContactPhone + " " + v.ContactName)
	}
	info.Parameter = append(info.Parameter, capValue{"stato", v.State})
	if v.Rescue != nil {
		info.Parameter = append(info.Parameter, rescueParameters(v.Rescue)...)
	} else if v.People > 0 {
		info.Parameter = append(info.Parameter, capValue{"persone", strconv.Itoa(v.People)})
	}
	if v.Assignee != "" {
		info.Parameter = append(info.Parameter, capValue{"assegnata", v.Assignee})
	}
	if v.Escalations > 0 {
		info.Parameter = append(info.Parameter, capValue{"sollecitata", strconv.Itoa(v.Escalations)})
	}
	desc := where
	if v.Comune.Regione != "" {
		desc += ", " + v.Comune.Regione
	}
	if v.Address != "" {
		desc += " - " + v.Address
	}
	info.Area = capArea{AreaDesc: desc}
	switch {
	case v.Rescue != nil && v.Rescue.Pin != nil && v.Rescue.Pin.RadiusM > 0:
		// The agent's pin with the radius they chose: the area meant.
		p := v.Rescue.Pin
		info.Area.Circle = fmt.Sprintf("%.5f,%.5f %s", p.Lat, p.Lon, strconv.FormatFloat(float64(p.RadiusM)/1000, 'f', -1, 64))
	case v.Lat != nil && v.Lon != nil && geo.ValidPoint(*v.Lat, *v.Lon):
		// 0.5 km: a caller's position, not a hazard's extent.
		info.Area.Circle = fmt.Sprintf("%.5f,%.5f 0.5", *v.Lat, *v.Lon)
	case o.Atlas != nil && v.Comune.Code != "":
		// No point: the comune's own outline, when its shape was imported.
		if b, ok := o.Atlas.Boundary(geo.LevelComune, v.Comune.Code); ok {
			info.Area.Polygon = capPolygons(b)
		}
	}
	for _, g := range []capValue{{"ISTAT", v.Comune.Code}, {"ISTAT_PROVINCIA", v.Comune.ProvinciaCode},
		{"ISTAT_REGIONE", v.Comune.RegioneCode}} {
		if g.Value != "" {
			info.Area.Geocode = append(info.Area.Geocode, g)
		}
	}
	a.Info = []capInfo{info}
	return a
}

func clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return strings.TrimSuffix(s, ": ")
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

type atomPerson struct {
	Name string `xml:"name"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomEntry struct {
	ID        string        `xml:"id"`
	Title     string        `xml:"title"`
	Updated   string        `xml:"updated"`
	Published string        `xml:"published"`
	Category  []atomTerm    `xml:"category"`
	Link      atomLink      `xml:"link"`
	Summary   string        `xml:"summary"`
	Content   *atomCAPEntry `xml:"content,omitempty"`
}

type atomTerm struct {
	Term string `xml:"term,attr"`
}

type atomCAPEntry struct {
	Type  string   `xml:"type,attr"`
	Alert capAlert `xml:"urn:oasis:names:tc:emergency:cap:1.2 alert"`
}

// FeedOptions shapes an Atom feed of alerts.
type FeedOptions struct {
	CAPOptions
	Self    string    // the feed's own URL path or address, e.g. /opsroom/cap
	Updated time.Time // the feed's update time (the newest item's, usually)
	// Embed puts each alert inside its entry (an export); without it the
	// entries link to /opsroom/cap/{id}.xml (the live feed).
	Embed bool
}

// WriteFeed writes an Atom feed with an entry per item, streaming: the
// items come from next until it returns false.
func WriteFeed(w io.Writer, o FeedOptions, next func() (ItemView, bool)) error {
	base := strings.TrimRight(o.BaseURL, "/")
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	feed := xml.StartElement{Name: xml.Name{Space: "http://www.w3.org/2005/Atom", Local: "feed"}}
	if err := enc.EncodeToken(feed); err != nil {
		return err
	}
	head := []struct {
		name string
		v    any
	}{
		{"id", "urn:ascolto:opsroom:" + o.Sender},
		{"title", "ascolto - richieste per la Sala Operativa (CAP 1.2)"},
		{"updated", o.Updated.UTC().Format(time.RFC3339)},
		{"author", atomPerson{Name: "Contact Center Protezione Civile - 800 840 840"}},
		{"link", atomLink{Rel: "self", Type: "application/atom+xml", Href: base + o.Self}},
	}
	for _, h := range head {
		if err := enc.EncodeElement(h.v, xml.StartElement{Name: xml.Name{Local: h.name}}); err != nil {
			return err
		}
	}
	for {
		v, ok := next()
		if !ok {
			break
		}
		e := atomEntry{ID: "urn:cap:" + CAPIdentifier(v, v.Version), Title: capOf(v, o.CAPOptions).Info[0].Headline,
			Updated: v.UpdatedAt.UTC().Format(time.RFC3339), Published: v.CreatedAt.UTC().Format(time.RFC3339),
			Link:    atomLink{Rel: "alternate", Type: "application/cap+xml", Href: fmt.Sprintf("%s/opsroom/cap/%d.xml", base, v.ID)},
			Summary: v.Comune.Label() + " - " + v.State}
		for _, c := range CAPCategories(v) {
			e.Category = append(e.Category, atomTerm{c})
		}
		if o.Embed {
			e.Content = &atomCAPEntry{Type: "application/cap+xml", Alert: capOf(v, o.CAPOptions)}
		}
		if err := enc.EncodeElement(e, xml.StartElement{Name: xml.Name{Local: "entry"}}); err != nil {
			return err
		}
	}
	if err := enc.EncodeToken(feed.End()); err != nil {
		return err
	}
	if err := enc.Flush(); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
