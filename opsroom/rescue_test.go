package opsroom_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/ascolto/ascolto/geo"
	"github.com/ascolto/ascolto/opsroom"
)

// capAreaOf decodes the one info's area of a CAP document.
func capAreaOf(t *testing.T, doc []byte) (circle string, polygons []string, desc string, params map[string]string) {
	t.Helper()
	var a struct {
		Info struct {
			Description string `xml:"description"`
			Parameter   []struct {
				Name  string `xml:"valueName"`
				Value string `xml:"value"`
			} `xml:"parameter"`
			Area struct {
				Circle  string   `xml:"circle"`
				Polygon []string `xml:"polygon"`
			} `xml:"area"`
		} `xml:"info"`
	}
	if err := xml.Unmarshal(doc, &a); err != nil {
		t.Fatal(err)
	}
	params = map[string]string{}
	for _, p := range a.Info.Parameter {
		params[p.Name] = p.Value
	}
	return a.Info.Area.Circle, a.Info.Area.Polygon, a.Info.Description, params
}

func TestCAPRescueRequest(t *testing.T) {
	v := sampleItems()[0]
	v.Rescue = &opsroom.RescueView{Place: "sottopasso di Via Emilia", Pin: &opsroom.Pin{Lat: 44.28571, Lon: 11.88342, RadiusM: 250},
		People: 4, Vulnerable: []string{"children", "medical"}, Callback: "+39 333 7654321", Hazard: "water",
		HazardLabel: "acqua in aumento"}
	var buf bytes.Buffer
	if err := opsroom.WriteCAP(&buf, v, opsroom.CAPOptions{Sender: "cc@protezionecivile.it"}); err != nil {
		t.Fatal(err)
	}
	circle, polys, desc, params := capAreaOf(t, buf.Bytes())
	if circle != "44.28571,11.88342 0.25" || len(polys) != 0 {
		t.Fatalf("circle %q polygons %v: want the pin with its 250 m", circle, polys)
	}
	for _, want := range []string{"Pericolo: acqua in aumento", "Luogo: sottopasso di Via Emilia", "Persone coinvolte: 4",
		"Persone vulnerabili: bambini, esigenze mediche", "Numero da richiamare: +39 333 7654321"} {
		if !strings.Contains(desc, want) {
			t.Fatalf("description lacks %q:\n%s", want, desc)
		}
	}
	if params["pericolo"] != "water" || params["persone"] != "4" || params["vulnerabili"] != "children medical" ||
		params["richiamare"] != "+39 333 7654321" {
		t.Fatalf("parameters %v", params)
	}
	xmllint(t, buf.Bytes())
}

func TestCAPComunePolygon(t *testing.T) {
	// An imported comune shape for Faenza (a square here) and a request
	// without a point: the area is the comune's outline.
	faenza := geo.Boundary{Level: geo.LevelComune, Code: "039010", Name: "Faenza",
		Geometry: json.RawMessage(`{"type":"MultiPolygon","coordinates":[[[[11.8,44.25],[11.95,44.25],[11.95,44.35],[11.8,44.35],[11.8,44.25]]],[[[11.7,44.2],[11.72,44.2],[11.72,44.22],[11.7,44.2]]]]}`)}
	atlas, err := geo.NewAtlas([]geo.Boundary{faenza})
	if err != nil {
		t.Fatal(err)
	}
	v := sampleItems()[0]
	v.Lat, v.Lon = nil, nil
	v.Comune.Code = "039010"
	v.Rescue = &opsroom.RescueView{Place: "Via Emilia", People: 2, Vulnerable: []string{}, Callback: "0546 123456",
		Hazard: "other", HazardLabel: "muro pericolante"}
	var buf bytes.Buffer
	if err := opsroom.WriteCAP(&buf, v, opsroom.CAPOptions{Sender: "cc@protezionecivile.it", Atlas: atlas}); err != nil {
		t.Fatal(err)
	}
	circle, polys, _, _ := capAreaOf(t, buf.Bytes())
	want := "44.25000,11.80000 44.25000,11.95000 44.35000,11.95000 44.35000,11.80000 44.25000,11.80000"
	if circle != "" || len(polys) != 2 || polys[0] != want || !strings.HasSuffix(polys[1], "44.20000,11.70000") {
		t.Fatalf("circle %q polygons %q", circle, polys)
	}
	xmllint(t, buf.Bytes())
	// Without the comune's shape, no area but the geocodes.
	buf.Reset()
	if err := opsroom.WriteCAP(&buf, v, opsroom.CAPOptions{Sender: "cc@protezionecivile.it"}); err != nil {
		t.Fatal(err)
	}
	if circle, polys, _, _ := capAreaOf(t, buf.Bytes()); circle != "" || len(polys) != 0 {
		t.Fatalf("no atlas: circle %q polygons %q", circle, polys)
	}
}
