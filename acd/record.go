package acd

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// RecordEvent names a queue-log event. The names follow Asterisk's queue_log
// where Asterisk has one; FULL, MOVED, CALLBACK_*, HOLD/UNHOLD and WRAPUPEND
// are ours.
type RecordEvent string

// Queue-log events.
const (
	LogEnterQueue        RecordEvent = "ENTERQUEUE"         // the call entered a queue
	LogFull              RecordEvent = "FULL"               // the queue was full; the call went to its overflow target
	LogConnect           RecordEvent = "CONNECT"            // an agent answered
	LogRingNoAnswer      RecordEvent = "RINGNOANSWER"       // an offer ended unanswered (Reason says why)
	LogAbandon           RecordEvent = "ABANDON"            // the caller hung up before being connected
	LogExitWithTimeout   RecordEvent = "EXITWITHTIMEOUT"    // max wait reached; the call went to the overflow target
	LogCompleteCaller    RecordEvent = "COMPLETECALLER"     // connected call ended by the caller
	LogCompleteAgent     RecordEvent = "COMPLETEAGENT"      // connected call ended by the agent
	LogTransfer          RecordEvent = "TRANSFER"           // blind transfer; Reason is the queue or destination
	LogMoved             RecordEvent = "MOVED"              // the queue was removed; the call moved (Reason: where)
	LogHold              RecordEvent = "HOLD"               // caller put on hold
	LogUnhold            RecordEvent = "UNHOLD"             // caller back from hold
	LogCallbackOffered   RecordEvent = "CALLBACK_OFFERED"   // the overflow offered a callback
	LogCallbackRequested RecordEvent = "CALLBACK_REQUESTED" // the caller asked to be called back and hung up
	LogCallbackDialed    RecordEvent = "CALLBACK_DIALED"    // the citizen is being dialled, an agent reserved
	LogCallbackConnected RecordEvent = "CALLBACK_CONNECTED" // the agent answered the callback (in place of CONNECT)
	LogCallbackRetry     RecordEvent = "CALLBACK_RETRY"     // a dial failed; another attempt will follow
	LogCallbackFailed    RecordEvent = "CALLBACK_FAILED"    // the last attempt failed; the callback is given up
	LogPause             RecordEvent = "PAUSE"              // agent paused (Reason)
	LogUnpause           RecordEvent = "UNPAUSE"            // agent unpaused
	LogAddMember         RecordEvent = "ADDMEMBER"          // agent added to a queue
	LogRemoveMember      RecordEvent = "REMOVEMEMBER"       // agent removed from a queue
	LogAgentLogin        RecordEvent = "AGENTLOGIN"         // agent logged in
	LogAgentLogoff       RecordEvent = "AGENTLOGOFF"        // agent logged out
	LogWrapUpEnd         RecordEvent = "WRAPUPEND"          // agent finished after-call work for Call
)

// Record is one queue-log entry. Wait, Ring, Talk and Hold are the call's
// totals across its whole life up to Time (overflows and transfers included),
// so the final record of a call accounts every second from its arrival.
// Final marks the one record that ends a call's life in the engine.
type Record struct {
	Time     time.Time
	Event    RecordEvent
	Call     string
	Queue    string
	Agent    string
	CallerID string

	Wait, Ring, Talk, Hold time.Duration
	WrapUp                 time.Duration // WRAPUPEND
	Duration               time.Duration // this offer's ring time (CONNECT, RINGNOANSWER)

	Position     int // ENTERQUEUE, ABANDON, EXITWITHTIMEOUT
	OrigPosition int
	Attempt      int    // callback attempts so far
	Reason       string // pause reason, ring failure, transfer or overflow destination, callback failure
	Final        bool
}

// QueueLog formats the record as an Asterisk queue_log line:
// epoch|callid|queue|agent|event|data1|data2|...
// with Asterisk's data fields for its events (seconds, ring time in ms).
func (r Record) QueueLog() string {
	orNone := func(s string) string {
		if s == "" {
			return "NONE"
		}
		return s
	}
	sec := func(d time.Duration) string { return strconv.FormatInt(int64((d+time.Second/2)/time.Second), 10) }
	var data []string
	switch r.Event {
	case LogEnterQueue:
		data = []string{"", r.CallerID}
	case LogConnect, LogCallbackConnected:
		data = []string{sec(r.Wait + r.Ring), r.Call, sec(r.Duration)}
	case LogCompleteCaller, LogCompleteAgent:
		data = []string{sec(r.Wait + r.Ring), sec(r.Talk + r.Hold), strconv.Itoa(r.OrigPosition)}
	case LogAbandon, LogExitWithTimeout:
		data = []string{strconv.Itoa(r.Position), strconv.Itoa(r.OrigPosition), sec(r.Wait + r.Ring)}
	case LogRingNoAnswer:
		data = []string{strconv.FormatInt(r.Duration.Milliseconds(), 10)}
	case LogTransfer:
		data = []string{r.Reason, "", sec(r.Wait + r.Ring), sec(r.Talk + r.Hold), strconv.Itoa(r.OrigPosition)}
	case LogWrapUpEnd:
		data = []string{sec(r.WrapUp), sec(r.Talk), sec(r.Hold)}
	case LogCallbackDialed, LogCallbackRetry, LogCallbackFailed:
		data = []string{strconv.Itoa(r.Attempt), r.Reason}
	default:
		data = []string{r.Reason}
	}
	return fmt.Sprintf("%d|%s|%s|%s|%s|%s", r.Time.Unix(), orNone(r.Call), orNone(r.Queue), orNone(r.Agent), r.Event,
		strings.Join(data, "|"))
}
