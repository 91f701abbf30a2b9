package demo

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/ascolto/ascolto/geo"
	"github.com/ascolto/ascolto/store"
	"go.yaml.in/yaml/v3"
)

//go:embed scenarios/*.yaml
var builtin embed.FS

// Scenario scripts a stretch of a contact center's life.
type Scenario struct {
	Name        string        `yaml:"name"`
	Title       string        `yaml:"title"`
	Description string        `yaml:"description"`
	Start       string        `yaml:"start"`    // scenario time at the start, Italian time: 2026-05-16T08:00
	Duration    time.Duration `yaml:"duration"` // how long callers keep arriving
	Mode        string        `yaml:"mode"`     // operating mode at the start: ordinary, emergency, closed
	Reason      string        `yaml:"reason"`   // why, for the mode change
	Event       string        `yaml:"event"`    // emergency event opened at the start, if any
	Area        []string      `yaml:"area"`     // the event's regioni (08) and province (039), ISTAT codes
	Agents      int           `yaml:"agents"`   // simulated agents logged in
	Answer      time.Duration `yaml:"answer"`   // how long a simulated agent's phone rings
	Arrivals    []Rate        `yaml:"arrivals"` // calls per hour over time, linear in between
	Callers     []Caller      `yaml:"callers"`
	Steps       []Step        `yaml:"steps"` // things that happen at given times (mode switches)
	// Activation, when set, reopens the center by calling its on-call
	// people: the simulated agents are those people, start signed out,
	// and sign in when they arrive.
	Activation *Activation `yaml:"activation"`

	start time.Time
}

// Rate is the arrival rate at a moment of the scenario.
type Rate struct {
	At      time.Duration `yaml:"at"`
	PerHour float64       `yaml:"per_hour"`
}

// Caller is one kind of caller and how to handle them.
type Caller struct {
	Kind     string        `yaml:"kind"`  // a name for reports: rescue, report, info ...
	Share    float64       `yaml:"share"` // share of arrivals
	Keys     string        `yaml:"keys"`  // keys pressed at the main menu ("" = none)
	Patience time.Duration `yaml:"patience"`
	Talk     time.Duration `yaml:"talk"`   // conversation length with an agent
	Places   []Place       `yaml:"places"` // where callers of this kind call from, in turn
	Says     []Utterance   `yaml:"says"`   // what they say, for the trainee (in turn)
	Expect   Expect        `yaml:"expect"`
}

// turn is where the seq-th caller of a kind calls from, what they say,
// and the comune they speak of (what a trainee's form must say).
func (c Caller) turn(seq int) (place Place, says, comune string) {
	if len(c.Places) > 0 {
		place = c.Places[seq%len(c.Places)]
	}
	comune = place.Comune
	if len(c.Says) > 0 {
		u := c.Says[seq%len(c.Says)]
		says = u.Text
		if u.Comune != "" {
			comune = u.Comune
		}
	}
	return place, says, comune
}

// rescue is what the seq-th caller of a kind tells of their danger (nil
// for a kind that does not ask for rescue).
func (c Caller) rescue(seq int) *RescueFacts {
	if len(c.Says) == 0 {
		return nil
	}
	return c.Says[seq%len(c.Says)].Rescue
}

// Place is a comune and the area code its callers call from.
type Place struct {
	Comune string `yaml:"comune"` // ISTAT code
	Prefix string `yaml:"prefix"` // e.g. 0546; mobile numbers when empty
}

// Utterance is what one caller says. The comune a training score expects
// is the one the caller speaks of: the place they call from, unless the
// utterance names another (a caller in Bologna asking about Faenza). In
// YAML an utterance is its text, or {text: …, comune: "039010"}.
type Utterance struct {
	Text   string `yaml:"text"`
	Comune string `yaml:"comune"` // ISTAT code; "" = the place's comune
	// Rescue is what a caller in danger tells the agent for the
	// structured rescue request; a caller kind whose expected urgency is
	// rescue must give it with every utterance.
	Rescue *RescueFacts `yaml:"rescue"`
}

