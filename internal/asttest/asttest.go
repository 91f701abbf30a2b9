// Package asttest runs a real Asterisk for tests, configured by the
// project's own asterisk-conf/.
//
// The configuration is rendered into a temporary folder changing only what
// a test machine forces — loopback addresses and free ports, the carrier
// host (a SIPp on 127.0.0.2), certificate and spool paths — and every change
// is listed once, in rewrites.go. A rewrite whose text is no longer in the
// production file fails the test: the production configuration is what is
// tested, so it cannot drift away from what the tests run.
//
// Asterisk is found through ASCOLTO_TEST_ASTERISK (its install prefix:
// PREFIX/sbin/asterisk, PREFIX/lib/asterisk/modules). Without it the tests
// that need one skip: Debian has no Asterisk package, and not every machine
// has one built.
//
// The package must not be imported by production code.
package asttest

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// EnvPrefix names the variable holding Asterisk's install prefix.
const EnvPrefix = "ASCOLTO_TEST_ASTERISK"

// CarrierIP is the loopback address the carrier's SBC (SIPp) uses: the trunk
// identifies the carrier by address, so agents' phones and the carrier must
// not share one.
const CarrierIP = "127.0.0.2"

// T is what the harness needs of a test: *testing.T, or a benchmark
// command's own runner (bench/astload).
type T interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
	Logf(format string, args ...any)
	Skipf(format string, args ...any)
	Cleanup(func())
	TempDir() string
	Name() string
	Failed() bool
}

// Options adds what a test needs beyond the production configuration.
type Options struct {
	// PJSIP is appended to pjsip.conf: the test's seats, made from the
	// production templates as an admin would (see Seat).
	PJSIP string
	// Dialplan is appended to extensions.conf.
	Dialplan string
	// Files are extra configuration files (name → content), e.g. queues.conf.
	Files map[string]string
	// Load adds modules.conf lines (e.g. "load = res_prometheus.so").
	Load []string
	// Rewrites are changes beyond Rewrites, as strict (a benchmark loads
	// app_queue, which production leaves off).
	Rewrites []Rewrite
}

// Asterisk is a running Asterisk.
type Asterisk struct {
	t       T
	Prefix  string
	Dir     string // root of everything this instance writes
	Etc     string // the rendered configuration
	Spool   string // astspooldir: recording/, fax/
	LogFile string // full.log

	ARIURL      string // http://127.0.0.1:PORT/ari
	ARIUser     string
	ARIPassword string
	HTTPPort    int
	TLSPort     int
	SIPPort     int    // UDP and TCP on 127.0.0.1
	CarrierPort int    // where the trunk's contact and registration point, on CarrierIP
	WSURL       string // ws://127.0.0.1:HTTPPORT/ws, for WebRTC softphones
	WSSURL      string // wss://127.0.0.1:TLSPORT/ws, the same over TLS with the run's certificate
	RTPStart    int
	RTPEnd      int

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// Prefix returns the Asterisk install prefix, skipping the test without one.
func Prefix(t T) string {
	t.Helper()
	p := os.Getenv(EnvPrefix)
	if p == "" {
		t.Skipf("no real Asterisk: set %s to its install prefix to run this test", EnvPrefix)
	}
	if _, err := os.Stat(filepath.Join(p, "sbin", "asterisk")); err != nil {
		t.Fatalf("%s=%s: %v", EnvPrefix, p, err)
	}
	return p
}

// ConfDir is the repository's asterisk-conf/.
func ConfDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "asterisk-conf")
}

// Start renders the configuration, starts Asterisk and waits until it has
// fully booted. It is stopped when the test ends; its full.log is copied
// into the test's output folder (or printed) when the test failed.
func Start(t T, o Options) *Asterisk {
	t.Helper()
	a := New(t, o)
	if err := a.start(); err != nil {
		t.Fatal(err)
	}
	return a
}

