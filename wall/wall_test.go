package wall

import (
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/ascolto/ascolto/store"
)

func n(v int) *int { return &v }

func TestDefaultsFromTheTarget(t *testing.T) {
	cases := []struct {
		pct, secs int
		want      Thresholds
	}{
		{80, 20, Thresholds{SLAmber: 0.85, SLRed: 0.80, WaitAmber: 20 * time.Second, WaitRed: 60 * time.Second,
			AbandonAmber: 0.05, AbandonRed: 0.10, PauseAmber: 10 * time.Minute, PauseRed: 15 * time.Minute,
			WrapupAmber: 2 * time.Minute, WrapupRed: 5 * time.Minute}},
		{98, 10, Thresholds{SLAmber: 1, SLRed: 0.98, WaitAmber: 10 * time.Second, WaitRed: 30 * time.Second,
			AbandonAmber: 0.01, AbandonRed: 0.02, PauseAmber: 10 * time.Minute, PauseRed: 15 * time.Minute,
			WrapupAmber: 2 * time.Minute, WrapupRed: 5 * time.Minute}},
		// A target the store would refuse still gives usable colours: 80/20.
		{0, 0, Defaults(80, 20)},
	}
	for _, c := range cases {
		got := Defaults(c.pct, c.secs)
		if !near(got, c.want) {
			t.Errorf("Defaults(%d, %d) = %+v, want %+v", c.pct, c.secs, got, c.want)
		}
	}
}

func near(a, b Thresholds) bool {
	f := func(x, y float64) bool { return x-y < 1e-9 && y-x < 1e-9 }
	return f(a.SLAmber, b.SLAmber) && f(a.SLRed, b.SLRed) && f(a.AbandonAmber, b.AbandonAmber) && f(a.AbandonRed, b.AbandonRed) &&
		a.WaitAmber == b.WaitAmber && a.WaitRed == b.WaitRed && a.PauseAmber == b.PauseAmber && a.PauseRed == b.PauseRed &&
		a.WrapupAmber == b.WrapupAmber && a.WrapupRed == b.WrapupRed
}

func TestResolveKeepsAmberBeforeRed(t *testing.T) {
	cases := []struct {
		name string
		set  store.QueueThreshold
		chk  func(Thresholds) bool
	}{
		{"nothing set is the defaults", store.QueueThreshold{}, func(r Thresholds) bool { return near(r, Defaults(80, 20)) }},
		{"set values win", store.QueueThreshold{SLRedPct: n(70), WaitRedS: n(120), PauseAmberS: n(300)}, func(r Thresholds) bool {
			return r.SLRed == 0.70 && r.SLAmber == 0.85 && r.WaitRed == 2*time.Minute && r.WaitAmber == 20*time.Second && r.PauseAmber == 5*time.Minute
		}},
		{"red raised above the default amber drags amber", store.QueueThreshold{SLRedPct: n(90)}, func(r Thresholds) bool {
			return r.SLRed == 0.90 && r.SLAmber == 0.90
		}},
		{"wait red below the default amber drags amber", store.QueueThreshold{WaitRedS: n(10)}, func(r Thresholds) bool {
			return r.WaitRed == 10*time.Second && r.WaitAmber == 10*time.Second
		}},
		{"pause amber above the default red drags red", store.QueueThreshold{PauseAmberS: n(1800)}, func(r Thresholds) bool {
			return r.PauseAmber == 30*time.Minute && r.PauseRed == 30*time.Minute
		}},
		{"abandon amber above the default red drags red", store.QueueThreshold{AbandonAmberPct: n(20)}, func(r Thresholds) bool {
			return r.AbandonAmber == 0.20 && r.AbandonRed == 0.20
		}},
	}
	for _, c := range cases {
		if r := Resolve(80, 20, c.set); !c.chk(r) {
			t.Errorf("%s: %+v", c.name, r)
		}
	}
}

