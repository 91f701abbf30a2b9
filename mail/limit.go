package mail

import (
	"net"
	"sync"
	"time"

	"go.uber.org/zap"
)

// limitListener caps the receiver's connections: MaxConns in all (the
// excess waits in the kernel's backlog, as with netutil.LimitListener) and
// MaxConnsPerIP from one address, so a few slow clients from one place
// cannot take every slot; a connection over the per-address cap is answered
// 421 and closed at once.
type limitListener struct {
	net.Listener
	slots  chan struct{}
	perIP  int
	log    *zap.Logger
	mu     sync.Mutex
	open   map[string]int
	closed chan struct{}
	once   sync.Once
}

func newLimitListener(ln net.Listener, total, perIP int, log *zap.Logger) *limitListener {
	return &limitListener{Listener: ln, slots: make(chan struct{}, total), perIP: perIP, log: log,
		open: map[string]int{}, closed: make(chan struct{})}
}

// tooMany is the answer to a connection over the per-address cap.
const tooMany = "421 4.7.0 Troppe connessioni dal suo indirizzo, riprovi piu' tardi / too many connections from your address, try again later\r\n"

// Accept waits for a free slot, then returns the next connection whose
// address is under its cap.
func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.slots <- struct{}{}:
	case <-l.closed:
		return nil, net.ErrClosed
	}
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			<-l.slots
			return nil, err
		}
		key := ipKey(c.RemoteAddr())
		l.mu.Lock()
		if l.open[key] >= l.perIP {
			l.mu.Unlock()
			l.log.Info("connection refused: too many from one address", zap.String("remote", c.RemoteAddr().String()),
				zap.Int("limit", l.perIP))
			// A fresh socket's send buffer is empty: this write does not
			// block; the deadline is a guard all the same.
			c.SetWriteDeadline(time.Now().Add(time.Second))
			c.Write([]byte(tooMany))
			c.Close()
			continue
		}
		l.open[key]++
		l.mu.Unlock()
		return &limitedConn{Conn: c, l: l, key: key}, nil
	}
}

// Close stops accepting; connections already open keep their slots until
// they close.
func (l *limitListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return l.Listener.Close()
}

func (l *limitListener) release(key string) {
	l.mu.Lock()
	if l.open[key]--; l.open[key] <= 0 {
		delete(l.open, key)
	}
	l.mu.Unlock()
	<-l.slots
}

// ipKey is the address a cap counts against: the IPv4 address, or the /64
// of an IPv6 address (one subscriber's network).
func ipKey(a net.Addr) string {
	var ip net.IP
	switch t := a.(type) {
	case *net.TCPAddr:
		ip = t.IP
	default:
		host, _, err := net.SplitHostPort(a.String())
		if err != nil {
			return a.String()
		}
		ip = net.ParseIP(host)
	}
	if ip == nil {
		return a.String()
	}
	if v4 := ip.To4(); v4 != nil {
		return v4.String()
	}
	return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

// limitedConn is an accepted connection: it gives its slot back when
// closed, and can hold a phase deadline that every later read deadline is
// clamped to. go-smtp sets a fresh read deadline before each command line
// (BDAT chunks included), so without the clamp a client trickling a
// message could extend the DATA phase for ever.
type limitedConn struct {
	net.Conn
	l       *limitListener
	key     string
	once    sync.Once
	mu      sync.Mutex
	phase   time.Time // zero: no phase deadline
	readDue time.Time // the deadline the server last asked for
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.release(c.key) })
	return err
}

func (c *limitedConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.readDue = t
	return c.Conn.SetReadDeadline(c.clamp(t))
}

func (c *limitedConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.readDue = t
	if err := c.Conn.SetWriteDeadline(t); err != nil {
		return err
	}
	return c.Conn.SetReadDeadline(c.clamp(t))
}

func (c *limitedConn) clamp(t time.Time) time.Time {
	if !c.phase.IsZero() && (t.IsZero() || t.After(c.phase)) {
		return c.phase
	}
	return t
}

// startPhase gives reads the deadline of a phase (the whole of DATA),
// which no read deadline set later can extend until endPhase. It is safe
// on a nil connection (nothing is bounded then).
func (c *limitedConn) startPhase(deadline time.Time) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.phase = deadline
	c.Conn.SetReadDeadline(deadline)
}

// endPhase lifts the phase deadline; reads get the deadline the server
// asked for last.
func (c *limitedConn) endPhase() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.phase = time.Time{}
	c.Conn.SetReadDeadline(c.readDue)
}

// limitedConnOf finds the accepted connection under what go-smtp holds (a
// TLS connection after STARTTLS wraps it).
func limitedConnOf(c net.Conn) *limitedConn {
	for range 4 {
		switch t := c.(type) {
		case *limitedConn:
			return t
		case interface{ NetConn() net.Conn }:
			c = t.NetConn()
		default:
			return nil
		}
	}
	return nil
}