// New renders the configuration and chooses the ports, leaving Asterisk
// stopped until Up: for a test whose Asterisk is down when ascolto starts.
func New(t T, o Options) *Asterisk {
	t.Helper()
	prefix := Prefix(t)
	// The control socket's path must fit in a sockaddr_un (108 bytes):
	// t.TempDir() can be longer, so the root is a short folder of its own.
	dir, err := os.MkdirTemp("", "ast")
	if err != nil {
		t.Fatal(err)
	}
	a := &Asterisk{t: t, Prefix: prefix, Dir: dir, Etc: filepath.Join(dir, "etc"), Spool: filepath.Join(dir, "spool"),
		LogFile: filepath.Join(dir, "log", "full.log"), ARIUser: "ascolto"}
	a.HTTPPort, a.TLSPort = freeTCP(t), freeTCP(t)
	a.SIPPort = freeSIP(t, "127.0.0.1")
	a.CarrierPort = freeSIP(t, CarrierIP)
	// 4,000 ports (2,000 channels) in one of ten slices of 20000-59999.
	// Asterisk skips a port another process holds (a parallel test's
	// Asterisk, a SIPp's media port), so slices that meet cost nothing but
	// a retry.
	a.RTPStart = 20000 + 4000*int((time.Now().UnixNano()/1000+int64(os.Getpid()))%10)
	a.RTPEnd = a.RTPStart + 3999
	a.ARIURL = fmt.Sprintf("http://127.0.0.1:%d/ari", a.HTTPPort)
	a.WSURL = fmt.Sprintf("ws://127.0.0.1:%d/ws", a.HTTPPort)
	a.WSSURL = fmt.Sprintf("wss://127.0.0.1:%d/ws", a.TLSPort)
	t.Cleanup(func() {
		a.Stop()
		if t.Failed() {
			a.keepLog()
		}
		os.RemoveAll(dir)
	})
	if err := a.render(o); err != nil {
		t.Fatal(err)
	}
	return a
}

func (a *Asterisk) render(o Options) error {
	for _, d := range []string{a.Etc, filepath.Join(a.Etc, "keys"), filepath.Join(a.Spool, "recording"), filepath.Join(a.Spool, "fax"),
		filepath.Join(a.Dir, "db"), filepath.Join(a.Dir, "cache"), filepath.Join(a.Dir, "run"), filepath.Join(a.Dir, "log"),
		filepath.Join(a.Dir, "data")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	conf := ConfDir()
	files, err := Render(conf, a.vars(), o.Rewrites...)
	if err != nil {
		return err
	}
	if o.PJSIP != "" {
		files["pjsip.conf"] += "\n; ---- added by the test\n" + o.PJSIP
	}
	if o.Dialplan != "" {
		files["extensions.conf"] += "\n; ---- added by the test\n" + o.Dialplan
	}
	if len(o.Load) > 0 {
		files["modules.conf"] += "\n; ---- added by the test\n" + strings.Join(o.Load, "\n") + "\n"
	}
	for name, body := range o.Files {
		files[name] = body
	}
	files["asterisk.conf"] = a.asteriskConf()
	files["logger.conf"] = "[general]\ndateformat = %F %T.%3q\n[logfiles]\nfull.log => notice,warning,error,dtmf,verbose(5)\n"
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(a.Etc, name), []byte(body), 0o644); err != nil {
			return err
		}
	}
	if err := writeCert(filepath.Join(a.Etc, "keys")); err != nil {
		return err
	}
	return a.linkData(conf)
}

func (a *Asterisk) asteriskConf() string {
	lib := filepath.Join(a.Prefix, "var", "lib", "asterisk")
	return fmt.Sprintf(`[directories]
astetcdir => %s
astmoddir => %s
astvarlibdir => %s
astdatadir => %s
astkeydir => %s
astagidir => %s
astsbindir => %s
astdbdir => %s
astcachedir => %s
astspooldir => %s
astrundir => %s
astlogdir => %s
[options]
documentation_language = en_US
`, a.Etc, filepath.Join(a.Prefix, "lib", "asterisk", "modules"), lib, filepath.Join(a.Dir, "data"), lib,
		filepath.Join(lib, "agi-bin"), filepath.Join(a.Prefix, "sbin"), filepath.Join(a.Dir, "db"),
		filepath.Join(a.Dir, "cache"), a.Spool, filepath.Join(a.Dir, "run"), filepath.Join(a.Dir, "log"))
}

