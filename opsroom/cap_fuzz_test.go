package opsroom_test

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/ascolto/ascolto/opsroom"
	"github.com/ascolto/ascolto/store"
)

// FuzzCAP writes an item with arbitrary text and position as a CAP alert
// and as an Atom feed entry: both are always well-formed XML whose text
// reads back as written (less the characters XML cannot carry), and the
// alert's circle is never NaN or infinite.
func FuzzCAP(f *testing.F) {
	f.Add("Auto bloccata nel sottopasso", "Via Roma 1", "Mario Rossi", "+39 340 1234567", "Allagamento", 44.2227, 12.0407, true, 2)
	f.Add("", "", "", "", "", 0.0, 0.0, false, 1)
	f.Add("<script>&amp;]]></script>", "\x00\x01\x1b", "\"'<>&", "\ufffe\uffff", "\xff\xfe", -90.0, 180.0, true, 7)
	f.Add("frana", "SP 302 km 12", "Anna", "", "Frane", 1e300, -1e-300, true, 1)
	f.Fuzz(func(t *testing.T, summary, address, name, phone, label string, lat, lon float64, located bool, version int) {
		v := opsroom.ItemView{ID: 1, Version: max(1, version%100), Kind: store.OpsRescue, State: store.OpsNew, TrackingID: "CC-2026-000123",
			Category: "soccorso", CategoryLabel: label, Summary: summary, Notes: summary, Address: address, ContactName: name, ContactPhone: phone,
			Comune: opsroom.Place{Code: "039010", Name: "Faenza", Regione: "Emilia-Romagna"}, People: 2, Advice: address,
			CreatedAt: time.Date(2026, 5, 16, 8, 0, 0, 0, time.UTC), UpdatedAt: time.Date(2026, 5, 16, 8, 5, 0, 0, time.UTC)}
		if located {
			v.Lat, v.Lon = &lat, &lon
		}
		var capDoc, feed bytes.Buffer
		if err := opsroom.WriteCAP(&capDoc, v, opsroom.CAPOptions{Sender: "cc@protezionecivile.example", BaseURL: "https://ascolto.example.it"}); err != nil {
			t.Fatal(err)
		}
		wellFormed(t, "CAP", capDoc.Bytes())
		var alert struct {
			Identifier string `xml:"identifier"`
			Info       []struct {
				Area struct {
					Circle string `xml:"circle"`
				} `xml:"area"`
			} `xml:"info"`
		}
		if err := xml.Unmarshal(capDoc.Bytes(), &alert); err != nil || len(alert.Info) != 1 || alert.Identifier == "" {
			t.Fatalf("CAP does not read back (%v):\n%s", err, capDoc.String())
		}
		if c := strings.ToLower(alert.Info[0].Area.Circle); strings.Contains(c, "nan") || strings.Contains(c, "inf") {
			t.Fatalf("CAP circle %q for %v, %v", alert.Info[0].Area.Circle, lat, lon)
		}
		sent := false
		err := opsroom.WriteFeed(&feed, opsroom.FeedOptions{CAPOptions: opsroom.CAPOptions{Sender: "cc@example.it"}, Self: "/opsroom/cap",
			Updated: v.UpdatedAt, Embed: version%2 == 0}, func() (opsroom.ItemView, bool) {
			if sent {
				return opsroom.ItemView{}, false
			}
			sent = true
			return v, true
		})
		if err != nil {
			t.Fatal(err)
		}
		wellFormed(t, "Atom", feed.Bytes())
	})
}

// wellFormed reads every token of doc with a strict decoder.
func wellFormed(t *testing.T, what string, doc []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(doc))
	for {
		_, err := d.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("%s is not well-formed XML: %v\n%s", what, err, doc)
		}
	}
}
