package mail

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/ascolto/ascolto/store"
	"github.com/ascolto/ascolto/store/storetest"
)

// bigMessage is a message of about size bytes: a line of text and a photo,
// base64-encoded as mail clients send it.
func bigMessage(t testing.TB, id string, size int) []byte {
	t.Helper()
	photo := make([]byte, size*3/4-4096)
	rand.Read(photo)
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: maria@example.it\r\nTo: contactcenter@example.org\r\nSubject: Foto della frana\r\n"+
		"Message-ID: <%s>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"+
		"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nEcco la foto della frana.\r\n"+
		"--b\r\nContent-Type: image/jpeg\r\nContent-Disposition: attachment; filename=\"frana.jpg\"\r\n"+
		"Content-Transfer-Encoding: base64\r\n\r\n", id)
	enc := base64.StdEncoding.EncodeToString(photo)
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n--b--\r\n")
	return b.Bytes()
}

// heapWatch follows the live heap (what the last garbage collection found
// reachable) while a test works, and reports its peak. Garbage does not
// count: a driver that copies each piece it writes allocates a lot but
// holds little.
type heapWatch struct {
	stop chan struct{}
	done chan struct{}
	peak uint64
	gcs  uint64
}

func watchHeap() *heapWatch {
	w := &heapWatch{stop: make(chan struct{}), done: make(chan struct{})}
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/gc/cycles/total:gc-cycles"}}
	metrics.Read(sample)
	first := sample[1].Value.Uint64()
	go func() {
		defer close(w.done)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(sample)
			w.peak = max(w.peak, sample[0].Value.Uint64())
			w.gcs = sample[1].Value.Uint64() - first
			select {
			case <-w.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return w
}

// Stop ends the watch and returns the peak live heap and the number of
// collections seen.
func (w *heapWatch) Stop() (peak, gcs uint64) {
	close(w.stop)
	<-w.done
	return w.peak, w.gcs
}

// A 29 MB message is received and stored without ever being held whole in
// memory: the live heap grows by less than a quarter of its size. Read
// into memory, decoded and stored in one piece, it held about four times
// its size (and allocated seven to ten times it).
func TestLargeMessageIsStoredInBoundedMemory(t *testing.T) {
	if raceDetector {
		// Ten times slower there for nothing more to see: the run
		// without -race measures it.
		t.Skip("30 MB through the race detector takes a minute; this test runs without -race")
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		in := startReceiver(t, db, ReceiverOptions{})
		raw := bigMessage(t, "big@example.it", 29<<20)
		in.mustSend("maria@example.it", "From: a@example.it\nSubject: warm-up\nMessage-ID: <warm@x>\n\nx\n")
		// Frequent collections, so the live heap is seen often.
		defer debug.SetGCPercent(debug.SetGCPercent(10))
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		w := watchHeap()
		if err := in.send("maria@example.it", "contactcenter@example.org", raw); err != nil {
			t.Fatal(err)
		}
		peak, gcs := w.Stop()
		runtime.ReadMemStats(&after)
		grew := peak - min(peak, before.HeapAlloc)
		t.Logf("message %.1f MB: live heap %.1f MB before, peak %.1f MB (+%.1f MB) over %d collections; %.1f MB allocated in all",
			mb(len(raw)), mb(before.HeapAlloc), mb(peak), mb(grew), gcs, mb(after.TotalAlloc-before.TotalAlloc))
		c := in.caseOf("big@example.it")
		tl, err := db.FullTimeline(bg, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		atts := tl.Entries[0].Attachments
		if len(atts) != 2 || atts[0].Size != int64(len(raw)) || atts[1].Filename != "frana.jpg" || atts[1].Size < 21<<20 {
			t.Fatalf("attachments %+v", atts)
		}
		stored, err := db.AttachmentData(bg, atts[0].ID)
		if err != nil || !bytes.Equal(stored.Data, raw) {
			t.Fatalf("the original is not kept byte for byte (%d bytes, %v)", len(stored.Data), err)
		}
		if limit := uint64(len(raw) / 4); grew > limit {
			t.Fatalf("the live heap grew by %.1f MB for a %.1f MB message, want under %.1f MB", mb(grew), mb(len(raw)), mb(limit))
		}
	})
}

func mb[T int | uint64](n T) float64 { return float64(n) / (1 << 20) }

// BenchmarkEightLargeMessagesAtOnce receives eight 29 MB messages in
// parallel, as in the report that found 1.3 GB spent on them, and reports
// how much the live heap grew:
//
//	go test ./mail -run '^$' -bench EightLarge -benchtime 1x
func BenchmarkEightLargeMessagesAtOnce(b *testing.B) {
	for range b.N {
		b.StopTimer()
		db := storetest.SQLite(b)
		in := startReceiver(b, db, ReceiverOptions{})
		raws := make([][]byte, 8)
		for i := range raws {
			raws[i] = bigMessage(b, fmt.Sprintf("big-%d@example.it", i), 29<<20)
		}
		old := debug.SetGCPercent(10)
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		w := watchHeap()
		b.StartTimer()
		errs := make(chan error, len(raws))
		for _, raw := range raws {
			go func() { errs <- in.send("maria@example.it", "contactcenter@example.org", raw) }()
		}
		for range raws {
			if err := <-errs; err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		peak, _ := w.Stop()
		debug.SetGCPercent(old)
		b.ReportMetric(mb(peak-min(peak, before.HeapAlloc)), "live-heap-growth-MB")
		if n := countCases(b, db); n != len(raws) {
			b.Fatalf("%d cases", n)
		}
	}
}
