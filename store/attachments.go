package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"
)

// Attachment is a file that came with a contact: a recorded message, a
// fax, a photo or PDF from the web form, an email attachment.
type Attachment struct {
	ID          int64
	CaseID      int64
	ContactID   int64
	Filename    string
	ContentType string
	Size        int64
	SHA256      string
	Data        []byte // nil when listing; the bytes when read with AttachmentData
	CreatedAt   time.Time
}

// AddAttachment stores a file's bytes with the case, inside the
// transaction that records the contact, so a contact is never stored
// without its file or a file without its contact.
func (tx *Tx) AddAttachment(ctx context.Context, a *Attachment) error {
	if a.CaseID == 0 || a.Filename == "" || a.ContentType == "" {
		return invalid("an attachment needs a case, a file name and a content type")
	}
	sum := sha256.Sum256(a.Data)
	a.SHA256, a.Size, a.CreatedAt = hex.EncodeToString(sum[:]), int64(len(a.Data)), tx.Now
	data := a.Data
	if data == nil {
		data = []byte{}
	}
	err := tx.queryRow(ctx, `INSERT INTO attachments (case_id, contact_id, filename, content_type, size, sha256, data, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		a.CaseID, nullID(a.ContactID), a.Filename, a.ContentType, a.Size, a.SHA256, data, tx.Now).Scan(&a.ID)
	if err != nil {
		return fmt.Errorf("store: add attachment %s to case %d: %w", a.Filename, a.CaseID, err)
	}
	return nil
}

// Attachments lists a case's files without their bytes.
func (db *DB) Attachments(ctx context.Context, caseID int64) ([]Attachment, error) {
	rows, err := db.reader().query(ctx, `SELECT id, case_id, COALESCE(contact_id, 0), filename, content_type, size, sha256, created_at
		FROM attachments WHERE case_id = $1 ORDER BY id`, caseID)
	if err != nil {
		return nil, fmt.Errorf("store: attachments of case %d: %w", caseID, err)
	}
	defer rows.Close()
	var out []Attachment
	for rows.Next() {
		var a Attachment
		if err := rows.Scan(&a.ID, &a.CaseID, &a.ContactID, &a.Filename, &a.ContentType, &a.Size, &a.SHA256, nullTime{&a.CreatedAt}); err != nil {
			return nil, fmt.Errorf("store: read attachment: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// AttachmentData returns one attachment with its bytes.
func (db *DB) AttachmentData(ctx context.Context, id int64) (Attachment, error) {
	var a Attachment
	err := db.reader().queryRow(ctx, `SELECT id, case_id, COALESCE(contact_id, 0), filename, content_type, size, sha256, data, created_at
		FROM attachments WHERE id = $1`, id).Scan(&a.ID, &a.CaseID, &a.ContactID, &a.Filename, &a.ContentType, &a.Size,
		&a.SHA256, &a.Data, nullTime{&a.CreatedAt})
	if err != nil {
		return Attachment{}, notFound(err, fmt.Sprintf("attachment %d", id))
	}
	if int64(len(a.Data)) < a.Size {
		// Written in pieces (AddAttachmentFrom).
		if a.Data, err = db.attachmentChunks(ctx, id, a.Data, a.Size); err != nil {
			return Attachment{}, err
		}
	}
	return a, nil
}
