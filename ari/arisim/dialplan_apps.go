package arisim

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The applications a Dialplan runs. Each returns at once (dpContinue),
// waits for the clock or the far end (dpSuspend, resuming the run later),
// or takes the channel out of the dialplan (dpStop).

// AppNoOp does nothing, like NoOp(text); the text shows in ChannelDialplan
// with ${VAR} expanded.
func AppNoOp(text ...string) App {
	return App{name: "NoOp", data: strings.Join(text, ","), hangupSafe: true,
		run: func(*Server, *dpRun) dpNext { return dpContinue }}
}

// AppAnswer answers the channel, like Answer().
func AppAnswer() App {
	return App{name: "Answer", run: func(s *Server, r *dpRun) dpNext {
		s.answerLocked(r.ch)
		return dpContinue
	}}
}

// AppSet sets a channel variable, like Set(name=value); value may use
// ${VAR}. name is taken as a variable even when it looks like a function:
// AppSetFunction writes functions.
func AppSet(name, value string) App {
	return App{name: "Set", data: name + "=" + value, hangupSafe: true, run: func(s *Server, r *dpRun) dpNext {
		s.setVarLocked(r.ch, name, s.substituteLocked(r.ch, r, value))
		return dpContinue
	}}
}

// AppSetFunction writes a dialplan function, like Set(CHANNEL(language)=it);
// value may use ${VAR}. CHANNEL(language) changes the language in the
// channel snapshot; any other function (FAXOPT(ecm) ...) is kept under its
// name, readable with GET variable. Neither sends ChannelVarset, as a
// function write does not.
func AppSetFunction(function, value string) App {
	return App{name: "Set", data: function + "=" + value, hangupSafe: true, run: func(s *Server, r *dpRun) dpNext {
		v := s.substituteLocked(r.ch, r, value)
		if strings.EqualFold(function, "CHANNEL(language)") {
			r.ch.snap.Language = v
			r.ch.touch()
		} else {
			r.ch.vars[function] = v
		}
		return dpContinue
	}}
}

