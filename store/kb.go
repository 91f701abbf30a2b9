package store

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Knowledge-base article statuses: agents see published articles only.
const (
	KBDraft     = "draft"
	KBPublished = "published"
	KBRetired   = "retired"
)

// KB field limits, checked before anything is written.
const (
	KBMaxTitle   = 200
	KBMaxSummary = 1000
	KBMaxBody    = 100_000
	KBMaxTags    = 500
)

var kbSlugPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// ValidKBSlug reports whether s is a lowercase, hyphenated slug of 2 to 80 characters.
func ValidKBSlug(s string) bool { return len(s) >= 2 && len(s) <= 80 && kbSlugPattern.MatchString(s) }

// KBArticle is a knowledge-base article as it is now.
type KBArticle struct {
	ID        int64
	Slug      string
	Topic     string // rischi, autoprotezione, competenze, campagne, avvisi ...
	Status    string
	Version   int
	Title     string
	Summary   string
	Body      string // plain text with light markup (see console's renderer)
	Tags      string // comma-separated
	CreatedAt time.Time
	UpdatedAt time.Time
	UpdatedBy string
}

// KBRevision is one numbered state of an article in its history.
type KBRevision struct {
	ArticleID int64
	Version   int
	Status    string
	Topic     string
	Title     string
	Summary   string
	Body      string
	Tags      string
	Comment   string
	CreatedAt time.Time
	CreatedBy string
}

// KBPin records that an article (at a version) was used to answer a case.
type KBPin struct {
	CaseID    int64
	ArticleID int64
	Version   int
	Title     string
	PinnedBy  string
	PinnedAt  time.Time
}

const kbColumns = `id, slug, topic, status, version, title, summary, body, tags, created_at, updated_at, updated_by`

func scanKB(sc interface{ Scan(...any) error }) (KBArticle, error) {
	var a KBArticle
	err := sc.Scan(&a.ID, &a.Slug, &a.Topic, &a.Status, &a.Version, &a.Title, &a.Summary, &a.Body, &a.Tags,
		nullTime{&a.CreatedAt}, nullTime{&a.UpdatedAt}, &a.UpdatedBy)
	return a, err
}

func validKBStatus(s string) bool { return s == KBDraft || s == KBPublished || s == KBRetired }

// checkKB trims an article's fields and refuses missing or oversized ones.
func checkKB(a *KBArticle) error {
	a.Title, a.Summary, a.Tags, a.Topic = strings.TrimSpace(a.Title), strings.TrimSpace(a.Summary),
		strings.TrimSpace(a.Tags), strings.TrimSpace(a.Topic)
	a.Body = strings.TrimSpace(strings.ReplaceAll(a.Body, "\r\n", "\n"))
	switch {
	case !ValidKBSlug(a.Slug):
		return invalid("slug %q: use 2-80 lowercase letters, digits and hyphens", a.Slug)
	case a.Title == "":
		return invalid("an article needs a title")
	case len(a.Title) > KBMaxTitle:
		return invalid("title longer than %d bytes", KBMaxTitle)
	case len(a.Summary) > KBMaxSummary:
		return invalid("summary longer than %d bytes", KBMaxSummary)
	case len(a.Body) > KBMaxBody:
		return invalid("body longer than %d bytes", KBMaxBody)
	case len(a.Tags) > KBMaxTags:
		return invalid("tags longer than %d bytes", KBMaxTags)
	case len(a.Topic) > 50:
		return invalid("topic longer than 50 bytes")
	}
	if a.Status == "" {
		a.Status = KBDraft
	}
	if !validKBStatus(a.Status) {
		return invalid("status %q (allowed: draft, published, retired)", a.Status)
	}
	return nil
}

// CreateKBArticle adds an article at version 1 with its first revision,
// audited; a taken slug is ErrConflict.
func (db *DB) CreateKBArticle(ctx context.Context, a *KBArticle, comment, actor string) error {
	if err := checkKB(a); err != nil {
		return err
	}
	err := db.InTx(ctx, func(tx *Tx) error { return tx.createKB(ctx, a, comment, actor) })
	if err != nil {
		if db.d.isUniqueViolation(err) {
			return fmt.Errorf("%w: article %s", ErrConflict, a.Slug)
		}
		return err
	}
	return nil
}

