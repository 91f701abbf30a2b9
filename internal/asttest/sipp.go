package asttest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/template"
	"time"
)

// SIPp is a running SIPp: a caller, or the phones of one or more agents.
type SIPp struct {
	t       T
	Name    string
	Port    int // its SIP port
	dir     string
	errFile string
	cmd     *exec.Cmd
	out     *SyncBuffer
	done    chan struct{}
	err     error
}

// SIPpPath is the SIPp binary (Debian's sip-tester).
var SIPpPath = "sipp"

// CallSpec is one citizen's call through the carrier.
type CallSpec struct {
	From string // the caller's number, e.g. +390862123456
	To   string // the number dialled (default 800840840)
	// Keys is a key script for Keys (e.g. "2s:1 6s:3"): the first pause
	// counts from the answer.
	Keys string
	// Talk is how long the caller's voice (a quiet tone) goes on after
	// the last key, from the answer when there are none: a caller who
	// talks to an agent. Without it SIPp sends no audio but the keys'.
	Talk time.Duration
	// HangUpAfter hangs up that long after the answer; zero waits for
	// Asterisk to hang up, for at most Wait (default 2 minutes).
	HangUpAfter time.Duration
	Wait        time.Duration
	// Media, when set, takes the caller's audio (NewMedia on CarrierIP):
	// the SDP names its port instead of SIPp's.
	Media *Media
}

// PhoneSpec is how an agent's desk phone behaves on every call.
type PhoneSpec struct {
	Ring time.Duration // before answering (default 300 ms); a CANCEL first ends the call
	Talk time.Duration // then hangs up; zero waits for Asterisk's BYE
	Busy bool          // answers 486 to every call
	// Media, when set, takes the phones' audio (NewMedia on 127.0.0.1):
	// the SDP names its port instead of SIPp's echo.
	Media *Media
}