// AppGoto jumps to context,exten,priority like Goto(); an empty context
// keeps the current one, and an empty exten (with an empty context) too.
// context and exten may use ${VAR}. A jump to a place that does not exist
// hangs the channel up, as falling off the dialplan does.
func AppGoto(context, exten string, priority int) App {
	parts := []string{strconv.Itoa(priority)}
	if exten != "" || context != "" {
		parts = append([]string{exten}, parts...)
	}
	if context != "" {
		parts = append([]string{context}, parts...)
	}
	return App{name: "Goto", data: strings.Join(parts, ","), hangupSafe: true, run: func(s *Server, r *dpRun) dpNext {
		if context != "" {
			r.context = s.substituteLocked(r.ch, r, context)
		}
		if exten != "" {
			r.exten = s.substituteLocked(r.ch, r, exten)
		}
		r.apps, _ = s.dialplan.lookup(r.context, r.exten)
		r.prio = priority - 1 // the interpreter moves on to priority
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

// AppPlayback plays sound files one after the other, like
// Playback(file1&file2): it answers the channel, the caller hears
// sound:<file> for its media duration, and PLAYBACKSTATUS is set to SUCCESS,
// or FAILED at the first missing file (WithMissingMedia), after which the
// dialplan goes on.
func AppPlayback(files ...string) App {
	return App{name: "Playback", data: strings.Join(files, "&"), run: func(s *Server, r *dpRun) dpNext {
		ch := r.ch
		s.answerLocked(ch)
		uris := make([]string, len(files))
		for i, f := range files {
			uris[i] = "sound:" + s.substituteLocked(ch, r, f)
		}
		var play func(i int) bool
		// play starts file i; it reports false when the run goes on at once.
		play = func(i int) bool {
			status := "SUCCESS"
			if i < len(uris) {
				d, found := s.mediaDuration(uris[i])
				if found {
					if ch.party != nil {
						ch.party.hear(s, uris[i], ch)
					}
					if d >= 0 {
						r.timer = s.afterLocked(d, func() {
							if ch.party != nil {
								ch.party.stopHearing(s, uris[i])
							}
							if !r.done && !ch.dead && ch.dp == r && !play(i+1) {
								s.resumeDialplanLocked(r)
							}
						})
					}
					return true
				}
				status = "FAILED"
			}
			s.setVarLocked(ch, "PLAYBACKSTATUS", status)
			return false
		}
		if play(0) {
			return dpSuspend
		}
		return dpContinue
	}}
}

// AppEcho sends the caller's audio back, like Echo(): the caller hears
// "echo" until they press # (then the dialplan goes on) or hang up.
func AppEcho() App {
	return App{name: "Echo", run: func(s *Server, r *dpRun) dpNext {
		ch := r.ch
		if ch.party != nil {
			ch.party.hear(s, "echo", ch)
		}
		r.onDTMF = func(digit string) {
			if digit != "#" {
				return
			}
			r.onDTMF = nil
			if ch.party != nil {
				ch.party.stopHearing(s, "echo")
			}
			s.resumeDialplanLocked(r)
		}
		return dpSuspend
	}}
}

// FaxResult is what the ReceiveFAX emulation reports after Duration:
// FAXSTATUS, FAXPAGES, REMOTESTATIONID, and FAXERROR when Error is set.
// File is the FAXFILE that AppReceiveFAX reports (AppReceiveFAXFile
// writes to its argument and sets no FAXFILE, as Asterisk's does not).
type FaxResult struct {
	Status          string
	Pages           int
	RemoteStationID string
	File            string
	Error           string
	Duration        time.Duration
	// Fails makes ReceiveFAX return failure after Duration (T.38 refused,
	// the sender gone): the variables are set, and the channel is hung up
	// in the dialplan, which runs the h extension. As the real Asterisk
	// does it (e2e-FailedFax.jsonl, a caller refusing the T.38 re-INVITE):
	// ChannelHangupRequest with the failure's cause, then a soft one with
	// 16 as the PBX ends, the h extension, ChannelDestroyed with the cause.
	Fails bool
	// Cause and TechCause are the failure's Q.850 cause and SIP response
	// (default 58, Bearer capability not available, and 488: the answer
	// to the T.38 re-INVITE).
	Cause, TechCause int
}

// AppReceiveFAX answers and emulates ReceiveFAX(): after Duration it sets the
// fax variables from res, and FAXFILE (res.File, or
// /var/spool/asterisk/fax/<channel id>.tif), and goes on.
func AppReceiveFAX(res FaxResult) App {
	return receiveFAX("/var/spool/asterisk/fax/${UNIQUEID}.tif", res, func(s *Server, ch *channel) {
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
	})
}

// AppReceiveFAXFile is ReceiveFAX(file,options) as extensions.conf writes
// it: it answers, and after res.Duration sets FAXSTATUS, FAXERROR,
// REMOTESTATIONID and FAXPAGES in the order res_fax does (empty values
// left unset) and goes on. The fax is not written anywhere.
func AppReceiveFAXFile(file, options string, res FaxResult) App {
	data := file
	if options != "" {
		data += "," + options
	}
	return receiveFAX(data, res, func(s *Server, ch *channel) {
		for _, v := range []struct{ name, value string }{
			{"FAXSTATUS", res.Status}, {"FAXERROR", res.Error}, {"REMOTESTATIONID", res.RemoteStationID},
			{"FAXPAGES", strconv.Itoa(res.Pages)},
		} {
			if v.value != "" {
				s.setVarLocked(ch, v.name, v.value)
			}
		}
	})
}

func receiveFAX(data string, res FaxResult, report func(*Server, *channel)) App {
	return App{name: "ReceiveFAX", data: data, run: func(s *Server, r *dpRun) dpNext {
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
			report(s, ch)
			if res.Fails {
				cause, tech := res.Cause, res.TechCause
				if cause == 0 {
					cause, tech = 58, 488
				}
				s.hangupLocked(ch, hangup{reqCause: cause, cause: cause, tech: tech, by: "dialplan", pbxSoft: true})
				return
			}
			s.resumeDialplanLocked(r)
		})
		return dpSuspend
	}}
}

// AppUserEvent raises a user event, like UserEvent(name,key: value,...):
// the apps subscribed to the channel get ChannelUserevent with eventname
// and a userevent object holding eventname and each field (values may use
// ${VAR}). It also runs in the h extension.
func AppUserEvent(name string, fields ...string) App {
	data := strings.Join(append([]string{name}, fields...), ",")
	return App{name: "UserEvent", data: data, hangupSafe: true, run: func(s *Server, r *dpRun) dpNext {
		body := map[string]string{"eventname": name}
		for _, f := range fields {
			k, v, _ := strings.Cut(f, ":")
			body[strings.TrimSpace(k)] = strings.TrimSpace(s.substituteLocked(r.ch, r, v))
		}
		s.emitChannel(r.ch, "ChannelUserevent", nil, []kv{{"eventname", name}, {"userevent", body}})
		return dpContinue
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
	return App{name: name, hangupSafe: true, run: func(s *Server, r *dpRun) dpNext {
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