func (tx *Tx) createKB(ctx context.Context, a *KBArticle, comment, actor string) error {
	a.Version, a.CreatedAt, a.UpdatedAt, a.UpdatedBy = 1, tx.Now, tx.Now, actor
	if err := tx.queryRow(ctx, `INSERT INTO kb_articles (slug, topic, status, version, title, summary, body, tags,
		created_at, updated_at, updated_by) VALUES ($1, $2, $3, 1, $4, $5, $6, $7, $8, $8, $9) RETURNING id`,
		a.Slug, a.Topic, a.Status, a.Title, a.Summary, a.Body, a.Tags, tx.Now, actor).Scan(&a.ID); err != nil {
		return fmt.Errorf("store: create article %s: %w", a.Slug, err)
	}
	if err := tx.kbRevision(ctx, a, comment, actor); err != nil {
		return err
	}
	return tx.Audit(ctx, AuditEntry{Actor: actor, Action: "kb.create", Object: fmt.Sprintf("kb:%d", a.ID),
		Detail: map[string]any{"slug": a.Slug, "status": a.Status}})
}

// UpdateKBArticle saves new text (and possibly a new status) for an article
// as the next version, audited. The caller passes the version it edited:
// if someone saved in between, the result is ErrConflict and nothing is
// overwritten.
func (db *DB) UpdateKBArticle(ctx context.Context, a *KBArticle, baseVersion int, comment, actor string) error {
	if err := checkKB(a); err != nil {
		return err
	}
	return db.InTx(ctx, func(tx *Tx) error {
		var slug string
		err := tx.queryRow(ctx, `UPDATE kb_articles SET topic = $1, status = $2, version = version + 1, title = $3,
			summary = $4, body = $5, tags = $6, updated_at = $7, updated_by = $8 WHERE id = $9 AND version = $10
			RETURNING version, slug, created_at`,
			a.Topic, a.Status, a.Title, a.Summary, a.Body, a.Tags, tx.Now, actor, a.ID, baseVersion).
			Scan(&a.Version, &slug, nullTime{&a.CreatedAt})
		if err != nil {
			if _, gone := tx.kbExists(ctx, a.ID); gone != nil {
				return gone
			}
			return fmt.Errorf("%w: article %d changed since version %d", ErrConflict, a.ID, baseVersion)
		}
		a.Slug, a.UpdatedAt, a.UpdatedBy = slug, tx.Now, actor
		if err := tx.kbRevision(ctx, a, comment, actor); err != nil {
			return err
		}
		return tx.Audit(ctx, AuditEntry{Actor: actor, Action: "kb.edit", Object: fmt.Sprintf("kb:%d", a.ID),
			Detail: map[string]any{"version": a.Version, "status": a.Status}})
	})
}

// SetKBStatus publishes, retires or returns an article to draft as a new
// version, audited. Setting the status it already has changes nothing.
func (db *DB) SetKBStatus(ctx context.Context, id int64, status, comment, actor string) (KBArticle, error) {
	if !validKBStatus(status) {
		return KBArticle{}, invalid("status %q (allowed: draft, published, retired)", status)
	}
	var a KBArticle
	err := db.InTx(ctx, func(tx *Tx) error {
		var err error
		a, err = scanKB(tx.queryRow(ctx, `SELECT `+kbColumns+` FROM kb_articles WHERE id = $1`, id))
		if err != nil {
			return notFound(err, fmt.Sprintf("article %d", id))
		}
		if a.Status == status {
			return nil
		}
		from := a.Status
		a.Status, a.Version, a.UpdatedAt, a.UpdatedBy = status, a.Version+1, tx.Now, actor
		if _, err := tx.exec(ctx, `UPDATE kb_articles SET status = $1, version = $2, updated_at = $3, updated_by = $4 WHERE id = $5`,
			status, a.Version, tx.Now, actor, id); err != nil {
			return fmt.Errorf("store: set status of article %d: %w", id, err)
		}
		if err := tx.kbRevision(ctx, &a, comment, actor); err != nil {
			return err
		}
		return tx.Audit(ctx, AuditEntry{Actor: actor, Action: "kb." + status, Object: fmt.Sprintf("kb:%d", id),
			Detail: map[string]any{"from": from, "version": a.Version}})
	})
	return a, err
}