// RescueFacts is what one caller in danger says: the hazard, how many
// people and who among them is vulnerable, and where. Pin is a point near
// the place (latitude, longitude): the simulated agent drops the request's
// pin around it, some callers within a few hundred metres of each other,
// others farther off, as the callers of one flooded street are.
type RescueFacts struct {
	Hazard     string     `yaml:"hazard"` // a store.Hazards code
	HazardNote string     `yaml:"hazard_note"`
	People     int        `yaml:"people"`
	Vulnerable []string   `yaml:"vulnerable"` // children, elderly, disabled, medical
	Place      string     `yaml:"place"`      // the place in words: "via Ravegnana 14"
	Pin        [2]float64 `yaml:"pin"`        // [lat, lon]
}

// check says what is wrong with a caller's rescue facts, as the desk would.
func (f *RescueFacts) check() error {
	switch {
	case !slices.Contains(store.Hazards, f.Hazard):
		return fmt.Errorf("hazard %q (one of %s)", f.Hazard, strings.Join(store.Hazards, ", "))
	case f.Hazard == store.HazardOther && f.HazardNote == "":
		return fmt.Errorf("hazard other needs a hazard_note")
	case f.People < 1:
		return fmt.Errorf("people must be at least 1")
	case f.Place == "":
		return fmt.Errorf("no place")
	case !geo.InItaly(f.Pin[0], f.Pin[1]):
		return fmt.Errorf("pin %v is not in Italy ([lat, lon])", f.Pin)
	}
	for _, v := range f.Vulnerable {
		if !slices.Contains([]string{"children", "elderly", "disabled", "medical"}, v) {
			return fmt.Errorf("vulnerable %q (children, elderly, disabled, medical)", v)
		}
	}
	return nil
}

// UnmarshalYAML reads an utterance as plain text or as text with its comune.
func (u *Utterance) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		return n.Decode(&u.Text)
	}
	type plain Utterance // without this method
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	*u = Utterance(p)
	return nil
}

// Expect is the handling the scenario expects from the agent.
type Expect struct {
	Category   string `yaml:"category"`
	Urgency    string `yaml:"urgency"`
	Outcome    string `yaml:"outcome"`
	CallerType string `yaml:"caller_type"`
}

// Step is something that happens at a moment of the scenario.
type Step struct {
	At     time.Duration `yaml:"at"`
	Mode   string        `yaml:"mode"`
	Reason string        `yaml:"reason"`
}

// Activation is the emergency activation a scenario opens, the way
// `ascolto emergency open` does: the operating mode turns to emergency and
// the running service phones the on-call people wave by wave.
type Activation struct {
	At          time.Duration `yaml:"at"`           // when, from the start
	Event       string        `yaml:"event"`        // emergency event name
	RequestedBy string        `yaml:"requested_by"` // who asked for the reopening
	Reason      string        `yaml:"reason"`
	Quorum      int           `yaml:"quorum"`      // confirmed people needed (default: all the agents)
	Answer      time.Duration `yaml:"answer"`      // how long an on-call person's phone rings before they pick up
	ETA         []int         `yaml:"eta"`         // minutes each confirmed person says they need, in turn
	Unreachable int           `yaml:"unreachable"` // the last N people never pick up (off the grid)
}

