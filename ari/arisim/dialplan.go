package arisim

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ascolto/ascolto/clock"
	"go.uber.org/zap"
)

// Dialplan is a small extensions.conf: contexts of extensions, each a list
// of applications run at priorities 1, 2, 3 ... Extensions starting with "_"
// are Asterisk patterns (X, Z, N, [1-5], ".", "!").
type Dialplan struct {
	mu       sync.Mutex
	contexts map[string][]dpExten
	globals  map[string]string
}

type dpExten struct {
	pattern string
	apps    []App
}

// App is one dialplan application, such as Stasis(ascolto) or Set(X=1).
type App struct {
	name string
	data string
	run  func(s *Server, r *dpRun) dpNext
	// hangupSafe apps also run in the h extension, on a hung-up channel;
	// any other app returns at once there and ends the h extension.
	hangupSafe bool
}

// dpNext says what the interpreter does after an application.
type dpNext int

const (
	dpContinue dpNext = iota // go to the next priority
	dpSuspend                // the app resumes the run later (timer, dial)
	dpStop                   // the channel left the dialplan (Stasis, hangup)
)

// NewDialplan returns an empty dialplan.
func NewDialplan() *Dialplan {
	return &Dialplan{contexts: map[string][]dpExten{}, globals: map[string]string{}}
}

// DialplanOption tunes the dialplan that LoadDialplan, ParseDialplan or
// DefaultDialplan build.
type DialplanOption func(*dialplanConfig)

type dialplanConfig struct {
	fax FaxResult
}

// WithFaxResult sets what every ReceiveFAX() of the dialplan reports; by
// default a one-page fax from "+39 06 0000000", SUCCESS after 20 s.
func WithFaxResult(res FaxResult) DialplanOption {
	return func(c *dialplanConfig) { c.fax = res }
}

func newDialplanConfig(opts []DialplanOption) dialplanConfig {
	c := dialplanConfig{fax: FaxResult{Status: "SUCCESS", Pages: 1, RemoteStationID: "+39 06 0000000", Duration: 20 * time.Second}}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// DefaultDialplan is what New uses: the production dialplan,
// asterisk-conf/extensions.conf, written out by hand (that file lives
// outside this package; TestProductionDialplan loads it and checks that
// both behave the same). The applications not shown are NoOp() log lines.
//
//	[globals]           TRUNK=trunk
//	[from-trunk]        800840840  => Set(CHANNEL(language)=it), Stasis(ascolto,800840840), Hangup()
//	                    0862000000 => Set(ASCOLTO_FAX_NUMBER=${EXTEN}), Goto(ascolto-fax,receive,1)
//	                    fax        => Goto(ascolto-fax,receive,1)
//	                    _X.        => Set(CHANNEL(language)=it), Stasis(ascolto,${EXTEN}), Hangup()
//	[ascolto-fax]       receive    => Set(FAXOPT(ecm)=yes), Set(FAXFILE=${ASTSPOOLDIR}/fax/${UNIQUEID}.tif),
//	                                  Answer(), ReceiveFAX(${FAXFILE},f), Goto(done,1)
//	                    done       => Stasis(ascolto,fax-done,${ASCOLTO_FAX_NUMBER}), Hangup()
//	                    h          => NoOp(...)
//	[ascolto-transfer]  dial       => Dial(PJSIP/${TRANSFER_TO}@${TRUNK},60), Stasis(ascolto,transfer-failed,${DIALSTATUS}), Hangup()
//	[from-agents]       600        => Answer(), Playback(demo-echotest), Echo(), Hangup()
//	                    _X.        => Playback(ss-noservice), Hangup()
//
// Options choose what ReceiveFAX() reports (WithFaxResult).
func DefaultDialplan(opts ...DialplanOption) *Dialplan {
	cfg := newDialplanConfig(opts)
	d := NewDialplan()
	d.SetGlobal("TRUNK", "trunk")
	d.Add("from-trunk", "800840840",
		AppNoOp("ascolto: call ${CALLERID(num)} -> ${EXTEN}"),
		AppSetFunction("CHANNEL(language)", "it"),
		AppStasis("ascolto", "800840840"),
		AppHangup())
	d.Add("from-trunk", "0862000000",
		AppNoOp("ascolto: fax line ${CALLERID(num)}"),
		AppSet("ASCOLTO_FAX_NUMBER", "${EXTEN}"),
		AppGoto("ascolto-fax", "receive", 1))
	d.Add("from-trunk", "fax", AppGoto("ascolto-fax", "receive", 1))
	d.Add("from-trunk", "_X.",
		AppSetFunction("CHANNEL(language)", "it"),
		AppStasis("ascolto", "${EXTEN}"),
		AppHangup())
	d.Add("ascolto-fax", "receive",
		AppNoOp("ascolto: receiving fax from ${CALLERID(num)}"),
		AppSetFunction("FAXOPT(ecm)", "yes"),
		AppSet("FAXFILE", "${ASTSPOOLDIR}/fax/${UNIQUEID}.tif"),
		AppAnswer(),
		AppReceiveFAXFile("${FAXFILE}", "f", cfg.fax),
		AppGoto("", "done", 1))
	d.Add("ascolto-fax", "done",
		AppNoOp("ascolto: fax ${FAXSTATUS} pages=${FAXPAGES} from=${REMOTESTATIONID}"),
		AppStasis("ascolto", "fax-done", "${ASCOLTO_FAX_NUMBER}"),
		AppHangup())
	d.Add("ascolto-fax", "h", AppNoOp("ascolto: fax channel gone, status ${FAXSTATUS}"),
		AppUserEvent("AscoltoFax", "status: ${FAXSTATUS}", "error: ${FAXERROR}", "pages: ${FAXPAGES}",
			"station: ${REMOTESTATIONID}", "file: ${FAXFILE}"))
	d.Add("ascolto-transfer", "dial",
		AppNoOp("ascolto: transfer ${CALLERID(num)} -> ${TRANSFER_TO}"),
		AppDial("PJSIP/${TRANSFER_TO}@${TRUNK}", 60*time.Second),
		AppStasis("ascolto", "transfer-failed", "${DIALSTATUS}"),
		AppHangup())
	d.Add("from-agents", "600", AppAnswer(), AppPlayback("demo-echotest"), AppEcho(), AppHangup())
	d.Add("from-agents", "_X.", AppPlayback("ss-noservice"), AppHangup())
	return d
}

// SetGlobal sets a global variable, as a line of [globals] does. New copies
// the dialplan's globals into the server's (GET /asterisk/variable).
func (d *Dialplan) SetGlobal(name, value string) *Dialplan {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.globals[name] = value
	return d
}

// String lists the dialplan in extensions.conf form: globals, then
// contexts by name, each with its extensions in the order they were added
// and the data of each application as written.
func (d *Dialplan) String() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var b strings.Builder
	names := make([]string, 0, len(d.globals))
	for n := range d.globals {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) > 0 {
		b.WriteString("[globals]\n")
		for _, n := range names {
			fmt.Fprintf(&b, "%s=%s\n", n, d.globals[n])
		}
	}
	names = names[:0]
	for n := range d.contexts {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(&b, "[%s]\n", n)
		for _, e := range d.contexts[n] {
			for i, a := range e.apps {
				fmt.Fprintf(&b, "exten => %s,%d,%s(%s)\n", e.pattern, i+1, a.name, a.data)
			}
		}
	}
	return b.String()
}