func (tx *Tx) kbExists(ctx context.Context, id int64) (bool, error) {
	var n int
	if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM kb_articles WHERE id = $1`, id).Scan(&n); err != nil {
		return false, fmt.Errorf("store: find article %d: %w", id, err)
	}
	if n == 0 {
		return false, fmt.Errorf("%w: article %d", ErrNotFound, id)
	}
	return true, nil
}

func (tx *Tx) kbRevision(ctx context.Context, a *KBArticle, comment, actor string) error {
	if len(comment) > 500 {
		comment = comment[:500]
	}
	if _, err := tx.exec(ctx, `INSERT INTO kb_revisions (article_id, version, status, topic, title, summary, body, tags,
		comment, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		a.ID, a.Version, a.Status, a.Topic, a.Title, a.Summary, a.Body, a.Tags, comment, tx.Now, actor); err != nil {
		return fmt.Errorf("store: record revision %d of article %d: %w", a.Version, a.ID, err)
	}
	return nil
}

// KBArticleByID returns an article.
func (db *DB) KBArticleByID(ctx context.Context, id int64) (KBArticle, error) {
	a, err := scanKB(db.reader().queryRow(ctx, `SELECT `+kbColumns+` FROM kb_articles WHERE id = $1`, id))
	if err != nil {
		return KBArticle{}, notFound(err, fmt.Sprintf("article %d", id))
	}
	return a, nil
}

// KBArticleBySlug returns an article by its slug.
func (db *DB) KBArticleBySlug(ctx context.Context, slug string) (KBArticle, error) {
	a, err := scanKB(db.reader().queryRow(ctx, `SELECT `+kbColumns+` FROM kb_articles WHERE slug = $1`, slug))
	if err != nil {
		return KBArticle{}, notFound(err, "article "+slug)
	}
	return a, nil
}

