package opsroom_test

import (
	"bytes"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ascolto/ascolto/opsroom"
	"github.com/ascolto/ascolto/store"
)

const capXSD = "../../shared/cap/CAP-v1.2.xsd"

// xmllint validates a document against the official CAP 1.2 schema with
// Debian's xmllint (libxml2-utils); the test skips when either is missing.
func xmllint(t *testing.T, doc []byte) {
	t.Helper()
	bin, err := exec.LookPath("xmllint")
	if err != nil {
		t.Skip("xmllint not installed (apt-get install libxml2-utils): CAP schema validation skipped")
	}
	if _, err := os.Stat(capXSD); err != nil {
		t.Skipf("%s not available: CAP schema validation skipped", capXSD)
	}
	f := filepath.Join(t.TempDir(), "alert.xml")
	if err := os.WriteFile(f, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "--noout", "--schema", capXSD, f).CombinedOutput()
	if err != nil {
		t.Fatalf("not valid CAP 1.2: %v\n%s\n%s", err, out, doc)
	}
}

func sampleItems() []opsroom.ItemView {
	lat, lon := 44.4949, 11.3426
	created := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	full := opsroom.ItemView{ID: 7, Version: 1, Kind: store.OpsRescue, State: store.OpsNew, People: 4,
		Advice: "Salire al piano più alto", TrackingID: "CC-2026-000123", CaseStatus: "open", Channel: "phone",
		Category: "idraulico", CategoryLabel: "Rischio idraulico (alluvione, esondazione)", Urgency: "rescue",
		Summary: "Famiglia bloccata <al primo piano> & acqua in salita", Notes: "Due bambini", ContactName: "Maria Rossi",
		ContactPhone: "+39 333 1234567", Address: "Via Emilia 12",
		Comune: opsroom.Place{Code: "037006", Name: "Bologna", Sigla: "BO", ProvinciaCode: "237", Provincia: "Bologna",
			RegioneCode: "08", Regione: "Emilia-Romagna"},
		Lat: &lat, Lon: &lon, SubmittedBy: "rossi", CreatedAt: created, UpdatedAt: created}
	acked := full
	acked.ID, acked.Version, acked.State, acked.AckedBy, acked.AckedAt, acked.UpdatedAt, acked.Escalations =
		8, 3, store.OpsAssigned, "verdi", created.Add(3*time.Minute), created.Add(5*time.Minute), 1
	acked.Assignee, acked.TrackingID = "VVF", "CC-2026-000124"
	bare := opsroom.ItemView{ID: 9, Version: 1, Kind: store.OpsReport, State: store.OpsNew, TrackingID: "CC-2026-000125",
		Channel: "web", Urgency: "elevated", Exercise: true, CreatedAt: created, UpdatedAt: created, SubmittedBy: "bianchi"}
	power := bare
	power.ID, power.TrackingID, power.Category, power.CategoryLabel, power.Summary = 10, "CC-2026-000126", "disalimentazione",
		"Disalimentazione elettrica", "Paese senza corrente da ieri sera"
	power.Comune = opsroom.Place{Code: "066049", Name: "L'Aquila", Sigla: "AQ", ProvinciaCode: "066", RegioneCode: "13", Regione: "Abruzzo"}
	return []opsroom.ItemView{full, acked, bare, power}
}