// linkData builds astdatadir: the install's own data (documentation,
// rest-api ...), Debian's sounds per language with ascolto's prompts under
// <lang>/ascolto — where the docker-compose file mounts them — and music on
// hold.
func (a *Asterisk) linkData(conf string) error {
	data := filepath.Join(a.Dir, "data")
	lib := filepath.Join(a.Prefix, "var", "lib", "asterisk")
	entries, _ := os.ReadDir(lib)
	for _, e := range entries {
		if e.Name() == "sounds" || e.Name() == "moh" {
			continue
		}
		if err := os.Symlink(filepath.Join(lib, e.Name()), filepath.Join(data, e.Name())); err != nil {
			return err
		}
	}
	if err := os.Symlink(SystemMOH, filepath.Join(data, "moh")); err != nil {
		return err
	}
	for _, lang := range []string{"it", "en"} {
		dst := filepath.Join(data, "sounds", lang)
		if err := os.MkdirAll(dst, 0o755); err != nil {
			return err
		}
		src := filepath.Join(SystemSounds, lang)
		sys, err := os.ReadDir(src)
		if err != nil {
			return fmt.Errorf("asttest: Debian's %s sounds: %w (apt-get install asterisk-core-sounds-%s-gsm)", lang, err, lang)
		}
		for _, e := range sys {
			if err := os.Symlink(filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())); err != nil {
				return err
			}
		}
		own, err := filepath.Abs(filepath.Join(conf, "sounds", lang, "ascolto"))
		if err != nil {
			return err
		}
		if err := os.Symlink(own, filepath.Join(dst, "ascolto")); err != nil {
			return err
		}
	}
	return nil
}

// Where Debian's asterisk-core-sounds-*-gsm and asterisk-moh-opsound-gsm
// install.
var (
	SystemSounds = "/usr/share/asterisk/sounds"
	SystemMOH    = "/usr/share/asterisk/moh"
)

func (a *Asterisk) start() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	cmd := exec.Command(filepath.Join(a.Prefix, "sbin", "asterisk"), "-C", filepath.Join(a.Etc, "asterisk.conf"), "-f", "-n")
	cmd.Stdout, cmd.Stderr = nil, nil
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("asttest: start asterisk: %w", err)
	}
	a.cmd = cmd
	a.done = make(chan struct{})
	go func(done chan struct{}) { cmd.Wait(); close(done) }(a.done)
	return a.waitBooted(a.done)
}

func (a *Asterisk) waitBooted(done chan struct{}) error {
	deadline := time.Now().Add(60 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		select {
		case <-done:
			return fmt.Errorf("asttest: asterisk exited during boot; log:\n%s", Tail(a.Log(), 60))
		default:
		}
		out, err := a.CLI("core waitfullybooted")
		if err == nil && strings.Contains(out, "fully booted") {
			return nil
		}
		last = out
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("asttest: asterisk not fully booted in 60 s (%s); log:\n%s", last, Tail(a.Log(), 60))
}

// CLI runs one CLI command (asterisk -rx) and returns its output.
func (a *Asterisk) CLI(command string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, filepath.Join(a.Prefix, "sbin", "asterisk"), "-C", filepath.Join(a.Etc, "asterisk.conf"), "-rx", command).CombinedOutput()
	return string(out), err
}

// MustCLI runs a CLI command and fails the test if it cannot.
func (a *Asterisk) MustCLI(command string) string {
	a.t.Helper()
	out, err := a.CLI(command)
	if err != nil {
		a.t.Fatalf("asterisk -rx %q: %v\n%s", command, err, out)
	}
	return out
}

// PID is the running Asterisk's process id (0 when stopped).
func (a *Asterisk) PID() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.cmd == nil || a.cmd.Process == nil {
		return 0
	}
	return a.cmd.Process.Pid
}

// Stop stops Asterisk ("core stop now", then SIGKILL by PID after 10 s).
func (a *Asterisk) Stop() {
	if cmd, done := a.release(); cmd != nil {
		a.CLI("core stop now")
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	}
}

// Kill ends Asterisk with SIGKILL, as a crash would.
func (a *Asterisk) Kill() {
	if cmd, done := a.release(); cmd != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
}

// release takes the running process out of a, for Stop and Kill.
func (a *Asterisk) release() (*exec.Cmd, chan struct{}) {
	a.mu.Lock()
	defer a.mu.Unlock()
	cmd, done := a.cmd, a.done
	a.cmd = nil
	return cmd, done
}

// Restart starts Asterisk again with the same configuration and ports.
func (a *Asterisk) Restart() {
	a.t.Helper()
	a.Stop()
	a.Up()
}

// RestartNow restarts Asterisk as an operator would with "core restart
// now": it hangs up every channel, and the same process (same PID) execs
// itself again. It waits until the new Asterisk has fully booted.
func (a *Asterisk) RestartNow() {
	a.t.Helper()
	a.mu.Lock()
	done := a.done
	a.mu.Unlock()
	asked := time.Now()
	a.CLI("core restart now") // the CLI's link drops with the exec: its error means nothing
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-done:
			a.t.Fatalf("asttest: asterisk exited on core restart now; log:\n%s", Tail(a.Log(), 60))
		default:
		}
		// The new process has booted when it reports less uptime than has
		// passed since the restart was asked for (seconds, so one of slack).
		if up, err := a.uptime(); err == nil && time.Now().Add(-up).After(asked.Add(-time.Second)) {
			if err := a.waitBooted(done); err != nil {
				a.t.Fatal(err)
			}
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	a.t.Fatalf("asttest: asterisk not back within 60 s of core restart now; log:\n%s", Tail(a.Log(), 60))
}