// Builtin lists the scenarios shipped with ascolto, by name.
func Builtin() ([]*Scenario, error) {
	ents, err := fs.ReadDir(builtin, "scenarios")
	if err != nil {
		return nil, err
	}
	var out []*Scenario
	for _, e := range ents {
		b, err := builtin.ReadFile("scenarios/" + e.Name())
		if err != nil {
			return nil, err
		}
		s, err := Parse(b)
		if err != nil {
			return nil, fmt.Errorf("demo: %s: %w", e.Name(), err)
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Load returns a built-in scenario by name, or parses a file's bytes.
func Load(name string, file []byte) (*Scenario, error) {
	if file != nil {
		return Parse(file)
	}
	all, err := Builtin()
	if err != nil {
		return nil, err
	}
	var names []string
	for _, s := range all {
		if s.Name == name {
			return s, nil
		}
		names = append(names, s.Name)
	}
	return nil, fmt.Errorf("demo: no scenario %q (built in: %s)", name, strings.Join(names, ", "))
}

// Parse reads and checks a scenario.
func Parse(src []byte) (*Scenario, error) {
	var s Scenario
	dec := yaml.NewDecoder(bytes.NewReader(src))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("demo: scenario: %w", err)
	}
	if err := s.check(); err != nil {
		return nil, err
	}
	return &s, nil
}

func (s *Scenario) check() error {
	rome, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		return err
	}
	switch {
	case s.Name == "":
		return fmt.Errorf("demo: scenario without a name")
	case s.Duration <= 0:
		return fmt.Errorf("demo: scenario %s: duration must be positive", s.Name)
	case len(s.Arrivals) == 0:
		return fmt.Errorf("demo: scenario %s: no arrivals", s.Name)
	case len(s.Callers) == 0:
		return fmt.Errorf("demo: scenario %s: no callers", s.Name)
	case s.Agents < 0:
		return fmt.Errorf("demo: scenario %s: agents must not be negative", s.Name)
	}
	if s.start, err = time.ParseInLocation("2006-01-02T15:04", s.Start, rome); err != nil {
		return fmt.Errorf("demo: scenario %s: start %q: use 2026-05-16T08:00", s.Name, s.Start)
	}
	switch s.Mode {
	case "", "ordinary", "emergency", "closed":
	default:
		return fmt.Errorf("demo: scenario %s: mode %q (ordinary, emergency, closed)", s.Name, s.Mode)
	}
	if len(s.Area) > 0 && s.Event == "" {
		return fmt.Errorf("demo: scenario %s: an area belongs to an event (event: …)", s.Name)
	}
	for _, c := range s.Area {
		if (len(c) != 2 && len(c) != 3) || strings.Trim(c, "0123456789") != "" {
			return fmt.Errorf("demo: scenario %s: area %q: ISTAT codes of regioni (08) or province (039)", s.Name, c)
		}
	}
	var share float64
	for i, c := range s.Callers {
		if c.Share <= 0 {
			return fmt.Errorf("demo: scenario %s: caller %d (%s) has no share", s.Name, i+1, c.Kind)
		}
		if strings.Trim(c.Keys, "0123456789*#") != "" {
			return fmt.Errorf("demo: scenario %s: caller %s: keys %q", s.Name, c.Kind, c.Keys)
		}
		share += c.Share
		if c.Expect.Urgency == store.UrgencyRescue && len(c.Says) == 0 {
			return fmt.Errorf("demo: scenario %s: caller %s asks for rescue and says nothing: give says with their rescue facts", s.Name, c.Kind)
		}
		for _, u := range c.Says {
			if u.Text == "" {
				return fmt.Errorf("demo: scenario %s: caller %s says nothing (an empty text)", s.Name, c.Kind)
			}
			if u.Comune != "" && (len(u.Comune) != 6 || strings.Trim(u.Comune, "0123456789") != "") {
				return fmt.Errorf("demo: scenario %s: caller %s: comune %q: a 6-digit ISTAT code", s.Name, c.Kind, u.Comune)
			}
			if u.Rescue == nil && c.Expect.Urgency == store.UrgencyRescue {
				return fmt.Errorf("demo: scenario %s: caller %s asks for rescue: %q needs its rescue facts (rescue: {hazard, people, place, pin})",
					s.Name, c.Kind, u.Text)
			}
			if u.Rescue != nil {
				if err := u.Rescue.check(); err != nil {
					return fmt.Errorf("demo: scenario %s: caller %s: rescue: %w", s.Name, c.Kind, err)
				}
			}
		}
	}
	if math.Abs(share-1) > 0.001 {
		return fmt.Errorf("demo: scenario %s: caller shares add up to %.3f, not 1", s.Name, share)
	}
	for i := 1; i < len(s.Arrivals); i++ {
		if s.Arrivals[i].At <= s.Arrivals[i-1].At {
			return fmt.Errorf("demo: scenario %s: arrivals must be in time order", s.Name)
		}
	}
	if a := s.Activation; a != nil {
		switch {
		case s.Agents == 0:
			return fmt.Errorf("demo: scenario %s: an activation needs on-call people (agents > 0)", s.Name)
		case a.At < 0 || a.At >= s.Duration:
			return fmt.Errorf("demo: scenario %s: activation at %s, outside the scenario's %s", s.Name, a.At, s.Duration)
		case a.Event == "" || a.RequestedBy == "" || a.Reason == "":
			return fmt.Errorf("demo: scenario %s: activation needs event, requested_by and reason", s.Name)
		case a.Quorum < 0 || a.Quorum > s.Agents:
			return fmt.Errorf("demo: scenario %s: activation quorum %d, with %d on-call people", s.Name, a.Quorum, s.Agents)
		case a.Unreachable < 0 || a.Unreachable >= s.Agents:
			return fmt.Errorf("demo: scenario %s: %d unreachable of %d on-call people", s.Name, a.Unreachable, s.Agents)
		}
		for _, m := range a.ETA {
			if m < 1 || m > 180 {
				return fmt.Errorf("demo: scenario %s: activation eta %d minutes (1-180)", s.Name, m)
			}
		}
		if a.Quorum == 0 {
			a.Quorum = s.Agents - a.Unreachable
		}
		if a.Answer <= 0 {
			a.Answer = 20 * time.Second
		}
		if len(a.ETA) == 0 {
			a.ETA = []int{15}
		}
	}
	if s.Answer <= 0 {
		s.Answer = 3 * time.Second
	}
	return nil
}

// StartTime is the scenario's clock at its start.
func (s *Scenario) StartTime() time.Time { return s.start }

// rate is the arrival rate (calls per hour) at offset t.
func (s *Scenario) rate(t time.Duration) float64 {
	a := s.Arrivals
	if t <= a[0].At {
		return a[0].PerHour
	}
	for i := 1; i < len(a); i++ {
		if t <= a[i].At {
			f := float64(t-a[i-1].At) / float64(a[i].At-a[i-1].At)
			return a[i-1].PerHour + f*(a[i].PerHour-a[i-1].PerHour)
		}
	}
	return a[len(a)-1].PerHour
}

// Arrival is one scripted call: when, which kind, from where.
type Arrival struct {
	At     time.Duration
	Caller int // index in Callers
	Seq    int // n-th caller of that kind
}

// Plan lists the calls the scenario places, in order. It is deterministic:
// a call is placed each time the integral of the rate passes a whole
// number, and kinds are dealt by share (the kind furthest behind its share
// goes next), so a test can check what reached the records exactly.
func (s *Scenario) Plan() []Arrival {
	var out []Arrival
	const step = time.Second
	var acc float64
	counts := make([]int, len(s.Callers))
	for t := time.Duration(0); t < s.Duration; t += step {
		acc += s.rate(t) * step.Hours()
		for acc >= 1 {
			acc--
			n := len(out) + 1
			best, gap := 0, math.Inf(-1)
			for i, c := range s.Callers {
				if g := c.Share*float64(n) - float64(counts[i]); g > gap {
					best, gap = i, g
				}
			}
			out = append(out, Arrival{At: t, Caller: best, Seq: counts[best]})
			counts[best]++
		}
	}
	return out
}

// Counts tallies the plan by caller kind.
func (s *Scenario) Counts() map[string]int {
	out := map[string]int{}
	for _, a := range s.Plan() {
		out[s.Callers[a.Caller].Kind]++
	}
	return out
}