func TestCAPAlertsValidate(t *testing.T) {
	o := opsroom.CAPOptions{Sender: "contactcenter@protezionecivile.it", BaseURL: "https://ascolto.example.it"}
	for _, v := range sampleItems() {
		t.Run(v.TrackingID, func(t *testing.T) {
			var b bytes.Buffer
			if err := opsroom.WriteCAP(&b, v, o); err != nil {
				t.Fatal(err)
			}
			xmllint(t, b.Bytes())
			var a struct {
				Status     string `xml:"status"`
				MsgType    string `xml:"msgType"`
				Scope      string `xml:"scope"`
				Identifier string `xml:"identifier"`
				References string `xml:"references"`
				Info       struct {
					Category []string `xml:"category"`
					Urgency  string   `xml:"urgency"`
					Area     struct {
						Circle  string `xml:"circle"`
						Geocode []struct {
							ValueName string `xml:"valueName"`
							Value     string `xml:"value"`
						} `xml:"geocode"`
					} `xml:"area"`
				} `xml:"info"`
			}
			if err := xml.Unmarshal(b.Bytes(), &a); err != nil {
				t.Fatal(err)
			}
			wantStatus := map[bool]string{true: "Exercise", false: "Actual"}[v.Exercise]
			if a.Status != wantStatus || a.Scope != "Restricted" || !strings.Contains(a.Identifier, v.TrackingID) {
				t.Fatalf("alert %+v", a)
			}
			if (v.Version > 1) != (a.MsgType == "Update" && strings.Contains(a.References, v.TrackingID+".v1")) {
				t.Fatalf("version %d: msgType %s references %q", v.Version, a.MsgType, a.References)
			}
			if (v.Lat != nil) != (a.Info.Area.Circle != "") {
				t.Fatalf("circle %q for coordinates %v", a.Info.Area.Circle, v.Lat)
			}
			if v.Comune.Code != "" && (len(a.Info.Area.Geocode) == 0 || a.Info.Area.Geocode[0].ValueName != "ISTAT" ||
				a.Info.Area.Geocode[0].Value != v.Comune.Code) {
				t.Fatalf("geocodes %+v", a.Info.Area.Geocode)
			}
			if v.Kind == store.OpsRescue && (a.Info.Category[0] != "Rescue" || a.Info.Urgency != "Immediate") {
				t.Fatalf("rescue request as %+v", a.Info)
			}
		})
	}
	if got := opsroom.CAPCategories(sampleItems()[3]); len(got) != 1 || got[0] != "Infra" {
		t.Fatalf("power outage categories %v", got)
	}
	if got := opsroom.CAPCategories(sampleItems()[0]); len(got) != 2 || got[1] != "Met" {
		t.Fatalf("flood rescue categories %v", got)
	}
}

func TestAtomFeedEmbedsValidAlerts(t *testing.T) {
	items := sampleItems()
	for _, embed := range []bool{false, true} {
		i := 0
		var b bytes.Buffer
		err := opsroom.WriteFeed(&b, opsroom.FeedOptions{CAPOptions: opsroom.CAPOptions{Sender: "cc@example.it",
			BaseURL: "https://ascolto.example.it"}, Self: "/opsroom/cap", Updated: items[1].UpdatedAt, Embed: embed},
			func() (opsroom.ItemView, bool) {
				if i == len(items) {
					return opsroom.ItemView{}, false
				}
				i++
				return items[i-1], true
			})
		if err != nil {
			t.Fatal(err)
		}
		var feed struct {
			XMLName xml.Name
			Entry   []struct {
				Link struct {
					Href string `xml:"href,attr"`
				} `xml:"link"`
				Content struct {
					Inner []byte `xml:",innerxml"`
				} `xml:"content"`
			} `xml:"entry"`
		}
		if err := xml.Unmarshal(b.Bytes(), &feed); err != nil {
			t.Fatalf("feed is not XML: %v\n%s", err, b.Bytes())
		}
		if feed.XMLName.Space != "http://www.w3.org/2005/Atom" || len(feed.Entry) != len(items) ||
			feed.Entry[0].Link.Href != "https://ascolto.example.it/opsroom/cap/7.xml" {
			t.Fatalf("feed %+v", feed)
		}
		if embed {
			// Each embedded alert is itself a valid CAP document.
			xmllint(t, append([]byte(xml.Header), bytes.TrimSpace(feed.Entry[0].Content.Inner)...))
		} else if len(bytes.TrimSpace(feed.Entry[0].Content.Inner)) != 0 {
			t.Fatal("live feed embeds alerts")
		}
	}
}