// KBArticles lists articles by title; with no statuses, all of them.
func (db *DB) KBArticles(ctx context.Context, statuses ...string) ([]KBArticle, error) {
	q := `SELECT ` + kbColumns + ` FROM kb_articles`
	var args []any
	if len(statuses) > 0 {
		var ph []string
		for _, s := range statuses {
			args = append(args, s)
			ph = append(ph, fmt.Sprintf("$%d", len(args)))
		}
		q += ` WHERE status IN (` + strings.Join(ph, ", ") + `)`
	}
	rows, err := db.reader().query(ctx, q+` ORDER BY title, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list articles: %w", err)
	}
	defer rows.Close()
	var out []KBArticle
	for rows.Next() {
		a, err := scanKB(rows)
		if err != nil {
			return nil, fmt.Errorf("store: read article: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// KBStamp changes whenever any article changes: instances compare it to
// know when to rebuild their search index.
func (db *DB) KBStamp(ctx context.Context) (string, error) {
	var n int
	var last time.Time
	var versions int64
	if err := db.reader().queryRow(ctx, `SELECT COUNT(*), MAX(updated_at), COALESCE(SUM(version), 0) FROM kb_articles`).
		Scan(&n, nullTime{&last}, &versions); err != nil {
		return "", fmt.Errorf("store: kb stamp: %w", err)
	}
	return fmt.Sprintf("%d/%d/%d", n, versions, last.UnixMicro()), nil
}

// KBHistory lists an article's revisions, newest first.
func (db *DB) KBHistory(ctx context.Context, id int64) ([]KBRevision, error) {
	rows, err := db.reader().query(ctx, `SELECT article_id, version, status, topic, title, summary, body, tags, comment,
		created_at, created_by FROM kb_revisions WHERE article_id = $1 ORDER BY version DESC`, id)
	if err != nil {
		return nil, fmt.Errorf("store: history of article %d: %w", id, err)
	}
	defer rows.Close()
	var out []KBRevision
	for rows.Next() {
		var r KBRevision
		if err := rows.Scan(&r.ArticleID, &r.Version, &r.Status, &r.Topic, &r.Title, &r.Summary, &r.Body, &r.Tags,
			&r.Comment, nullTime{&r.CreatedAt}, &r.CreatedBy); err != nil {
			return nil, fmt.Errorf("store: read revision: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: article %d", ErrNotFound, id)
	}
	return out, nil
}

// PinKBArticle records that a published article, at its current version,
// was used on a case, audited. Pinning it again keeps the first pin.
func (db *DB) PinKBArticle(ctx context.Context, caseID, articleID int64, actor string) (KBPin, error) {
	p := KBPin{CaseID: caseID, ArticleID: articleID, PinnedBy: actor}
	err := db.InTx(ctx, func(tx *Tx) error {
		var status string
		err := tx.queryRow(ctx, `SELECT version, title, status FROM kb_articles WHERE id = $1`, articleID).
			Scan(&p.Version, &p.Title, &status)
		if err != nil {
			return notFound(err, fmt.Sprintf("article %d", articleID))
		}
		if status != KBPublished {
			return invalid("article %d is %s, not published", articleID, status)
		}
		p.PinnedAt = tx.Now
		res, err := tx.exec(ctx, `INSERT INTO kb_pins (case_id, article_id, version, pinned_by, pinned_at)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (case_id, article_id) DO NOTHING`,
			caseID, articleID, p.Version, actor, tx.Now)
		if err != nil {
			if tx.d.isForeignKeyViolation(err) {
				return fmt.Errorf("%w: case %d", ErrNotFound, caseID)
			}
			return fmt.Errorf("store: pin article %d to case %d: %w", articleID, caseID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // already pinned: the first pin and its version stand
		}
		return tx.Audit(ctx, AuditEntry{Actor: actor, Action: "kb.pin", Object: fmt.Sprintf("case:%d", caseID),
			Detail: map[string]any{"article": articleID, "version": p.Version}})
	})
	return p, err
}

// KBPins lists the articles pinned to a case, oldest first.
func (db *DB) KBPins(ctx context.Context, caseID int64) ([]KBPin, error) {
	rows, err := db.reader().query(ctx, `SELECT p.case_id, p.article_id, p.version, a.title, p.pinned_by, p.pinned_at
		FROM kb_pins p JOIN kb_articles a ON a.id = p.article_id WHERE p.case_id = $1 ORDER BY p.pinned_at, p.id`, caseID)
	if err != nil {
		return nil, fmt.Errorf("store: pins of case %d: %w", caseID, err)
	}
	defer rows.Close()
	var out []KBPin
	for rows.Next() {
		var p KBPin
		if err := rows.Scan(&p.CaseID, &p.ArticleID, &p.Version, &p.Title, &p.PinnedBy, nullTime{&p.PinnedAt}); err != nil {
			return nil, fmt.Errorf("store: read pin: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// SeedKB loads a starter set of articles into an empty knowledge base, once
// even when several instances start together; it reports how many it added.
func (db *DB) SeedKB(ctx context.Context, articles []KBArticle, actor string) (int, error) {
	for i := range articles {
		if err := checkKB(&articles[i]); err != nil {
			return 0, fmt.Errorf("store: seed article %q: %w", articles[i].Slug, err)
		}
	}
	added := 0
	err := db.InTx(ctx, func(tx *Tx) error {
		if err := tx.lock(ctx, lockSeedKB); err != nil {
			return err
		}
		var n int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM kb_articles`).Scan(&n); err != nil {
			return fmt.Errorf("store: count articles: %w", err)
		}
		if n > 0 {
			return nil
		}
		for i := range articles {
			if err := tx.createKB(ctx, &articles[i], "starter set", actor); err != nil {
				return err
			}
			added++
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return added, nil
}

// lockSeedKB makes the starter set load once.
const lockSeedKB = 7421007
