package ivr

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Kind is what a flow node does.
type Kind uint8

// The node kinds a flow can use.
const (
	KindPlay     Kind = iota + 1 // play one or more prompts, then go on
	KindMenu                     // play prompts and wait for one DTMF key
	KindHours                    // branch on the site calendar: open or closed
	KindMode                     // branch on the operating mode
	KindTag                      // set category, urgency and priority on the call
	KindRecord                   // record a message that becomes a case
	KindQueue                    // hand the call to a queue (ends the IVR)
	KindTransfer                 // transfer to an external number (ends the IVR)
	KindFax                      // hand the call to fax reception (ends the IVR)
	KindHangup                   // hang up (ends the IVR)
	KindLanguage                 // switch the prompt language
)

// String returns the kind as written in a flow file.
func (k Kind) String() string {
	switch k {
	case KindPlay:
		return "play"
	case KindMenu:
		return "menu"
	case KindHours:
		return "hours"
	case KindMode:
		return "mode"
	case KindTag:
		return "tag"
	case KindRecord:
		return "record"
	case KindQueue:
		return "queue"
	case KindTransfer:
		return "transfer"
	case KindFax:
		return "fax"
	case KindHangup:
		return "hangup"
	case KindLanguage:
		return "language"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// kindNames lists every kind name, for suggestions in validation messages.
func kindNames() []string {
	return []string{"play", "menu", "hours", "mode", "tag", "record", "queue", "transfer", "fax", "hangup", "language"}
}

func parseKind(s string) (Kind, bool) {
	for k := KindPlay; k <= KindLanguage; k++ {
		if k.String() == s {
			return k, true
		}
	}
	return 0, false
}

// terminal reports whether a node of this kind ends the IVR part of a call.
func (k Kind) terminal() bool {
	return k == KindQueue || k == KindTransfer || k == KindFax || k == KindHangup
}

// Urgency is how urgent a call is, as set by tag nodes.
type Urgency uint8

// The urgency levels; a call starts at UrgencyNone.
const (
	UrgencyNone     Urgency = iota // an ordinary request
	UrgencyElevated                // a report of a risk that needs attention soon
	UrgencyRescue                  // someone's safety is in danger now: a rescue request
)

// String returns the urgency as written in a flow file.
func (u Urgency) String() string {
	switch u {
	case UrgencyNone:
		return "none"
	case UrgencyElevated:
		return "elevated"
	case UrgencyRescue:
		return "rescue"
	}
	return fmt.Sprintf("urgency(%d)", uint8(u))
}

// ParseUrgency reads an urgency written as none, elevated or rescue.
func ParseUrgency(s string) (Urgency, error) {
	switch s {
	case "none":
		return UrgencyNone, nil
	case "elevated":
		return UrgencyElevated, nil
	case "rescue":
		return UrgencyRescue, nil
	}
	return 0, fmt.Errorf("ivr: urgency %q: %w", s, ErrBadUrgency)
}

// Limits on values in a flow, so that a typo cannot make a call wait an hour.
const (
	MaxPriority      = 10          // priorities run from 0 (normal) to 10 (most urgent)
	MaxRetries       = 5           // a menu repeats at most this many times
	MinMenuTimeout   = time.Second // shortest wait for a key
	MaxMenuTimeout   = 60 * time.Second
	MaxRecordSeconds = 600              // longest message a caller can leave
	MaxFlowBytes     = 1 << 20          // a flow file larger than this is refused
	SoundPrefix      = "sound:ascolto/" // prompt name → Asterisk media URI
)

// Errors returned by this package; match them with errors.Is.
var (
	ErrInvalidFlow = errors.New("flow is not valid")
	ErrNotLoaded   = errors.New("flow was not loaded through Load")
	ErrBadUrgency  = errors.New("urgency must be none, elevated or rescue")
	ErrBadMode     = errors.New("mode must be ordinary, emergency or closed")
	ErrNoCalendar  = errors.New("flow has an hours node but no calendar was given")
	ErrStarted     = errors.New("session already started")
	ErrBadInput    = errors.New("bad simulation input")
	ErrBadSite     = errors.New("bad site calendar")
	ErrBadPrompts  = errors.New("bad prompt catalog")
)

// Catalog tells the validator which prompts and queues exist.
type Catalog interface {
	// HasPrompt reports whether a prompt of that name exists.
	HasPrompt(name string) bool
	// HasQueue reports whether a queue of that name exists.
	HasQueue(name string) bool
}

// NewCatalog returns a Catalog made of a prompt catalog and a list of queue names.
func NewCatalog(prompts *Prompts, queues []string) Catalog {
	set := make(map[string]bool, len(queues))
	for _, q := range queues {
		set[q] = true
	}
	return catalog{prompts: prompts, queues: set}
}

type catalog struct {
	prompts *Prompts
	queues  map[string]bool
}

// HasPrompt reports whether the prompt catalog has name.
func (c catalog) HasPrompt(name string) bool { return c.prompts != nil && c.prompts.Has(name) }

// HasQueue reports whether name is one of the queues given.
func (c catalog) HasQueue(name string) bool { return c.queues[name] }

// Flow is a validated, compiled IVR flow. It is immutable and safe to share
// between sessions; the only way to get one is Load, so a flow that fails
// validation cannot run.
type Flow struct {
	name        string
	description string
	digest      string
	start       int
	nodes       []node
	index       map[string]int
	usesHours   bool
}

// node is one compiled step. Indexes refer to Flow.nodes; -1 means none.
type node struct {
	id     string
	kind   Kind
	line   int
	column int

	prompts []string // prompt names played on entry
	media   []string // the same as Asterisk media URIs
	next    int

	// menu
	choices      [12]int // by dtmfIndex
	timeout      time.Duration
	retries      int
	invalidNames []string // invalid-input prompt followed by the menu prompts
	invalidMedia []string
	silentNames  []string // no-input prompt followed by the menu prompts
	silentMedia  []string
	afterRetries int
	// passOtherKeys: a key that is not a choice here leaves through
	// after_retries and is taken as pressed at the next menu (type-ahead), so a
	// caller who knows the menu can press 1 during the greeting.
	passOtherKeys bool

	// hours
	open   int
	closed int

	// mode, by modeIndex
	byMode [3]int

	// tag, and priority for queue
	category    string
	urgency     Urgency
	setsUrgency bool
	priority    int
	setsPrio    bool

	// record
	maxSeconds   int
	beep         bool
	terminateKey string

	queue    string
	number   string
	failed   int // transfer: where the flow goes on when the number cannot be reached, -1 = apologise and end; record: where it goes when no message could be recorded, -1 = on to next
	language string
}

// dtmfIndex maps a DTMF key to a slot in node.choices, or -1.
func dtmfIndex(d byte) int {
	switch {
	case d >= '0' && d <= '9':
		return int(d - '0')
	case d == '*':
		return 10
	case d == '#':
		return 11
	}
	return -1
}

// Load parses and validates src and returns the runnable flow, or an error
// wrapping ErrInvalidFlow whose *ValidationError lists every problem.
func Load(src []byte, cat Catalog) (*Flow, error) {
	f, problems := compile(src, cat)
	if len(problems) > 0 {
		return nil, &ValidationError{Problems: problems}
	}
	return f, nil
}

// Name returns the flow's name as written in its file.
func (f *Flow) Name() string { return f.name }

// Description returns the flow's description as written in its file.
func (f *Flow) Description() string { return f.description }

// Digest returns the SHA-256 of the flow source in hex, so a call record can
// name the exact version a call ran on.
func (f *Flow) Digest() string { return f.digest }

// Start returns the id of the first node.
func (f *Flow) Start() string { return f.nodes[f.start].id }

// NodeIDs returns the node ids in the order they appear in the file.
func (f *Flow) NodeIDs() []string {
	ids := make([]string, len(f.nodes))
	for i := range f.nodes {
		ids[i] = f.nodes[i].id
	}
	return ids
}

// NodeKind returns the kind of the node with that id.
func (f *Flow) NodeKind(id string) (Kind, bool) {
	i, ok := f.index[id]
	if !ok {
		return 0, false
	}
	return f.nodes[i].kind, true
}

// UsesHours reports whether the flow has an hours node and so needs a calendar.
func (f *Flow) UsesHours() bool { return f.usesHours }

func digestOf(src []byte) string {
	sum := sha256.Sum256(src)
	return hex.EncodeToString(sum[:])
}

// soundURI turns a prompt name into the media URI the controller plays.
func soundURI(name string) string { return SoundPrefix + name }

func join(items []string) string { return strings.Join(items, ", ") }
