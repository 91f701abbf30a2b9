package ivr

import "time"

// A flow's shape for people to look at (the console draws it as a graph):
// each node as a Step with what it does and the ways out of it. It is read
// from the compiled flow, so it shows exactly what calls will follow.

// Via says how a call leaves a step along an Exit.
type Via string

// The ways a call moves from one step to the next.
const (
	ViaNext      Via = "next"      // on, once the step is done
	ViaKey       Via = "key"       // the caller pressed Exit.Key at a menu
	ViaNoChoice  Via = "nochoice"  // a menu's retries ran out (no key, or wrong keys); with pass_other_keys also any other key at once
	ViaOpen      Via = "open"      // hours: the site is open now
	ViaClosed    Via = "closed"    // hours: the site is closed now
	ViaOrdinary  Via = "ordinary"  // mode: ordinary service
	ViaEmergency Via = "emergency" // mode: emergency, H24
	ViaModeOff   Via = "mode-off"  // mode: service closed
	ViaFailed    Via = "failed"    // record: nothing recorded; transfer: the number could not be reached
)

// Exit is one way out of a step.
type Exit struct {
	Via Via
	Key string // the key pressed, for ViaKey
	To  string // the step the call goes to
}

// Step is one node of a flow as written, with its exits in a fixed order:
// menu keys in keypad order (1-9, 0, *, #), then the rest.
type Step struct {
	ID      string
	Kind    Kind
	Line    int // where the node starts in the file
	Prompts []string

	// menu
	Timeout       time.Duration
	Retries       int
	PassOtherKeys bool
	// tag, queue
	Category    string
	Urgency     Urgency
	SetsUrgency bool
	Priority    int
	SetsPrio    bool
	// record
	MaxSeconds   int
	TerminateKey string
	// queue, transfer, language
	Queue    string
	Number   string
	Language string

	Exits []Exit
}

// keypadOrder is the order menu keys are listed in.
var keypadOrder = []byte("1234567890*#")

// Steps returns the flow's steps in file order.
func (f *Flow) Steps() []Step {
	out := make([]Step, len(f.nodes))
	for i := range f.nodes {
		n := &f.nodes[i]
		s := Step{ID: n.id, Kind: n.kind, Line: n.line, Prompts: append([]string(nil), n.prompts...),
			Category: n.category, Urgency: n.urgency, SetsUrgency: n.setsUrgency, Priority: n.priority, SetsPrio: n.setsPrio,
			Queue: n.queue, Number: n.number, Language: n.language}
		exit := func(via Via, key string, to int) {
			if to >= 0 {
				s.Exits = append(s.Exits, Exit{Via: via, Key: key, To: f.nodes[to].id})
			}
		}
		switch n.kind {
		case KindMenu:
			s.Timeout, s.Retries, s.PassOtherKeys = n.timeout, n.retries, n.passOtherKeys
			for _, k := range keypadOrder {
				exit(ViaKey, string(k), n.choices[dtmfIndex(k)])
			}
			exit(ViaNoChoice, "", n.afterRetries)
		case KindHours:
			exit(ViaOpen, "", n.open)
			exit(ViaClosed, "", n.closed)
		case KindMode:
			exit(ViaOrdinary, "", n.byMode[0])
			exit(ViaEmergency, "", n.byMode[1])
			exit(ViaModeOff, "", n.byMode[2])
		case KindRecord:
			s.MaxSeconds, s.TerminateKey = n.maxSeconds, n.terminateKey
			exit(ViaNext, "", n.next)
			exit(ViaFailed, "", n.failed)
		case KindTransfer:
			exit(ViaFailed, "", n.failed)
		default:
			exit(ViaNext, "", n.next)
		}
		out[i] = s
	}
	return out
}

// Terminal reports whether a step of this kind ends the IVR part of a call
// (queue, transfer, fax, hangup).
func (k Kind) Terminal() bool { return k.terminal() }
