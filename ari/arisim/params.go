package arisim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// params merges query parameters with the fields of a JSON body, as Asterisk
// does: the CyCoreSystems library sends everything as JSON, curl and our own
// client send query strings. Body fields win.
type params struct {
	v    map[string]string
	vars map[string]string // the "variables" object of originate/create

	filter map[string][]string // event types of an eventFilter body
}

func parseParams(r *http.Request) (params, error) {
	p := params{v: map[string]string{}}
	for k, vs := range r.URL.Query() {
		// Asterisk's generated handlers overwrite a parameter each time it
		// repeats: only the last media=, eventSource= ... counts. A list is
		// one comma-separated value.
		if len(vs) > 0 {
			p.v[k] = vs[len(vs)-1]
		}
	}
	if r.Body == nil || r.Method == http.MethodGet {
		return p, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return p, fmt.Errorf("arisim: read body: %w", err)
	}
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return p, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return p, fmt.Errorf("arisim: decode body: %w", err)
	}
	for k, raw := range m {
		if k == "allowed" || k == "disallowed" {
			var list []struct {
				Type string `json:"type"`
			}
			if json.Unmarshal(raw, &list) == nil {
				if p.filter == nil {
					p.filter = map[string][]string{}
				}
				for _, e := range list {
					p.filter[k] = append(p.filter[k], e.Type)
				}
			}
			continue
		}
		if k == "variables" {
			p.vars = decodeVariables(raw)
			continue
		}
		if s, ok := rawToString(raw); ok {
			p.v[k] = s
		}
	}
	return p, nil
}

// decodeVariables accepts {"variables":{...}} and a flat {...}.
func decodeVariables(raw json.RawMessage) map[string]string {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	if inner, ok := m["variables"]; ok {
		if json.Unmarshal(inner, &m) != nil {
			return nil
		}
	}
	out := map[string]string{}
	for k, v := range m {
		if s, ok := rawToString(v); ok {
			out[k] = s
		}
	}
	return out
}

func rawToString(raw json.RawMessage) (string, bool) {
	var v any
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if d.Decode(&v) != nil {
		return "", false
	}
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case bool:
		return strconv.FormatBool(x), true
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			parts = append(parts, fmt.Sprint(e))
		}
		return strings.Join(parts, ","), true
	case nil:
		return "", false
	}
	return "", false
}

func (p params) str(k string) string { return p.v[k] }

func (p params) has(k string) bool {
	_, ok := p.v[k]
	return ok
}

// list splits a comma-separated (allowMultiple) parameter.
func (p params) list(k string) []string {
	s := p.v[k]
	if s == "" {
		return nil
	}
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// int returns an integer parameter or def when absent or malformed.
func (p params) int(k string, def int) int {
	s, ok := p.v[k]
	if !ok || s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		if f, ferr := strconv.ParseFloat(s, 64); ferr == nil {
			return int(f)
		}
		return def
	}
	return n
}

func (p params) bool(k string) bool {
	b, _ := strconv.ParseBool(p.v[k])
	return b
}