// Call places one call from the carrier to the toll-free number.
func (a *Asterisk) Call(t T, c CallSpec) *SIPp {
	t.Helper()
	if c.To == "" {
		c.To = "800840840"
	}
	if c.Wait <= 0 {
		c.Wait = 2 * time.Minute
	}
	dir := t.TempDir()
	data := map[string]any{"From": c.From, "HangUpMs": c.HangUpAfter.Milliseconds(), "WaitMs": c.Wait.Milliseconds(), "PCAP": "", "MediaPort": 0}
	if c.Media != nil {
		data["MediaPort"] = c.Media.Port
	}
	if c.Keys != "" || c.Talk > 0 {
		keys, err := Keys(c.Keys)
		if err != nil {
			t.Fatal(err)
		}
		pcap := filepath.Join(dir, "keys.pcap")
		if err := writeCallerPcap(pcap, keys, max(c.Talk, 500*time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		data["PCAP"] = pcap
	}
	sf := renderScenario(t, "caller.xml", dir, data)
	port := freeSIP(t, CarrierIP)
	return startSIPp(t, "caller "+c.From, port, sf, "-i", CarrierIP, "-p", strconv.Itoa(port),
		"-mi", CarrierIP, "-mp", strconv.Itoa(freeUDP(t, CarrierIP)), "-aa", "-m", "1", "-s", c.To,
		"-timeout", strconv.Itoa(int((c.Wait+c.HangUpAfter+time.Minute)/time.Second)), "-timeout_error",
		fmt.Sprintf("127.0.0.1:%d", a.SIPPort))
}

// StartPhones starts one SIPp that answers for desk phones on 127.0.0.1:
// the seats whose AOR has it as contact (see Seats). Start it before
// Asterisk, so the first qualify finds the phones. It runs until the test
// ends.
func StartPhones(t T, p PhoneSpec) *SIPp {
	t.Helper()
	if p.Ring <= 0 {
		p.Ring = 300 * time.Millisecond
	}
	dir := t.TempDir()
	data := map[string]any{"RingMs": p.Ring.Milliseconds(), "TalkMs": p.Talk.Milliseconds(), "Busy": p.Busy, "MediaPort": 0}
	if p.Media != nil {
		data["MediaPort"] = p.Media.Port
	}
	sf := renderScenario(t, "agent.xml", dir, data)
	port := freeSIP(t, "127.0.0.1")
	s := startSIPp(t, "phones", port, sf, "-i", "127.0.0.1", "-p", strconv.Itoa(port), "-mi", "127.0.0.1",
		"-mp", strconv.Itoa(freeUDP(t, "127.0.0.1")), "-aa", "-rtp_echo")
	t.Cleanup(s.Stop)
	return s
}

// CarrierLine is how the far end of one number behaves when Asterisk
// dials it through the trunk.
type CarrierLine struct {
	Number   string        // as Asterisk dials it (the Request-URI's user), e.g. +393401111111
	Busy     bool          // answers 486 Busy Here
	NoAnswer bool          // rings until Asterisk cancels
	Ring     time.Duration // before answering (default 300 ms)
	// Keys is a key script for Keys, from the answer (e.g. "18s:1 7s:25#").
	Keys string
	// HangUpAfter hangs up that long after the answer; zero waits for
	// Asterisk's BYE.
	HangUpAfter time.Duration
}

// StartCarrier starts the carrier's far end on the trunk's contact
// (CarrierIP:CarrierPort): a SIPp that answers the trunk's qualify and
// registration, and each number Asterisk dials as its line says. It runs
// until the test ends; WaitPhones(t, "trunk") waits until Asterisk has the
// trunk reachable.
func (a *Asterisk) StartCarrier(t T, lines ...CarrierLine) *SIPp {
	t.Helper()
	dir := t.TempDir()
	type line struct {
		Number, Pattern, PCAP string
		Busy, NoAnswer        bool
		RingMs, HangUpMs      int64
	}
	var data []line
	for i, l := range lines {
		if l.Ring <= 0 {
			l.Ring = 300 * time.Millisecond
		}
		d := line{Number: l.Number, Pattern: regexp.QuoteMeta(l.Number), Busy: l.Busy, NoAnswer: l.NoAnswer,
			RingMs: l.Ring.Milliseconds(), HangUpMs: l.HangUpAfter.Milliseconds()}
		if l.Keys != "" {
			keys, err := Keys(l.Keys)
			if err != nil {
				t.Fatal(err)
			}
			d.PCAP = filepath.Join(dir, fmt.Sprintf("keys%d.pcap", i))
			if err := WriteDTMFPcap(d.PCAP, keys); err != nil {
				t.Fatal(err)
			}
		}
		data = append(data, d)
	}
	sf := renderScenario(t, "carrier.xml", dir, map[string]any{"Lines": data})
	s := startSIPp(t, "carrier", a.CarrierPort, sf, "-i", CarrierIP, "-p", strconv.Itoa(a.CarrierPort), "-mi", CarrierIP,
		"-mp", strconv.Itoa(freeUDP(t, CarrierIP)), "-aa")
	t.Cleanup(s.Stop)
	return s
}

// Seats writes the pjsip.conf sections of desk-phone seats ext...,
// made from the production templates as asterisk-conf/README.md tells an
// admin to, with a static contact on a Phones SIPp at port.
func Seats(port int, exts ...string) string {
	var b strings.Builder
	for _, e := range exts {
		fmt.Fprintf(&b, "[%[1]s](agent-deskphone)\naors = %[1]s\nauth = %[1]s\ncallerid = \"Operatore %[1]s\" <%[1]s>\n"+
			"[%[1]s](agent-aor)\ncontact = sip:%[1]s@127.0.0.1:%[2]d\n[%[1]s](agent-auth)\nusername = %[1]s\npassword = test-%[1]s\n", e, port)
	}
	return b.String()
}

func renderScenario(t T, name, dir string, data any) string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(ConfDir(), "sipp", name))
	if err != nil {
		t.Fatal(err)
	}
	tm, err := template.New(name).Parse(string(src))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := tm.Execute(&b, data); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, name)
	if err := os.WriteFile(out, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

func startSIPp(t T, name string, port int, scenario string, args ...string) *SIPp {
	t.Helper()
	if _, err := exec.LookPath(SIPpPath); err != nil {
		t.Fatalf("SIPp (Debian's sip-tester) is needed with a real Asterisk: %v", err)
	}
	all := append([]string{"-sf", scenario, "-nostdin", "-trace_err", "-error_file", scenario + ".errors"}, args...)
	cmd := exec.Command(SIPpPath, all...)
	cmd.Dir = filepath.Dir(scenario)
	out := &SyncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start sipp: %v", err)
	}
	s := &SIPp{t: t, Name: name, Port: port, cmd: cmd, out: out, done: make(chan struct{}), errFile: scenario + ".errors"}
	go func() { s.err = cmd.Wait(); close(s.done) }()
	t.Cleanup(func() {
		s.Stop()
		if t.Failed() {
			errs, _ := os.ReadFile(scenario + ".errors")
			if len(errs) > 0 {
				t.Logf("sipp %s unexpected messages:\n%s", name, Tail(string(errs), 80))
			}
		}
	})
	return s
}

