package web

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// serve runs a Server with the given timeouts on a real socket until the
// test ends, and returns its address.
func serve(t *testing.T, to Timeouts, mount func(s *Server)) string {
	t.Helper()
	s := NewServer(zap.NewNop(), prometheus.NewRegistry(), NewReadiness(time.Now))
	s.SetTimeouts(to)
	mount(s)
	ln, err := s.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln, time.Second) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return ln.Addr().String()
}

// answer reads what the server does with a connection: the status line of
// its answer, or "closed" when it hangs up without one. A server that does
// neither within the guard fails the test: that is the bug being tested.
func answer(t *testing.T, c net.Conn) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		t.Fatal("the server kept a stalled connection open")
	case err != nil:
		return "closed"
	}
	return strings.TrimSpace(line)
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// readBody answers 200 with the body's length, or 408 when it could not
// be read.
func readBody(w http.ResponseWriter, r *http.Request) {
	n, err := io.Copy(io.Discard, r.Body)
	if err != nil {
		w.WriteHeader(http.StatusRequestTimeout)
		fmt.Fprintln(w, err)
		return
	}
	fmt.Fprintln(w, n)
}

// TestStalledRequestsAreCutOff: a client that stops in the middle of its
// headers, or of its body, loses its connection after the server's
// timeouts; a response that takes longer than the read timeout is not cut.
func TestStalledRequestsAreCutOff(t *testing.T) {
	to := Timeouts{Header: 200 * time.Millisecond, Read: 400 * time.Millisecond, Idle: time.Minute}
	addr := serve(t, to, func(s *Server) {
		s.Handle("POST /echo", http.HandlerFunc(readBody))
		s.Handle("GET /long", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
				w.WriteHeader(http.StatusInternalServerError)
			case <-time.After(3 * to.Read):
				fmt.Fprintln(w, "done")
			}
		}))
	})
	c := dial(t, addr)
	fmt.Fprint(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n") // and never the blank line
	if got := answer(t, c); got != "closed" && !strings.Contains(got, "408") {
		t.Fatalf("stalled headers: %q", got)
	}
	c = dial(t, addr)
	fmt.Fprint(c, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n0123456789")
	if got := answer(t, c); got != "closed" && !strings.Contains(got, "408") {
		t.Fatalf("stalled body: %q", got)
	}
	resp, err := http.Get("http://" + addr + "/long")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("a long response was cut by the read timeout: %d", resp.StatusCode)
	}
}

// TestPaceBody: a body trickled below the pace, or one longer than its
// whole deadline, is cut with ErrSlowBody; one that arrived whole leaves
// no deadline behind to cancel the request while the handler works on.
func TestPaceBody(t *testing.T) {
	window := 300 * time.Millisecond
	addr := serve(t, DefaultTimeouts(), func(s *Server) {
		s.Handle("POST /trickle", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if err := PaceBody(w, r, Pace{Within: time.Minute, Window: window, MinBytes: 1024}); err != nil {
				t.Error(err)
			}
			if _, err := io.Copy(io.Discard, r.Body); !errors.Is(err, ErrSlowBody) {
				t.Errorf("trickle: %v, want ErrSlowBody", err)
			}
			w.WriteHeader(http.StatusRequestTimeout)
		}))
		s.Handle("POST /within", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			PaceBody(w, r, Pace{Within: window, Window: time.Minute, MinBytes: 10})
			if _, err := io.Copy(io.Discard, r.Body); !errors.Is(err, ErrSlowBody) {
				t.Errorf("within: %v, want ErrSlowBody", err)
			}
			w.WriteHeader(http.StatusRequestTimeout)
		}))
		s.Handle("POST /whole", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			PaceBody(w, r, Pace{Within: time.Minute, Window: window, MinBytes: 16})
			if _, err := io.Copy(io.Discard, r.Body); err != nil {
				t.Errorf("whole: %v", err)
			}
			select {
			case <-r.Context().Done():
				w.WriteHeader(http.StatusInternalServerError)
			case <-time.After(3 * window):
			}
		}))
	})
	// A byte every 10 ms: a connection kept alive by each byte would last
	// for ever; the pace wants 1 KiB in every 300 ms.
	tc := dial(t, addr)
	fmt.Fprint(tc, "POST /trickle HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n")
	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if _, err := tc.Write([]byte{'x'}); err != nil {
					return
				}
			}
		}
	}()
	got := answer(t, tc)
	close(stop)
	<-stopped
	if !strings.Contains(got, "408") {
		t.Fatalf("trickle: %q", got)
	}
	// Fast enough for the window, but the whole body takes too long.
	c := dial(t, addr)
	fmt.Fprint(c, "POST /within HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n"+strings.Repeat("y", 100))
	if got := answer(t, c); !strings.Contains(got, "408") {
		t.Fatalf("within: %q", got)
	}
	resp, err := http.Post("http://"+addr+"/whole", "text/plain", strings.NewReader(strings.Repeat("z", 100)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("whole body: %d: the request was cancelled after its body was read", resp.StatusCode)
	}
}
