package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sync"
)

// attachmentChunk is the size of the pieces a large attachment is written
// in: what storing it holds in memory at once, whatever its size.
const attachmentChunk = 256 << 10

// chunkBuffers spares each attachment its own buffer: a message with
// hundreds of small files would otherwise allocate a piece for each.
var chunkBuffers = sync.Pool{New: func() any { b := make([]byte, attachmentChunk); return &b }}

// AddAttachmentFrom stores a file read from r with the case, inside the
// transaction that records the contact, like AddAttachment. A file larger
// than one piece (256 KiB) is written in pieces to attachment_chunks, so a
// 30 MB email never sits whole in memory; AttachmentData puts it back
// together. It sets ID, Size, SHA256 and CreatedAt. r is read once: a
// caller whose transaction may run again (Batch) passes a fresh reader
// each time.
func (tx *Tx) AddAttachmentFrom(ctx context.Context, a *Attachment, r io.Reader) error {
	if a.CaseID == 0 || a.Filename == "" || a.ContentType == "" {
		return invalid("an attachment needs a case, a file name and a content type")
	}
	pb := chunkBuffers.Get().(*[]byte)
	defer chunkBuffers.Put(pb)
	buf := *pb
	n, err := io.ReadFull(r, buf)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		a.Data = buf[:n]
		err = tx.AddAttachment(ctx, a)
		a.Data = nil
		return err
	}
	if err != nil {
		return fmt.Errorf("store: read attachment %s: %w", a.Filename, err)
	}
	a.CreatedAt = tx.Now
	if err := tx.queryRow(ctx, `INSERT INTO attachments (case_id, contact_id, filename, content_type, size, sha256, data, created_at)
		VALUES ($1, $2, $3, $4, 0, '', $5, $6) RETURNING id`,
		a.CaseID, nullID(a.ContactID), a.Filename, a.ContentType, []byte{}, tx.Now).Scan(&a.ID); err != nil {
		return fmt.Errorf("store: add attachment %s to case %d: %w", a.Filename, a.CaseID, err)
	}
	sum := sha256.New()
	var size int64
	for seq := 0; n > 0; seq++ {
		sum.Write(buf[:n])
		size += int64(n)
		if _, err := tx.exec(ctx, `INSERT INTO attachment_chunks (attachment_id, seq, data) VALUES ($1, $2, $3)`,
			a.ID, seq, buf[:n]); err != nil {
			return fmt.Errorf("store: write attachment %s: %w", a.Filename, err)
		}
		n, err = io.ReadFull(r, buf)
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("store: read attachment %s: %w", a.Filename, err)
		}
	}
	a.Size, a.SHA256 = size, hex.EncodeToString(sum.Sum(nil))
	if _, err := tx.exec(ctx, `UPDATE attachments SET size = $1, sha256 = $2 WHERE id = $3`, a.Size, a.SHA256, a.ID); err != nil {
		return fmt.Errorf("store: add attachment %s to case %d: %w", a.Filename, a.CaseID, err)
	}
	return nil
}

// attachmentChunks appends the pieces of a large attachment to data.
func (db *DB) attachmentChunks(ctx context.Context, id int64, data []byte, size int64) ([]byte, error) {
	rows, err := db.reader().query(ctx, `SELECT data FROM attachment_chunks WHERE attachment_id = $1 ORDER BY seq`, id)
	if err != nil {
		return nil, fmt.Errorf("store: read attachment %d: %w", id, err)
	}
	defer rows.Close()
	if int64(cap(data)) < size {
		data = append(make([]byte, 0, size), data...)
	}
	for rows.Next() {
		var piece []byte
		if err := rows.Scan(&piece); err != nil {
			return nil, fmt.Errorf("store: read attachment %d: %w", id, err)
		}
		data = append(data, piece...)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: read attachment %d: %w", id, err)
	}
	if int64(len(data)) != size {
		return nil, fmt.Errorf("store: attachment %d has %d bytes of %d", id, len(data), size)
	}
	return data, nil
}
