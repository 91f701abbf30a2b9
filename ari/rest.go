package ari

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/CyCoreSystems/ari/v5"
	"github.com/prometheus/client_golang/prometheus"
)

// Client speaks ARI's REST half with timeouts, a connection pool sized for
// a surge, and errors that keep Asterisk's own explanation.
type Client struct {
	base    *url.URL // .../ari
	user    string
	pass    string
	app     string
	http    *http.Client
	timeout time.Duration
	metrics *restMetrics
}

// ClientOptions configures a Client.
type ClientOptions struct {
	URL      string // e.g. http://127.0.0.1:8088/ari
	User     string
	Password string
	App      string
	// Timeout bounds each request (default 5 s).
	Timeout time.Duration
	// Registry receives the REST metrics; nil keeps them unregistered.
	Registry prometheus.Registerer
}

// NewClient checks the URL and builds a client; it does not connect.
func NewClient(o ClientOptions) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(o.URL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("ari: %q is not an http(s) ARI URL", o.URL)
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 3 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        MaxConns,
		MaxIdleConnsPerHost: MaxConns, // Go's default of 2 left thousands of TIME_WAIT sockets at 100 calls/s
		// Every connection is an HTTP session (a thread) in Asterisk, and past
		// http.conf's sessionlimit Asterisk drops new ones: requests beyond
		// this many wait for a free connection instead.
		MaxConnsPerHost:   MaxConns,
		IdleConnTimeout:   90 * time.Second,
		ForceAttemptHTTP2: false,
	}
	c := &Client{base: u, user: o.User, pass: o.Password, app: o.App, timeout: o.Timeout,
		http: &http.Client{Transport: tr}, metrics: newRESTMetrics(o.Registry)}
	return c, nil
}

// MaxConns caps the REST connections to Asterisk (asterisk-conf/http.conf's
// sessionlimit must leave room for them, the events WebSocket and the
// softphones' WebSockets).
const MaxConns = 64

// Error is a REST call Asterisk refused, with its status and message.
type Error struct {
	Method  string
	Path    string
	Status  int
	Message string // Asterisk's "message" (or "error", as for "Allocation failed")
}

func (e *Error) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	return fmt.Sprintf("ari: %s %s: %d %s", e.Method, e.Path, e.Status, msg)
}

// StatusOf returns the HTTP status of an ARI error, or 0 if err is not one.
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// IsGone reports whether err means the channel, bridge, playback or
// recording no longer exists (or was never there): the call ended.
func IsGone(err error) bool {
	s := StatusOf(err)
	if s == http.StatusNotFound {
		return true
	}
	// Asterisk answers 400 "Channel not found" for an unknown channel in
	// addChannel/removeChannel, and 409/422 "not in Stasis" once the caller
	// has hung up and left the application.
	var e *Error
	return errors.As(err, &e) && (e.Status == 400 || e.Status == 409 || e.Status == 422) &&
		(strings.Contains(e.Message, "not found") || strings.Contains(e.Message, "not in Stasis"))
}

type restMetrics struct {
	abandoned *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	errors    *prometheus.CounterVec
	retries   *prometheus.CounterVec
}

func newRESTMetrics(reg prometheus.Registerer) *restMetrics {
	m := &restMetrics{
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "ascolto_ari_rest_duration_seconds", Help: "ARI REST request latency by operation.",
			Buckets: []float64{.0005, .001, .002, .005, .01, .025, .05, .1, .25, .5, 1, 5},
		}, []string{"op"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ascolto_ari_rest_errors_total", Help: "ARI REST requests that failed, by operation and status (0: no answer).",
		}, []string{"op", "status"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ascolto_ari_rest_retries_total", Help: "ARI REST requests sent again after Asterisk gave no answer, by operation.",
		}, []string{"op"}),
		abandoned: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ascolto_ari_rest_late_total", Help: "ARI REST requests Asterisk received but did not answer in time (left to finish on their connection), by operation.",
		}, []string{"op"}),
	}
	if reg != nil {
		reg.MustRegister(m.latency, m.errors, m.retries, m.abandoned)
	}
	return m
}