func TestEvaluateQueue(t *testing.T) {
	th := Defaults(80, 20) // SL amber < 85%, red < 80%; wait amber > 20 s, red > 60 s; abandoned amber > 5%, red > 10%
	cases := []struct {
		name     string
		f        Figures
		want     Verdict
		breaches []string
	}{
		{"quiet morning: no call yet is no breach", Figures{ServiceLevel: 0, Ready: 3}, Verdict{}, nil},
		{"on target", Figures{ServiceLevel: 0.9, Answered: 90, Abandoned: 2, Ready: 2, Busy: 3, Needed: 4}, Verdict{}, nil},
		{"service level just under amber", Figures{ServiceLevel: 0.84, Answered: 100, Ready: 1}, Verdict{SL: Amber}, nil},
		{"service level at the target is not a breach", Figures{ServiceLevel: 0.80, Answered: 100, Ready: 1}, Verdict{SL: Amber}, nil},
		{"service level below the target", Figures{ServiceLevel: 0.79, Answered: 100, Ready: 1}, Verdict{SL: Red}, []string{BreachSL}},
		{"a caller past the seconds of the target", Figures{Waiting: 1, LongestWait: 21 * time.Second, ServiceLevel: 1, Answered: 1, Busy: 1},
			Verdict{Wait: Amber}, nil},
		{"a caller waiting over a minute", Figures{Waiting: 4, LongestWait: 61 * time.Second, ServiceLevel: 1, Answered: 1, Busy: 1},
			Verdict{Wait: Red}, []string{BreachWait}},
		{"a stale longest wait with nobody waiting", Figures{Waiting: 0, LongestWait: 5 * time.Minute}, Verdict{}, nil},
		{"abandoned 6%", Figures{ServiceLevel: 1, Answered: 94, Abandoned: 6}, Verdict{Abandon: Amber}, nil},
		{"abandoned 11% with the service level down too", Figures{ServiceLevel: 0.5, Answered: 89, Abandoned: 11},
			Verdict{SL: Red, Abandon: Red}, []string{BreachSL, BreachAbandon}},
		{"short of staff, someone still free", Figures{Ready: 1, Busy: 5, Needed: 9}, Verdict{Staffing: Amber}, nil},
		{"short of staff, callers waiting, nobody free", Figures{Waiting: 3, LongestWait: 5 * time.Second, Busy: 6, Needed: 9},
			Verdict{Staffing: Red}, nil},
	}
	for _, c := range cases {
		got := Evaluate(c.f, th)
		if got.SL != c.want.SL || got.Wait != c.want.Wait || got.Abandon != c.want.Abandon || got.Staffing != c.want.Staffing ||
			len(got.Breaches) != len(c.breaches) {
			t.Errorf("%s: %+v, want %+v with breaches %v", c.name, got, c.want, c.breaches)
			continue
		}
		for i := range c.breaches {
			if got.Breaches[i] != c.breaches[i] {
				t.Errorf("%s: breaches %v, want %v", c.name, got.Breaches, c.breaches)
			}
		}
	}
}

func TestEvaluateAgent(t *testing.T) {
	th := Resolve(80, 20, store.QueueThreshold{PauseAmberS: n(600), PauseRedS: n(900), WrapupAmberS: n(60), WrapupRedS: n(120)})
	cases := []struct {
		state string
		in    time.Duration
		want  Level
	}{
		{"paused", 9 * time.Minute, OK},
		{"paused", 11 * time.Minute, Amber},
		{"paused", 16 * time.Minute, Red},
		{"wrap-up", 30 * time.Second, OK},
		{"wrap-up", 90 * time.Second, Amber},
		{"wrap-up", 3 * time.Minute, Red},
		{"on-call", 3 * time.Hour, OK},
		{"available", 3 * time.Hour, OK},
	}
	for _, c := range cases {
		if got := EvaluateAgent(c.state, c.in, th); got != c.want {
			t.Errorf("%s for %s: %s, want %s", c.state, c.in, got, c.want)
		}
	}
	strict := Strictest(Defaults(80, 20), th, Defaults(90, 10))
	if strict.PauseRed != 15*time.Minute || strict.WrapupRed != 2*time.Minute || strict.SLRed != 0.90 || strict.WaitRed != 30*time.Second ||
		strict.AbandonRed != 0.05 {
		t.Errorf("strictest %+v", strict)
	}
}

