package arisim

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ascolto/ascolto/clock"
)

// Dialplan is a small extensions.conf: contexts of extensions, each a list
// of applications run at priorities 1, 2, 3 ... Extensions starting with "_"
// are Asterisk patterns (X, Z, N, [1-5], ".", "!").
type Dialplan struct {
	mu       sync.Mutex
	contexts map[string][]dpExten
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
}

// dpNext says what the interpreter does after an application.
type dpNext int

const (
	dpContinue dpNext = iota // go to the next priority
	dpSuspend                // the app resumes the run later (timer, dial)
	dpStop                   // the channel left the dialplan (Stasis, hangup)
)

// NewDialplan returns an empty dialplan.
func NewDialplan() *Dialplan { return &Dialplan{contexts: map[string][]dpExten{}} }

// DefaultDialplan is what New uses:
//
//	[from-trunk]        800840840 => Stasis(ascolto), Hangup()
//	[ascolto-fax]       s         => ReceiveFAX (SUCCESS, 1 page, 20 s), Stasis(ascolto,fax-done), Hangup()
//	[ascolto-transfer]  _X. _+X.  => Dial(PJSIP/${EXTEN}@trunk,30), Hangup()
func DefaultDialplan() *Dialplan {
	d := NewDialplan()
	d.Add("from-trunk", "800840840", AppStasis("ascolto"), AppHangup())
	d.Add("ascolto-fax", "s", AppReceiveFAX(FaxResult{Status: "SUCCESS", Pages: 1, RemoteStationID: "+39 06 0000000", Duration: 20 * time.Second}),
		AppStasis("ascolto", "fax-done"), AppHangup())
	for _, p := range []string{"_X.", "_+X."} {
		d.Add("ascolto-transfer", p, AppDial("PJSIP/${EXTEN}@trunk", 30*time.Second), AppHangup())
	}
	return d
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
	leg     *channel // the outbound leg of a Dial() in progress
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
	for !r.done && !ch.dead && ch.dp == r {
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

// AppNoOp does nothing, like NoOp().
func AppNoOp() App {
	return App{name: "NoOp", run: func(*Server, *dpRun) dpNext { return dpContinue }}
}

// AppAnswer answers the channel, like Answer().
func AppAnswer() App {
	return App{name: "Answer", run: func(s *Server, r *dpRun) dpNext {
		s.answerLocked(r.ch)
		return dpContinue
	}}
}

// AppSet sets a channel variable, like Set(name=value); value may use ${VAR}.
func AppSet(name, value string) App {
	return App{name: "Set", data: name + "=" + value, run: func(s *Server, r *dpRun) dpNext {
		s.setVarLocked(r.ch, name, s.substituteLocked(r.ch, r, value))
		return dpContinue
	}}
}

// AppWait waits, like Wait(seconds).
func AppWait(d time.Duration) App {
	return App{name: "Wait", data: strconv.FormatFloat(d.Seconds(), 'f', -1, 64), run: func(s *Server, r *dpRun) dpNext {
		r.timer = s.afterLocked(d, func() { s.resumeDialplanLocked(r) })
		return dpSuspend
	}}
}

// AppStasis hands the channel to a Stasis application with args, like
// Stasis(app,arg1,arg2); args may use ${EXTEN}. If the app has no connected
// WebSocket, STASISSTATUS=FAILED and the dialplan goes on.
func AppStasis(appName string, args ...string) App {
	data := strings.Join(append([]string{appName}, args...), ",")
	return App{name: "Stasis", data: data, run: func(s *Server, r *dpRun) dpNext {
		expanded := make([]string, len(args))
		for i, a := range args {
			expanded[i] = s.substituteLocked(r.ch, r, a)
		}
		if s.enterStasisLocked(r.ch, appName, expanded) {
			return dpStop
		}
		return dpContinue
	}}
}

// AppHangup hangs the channel up, like Hangup().
func AppHangup() App {
	return App{name: "Hangup", run: func(s *Server, r *dpRun) dpNext {
		s.hangupLocked(r.ch, hangup{reqCause: 16, soft: true, cause: 16, by: "dialplan"})
		return dpStop
	}}
}

// AppDial calls a dial string (for example "PJSIP/${EXTEN}@trunk") for up to
// timeout, like Dial(): when answered both legs talk until one hangs up, and
// the other is hung up too; otherwise DIALSTATUS (BUSY, NOANSWER,
// CHANUNAVAIL) is set and the dialplan goes on. This is how a blind transfer
// to an external number leaves the controller's hands.
func AppDial(dial string, timeout time.Duration) App {
	return App{name: "Dial", data: fmt.Sprintf("%s,%d", dial, int(timeout.Seconds())), run: func(s *Server, r *dpRun) dpNext {
		caller := r.ch
		target := s.substituteLocked(caller, r, dial)
		ep, user, errRes := s.resolveLocked(target)
		if errRes != nil {
			caller.vars["DIALSTATUS"] = "CHANUNAVAIL"
			return dpContinue
		}
		out := s.newChannelLocked(ep, kindDialplan, "")
		out.user = user
		out.snap.Caller = caller.snap.Caller
		out.snap.Connected = caller.snap.Caller
		out.setDialplan(ep.context, "s", 1, "AppDial", "(Outgoing Line)")
		if caller.party != nil {
			caller.party.hear(s, "indication:ringing", caller)
		}
		d := &dialing{dialstring: dialstringOf(out)}
		d.onAnswer = func() {
			if caller.party != nil {
				caller.party.stopHearing(s, "indication:ringing")
			}
			if caller.dead {
				s.hangupLocked(out, hangup{cause: 16, by: "remote"})
				return
			}
			caller.vars["DIALSTATUS"] = "ANSWER"
			s.answerLocked(caller)
			caller.linked, out.linked = out, caller
			if caller.party != nil {
				caller.party.linkedTo(s, out)
			}
			if out.party != nil {
				out.party.linkedTo(s, caller)
			}
		}
		d.onFail = func(status string) {
			r.leg = nil
			if caller.party != nil {
				caller.party.stopHearing(s, "indication:ringing")
			}
			caller.vars["DIALSTATUS"] = status
			s.resumeDialplanLocked(r)
		}
		r.leg = out
		s.startDialLocked(out, d, timeout)
		return dpSuspend
	}}
}

// FaxResult is what the ReceiveFAX emulation reports in FAXSTATUS,
// FAXPAGES, REMOTESTATIONID, FAXFILE (and FAXERROR when Status is FAILED),
// after Duration.
type FaxResult struct {
	Status          string
	Pages           int
	RemoteStationID string
	File            string
	Error           string
	Duration        time.Duration
}

// AppReceiveFAX answers and emulates ReceiveFAX(): after Duration it sets the
// fax variables from res and goes on.
func AppReceiveFAX(res FaxResult) App {
	return App{name: "ReceiveFAX", data: "/var/spool/asterisk/fax/${UNIQUEID}.tif", run: func(s *Server, r *dpRun) dpNext {
		s.answerLocked(r.ch)
		if r.ch.party != nil {
			r.ch.party.hear(s, "fax:receive", r.ch)
		}
		r.timer = s.afterLocked(res.Duration, func() {
			ch := r.ch
			if ch.dead || ch.dp != r {
				return
			}
			if ch.party != nil {
				ch.party.stopHearing(s, "fax:receive")
			}
			file := res.File
			if file == "" {
				file = "/var/spool/asterisk/fax/" + ch.id + ".tif"
			}
			s.setVarLocked(ch, "FAXSTATUS", res.Status)
			s.setVarLocked(ch, "FAXPAGES", strconv.Itoa(res.Pages))
			s.setVarLocked(ch, "REMOTESTATIONID", res.RemoteStationID)
			s.setVarLocked(ch, "FAXFILE", file)
			if res.Error != "" {
				s.setVarLocked(ch, "FAXERROR", res.Error)
			}
			s.resumeDialplanLocked(r)
		})
		return dpSuspend
	}}
}

// DialplanChannel is what a Go dialplan function sees and may change.
type DialplanChannel struct {
	ID           string
	Name         string
	CallerNumber string
	Exten        string
	Vars         map[string]string
}

// AppFunc runs fn with the channel; variables fn adds or changes in Vars are
// set on the channel. fn runs with the simulator locked: it must not call
// the Server.
func AppFunc(name string, fn func(*DialplanChannel)) App {
	return App{name: name, run: func(s *Server, r *dpRun) dpNext {
		ch := r.ch
		dc := &DialplanChannel{ID: ch.id, Name: ch.snap.Name, CallerNumber: ch.snap.Caller.Number, Exten: r.exten, Vars: map[string]string{}}
		for k, v := range ch.vars {
			dc.Vars[k] = v
		}
		fn(dc)
		for k, v := range dc.Vars {
			if ch.vars[k] != v {
				s.setVarLocked(ch, k, v)
			}
		}
		return dpContinue
	}}
}