// do sends one request. op names it for metrics ("channels.play"); path is
// relative to the ARI base ("/channels/ID/play").
func (c *Client) do(ctx context.Context, op, method, path string, q url.Values, body, out any) error {
	u := *c.base
	u.Path += path
	u.RawQuery = q.Encode()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("ari: %s %s: encode body: %w", method, path, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return fmt.Errorf("ari: %s %s: %w", method, path, err)
	}
	req.SetBasicAuth(c.user, c.pass)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, data, err := c.send(ctx, op, req)
	if err != nil {
		c.metrics.errors.WithLabelValues(op, "0").Inc()
		return fmt.Errorf("ari: %s %s: %w", method, path, err)
	}
	if resp.StatusCode >= 300 {
		c.metrics.errors.WithLabelValues(op, strconv.Itoa(resp.StatusCode)).Inc()
		var eb struct {
			Message string `json:"message"`
			Error   string `json:"error"`
		}
		_ = json.Unmarshal(data, &eb)
		msg := eb.Message
		if msg == "" {
			msg = eb.Error
		}
		return &Error{Method: method, Path: path, Status: resp.StatusCode, Message: msg}
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("ari: %s %s: decode answer: %w", method, path, err)
		}
	}
	return nil
}

// abandonAfter bounds how long a request Asterisk is working on is waited
// for after its caller gave up on it.
const abandonAfter = 2 * time.Minute

type patienceKey struct{}

// Patient lets the requests made with the returned context wait up to d
// for Asterisk's answer instead of the client's timeout. It is for
// requests whose late success is worth more than a failure: a ringing
// caller answered late still gets through, where a timed-out answer would
// end the call; an agent who answered is bridged late rather than sent
// back. Under a CPU-starved Asterisk (its HTTP threads compete with a
// thread per channel) answers to such requests took over 5 s.
func Patient(ctx context.Context, d time.Duration) context.Context {
	return context.WithValue(ctx, patienceKey{}, d)
}

type answer struct {
	resp *http.Response
	data []byte
	err  error
}

// send sends req and returns Asterisk's answer, read whole, or an error
// once c.timeout (or ctx's patience, see Patient) has passed, or ctx
// ended. A request Asterisk already
// received is not cut off then: closing its connection would not stop
// Asterisk working on it, only free our connection for another request, and
// Asterisk's HTTP sessions would pile up past http.conf's sessionlimit
// (seen at 100 calls/s on the real Asterisk: 4,758 "HTTP session count
// exceeded" and callers refused). It finishes in the background, holding
// its connection, so MaxConns really bounds Asterisk's sessions. A request
// still waiting for a connection when the caller gives up is never sent.
func (c *Client) send(ctx context.Context, op string, req *http.Request) (*http.Response, []byte, error) {
	reqCtx, cancelReq := context.WithCancel(context.WithoutCancel(ctx))
	var sent atomic.Bool
	trace := &httptrace.ClientTrace{WroteRequest: func(w httptrace.WroteRequestInfo) {
		if w.Err == nil {
			sent.Store(true)
		}
	}}
	req = req.WithContext(httptrace.WithClientTrace(reqCtx, trace))
	done := make(chan answer, 1)
	start := time.Now()
	go func() {
		defer cancelReq()
		resp, err := c.http.Do(req)
		if err != nil {
			c.metrics.latency.WithLabelValues(op).Observe(time.Since(start).Seconds())
			done <- answer{err: err}
			return
		}
		defer resp.Body.Close()
		data, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
		c.metrics.latency.WithLabelValues(op).Observe(time.Since(start).Seconds())
		if err != nil {
			err = fmt.Errorf("read answer: %w", err)
		}
		done <- answer{resp: resp, data: data, err: err}
	}()
	wait := c.timeout
	if d, ok := ctx.Value(patienceKey{}).(time.Duration); ok && d > wait {
		wait = d
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	var why error
	select {
	case a := <-done:
		return a.resp, a.data, a.err
	case <-timer.C:
		why = context.DeadlineExceeded
	case <-ctx.Done():
		why = context.Cause(ctx)
	}
	if sent.Load() {
		c.metrics.abandoned.WithLabelValues(op).Inc()
		time.AfterFunc(abandonAfter, cancelReq)
	} else {
		cancelReq()
	}
	return nil, nil, fmt.Errorf("no answer within %s: %w", time.Since(start).Round(time.Millisecond), why)
}

// doSafe is do for requests that may be sent twice (reads, answer,
// hang-up, adding a channel to a bridge, a bridge with our id): when
// Asterisk dropped the connection without an answer (EOF, reset, refused:
// it shed load or is restarting) it tries twice more, 100 ms and 300 ms
// later. An answer with a status, even an error, is final, and so is a
// request that timed out: Asterisk is still working on it, and sending it
// again would only add to the load that made it slow.
func (c *Client) doSafe(ctx context.Context, op, method, path string, q url.Values, body, out any) error {
	wait := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := c.do(ctx, op, method, path, q, body, out)
		if err == nil || StatusOf(err) != 0 || attempt == 3 || ctx.Err() != nil || isTimeout(err) {
			return err
		}
		c.metrics.retries.WithLabelValues(op).Inc()
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		wait *= 3
	}
}

