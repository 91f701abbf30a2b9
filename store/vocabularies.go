package store

import (
	"context"
	"fmt"
)

// Term is one entry of a configurable vocabulary (category, outcome, caller type).
type Term struct {
	Code    string
	Kind    string // categories only: risk or service
	LabelIT string
	LabelEN string
	Active  bool
	Sort    int
}

// Label returns the term's label in lang ("it" or "en").
func (t Term) Label(lang string) string {
	if lang == "en" && t.LabelEN != "" {
		return t.LabelEN
	}
	return t.LabelIT
}

// Vocabulary names one of the configurable vocabularies.
type Vocabulary string

// The vocabularies.
const (
	Categories  Vocabulary = "categories"
	Outcomes    Vocabulary = "outcomes"
	CallerTypes Vocabulary = "caller_types"
)

func (v Vocabulary) valid() bool { return v == Categories || v == Outcomes || v == CallerTypes }

// Terms lists a vocabulary in display order; inactive terms only when all is set.
func (db *DB) Terms(ctx context.Context, v Vocabulary, all bool) ([]Term, error) {
	if !v.valid() {
		return nil, invalid("vocabulary %q", v)
	}
	kind := "''"
	if v == Categories {
		kind = "kind"
	}
	q := fmt.Sprintf(`SELECT code, %s, label_it, label_en, active, sort FROM %s`, kind, v)
	if !all {
		q += ` WHERE active`
	}
	q += ` ORDER BY sort, code`
	rows, err := db.reader().query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("store: list %s: %w", v, err)
	}
	defer rows.Close()
	var out []Term
	for rows.Next() {
		var t Term
		if err := rows.Scan(&t.Code, &t.Kind, &t.LabelIT, &t.LabelEN, &t.Active, &t.Sort); err != nil {
			return nil, fmt.Errorf("store: read %s: %w", v, err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// UpsertTerm adds or changes a vocabulary entry, audited.
func (db *DB) UpsertTerm(ctx context.Context, v Vocabulary, t Term, actor string) error {
	if !v.valid() {
		return invalid("vocabulary %q", v)
	}
	if t.Code == "" || t.LabelIT == "" {
		return invalid("a term needs a code and an Italian label")
	}
	if v == Categories && t.Kind != "risk" && t.Kind != "service" {
		return invalid("category kind %q (allowed: risk, service)", t.Kind)
	}
	return db.InTx(ctx, func(tx *Tx) error {
		var err error
		if v == Categories {
			_, err = tx.exec(ctx, `INSERT INTO categories (code, kind, label_it, label_en, active, sort) VALUES ($1, $2, $3, $4, $5, $6)
				ON CONFLICT (code) DO UPDATE SET kind = $2, label_it = $3, label_en = $4, active = $5, sort = $6`,
				t.Code, t.Kind, t.LabelIT, t.LabelEN, t.Active, t.Sort)
		} else {
			_, err = tx.exec(ctx, fmt.Sprintf(`INSERT INTO %s (code, label_it, label_en, active, sort) VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (code) DO UPDATE SET label_it = $2, label_en = $3, active = $4, sort = $5`, v),
				t.Code, t.LabelIT, t.LabelEN, t.Active, t.Sort)
		}
		if err != nil {
			return fmt.Errorf("store: upsert %s %s: %w", v, t.Code, err)
		}
		return tx.Audit(ctx, AuditEntry{Actor: actor, Action: string(v) + ".upsert", Object: t.Code,
			Detail: map[string]any{"label_it": t.LabelIT, "active": t.Active}})
	})
}