// Wait waits for a caller's SIPp to finish and fails the test unless its
// call went as the scenario says (exit status 0).
func (s *SIPp) Wait(timeout time.Duration) {
	s.t.Helper()
	select {
	case <-s.done:
	case <-time.After(timeout):
		s.t.Fatalf("sipp %s still running after %s", s.Name, timeout)
	}
	if s.err != nil {
		s.t.Fatalf("sipp %s: %v\n%s", s.Name, s.err, Tail(s.out.String(), 40))
	}
}

// CPU is the CPU time (user and system) SIPp used, once it has exited;
// zero before.
func (s *SIPp) CPU() time.Duration {
	select {
	case <-s.done:
	default:
		return 0
	}
	if st := s.cmd.ProcessState; st != nil {
		return st.UserTime() + st.SystemTime()
	}
	return 0
}

// ErrorFile is where SIPp logs the messages its scenario did not expect.
func (s *SIPp) ErrorFile() string { return s.errFile }

// Done is closed when SIPp has exited.
func (s *SIPp) Done() <-chan struct{} { return s.done }

// Stop ends SIPp.
func (s *SIPp) Stop() {
	select {
	case <-s.done:
		return
	default:
	}
	syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	<-s.done
}

func freeUDP(t T, ip string) int {
	t.Helper()
	// SIPp uses the media port, the next one for RTCP and, with -rtp_echo,
	// the two after: an even port whose next three are free too.
	for i := 0; i < 50; i++ {
		u, err := net.ListenPacket("udp", ip+":0")
		if err != nil {
			t.Fatal(err)
		}
		p := u.LocalAddr().(*net.UDPAddr).Port &^ 1
		u.Close()
		ok := true
		for _, q := range []int{p, p + 1, p + 2, p + 3} {
			c, err := net.ListenPacket("udp", fmt.Sprintf("%s:%d", ip, q))
			if err != nil {
				ok = false
				break
			}
			c.Close()
		}
		if ok {
			return p
		}
	}
	t.Fatal("asttest: no free media port")
	return 0
}

// SyncBuffer is an output a process writes while a test reads it.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// LoadSpec is a stream of callers through the carrier, each waiting for
// Asterisk to hang up (the agent's phone hangs up after its talk time), or
// hanging up itself after HangUpAfter.
type LoadSpec struct {
	To    string  // the number dialled
	Rate  float64 // new calls a second
	Calls int     // how many in all
	Wait  time.Duration
	// Keys is a key script (as CallSpec's) every caller types; empty
	// sends half a second of voice.
	Keys string
	// HangUpAfter makes every caller hang up that long after the answer;
	// zero waits for Asterisk's BYE.
	HangUpAfter time.Duration
}