// isTimeout reports whether a request ended because its time ran out.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// AsteriskInfo is the part of GET /asterisk/info the controller uses.
type AsteriskInfo struct {
	System struct {
		Version  string `json:"version"`
		EntityID string `json:"entity_id"`
	} `json:"system"`
	Status struct {
		StartupTime string `json:"startup_time"`
	} `json:"status"`
}

// Info probes Asterisk: the cheapest authenticated call, used before
// opening the events WebSocket to tell a wrong password from a dead server.
func (c *Client) Info(ctx context.Context) (AsteriskInfo, error) {
	var info AsteriskInfo
	err := c.do(ctx, "asterisk.info", "GET", "/asterisk/info", nil, nil, &info)
	return info, err
}

// Application returns the Stasis application's subscriptions: the
// channels and bridges Asterisk still holds for us.
func (c *Client) Application(ctx context.Context) (ari.ApplicationData, error) {
	var a ari.ApplicationData
	err := c.doSafe(ctx, "applications.get", "GET", "/applications/"+url.PathEscape(c.app), nil, nil, &a)
	return a, err
}

// Subscribe adds an event source (e.g. "channel:ID") to the application,
// so events keep coming after the channel leaves Stasis for the dialplan.
func (c *Client) Subscribe(ctx context.Context, source string) error {
	return c.doSafe(ctx, "applications.subscribe", "POST", "/applications/"+url.PathEscape(c.app)+"/subscription",
		url.Values{"eventSource": {source}}, nil, nil)
}

// SetEventFilter lets only these event types reach the application's
// WebSocket (Asterisk 16.26, 18.12, 19.4 and later).
func (c *Client) SetEventFilter(ctx context.Context, allowed []string) error {
	type typ struct {
		Type string `json:"type"`
	}
	body := struct {
		Allowed []typ `json:"allowed"`
	}{}
	for _, t := range allowed {
		body.Allowed = append(body.Allowed, typ{t})
	}
	return c.doSafe(ctx, "applications.filter", "PUT", "/applications/"+url.PathEscape(c.app)+"/eventFilter", nil, body, nil)
}

// Channels lists every channel Asterisk has.
func (c *Client) Channels(ctx context.Context) ([]ari.ChannelData, error) {
	var out []ari.ChannelData
	err := c.doSafe(ctx, "channels.list", "GET", "/channels", nil, nil, &out)
	return out, err
}

// Channel returns one channel.
func (c *Client) Channel(ctx context.Context, id string) (ari.ChannelData, error) {
	var out ari.ChannelData
	err := c.doSafe(ctx, "channels.get", "GET", "/channels/"+url.PathEscape(id), nil, nil, &out)
	return out, err
}

// Answer answers a channel.
func (c *Client) Answer(ctx context.Context, id string) error {
	return c.doSafe(ctx, "channels.answer", "POST", "/channels/"+url.PathEscape(id)+"/answer", nil, nil, nil)
}