// Add sets extension exten of context to run apps at priorities 1..n,
// replacing what was there.
func (d *Dialplan) Add(context, exten string, apps ...App) *Dialplan {
	d.mu.Lock()
	defer d.mu.Unlock()
	exts := d.contexts[context]
	for i, e := range exts {
		if e.pattern == exten {
			exts[i].apps = apps
			return d
		}
	}
	d.contexts[context] = append(exts, dpExten{pattern: exten, apps: apps})
	return d
}

// lookup finds the applications of exten in context: exact matches first,
// then patterns in the order they were added.
func (d *Dialplan) lookup(context, exten string) ([]App, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	exts := d.contexts[context]
	for _, e := range exts {
		if e.pattern == exten {
			return e.apps, true
		}
	}
	for _, e := range exts {
		if strings.HasPrefix(e.pattern, "_") && matchPattern(e.pattern[1:], exten) {
			return e.apps, true
		}
	}
	return nil, false
}

// matchPattern implements Asterisk extension patterns.
func matchPattern(p, s string) bool {
	for len(p) > 0 {
		c := p[0]
		switch c {
		case '.':
			return len(s) > 0
		case '!':
			return true
		}
		if len(s) == 0 {
			return false
		}
		switch c {
		case 'X', 'x':
			if s[0] < '0' || s[0] > '9' {
				return false
			}
		case 'Z', 'z':
			if s[0] < '1' || s[0] > '9' {
				return false
			}
		case 'N', 'n':
			if s[0] < '2' || s[0] > '9' {
				return false
			}
		case '[':
			end := strings.IndexByte(p, ']')
			if end < 0 || !inSet(p[1:end], s[0]) {
				return false
			}
			p = p[end:]
		default:
			if c != s[0] {
				return false
			}
		}
		p, s = p[1:], s[1:]
	}
	return len(s) == 0
}

func inSet(set string, c byte) bool {
	for i := 0; i < len(set); i++ {
		if i+2 < len(set) && set[i+1] == '-' {
			if c >= set[i] && c <= set[i+2] {
				return true
			}
			i += 2
			continue
		}
		if set[i] == c {
			return true
		}
	}
	return false
}

// dpRun is a channel executing the dialplan.
type dpRun struct {
	ch      *channel
	context string
	exten   string
	prio    int
	apps    []App
	timer   clock.Timer
	leg     *channel           // the outbound leg of a Dial() in progress
	onDTMF  func(digit string) // what a suspended app does with a digit the caller presses
	done    bool
}

func (r *dpRun) stop() {
	r.done = true
	if r.timer != nil {
		r.timer.Stop()
	}
}

