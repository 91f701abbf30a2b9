package ari

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/CyCoreSystems/ari/v5"
)

// FuzzDecodeEvent feeds arbitrary bytes to the events WebSocket's decoder:
// it never panics, tells garbage and unknown types apart with an error, and
// an event it returns has the type its JSON says and answers every method
// the controller calls on it.
func FuzzDecodeEvent(f *testing.F) {
	for _, s := range []string{
		`{"type":"StasisStart","application":"ascolto","timestamp":"2026-11-26T08:00:00.000+0100","args":["800840840"],"channel":{"id":"1764140400.1","name":"PJSIP/trunk-00000001","state":"Ring","caller":{"name":"","number":"+393401234567"},"dialplan":{"context":"from-trunk","exten":"800840840","priority":3}}}`,
		`{"type":"ChannelDtmfReceived","application":"ascolto","digit":"1","duration_ms":120,"channel":{"id":"c1"}}`,
		`{"type":"PlaybackFinished","application":"ascolto","playback":{"id":"p1","media_uri":"sound:benvenuto","target_uri":"channel:c1","state":"done"}}`,
		`{"type":"ChannelHangupRequest","cause":16,"channel":{"id":"c1"}}`,
		`{"type":"StasisEnd","channel":{"id":"c1"}}`,
		`{"type":"ApplicationRegistered","application":"ascolto"}`,
		`{"type":"DeviceStateChanged","device_state":{"name":"PJSIP/agent101","state":"INUSE"}}`,
		`{"type":"ChannelVarset","variable":"FAXSTATUS","value":"SUCCESS","channel":{"id":"c1"}}`,
		`{"type":"StasisStart","channel":"not an object"}`,
		`{"type":""}`, `{}`, `[]`, `null`, `"x"`, ``,
	} {
		f.Add([]byte(s))
	}
	// Events a real Asterisk sent, when the shared traces are at hand.
	traces, _ := filepath.Glob("../../shared/ari/traces/*.jsonl")
	for _, p := range traces {
		fh, err := os.Open(p)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(nil, 1<<20)
		for n := 0; sc.Scan() && n < 20; {
			var line struct {
				Kind string          `json:"kind"`
				Data json.RawMessage `json:"data"`
			}
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Kind == "ws_event" {
				f.Add([]byte(line.Data))
				n++
			}
		}
		fh.Close()
	}
	at := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, raw []byte) {
		ev, err := decode(raw, at)
		if err != nil {
			if ev.Event != nil {
				t.Fatalf("error %v with an event %T", err, ev.Event)
			}
			var typer struct {
				Type string `json:"type"`
			}
			if errors.Is(err, errUnknownEvent) && (json.Unmarshal(raw, &typer) != nil || typer.Type == "") {
				t.Fatalf("garbage reported as an unknown event type: %v", err)
			}
			return
		}
		var typer struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal(raw, &typer); err != nil || typer.Type != ev.GetType() {
			t.Fatalf("decoded %T (type %q) from JSON whose type is %q (%v)", ev.Event, ev.GetType(), typer.Type, err)
		}
		if !ev.Received.Equal(at) || string(ev.Raw) != string(raw) {
			t.Fatal("event lost its raw bytes or its time")
		}
		_ = ev.GetApplication() + ev.GetNode() + ev.GetDialog()
		for _, k := range ev.Keys() {
			_ = k.String()
		}
	})
}

// TestDecodeAgreesWithTheLibrary: every event a real Asterisk sent in the
// recorded traces decodes, in one pass, to what the library's two-pass
// DecodeEvent makes of it.
func TestDecodeAgreesWithTheLibrary(t *testing.T) {
	traces, err := filepath.Glob("arisim/testdata/traces/*.jsonl")
	if err != nil || len(traces) == 0 {
		t.Fatalf("no recorded traces (%v)", err)
	}
	n, fast := 0, 0
	for _, p := range traces {
		fh, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(nil, 4<<20)
		for sc.Scan() {
			var line struct {
				Kind string          `json:"kind"`
				Data json.RawMessage `json:"data"`
			}
			if json.Unmarshal(sc.Bytes(), &line) != nil || line.Kind != "ws_event" {
				continue
			}
			raw := []byte(line.Data)
			want, werr := ari.DecodeEvent(raw)
			got, gerr := decode(raw, time.Time{})
			if (werr == nil) != (gerr == nil) {
				t.Fatalf("%s: library error %v, ours %v: %s", p, werr, gerr, raw)
			}
			if werr != nil {
				continue
			}
			if !reflect.DeepEqual(got.Event, want) {
				t.Fatalf("%s: decoded %#v, library %#v", p, got.Event, want)
			}
			n++
			if handled[leadingType(raw)] != nil {
				fast++
			}
		}
		fh.Close()
	}
	if n == 0 || fast == 0 {
		t.Fatalf("%d events compared, %d of them in one pass", n, fast)
	}
	t.Logf("%d recorded events, %d decoded in one pass", n, fast)
}