// Hangup hangs up a channel; reason is ARI's (normal, busy, congestion, no_answer ...).
func (c *Client) Hangup(ctx context.Context, id, reason string) error {
	q := url.Values{}
	if reason != "" {
		q.Set("reason", reason)
	}
	return c.doSafe(ctx, "channels.hangup", "DELETE", "/channels/"+url.PathEscape(id), q, nil, nil)
}

// Play starts playing media (played in order as one playback) on a channel
// under a playback id chosen by the caller, so events can be matched.
// ARI takes the list as ONE comma-separated value: Asterisk keeps only the
// last of repeated media= parameters.
func (c *Client) Play(ctx context.Context, channelID, playbackID string, media []string, lang string) error {
	q := url.Values{"media": {strings.Join(media, ",")}}
	if lang != "" {
		q.Set("lang", lang)
	}
	return c.do(ctx, "channels.play", "POST", "/channels/"+url.PathEscape(channelID)+"/play/"+url.PathEscape(playbackID), q, nil, nil)
}

// StopPlayback stops a playback.
func (c *Client) StopPlayback(ctx context.Context, id string) error {
	return c.doSafe(ctx, "playbacks.stop", "DELETE", "/playbacks/"+url.PathEscape(id), nil, nil, nil)
}

// Playback returns a playback still running (404 once it has finished).
func (c *Client) Playback(ctx context.Context, id string) (ari.PlaybackData, error) {
	var out ari.PlaybackData
	err := c.do(ctx, "playbacks.get", "GET", "/playbacks/"+url.PathEscape(id), nil, nil, &out)
	return out, err
}

// RecordOptions are the parameters of a channel recording.
type RecordOptions struct {
	Format      string // default wav
	MaxSeconds  int
	MaxSilence  int
	Beep        bool
	TerminateOn string // none, any, *, #
}

// Record starts recording a channel into a stored recording named name.
func (c *Client) Record(ctx context.Context, channelID, name string, o RecordOptions) error {
	if o.Format == "" {
		o.Format = "wav"
	}
	if o.TerminateOn == "" {
		o.TerminateOn = "none"
	}
	q := url.Values{"name": {name}, "format": {o.Format}, "ifExists": {"overwrite"},
		"beep": {strconv.FormatBool(o.Beep)}, "terminateOn": {o.TerminateOn}}
	if o.MaxSeconds > 0 {
		q.Set("maxDurationSeconds", strconv.Itoa(o.MaxSeconds))
	}
	if o.MaxSilence > 0 {
		q.Set("maxSilenceSeconds", strconv.Itoa(o.MaxSilence))
	}
	return c.do(ctx, "channels.record", "POST", "/channels/"+url.PathEscape(channelID)+"/record", q, nil, nil)
}

// StopRecording stops a live recording and keeps what was recorded.
func (c *Client) StopRecording(ctx context.Context, name string) error {
	return c.do(ctx, "recordings.stop", "POST", "/recordings/live/"+url.PathEscape(name)+"/stop", nil, nil, nil)
}

// LiveRecording returns a recording in progress (404 once finished).
func (c *Client) LiveRecording(ctx context.Context, name string) (ari.LiveRecordingData, error) {
	var out ari.LiveRecordingData
	err := c.do(ctx, "recordings.live", "GET", "/recordings/live/"+url.PathEscape(name), nil, nil, &out)
	return out, err
}

// StoredRecording returns a finished recording's description (404 when
// there is none: it failed, or was never made).
func (c *Client) StoredRecording(ctx context.Context, name string) (ari.StoredRecordingData, error) {
	var out ari.StoredRecordingData
	err := c.do(ctx, "recordings.stored", "GET", "/recordings/stored/"+url.PathEscape(name), nil, nil, &out)
	return out, err
}

