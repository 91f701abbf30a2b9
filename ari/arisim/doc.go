// Package arisim is a simulated Asterisk 20.20.1 that speaks ARI (REST and
// the events WebSocket) on a real socket, so that the controller, its tests,
// the benchmarks and `ascolto demo` run against the real ARI library and our
// own client without an Asterisk.
//
// It owns: the HTTP and WebSocket server under /ari, the state of channels,
// bridges, playbacks, recordings, endpoints, applications and subscriptions,
// a small dialplan, scripted callers and phones, and fault switches. It must
// not: import anything of the controller (it is a stand-in for Asterisk, the
// controller's tests import it), read the wall clock (every delay runs on the
// clock.Clock given to New), or guess: behaviour comes from
// shared/ari/api-docs (Asterisk's Swagger) and testdata/traces, a copy of shared/ari/traces (traffic
// recorded from a real Asterisk), and what neither shows is listed below as
// simplified.
//
// # Faithful, and where from
//
// trace_test.go replays every trace in testdata/traces (same REST calls at
// the same instants on a fake clock, callers and agents acting when sipp did)
// and compares REST statuses and bodies, and every channel's event sequence
// with key fields (states, causes, dial statuses, playback and recording
// states, bridge ids, types and technologies, variables). In short:
//
//   - Event JSON: field order per type, timestamp 2026-11-26T20:29:23.171+0000,
//     asterisk_id and application last, DeviceStateChanged's odd order; the
//     channel, bridge, playback, recording and endpoint models (all traces).
//   - Dialplan callers: StasisStart in state Ring; no ChannelDestroyed after
//     StasisEnd unless the app subscribed explicitly, then STASISSTATUS,
//     a second ChannelHangupRequest (16, soft) and ChannelDestroyed
//     (basic-call, caller-explicit-subscription).
//   - Hangup order and causes: RTPAUDIOQOS* noise (with *BRIDGED twins on the
//     bridge peer), ChannelHangupRequest (DELETE: cause 32 soft; BYE: no
//     cause, or 16 for an inbound caller bridged with someone), BRIDGEPEER
//     reset, ChannelLeftBridge, PlaybackFinished failed, StasisEnd,
//     STASISSTATUS, ChannelDestroyed; DELETE ?reason= maps to the cause
//     (hangup-during-playback, agent-hangs-up-first, agent-originate-bridge).
//   - Originate vs create+dial: Dial (empty status), RINGING, ANSWER and ChannelStateChange
//     before StasisStart (state Up) for POST /channels; ChannelDialplan,
//     STASISSTATUS and StasisStart (Down) at once for /create; no final Dial
//     event on create+dial failures; BUSY only for originate; NOANSWER when a
//     ringing originate is deleted; cause 19/480 on timeout, 17/486 on busy;
//     500 {"error":"Allocation failed"} for unknown or contactless endpoints
//     (agent-*, caller-abandon-while-agent-rings).
//   - Bridges: mixing/holding, 409 on a duplicate id, the odd 500 for a bad
//     type, simple_bridge -> native_rtp -> simple_bridge, addChannel moving a
//     bridged channel, BRIDGEPEER x3 and ChannelConnectedLine, BridgeDestroyed
//     only while the app is still subscribed (errors, agent-*); addChannel
//     of a channel that is playing answers only once the playback is over
//     (Asterisk runs both on the channel's control queue: a callback's
//     greeting held up the bridge on Asterisk 20.20.1).
//   - Playback: 201 queued, PlaybackStarted playing, stop gives done, missing
//     file fails at once, an unknown scheme never finishes (errors,
//     dtmf-during-playback); recordings: RecordingStarted at once, duration
//     in whole seconds, 409 ifExists=fail, 422 unknown format (record-message).
//   - /continue: StasisEnd, and a new StasisStart with the new args when the
//     dialplan re-enters Stasis; dialplan Set() invisible (continue-*).
//   - Snoop channels Snoop/<id>-<n>, no ChannelDestroyed (snoop); endpoint
//     subscriptions doubling channel events, EndpointStateChange and
//     DeviceStateChanged RINGING/INUSE/NOT_INUSE (endpoint-device-state).
//   - WebSocket: several apps per socket, apps stay registered without a
//     socket and nothing is replayed (reconnect); a new socket for an app
//     gets the app and the old one an ApplicationReplaced; Stasis() into an
//     app with no socket fails (STASISSTATUS=FAILED, the dialplan hangs up).
//   - 401 {"message":"Authentication required"}, 404 Resource not found,
//     405 Invalid method; basic auth or ?api_key=user:pass.
//
// # Simplified
//
// No media: playbacks last a configured time (WithMediaDuration, default
// 1 s; digits:, number:, characters: scale with their length; tone: plays
// until stopped). The MOH announcer channels Asterisk adds to holding
// bridges are left out. Channel lists are in creation order (Asterisk uses
// hash order). Stopping a queued playback removes it without an event.
// Bridges created by the dialplan's Dial() are not listed. Only PJSIP
// endpoints exist. The dialplan is the subset of extensions.conf that
// LoadDialplan reads; application arguments are split before ${VAR} is
// expanded, not after. No trace shows the h extension: it runs as
// Asterisk's ast_pbx_h_exten_run does (NoOp, Set and Goto work, any other
// application ends it), before ChannelDestroyed. PJSIP/endpoint/<bare
// number> fails like an unknown endpoint, as res_pjsip refuses a request
// URI without sip: (Dial() gives CHANUNAVAIL). Playback() and Echo() in
// the dialplan send no Playback events (Asterisk's do not either). Not
// served: externalMedia, redirect, move, /sounds, /mailboxes,
// /asterisk/modules|config|logging, device state PUT. Messages of errors no
// trace shows (record without name, dial of a dialed channel, playback
// control in a wrong state) follow the Swagger reasons.
//
// # Scripting
//
// New takes options (credentials, clock, logger, media durations, dialplan).
// DefaultDialplan is asterisk-conf/extensions.conf written out in Go
// (800840840 -> Stasis(ascolto,800840840); ascolto-fax,receive,1 ->
// ReceiveFAX emulation, then Stasis(ascolto,fax-done,${ASCOLTO_FAX_NUMBER}); ascolto-transfer,
// dial,1 -> Dial(${TRUNK}/${TRANSFER_TO},60), then
// Stasis(ascolto,transfer-failed,${DIALSTATUS})); TestProductionDialplan
// keeps the two the same. LoadDialplan reads an extensions.conf instead,
// and WithFaxResult chooses what ReceiveFAX() reports:
//
//	d, err := arisim.LoadDialplan("asterisk-conf/extensions.conf",
//		arisim.WithFaxResult(arisim.FaxResult{Status: "FAILED", Error: "NO_FAX", Duration: 30 * time.Second}))
//	sim := arisim.New(arisim.WithDialplan(d))
//
// Server.Call places an inbound call that follows Steps (Wait, Press, Talk,
// WaitAnswered, WaitBridged, WaitPlaybackStarted/Finished, HangUpAfter,
// HangUp) on the server clock, without a goroutine per call; the returned
// *Call reports what the party heard, when it was answered and bridged, and
// how it ended, and can act now (HangUp, Press). Server.Endpoint scripts a
// phone (Answer, NoAnswer, Busy, Unreachable, DeadContact, with steps after
// answering), Server.Remote a number behind PJSIP/<number>@trunk.
// Faults: DropConnections, SetSilent, Restart (a crash), Shutdown and RestartNow (core restart now),
// SetBooting, InjectEvent, InjectRaw,
// DuplicateChannelEvents, SwapChannelEvents, RefuseOriginates. Stats,
// Channels and Bridges are for assertions.
//
//	clk := clock.NewFake(start)
//	sim := arisim.New(arisim.WithClock(clk), arisim.WithMediaDuration("sound:welcome", 4*time.Second))
//	base, _ := sim.Start("127.0.0.1:0") // http://127.0.0.1:PORT/ari, user ari, password ari
//	defer sim.Close()
//	sim.Endpoint("PJSIP/101", arisim.Answer(2*time.Second))
//	call := sim.Call(arisim.CallSpec{From: "+390862123456", To: "800840840"},
//		arisim.WaitAnswered(), arisim.Wait(3*time.Second), arisim.Press("1"),
//		arisim.HangUpAfter(40*time.Second))
//	// ... start the controller on base, then move time:
//	clk.Advance(45 * time.Second)
//	<-call.Done()
//	rep := call.Report() // Answered, Heard, Bridged, Pressed, Cause, HungUpBy
package arisim
