package report

import (
	"context"
	"time"

	"github.com/ascolto/ascolto/geo"
	"github.com/ascolto/ascolto/store"
)

// names holds what codes are called: vocabularies and places. It is read
// once and kept a few minutes (an import or a new category shows up after
// that).
type names struct {
	at                              time.Time
	category, outcome, callerType   map[string]string // code → Italian label
	categoryEN, outcomeEN, callerEN map[string]string
	comune                          map[string]string // code → "Bologna (BO)"
	provincia, regione              map[string]string // code → name
	comuneProv                      map[string]string // comune code → provincia code
	provReg                         map[string]string // provincia code → regione code
	places                          map[string]geo.Place
}

func (s *Service) namesOf(ctx context.Context) (*names, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	if s.names != nil && now.Sub(s.names.at) < 5*time.Minute {
		return s.names, nil
	}
	n := &names{at: now, category: map[string]string{}, outcome: map[string]string{}, callerType: map[string]string{},
		categoryEN: map[string]string{}, outcomeEN: map[string]string{}, callerEN: map[string]string{},
		comune: map[string]string{}, provincia: map[string]string{}, regione: map[string]string{},
		comuneProv: map[string]string{}, provReg: map[string]string{}, places: map[string]geo.Place{}}
	for _, v := range []struct {
		voc    store.Vocabulary
		it, en map[string]string
	}{{store.Categories, n.category, n.categoryEN}, {store.Outcomes, n.outcome, n.outcomeEN},
		{store.CallerTypes, n.callerType, n.callerEN}} {
		terms, err := s.db.Terms(ctx, v.voc, true)
		if err != nil {
			return nil, err
		}
		for _, t := range terms {
			v.it[t.Code], v.en[t.Code] = t.LabelIT, t.Label("en")
		}
	}
	places, err := s.db.Places(ctx)
	if err != nil {
		return nil, err
	}
	for _, p := range places {
		n.places[p.Code] = p
		n.comune[p.Code] = p.Label()
		n.comuneProv[p.Code] = p.ProvinciaCode
		n.regione[p.RegioneCode] = p.Regione
	}
	prov, err := s.db.Province(ctx)
	if err != nil {
		return nil, err
	}
	for _, p := range prov {
		n.provincia[p.Code] = p.Name
		n.provReg[p.Code] = p.RegioneCode
	}
	s.names = n
	return n, nil
}

// Label names a field's value in lang: a category's label, a comune as
// "Bologna (BO)", a provincia or regione by name; the value itself when
// unknown, and "—" for none.
func (n *names) label(field, v, lang string) string {
	if v == "" {
		return map[bool]string{true: "not given", false: "non indicato"}[lang == "en"]
	}
	var m map[string]string
	switch field {
	case FieldCategory:
		m = pick(lang, n.category, n.categoryEN)
	case FieldOutcome:
		m = pick(lang, n.outcome, n.outcomeEN)
	case FieldCallerType:
		m = pick(lang, n.callerType, n.callerEN)
	case FieldComune:
		m = n.comune
	case FieldProvincia:
		m = n.provincia
	case FieldRegione:
		m = n.regione
	case FieldChannel:
		m = pick(lang, map[string]string{"phone": "telefono", "fax": "fax", "web": "modulo web", "email": "email"},
			map[string]string{"phone": "phone", "fax": "fax", "web": "web form", "email": "email"})
	case FieldUrgency:
		m = pick(lang, map[string]string{"none": "ordinaria", "elevated": "elevata", "rescue": "soccorso"},
			map[string]string{"none": "ordinary", "elevated": "elevated", "rescue": "rescue"})
	}
	if l, ok := m[v]; ok && l != "" {
		return l
	}
	return v
}

func pick(lang string, it, en map[string]string) map[string]string {
	if lang == "en" {
		return en
	}
	return it
}