// StoredRecordingFile downloads a finished recording's audio.
func (c *Client) StoredRecordingFile(ctx context.Context, name string) ([]byte, string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	u := *c.base
	u.Path += "/recordings/stored/" + url.PathEscape(name) + "/file"
	req, err := http.NewRequestWithContext(ctx, "GET", u.String(), nil)
	if err != nil {
		return nil, "", fmt.Errorf("ari: recording %s: %w", name, err)
	}
	req.SetBasicAuth(c.user, c.pass)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("ari: recording %s: %w", name, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, "", fmt.Errorf("ari: recording %s: %w", name, err)
	}
	if resp.StatusCode != 200 {
		var eb struct {
			Message string `json:"message"`
		}
		_ = json.Unmarshal(data, &eb)
		return nil, "", &Error{Method: "GET", Path: u.Path, Status: resp.StatusCode, Message: eb.Message}
	}
	return data, resp.Header.Get("Content-Type"), nil
}

// Variable reads a channel variable (404 when unset).
func (c *Client) Variable(ctx context.Context, channelID, name string) (string, error) {
	var out struct {
		Value string `json:"value"`
	}
	err := c.do(ctx, "channels.getvar", "GET", "/channels/"+url.PathEscape(channelID)+"/variable", url.Values{"variable": {name}}, nil, &out)
	return out.Value, err
}

// SetVariable sets a channel variable.
func (c *Client) SetVariable(ctx context.Context, channelID, name, value string) error {
	return c.doSafe(ctx, "channels.setvar", "POST", "/channels/"+url.PathEscape(channelID)+"/variable",
		url.Values{"variable": {name}, "value": {value}}, nil, nil)
}

// Continue sends a channel back to the dialplan at context,extension,priority.
func (c *Client) Continue(ctx context.Context, channelID, dpContext, extension string, priority int) error {
	q := url.Values{"context": {dpContext}, "extension": {extension}, "priority": {strconv.Itoa(priority)}}
	return c.do(ctx, "channels.continue", "POST", "/channels/"+url.PathEscape(channelID)+"/continue", q, nil, nil)
}

// StartMOH plays music on hold to a channel.
func (c *Client) StartMOH(ctx context.Context, channelID, class string) error {
	q := url.Values{}
	if class != "" {
		q.Set("mohClass", class)
	}
	return c.doSafe(ctx, "channels.moh", "POST", "/channels/"+url.PathEscape(channelID)+"/moh", q, nil, nil)
}

// CloseIdle closes pooled connections that are not in use.
func (c *Client) CloseIdle() { c.http.CloseIdleConnections() }

// OriginateRequest places a call the controller wants: an agent's phone,
// a callback to a citizen, a call-out.
type OriginateRequest struct {
	ChannelID string // chosen by us, so events can be matched before the answer
	Endpoint  string // PJSIP/101, PJSIP/+390612345678@trunk
	CallerID  string // what the phone shows: the caller's number for an agent
	Timeout   time.Duration
	AppArgs   string
	Variables map[string]string
}

// Originate dials an endpoint into the application: the channel enters
// Stasis only when answered (Asterisk reports Dial and state changes before).
func (c *Client) Originate(ctx context.Context, r OriginateRequest) (ari.ChannelData, error) {
	q := url.Values{"endpoint": {r.Endpoint}, "app": {c.app}}
	if r.AppArgs != "" {
		q.Set("appArgs", r.AppArgs)
	}
	if r.CallerID != "" {
		q.Set("callerId", r.CallerID)
	}
	if r.Timeout > 0 {
		// Asterisk takes whole seconds and treats 0 as its 30 s default.
		q.Set("timeout", strconv.Itoa(max(1, int((r.Timeout+time.Second-1)/time.Second))))
	}
	var body any
	if len(r.Variables) > 0 {
		body = map[string]any{"variables": r.Variables}
	}
	var out ari.ChannelData
	err := c.do(ctx, "channels.originate", "POST", "/channels/"+url.PathEscape(r.ChannelID), q, body, &out)
	return out, err
}

// Bridges lists the bridges Asterisk has.
func (c *Client) Bridges(ctx context.Context) ([]ari.BridgeData, error) {
	var out []ari.BridgeData
	err := c.doSafe(ctx, "bridges.list", "GET", "/bridges", nil, nil, &out)
	return out, err
}

