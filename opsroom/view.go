package opsroom

import (
	"context"
	"sync"
	"time"

	"github.com/ascolto/ascolto/geo"
	"github.com/ascolto/ascolto/store"
	"go.uber.org/zap"
)

// ItemView is an item as the operations room reads it — on its screen,
// from the webhook, in CAP — with the full case: who, where, what, how
// many people, the callback number and what the operator advised.
type ItemView struct {
	ID       int64  `json:"id"`
	Version  int    `json:"version"`
	Kind     string `json:"kind"`  // rescue, report
	State    string `json:"state"` // new, acknowledged, assigned, closed
	Assignee string `json:"assignee,omitempty"`
	People   int    `json:"people,omitempty"`
	Advice   string `json:"advice,omitempty"`
	Exercise bool   `json:"exercise"`
	EventID  int64  `json:"event_id,omitempty"`

	TrackingID    string   `json:"tracking_id"`
	CaseStatus    string   `json:"case_status"`
	Channel       string   `json:"channel"`
	Category      string   `json:"category"`
	CategoryLabel string   `json:"category_label,omitempty"`
	Urgency       string   `json:"urgency"`
	Summary       string   `json:"summary,omitempty"`
	Notes         string   `json:"notes,omitempty"`
	ContactName   string   `json:"contact_name,omitempty"`
	ContactPhone  string   `json:"contact_phone,omitempty"`
	CallerType    string   `json:"caller_type,omitempty"`
	Address       string   `json:"address,omitempty"`
	Comune        Place    `json:"comune"`
	Lat           *float64 `json:"lat,omitempty"`
	Lon           *float64 `json:"lon,omitempty"`
	// Position is where the map puts the item: Lat and Lon when given,
	// else the comune's or the province's centroid (Precision says
	// which); nil when nothing places it.
	Position *geo.Location `json:"position,omitempty"`
	// Rescue is the structured rescue request the agent recorded; nil
	// when none was (a situation report, a request from the web form).
	Rescue *RescueView `json:"rescue,omitempty"`

	SubmittedBy      string    `json:"submitted_by"`
	CreatedAt        time.Time `json:"created_at"`
	UpdatedAt        time.Time `json:"updated_at"`
	AckedAt          time.Time `json:"acked_at,omitzero"`
	AckedBy          string    `json:"acked_by,omitempty"`
	ClosedAt         time.Time `json:"closed_at,omitzero"`
	Escalations      int       `json:"escalations"`
	NextEscalationAt time.Time `json:"next_escalation_at,omitzero"`
}

// Place is where a request comes from, by ISTAT codes.
type Place struct {
	Code          string `json:"code,omitempty"`
	Name          string `json:"name,omitempty"`
	Sigla         string `json:"sigla,omitempty"`
	ProvinciaCode string `json:"provincia_code,omitempty"`
	Provincia     string `json:"provincia,omitempty"`
	RegioneCode   string `json:"regione_code,omitempty"`
	Regione       string `json:"regione,omitempty"`
}

// Label is the place as a person reads it: "Bologna (BO)".
func (p Place) Label() string {
	if p.Name == "" {
		return p.Code
	}
	if p.Sigla == "" {
		return p.Name
	}
	return p.Name + " (" + p.Sigla + ")"
}

// Open reports whether the room still has something to do with the item.
func (v ItemView) Open() bool { return v.State != store.OpsClosed }

// labels caches the category labels for a minute: they change rarely.
type labels struct {
	mu   sync.Mutex
	at   time.Time
	cats map[string]string
}

func (l *labels) category(ctx context.Context, db *store.DB, now time.Time, code string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cats == nil || now.Sub(l.at) > time.Minute {
		terms, err := db.Terms(ctx, store.Categories, true)
		if err == nil {
			l.cats = map[string]string{}
			for _, t := range terms {
				l.cats[t.Code] = t.LabelIT
			}
			l.at = now
		}
	}
	return l.cats[code]
}

func (s *Service) view(ctx context.Context, it store.OpsItem) ItemView {
	c := it.Case
	if c.Lat != nil && c.Lon != nil && !geo.ValidPoint(*c.Lat, *c.Lon) {
		// Stored before NaN was refused: no point rather than a JSON
		// encoder error or a wrong one on the room's map.
		c.Lat, c.Lon = nil, nil
	}
	var pos *geo.Location
	if atlas, err := s.db.Atlas(ctx); err != nil {
		s.log.Warn("no atlas to place the item on the map", zap.Int64("item", it.ID), zap.Error(err))
	} else if loc, ok := atlas.Locate(c.Lat, c.Lon, c.ComuneCode, it.Place.ProvinciaCode); ok {
		pos = &loc
	}
	return ItemView{ID: it.ID, Version: it.Version, Kind: it.Kind, State: it.State, Assignee: it.Assignee, People: it.People,
		Advice: it.Advice, Exercise: it.Exercise, EventID: it.EventID,
		TrackingID: c.TrackingID, CaseStatus: c.Status, Channel: c.Channel, Category: c.Category,
		CategoryLabel: s.labels.category(ctx, s.db, s.clock.Now(), c.Category), Urgency: c.Urgency, Summary: c.Summary,
		Notes: c.Notes, ContactName: c.ContactName, ContactPhone: c.ContactPhone, CallerType: c.CallerType, Address: c.Address,
		Comune: Place{Code: c.ComuneCode, Name: it.Place.Comune, Sigla: it.Place.Sigla, ProvinciaCode: it.Place.ProvinciaCode,
			Provincia: it.Place.Provincia, RegioneCode: it.Place.RegioneCode, Regione: it.Place.Regione},
		Lat: c.Lat, Lon: c.Lon, Position: pos, SubmittedBy: it.SubmittedBy, CreatedAt: it.CreatedAt, UpdatedAt: it.UpdatedAt,
		AckedAt: it.AckedAt, AckedBy: it.AckedBy, ClosedAt: it.ClosedAt, Escalations: it.Escalations,
		NextEscalationAt: it.NextEscalationAt, Rescue: rescueView(it.Rescue)}
}
