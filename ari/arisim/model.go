package arisim

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"
)

// The JSON models below follow the field order a real Asterisk 20.20.1 writes
// (see the traces); encoding/json keeps struct order.

// ariTimeFormat is Asterisk's timestamp: milliseconds and a +0000 offset.
const ariTimeFormat = "2006-01-02T15:04:05.000-0700"

func ariTime(t time.Time) string { return t.UTC().Format(ariTimeFormat) }

type callerID struct {
	Name   string `json:"name"`
	Number string `json:"number"`
}

type dialplanCEP struct {
	Context  string `json:"context"`
	Exten    string `json:"exten"`
	Priority int    `json:"priority"`
	AppName  string `json:"app_name"`
	AppData  string `json:"app_data"`
}

type channelJSON struct {
	ID           string      `json:"id"`
	Name         string      `json:"name"`
	State        string      `json:"state"`
	ProtocolID   string      `json:"protocol_id"`
	Caller       callerID    `json:"caller"`
	Connected    callerID    `json:"connected"`
	Accountcode  string      `json:"accountcode"`
	Dialplan     dialplanCEP `json:"dialplan"`
	Creationtime string      `json:"creationtime"`
	Language     string      `json:"language"`
}

type bridgeJSON struct {
	ID           string   `json:"id"`
	Technology   string   `json:"technology"`
	BridgeType   string   `json:"bridge_type"`
	BridgeClass  string   `json:"bridge_class"`
	Creator      string   `json:"creator"`
	Name         string   `json:"name"`
	Channels     []string `json:"channels"`
	Creationtime string   `json:"creationtime"`
	VideoMode    string   `json:"video_mode"`
}

type playbackJSON struct {
	ID           string `json:"id"`
	MediaURI     string `json:"media_uri"`
	NextMediaURI string `json:"next_media_uri,omitempty"`
	TargetURI    string `json:"target_uri"`
	Language     string `json:"language"`
	State        string `json:"state"`
}

type liveRecordingJSON struct {
	Name      string `json:"name"`
	Format    string `json:"format"`
	State     string `json:"state"`
	TargetURI string `json:"target_uri"`
	Duration  *int   `json:"duration,omitempty"`
}

type storedRecordingJSON struct {
	Name   string `json:"name"`
	Format string `json:"format"`
}

type endpointJSON struct {
	Technology string   `json:"technology"`
	Resource   string   `json:"resource"`
	State      string   `json:"state"`
	ChannelIDs []string `json:"channel_ids"`
}

type deviceStateJSON struct {
	Name  string `json:"name"`
	State string `json:"state"`
}

type applicationJSON struct {
	Name             string   `json:"name"`
	ChannelIDs       []string `json:"channel_ids"`
	BridgeIDs        []string `json:"bridge_ids"`
	EndpointIDs      []string `json:"endpoint_ids"`
	DeviceNames      []string `json:"device_names"`
	EventsAllowed    []any    `json:"events_allowed"`
	EventsDisallowed []any    `json:"events_disallowed"`
}

type variableJSON struct {
	Value string `json:"value"`
}

// kv is one field of an event; v is raw JSON ([]byte) or a value to marshal.
type kv struct {
	k string
	v any
}

// encodeEvent writes {pre..., "type", "timestamp", post..., "asterisk_id"
// without the closing brace: delivery appends "application" per app, so one
// encoding serves every app and duplicates stay byte-identical (surprise 13).
func (s *Server) encodeEvent(typ string, pre, post []kv) []byte {
	var b bytes.Buffer
	b.Grow(768)
	b.WriteByte('{')
	first := true
	write := func(f kv) {
		if !first {
			b.WriteByte(',')
		}
		first = false
		b.WriteString(strconv.Quote(f.k))
		b.WriteByte(':')
		switch v := f.v.(type) {
		case []byte:
			b.Write(v)
		case string:
			writeJSONString(&b, v)
		case int:
			b.WriteString(strconv.Itoa(v))
		case bool:
			b.WriteString(strconv.FormatBool(v))
		default:
			raw, err := json.Marshal(v)
			if err != nil {
				raw = []byte("null")
			}
			b.Write(raw)
		}
	}
	for _, f := range pre {
		write(f)
	}
	write(kv{"type", typ})
	write(kv{"timestamp", ariTime(s.clk.Now())})
	for _, f := range post {
		write(f)
	}
	write(kv{"asterisk_id", s.entity})
	return b.Bytes()
}

func writeJSONString(b *bytes.Buffer, s string) {
	raw, _ := json.Marshal(s)
	b.Write(raw)
}

// withApplication closes an encoded event for one application.
func withApplication(enc []byte, appName string) []byte {
	out := make([]byte, 0, len(enc)+len(appName)+20)
	out = append(out, enc...)
	out = append(out, `,"application":`...)
	q, _ := json.Marshal(appName)
	out = append(out, q...)
	out = append(out, '}')
	return out
}