// uptime is how long the running Asterisk has been up ("core show uptime seconds").
func (a *Asterisk) uptime() (time.Duration, error) {
	out, err := a.CLI("core show uptime seconds")
	if err != nil {
		return 0, err
	}
	m := uptimeRe.FindStringSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("asttest: no uptime in %q", out)
	}
	n, _ := strconv.Atoi(m[1])
	return time.Duration(n) * time.Second, nil
}

var uptimeRe = regexp.MustCompile(`System uptime:\s*(\d+)`)

// Up starts a stopped Asterisk (see New) and waits until it has fully booted.
func (a *Asterisk) Up() {
	a.t.Helper()
	if err := a.start(); err != nil {
		a.t.Fatal(err)
	}
}

// Log returns full.log so far.
func (a *Asterisk) Log() string {
	b, _ := os.ReadFile(a.LogFile)
	return string(b)
}

// keepLog shows the end of full.log in the test's output and, when
// ASCOLTO_TEST_ARTIFACTS names a folder, saves the whole of it there.
func (a *Asterisk) keepLog() {
	a.t.Logf("Asterisk's full.log (end):\n%s", Tail(a.Log(), 150))
	if d := os.Getenv("ASCOLTO_TEST_ARTIFACTS"); d != "" {
		name := strings.NewReplacer("/", "_", " ", "_").Replace(a.t.Name()) + "-asterisk-full.log"
		if os.MkdirAll(d, 0o755) == nil && os.WriteFile(filepath.Join(d, name), []byte(a.Log()), 0o644) == nil {
			a.t.Logf("Asterisk's full.log kept as %s", filepath.Join(d, name))
		}
	}
}

// MissingSounds lists the sound files Asterisk could not find so far.
func (a *Asterisk) MissingSounds() []string {
	var out []string
	for _, l := range strings.Split(a.Log(), "\n") {
		if i := strings.Index(l, "File "); i >= 0 && strings.Contains(l, "does not exist in any format") {
			out = append(out, strings.TrimSpace(l[i:]))
		}
	}
	return out
}

// Tail is the last n lines of s.
func Tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func freeTCP(t T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// freeSIP finds a port free for both UDP and TCP on ip.
func freeSIP(t T, ip string) int {
	t.Helper()
	for i := 0; i < 50; i++ {
		u, err := net.ListenPacket("udp", ip+":0")
		if err != nil {
			t.Fatal(err)
		}
		port := u.LocalAddr().(*net.UDPAddr).Port
		l, err := net.Listen("tcp", fmt.Sprintf("%s:%d", ip, port))
		u.Close()
		if err == nil {
			l.Close()
			return port
		}
	}
	t.Fatal("asttest: no free SIP port")
	return 0
}

// writeCert makes the self-signed certificate that http.conf's TLS (WSS)
// points at, as the Dockerfile does with openssl.
func writeCert(dir string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "asterisk"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	var c, k bytes.Buffer
	pem.Encode(&c, &pem.Block{Type: "CERTIFICATE", Bytes: der})
	pem.Encode(&k, &pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
	return errors.Join(os.WriteFile(filepath.Join(dir, "asterisk.crt"), c.Bytes(), 0o644),
		os.WriteFile(filepath.Join(dir, "asterisk.key"), k.Bytes(), 0o600))
}

// WaitPhones qualifies the seats' contacts at once (rather than within
// qualify_frequency) and waits until Asterisk has every one as reachable:
// until then a phone's device state is unavailable, and neither ascolto
// nor app_queue rings it.
func (a *Asterisk) WaitPhones(t T, exts ...string) {
	t.Helper()
	for _, e := range exts {
		a.CLI("pjsip qualify " + e)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, _ := a.CLI("pjsip show contacts")
		n := 0
		for _, e := range exts {
			if strings.Contains(out, "Contact:  "+e+"/") && strings.Contains(contactLine(out, e), " Avail ") {
				n++
			}
		}
		if n == len(exts) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("asttest: %d of %d phones reachable after 30 s:\n%s", n, len(exts), out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func contactLine(out, ext string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "Contact:  "+ext+"/") {
			return l
		}
	}
	return ""
}