func TestDay(t *testing.T) {
	d0 := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	at := func(h, m int) time.Time { return d0.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute) }
	evs := []store.QueueEvent{
		{At: at(8, 0), Agent: "101", Event: "CONNECT"},
		{At: at(8, 3), Agent: "101", Event: "COMPLETECALLER", Data: [5]string{"5", "170", "1"}},
		{At: at(8, 4), Agent: "101", Event: "WRAPUPEND", Data: [5]string{"30", "170", "0"}},
		{At: at(8, 10), Agent: "101", Event: "CALLBACK_CONNECTED"},
		{At: at(8, 12), Agent: "101", Event: "TRANSFER", Data: [5]string{"soccorso", "", "0", "80", "1"}},
		{At: at(9, 0), Agent: "101", Event: "PAUSE", Data: [5]string{"pranzo"}},
		{At: at(9, 30), Agent: "101", Event: "UNPAUSE"},
		{At: at(10, 0), Agent: "102", Event: "PAUSE"},
		{At: at(10, 5), Agent: "102", Event: "PAUSE"}, // a second PAUSE while paused changes the reason, not the start
	}
	now := at(10, 20)
	// 103 has been paused since yesterday: its pause counts from midnight.
	got := Day(evs, d0, now, map[string]time.Time{"102": at(10, 0), "103": d0.Add(-time.Hour)})
	a := got["101"]
	if a.Calls != 2 || a.Handled != 2 || a.AHT() != 140*time.Second || a.Pause != 30*time.Minute || a.Paused() {
		t.Errorf("101: %+v aht %s", a, a.AHT())
	}
	if b := got["102"]; b.Pause != 20*time.Minute || !b.Paused() {
		t.Errorf("102: %+v", b)
	}
	if c := got["103"]; c.Pause != 10*time.Hour+20*time.Minute {
		t.Errorf("103: %+v", c)
	}
}

// TestTallyReadsOnlyWhatIsNew feeds a day's events in overlapping reads,
// as the console does (each read starting at ReadFrom), with rows written
// late: the figures must equal those of one read of the whole day.
func TestTallyReadsOnlyWhatIsNew(t *testing.T) {
	d0 := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	var log []store.QueueEvent // in id order (the order rows were written)
	add := func(at time.Time, agent, ev string, data ...string) {
		e := store.QueueEvent{ID: int64(len(log) + 1), At: at, Agent: agent, Event: ev}
		copy(e.Data[:], data)
		log = append(log, e)
	}
	at := d0.Add(8 * time.Hour)
	for i := range 300 {
		agent := []string{"101", "102", "103"}[i%3]
		add(at, agent, "CONNECT")
		add(at.Add(40*time.Second), agent, "COMPLETEAGENT", "3", strconv.Itoa(30+i%50), "1")
		if i%25 == 0 {
			add(at.Add(41*time.Second), agent, "PAUSE")
			add(at.Add(100*time.Second), agent, "UNPAUSE")
		}
		at = at.Add(7 * time.Second)
	}
	// A row written late carries its event's earlier time.
	late := store.QueueEvent{ID: int64(len(log) + 1), At: at.Add(-30 * time.Second), Agent: "104", Event: "CONNECT"}
	// read returns the rows written up to id `upTo` from `from` on, as the
	// store does (ordered by time).
	read := func(from time.Time, upTo int) []store.QueueEvent {
		var out []store.QueueEvent
		for _, e := range append(append([]store.QueueEvent(nil), log...), late) {
			if int(e.ID) <= upTo && !e.At.Before(from) {
				out = append(out, e)
			}
		}
		sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
		return out
	}
	tally := NewTally(d0)
	var rows int
	for upTo := 50; upTo < len(log)+50; upTo += 50 {
		evs := read(tally.ReadFrom(), upTo)
		rows += len(evs)
		tally.Add(evs)
	}
	tally.Add(read(tally.ReadFrom(), len(log)+1)) // the late row, written last
	now := at.Add(time.Hour)
	whole := Day(read(d0, len(log)+1), d0, now, nil)
	got := tally.At(now, nil)
	if len(got) != 4 || len(whole) != 4 {
		t.Fatalf("agents: tally %d, whole day %d", len(got), len(whole))
	}
	for id, w := range whole {
		if got[id] != w {
			t.Errorf("%s: tally %+v, whole day %+v", id, got[id], w)
		}
	}
	if rows >= 2*len(log) {
		t.Errorf("the reads took %d rows for a log of %d: not only what is new", rows, len(log))
	}
	// The newest event is the last call's end, 40 s after it connected.
	if from := tally.ReadFrom(); !from.Equal(at.Add(-7*time.Second + 40*time.Second - TallyOverlap)) {
		t.Errorf("next read from %s", from)
	}
	// Reading the same stretch again changes nothing.
	tally.Add(read(tally.ReadFrom(), len(log)+1))
	if again := tally.At(now, nil); again["101"] != whole["101"] {
		t.Errorf("read twice: %+v, want %+v", again["101"], whole["101"])
	}
}