// runDialplanLocked starts ch at context/exten/priority. An unknown
// extension hangs the channel up, as a fall-through does.
func (s *Server) runDialplanLocked(ch *channel, context, exten string, prio int) {
	if ch.dp != nil {
		ch.dp.stop()
	}
	ch.pbx = true
	apps, found := s.dialplan.lookup(context, exten)
	if !found {
		ch.dp = nil
		s.hangupLocked(ch, hangup{reqCause: 16, cause: 1, by: "dialplan"})
		return
	}
	r := &dpRun{ch: ch, context: context, exten: exten, prio: prio, apps: apps}
	ch.dp = r
	s.stepDialplanLocked(r)
}

// stepDialplanLocked runs priorities until an application suspends or stops.
func (s *Server) stepDialplanLocked(r *dpRun) {
	ch := r.ch
	for n := 0; !r.done && !ch.dead && ch.dp == r; n++ {
		if n == maxDialplanSteps {
			// A Goto loop with nothing that waits would spin forever under
			// the lock (and at 100% CPU in Asterisk): stop it loudly.
			s.log.Error("arisim: the dialplan loops without waiting; hanging up",
				zap.String("context", r.context), zap.String("exten", r.exten))
			r.done = true
			s.hangupLocked(ch, hangup{reqCause: 16, soft: true, cause: 16, by: "dialplan"})
			return
		}
		if r.prio < 1 || r.prio > len(r.apps) {
			// Falling off the end of an extension hangs up (autofallthrough).
			r.done = true
			s.hangupLocked(ch, hangup{reqCause: 16, soft: true, cause: 16, by: "dialplan"})
			return
		}
		a := r.apps[r.prio-1]
		data := s.substituteLocked(ch, r, a.data)
		ch.setDialplan(r.context, r.exten, r.prio, a.name, data)
		s.emitChannel(ch, "ChannelDialplan", nil, []kv{{"dialplan_app", a.name}, {"dialplan_app_data", data}})
		switch a.run(s, r) {
		case dpContinue:
			r.prio++
		case dpSuspend:
			return
		case dpStop:
			r.done = true
			if ch.dp == r {
				ch.dp = nil
			}
			return
		}
	}
}

// resume continues a suspended run at the next priority.
func (s *Server) resumeDialplanLocked(r *dpRun) {
	if r.done || r.ch.dead || r.ch.dp != r {
		return
	}
	r.prio++
	s.stepDialplanLocked(r)
}

// maxDialplanSteps bounds the applications one channel runs without
// waiting, so that a Goto loop cannot hang the simulator.
const maxDialplanSteps = 10000

// runHangupExtenLocked runs the h extension of context on a channel that
// hung up while Asterisk ran the dialplan on it (in Stasis() too), as the
// PBX does before it destroys the channel: a ChannelDialplan per priority,
// NoOp/Set/Goto doing their work, and any other application returning at
// once, which ends the extension. No trace shows it; it follows
// ast_pbx_h_exten_run in Asterisk's main/pbx.c.
func (s *Server) runHangupExtenLocked(ch *channel, context string) {
	apps, found := s.dialplan.lookup(context, "h")
	if !found {
		return
	}
	r := &dpRun{ch: ch, context: context, exten: "h", prio: 1, apps: apps}
	for n := 0; n < maxDialplanSteps && r.prio >= 1 && r.prio <= len(r.apps); n++ {
		a := r.apps[r.prio-1]
		data := s.substituteLocked(ch, r, a.data)
		ch.setDialplan(r.context, r.exten, r.prio, a.name, data)
		s.emitChannel(ch, "ChannelDialplan", nil, []kv{{"dialplan_app", a.name}, {"dialplan_app_data", data}})
		if !a.hangupSafe {
			return
		}
		a.run(s, r)
		r.prio++
	}
	if r.prio > len(r.apps) {
		// Past the last priority, as the PBX leaves it (h,3 after h,2).
		d := ch.snap.Dialplan
		ch.setDialplan(r.context, r.exten, r.prio, d.AppName, d.AppData)
	}
}

// dialplanDTMFLocked hands a digit the caller pressed to the application
// the channel waits in, if it listens (Echo ends on #).
func (s *Server) dialplanDTMFLocked(ch *channel, digit string) {
	if r := ch.dp; r != nil && !r.done && r.onDTMF != nil {
		r.onDTMF(digit)
	}
}

var varRef = regexp.MustCompile(`\$\{([^}]+)\}`)

// substituteLocked expands ${VAR} and ${EXTEN} in application data.
func (s *Server) substituteLocked(ch *channel, r *dpRun, data string) string {
	if !strings.Contains(data, "${") {
		return data
	}
	return varRef.ReplaceAllStringFunc(data, func(m string) string {
		name := m[2 : len(m)-1]
		if name == "EXTEN" {
			return r.exten
		}
		if name == "CONTEXT" {
			return r.context
		}
		v, _ := s.readVarLocked(ch, name)
		return v
	})
}
