package arisim

import (
	"net/http"
	"strings"
)

func (s *Server) applicationRoute(method string, segs []string) (handler, bool) {
	switch len(segs) {
	case 1:
		return methods(method, map[string]handler{"GET": s.listApplications})
	case 2:
		return methods(method, map[string]handler{"GET": s.getApplication})
	case 3:
		switch segs[2] {
		case "subscription":
			return methods(method, map[string]handler{"POST": s.subscribe(true), "DELETE": s.subscribe(false)})
		case "eventFilter":
			return methods(method, map[string]handler{"PUT": s.eventFilter})
		}
	}
	return nil, false
}

func (s *Server) listApplications(*request) result {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]applicationJSON, 0, len(s.apps))
	for _, a := range s.appsSorted() {
		out = append(out, s.applicationSnapshot(a))
	}
	return ok(out)
}

func (s *Server) appsSorted() []*app {
	out := make([]*app, 0, len(s.apps))
	for _, a := range s.apps {
		out = append(out, a)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].name < out[j-1].name; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func (s *Server) getApplication(q *request) result {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.apps[q.segs[1]]
	if a == nil {
		return fail(http.StatusNotFound, "Application not found")
	}
	return ok(s.applicationSnapshot(a))
}

// subscribe handles POST/DELETE /applications/{app}/subscription with the
// event sources channel:, bridge:, endpoint: and deviceState:.
func (s *Server) subscribe(on bool) handler {
	return func(q *request) result {
		s.mu.Lock()
		defer s.mu.Unlock()
		a := s.apps[q.segs[1]]
		if a == nil {
			return fail(http.StatusNotFound, "Application not found")
		}
		sources := q.p.list("eventSource")
		if len(sources) == 0 {
			return fail(http.StatusBadRequest, "Missing parameter eventSource")
		}
		var changes []func()
		for _, src := range sources {
			scheme, name, _ := strings.Cut(src, ":")
			switch scheme {
			case "channel":
				ch := s.channels[name]
				if ch == nil {
					return fail(http.StatusUnprocessableEntity, "Event source does not exist")
				}
				if !on && ch.subs[a.name] == 0 {
					return fail(http.StatusConflict, "Application not subscribed to event source")
				}
				changes = append(changes, func() {
					if on {
						ch.subs[a.name]++
					} else if ch.subs[a.name]--; ch.subs[a.name] <= 0 {
						delete(ch.subs, a.name)
					}
				})
			case "bridge":
				b := s.bridges[name]
				if b == nil {
					return fail(http.StatusUnprocessableEntity, "Event source does not exist")
				}
				if !on && b.subs[a.name] == 0 {
					return fail(http.StatusConflict, "Application not subscribed to event source")
				}
				changes = append(changes, func() {
					if on {
						b.subs[a.name]++
					} else if b.subs[a.name]--; b.subs[a.name] <= 0 {
						delete(b.subs, a.name)
					}
				})
			case "endpoint":
				tech, res, valid := normalizeEndpoint(name)
				key := tech + "/" + res
				if !valid || s.endpoints[key] == nil {
					return fail(http.StatusUnprocessableEntity, "Event source does not exist")
				}
				if !on && !a.endpoints[key] {
					return fail(http.StatusConflict, "Application not subscribed to event source")
				}
				changes = append(changes, func() {
					if on {
						a.endpoints[key] = true
					} else {
						delete(a.endpoints, key)
					}
				})
			case "deviceState":
				if name == "" {
					return fail(http.StatusUnprocessableEntity, "Event source does not exist")
				}
				if !on && !a.devices[name] {
					return fail(http.StatusConflict, "Application not subscribed to event source")
				}
				changes = append(changes, func() {
					if on {
						a.devices[name] = true
					} else {
						delete(a.devices, name)
					}
				})
			default:
				return fail(http.StatusBadRequest, "Invalid event source URI scheme")
			}
		}
		for _, c := range changes {
			c()
		}
		return ok(s.applicationSnapshot(a))
	}
}

func (s *Server) eventFilter(q *request) result {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.apps[q.segs[1]]
	if a == nil {
		return fail(http.StatusNotFound, "Application not found")
	}
	a.allowed = append([]string(nil), q.p.filter["allowed"]...)
	a.disallowed = append([]string(nil), q.p.filter["disallowed"]...)
	return ok(s.applicationSnapshot(a))
}

func (s *Server) asteriskRoute(method string, segs []string) (handler, bool) {
	if len(segs) != 2 {
		return nil, false
	}
	switch segs[1] {
	case "info":
		return methods(method, map[string]handler{"GET": s.asteriskInfo})
	case "ping":
		return methods(method, map[string]handler{"GET": s.asteriskPing})
	case "variable":
		return methods(method, map[string]handler{"GET": s.getGlobal, "POST": s.setGlobal})
	}
	return nil, false
}

type asteriskInfo struct {
	Build  *buildInfo  `json:"build,omitempty"`
	System *systemInfo `json:"system,omitempty"`
	Config *configInfo `json:"config,omitempty"`
	Status *statusInfo `json:"status,omitempty"`
}

type buildInfo struct {
	OS      string `json:"os"`
	Kernel  string `json:"kernel"`
	Machine string `json:"machine"`
	Options string `json:"options"`
	Date    string `json:"date"`
	User    string `json:"user"`
}

type systemInfo struct {
	Version  string `json:"version"`
	EntityID string `json:"entity_id"`
}

type configInfo struct {
	Name            string `json:"name"`
	DefaultLanguage string `json:"default_language"`
	SetID           struct {
		User  string `json:"user"`
		Group string `json:"group"`
	} `json:"setid"`
	MaxOpenFiles int `json:"max_open_files"`
}

type statusInfo struct {
	StartupTime    string `json:"startup_time"`
	LastReloadTime string `json:"last_reload_time"`
}

// asteriskInfo answers GET /asterisk/info shaped like basic-call.jsonl.
func (s *Server) asteriskInfo(q *request) result {
	s.mu.Lock()
	start := ariTime(s.startup)
	s.mu.Unlock()
	only := map[string]bool{}
	for _, o := range q.p.list("only") {
		only[o] = true
	}
	want := func(k string) bool { return len(only) == 0 || only[k] }
	var out asteriskInfo
	if want("build") {
		out.Build = &buildInfo{OS: "Linux", Kernel: "6.18.44-arisim", Machine: "x86_64", Options: "OPTIONAL_API",
			Date: "2026-11-26 20:23:14 UTC", User: "root"}
	}
	if want("system") {
		out.System = &systemInfo{Version: "20.20.1", EntityID: s.entity}
	}
	if want("config") {
		out.Config = &configInfo{Name: "", DefaultLanguage: "en", MaxOpenFiles: 8192}
	}
	if want("status") {
		out.Status = &statusInfo{StartupTime: start, LastReloadTime: start}
	}
	return ok(out)
}

func (s *Server) asteriskPing(*request) result {
	return ok(map[string]string{"asterisk_id": s.entity, "ping": "pong", "timestamp": ariTime(s.clk.Now())})
}

func (s *Server) getGlobal(q *request) result {
	name := q.p.str("variable")
	if name == "" {
		return fail(http.StatusBadRequest, "Variable name is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return ok(variableJSON{Value: s.globals[name]})
}

func (s *Server) setGlobal(q *request) result {
	name := q.p.str("variable")
	if name == "" {
		return fail(http.StatusBadRequest, "Variable name is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.globals[name] = q.p.str("value")
	return noContent()
}
