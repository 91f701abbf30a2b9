package store_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/ascolto/ascolto/store"
	"github.com/ascolto/ascolto/store/storetest"
)

// A file written from a reader, in pieces when it is large, reads back
// byte for byte with its size and digest.
func TestAttachmentFromReaderRoundTrips(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newCase(t, db, store.Case{ContactEmail: "a@example.net"}, "ciao")
		for _, size := range []int{0, 10, 256 << 10, 256<<10 + 1, 1<<20 + 7} {
			data := make([]byte, size)
			rand.Read(data)
			a := store.Attachment{CaseID: c.ID, Filename: "f.bin", ContentType: "application/octet-stream"}
			if err := db.InTx(ctx, func(tx *store.Tx) error {
				return tx.AddAttachmentFrom(ctx, &a, bytes.NewReader(data))
			}); err != nil {
				t.Fatalf("%d bytes: %v", size, err)
			}
			sum := sha256.Sum256(data)
			if a.Size != int64(size) || a.SHA256 != hex.EncodeToString(sum[:]) {
				t.Fatalf("%d bytes: stored as %d, %s", size, a.Size, a.SHA256)
			}
			got, err := db.AttachmentData(ctx, a.ID)
			if err != nil {
				t.Fatalf("%d bytes: %v", size, err)
			}
			if !bytes.Equal(got.Data, data) || got.Size != int64(size) || got.SHA256 != a.SHA256 {
				t.Fatalf("%d bytes: read back %d bytes, size %d", size, len(got.Data), got.Size)
			}
		}
	})
}