// Bridge returns one bridge.
func (c *Client) Bridge(ctx context.Context, id string) (ari.BridgeData, error) {
	var out ari.BridgeData
	err := c.doSafe(ctx, "bridges.get", "GET", "/bridges/"+url.PathEscape(id), nil, nil, &out)
	return out, err
}

// CreateBridge creates (or, when it exists, returns) a bridge with our id.
func (c *Client) CreateBridge(ctx context.Context, id, typ, name string) (ari.BridgeData, error) {
	q := url.Values{"type": {typ}}
	if name != "" {
		q.Set("name", name)
	}
	var out ari.BridgeData
	err := c.doSafe(ctx, "bridges.create", "POST", "/bridges/"+url.PathEscape(id), q, nil, &out)
	return out, err
}

// AddChannel puts a channel in a bridge (moving it from another bridge).
func (c *Client) AddChannel(ctx context.Context, bridgeID, channelID string) error {
	return c.AddChannels(ctx, bridgeID, channelID)
}

// AddChannels puts several channels in a bridge with one request (ARI
// takes a comma-separated list). Asterisk checks them all first: one not
// found, or not in the application, fails the request and adds none.
func (c *Client) AddChannels(ctx context.Context, bridgeID string, channelIDs ...string) error {
	return c.doSafe(ctx, "bridges.add", "POST", "/bridges/"+url.PathEscape(bridgeID)+"/addChannel",
		url.Values{"channel": {strings.Join(channelIDs, ",")}}, nil, nil)
}

// AddWaiting puts a caller in a holding bridge as a participant that hears
// its own music on hold (in its channel's music class) while there: with
// the role holding_participant, res_stasis leaves the role's idle_mode at
// its default, music on hold; without it, it sets "none", silence.
func (c *Client) AddWaiting(ctx context.Context, bridgeID, channelID string) error {
	return c.doSafe(ctx, "bridges.add", "POST", "/bridges/"+url.PathEscape(bridgeID)+"/addChannel",
		url.Values{"channel": {channelID}, "role": {"holding_participant"}}, nil, nil)
}

// RemoveChannel takes a channel out of a bridge.
func (c *Client) RemoveChannel(ctx context.Context, bridgeID, channelID string) error {
	return c.doSafe(ctx, "bridges.remove", "POST", "/bridges/"+url.PathEscape(bridgeID)+"/removeChannel",
		url.Values{"channel": {channelID}}, nil, nil)
}

// DestroyBridge destroys a bridge; the channels in it stay up.
func (c *Client) DestroyBridge(ctx context.Context, id string) error {
	return c.doSafe(ctx, "bridges.destroy", "DELETE", "/bridges/"+url.PathEscape(id), nil, nil, nil)
}

// Endpoints lists the endpoints and their states (online, offline ...).
func (c *Client) Endpoints(ctx context.Context) ([]ari.EndpointData, error) {
	var out []ari.EndpointData
	err := c.doSafe(ctx, "endpoints.list", "GET", "/endpoints", nil, nil, &out)
	return out, err
}

// StopMOH stops music on hold on a channel.
func (c *Client) StopMOH(ctx context.Context, channelID string) error {
	return c.doSafe(ctx, "channels.unmoh", "DELETE", "/channels/"+url.PathEscape(channelID)+"/moh", nil, nil, nil)
}

// Snoop starts a snoop channel on a channel, into the application: spy
// ("none", "both", "out", "in") is what it hears, whisper what it can say.
func (c *Client) Snoop(ctx context.Context, channelID, snoopID, spy, whisper, appArgs string) (ari.ChannelData, error) {
	q := url.Values{"spy": {spy}, "whisper": {whisper}, "app": {c.app}}
	if appArgs != "" {
		q.Set("appArgs", appArgs)
	}
	var out ari.ChannelData
	err := c.do(ctx, "channels.snoop", "POST", "/channels/"+url.PathEscape(channelID)+"/snoop/"+url.PathEscape(snoopID), q, nil, &out)
	return out, err
}