// LoadResult is what the callers' SIPp counted.
type LoadResult struct {
	Successful, Failed int
	// UntilBye is, for each successful call, the time from its INVITE to
	// Asterisk's BYE.
	UntilBye []time.Duration
}

// Load starts the callers; Results reads what they counted once SIPp is done.
func (a *Asterisk) Load(t T, l LoadSpec) *SIPp {
	t.Helper()
	if l.Wait <= 0 {
		l.Wait = 5 * time.Minute
	}
	dir := t.TempDir()
	// Half a second of the caller's voice: Asterisk's Answer() waits for
	// the first media frame (up to 500 ms) before the dialplan goes on.
	var keys []Key
	if l.Keys != "" {
		var err error
		if keys, err = Keys(l.Keys); err != nil {
			t.Fatal(err)
		}
	}
	pcap := filepath.Join(dir, "voice.pcap")
	if err := WriteDTMFPcap(pcap, keys); err != nil {
		t.Fatal(err)
	}
	// Each caller has a number of its own: "3906" and SIPp's call number.
	sf := renderScenario(t, "caller.xml", dir, map[string]any{"From": "3906[call_number]", "HangUpMs": l.HangUpAfter.Milliseconds(),
		"WaitMs": l.Wait.Milliseconds(), "PCAP": pcap, "MediaPort": 0})
	port := freeSIP(t, CarrierIP)
	limit := int(l.Rate*(l.Wait+l.HangUpAfter).Seconds()) + 100
	s := startSIPp(t, "load", port, sf, "-i", CarrierIP, "-p", strconv.Itoa(port),
		"-mi", CarrierIP, "-mp", strconv.Itoa(freeUDP(t, CarrierIP)), "-aa", "-m", strconv.Itoa(l.Calls), "-s", l.To,
		"-r", strconv.FormatFloat(l.Rate, 'f', -1, 64), "-rp", "1000", "-l", strconv.Itoa(limit),
		"-trace_rtt", "-rtt_freq", "1", "-trace_stat", "-stf", filepath.Join(dir, "stat.csv"), "-fd", "1",
		"-timeout", strconv.Itoa(int(float64(l.Calls)/l.Rate+(l.Wait+l.HangUpAfter).Seconds()+60)),
		fmt.Sprintf("127.0.0.1:%d", a.SIPPort))
	s.dir = dir
	return s
}

// Results parses a load's statistics; call it after Done.
func (s *SIPp) Results() (LoadResult, error) {
	var r LoadResult
	stat, err := os.ReadFile(filepath.Join(s.dir, "stat.csv"))
	if err != nil {
		return r, err
	}
	lines := strings.Split(strings.TrimSpace(string(stat)), "\n")
	if len(lines) < 2 {
		return r, fmt.Errorf("asttest: sipp statistics have no data")
	}
	head, last := strings.Split(lines[0], ";"), strings.Split(lines[len(lines)-1], ";")
	for i, h := range head {
		if i >= len(last) {
			break
		}
		switch h {
		case "SuccessfulCall(C)":
			r.Successful, _ = strconv.Atoi(last[i])
		case "FailedCall(C)":
			r.Failed, _ = strconv.Atoi(last[i])
		}
	}
	rtts, _ := filepath.Glob(filepath.Join(s.dir, "*_rtt.csv"))
	for _, f := range rtts {
		b, err := os.ReadFile(f)
		if err != nil {
			return r, err
		}
		for _, l := range strings.Split(string(b), "\n") {
			// date_ms;response_time_ms;rtd_no
			p := strings.Split(strings.TrimSpace(l), ";")
			if len(p) != 3 || p[2] != "2" {
				continue
			}
			ms, err := strconv.ParseFloat(p[1], 64)
			if err != nil {
				continue
			}
			r.UntilBye = append(r.UntilBye, time.Duration(ms*float64(time.Millisecond)))
		}
	}
	return r, nil
}
