package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ascolto/ascolto/geo"
)

// Hazards a rescue request names: what puts the people in danger.
const (
	HazardWater     = "water"     // acqua in aumento, allagamento
	HazardCollapse  = "collapse"  // crollo
	HazardFire      = "fire"      // incendio
	HazardLandslide = "landslide" // frana
	HazardGas       = "gas"       // fuga di gas
	HazardIsolated  = "isolated"  // persone isolate, bloccate
	HazardOther     = "other"     // altro: the note says what
)

// Hazards lists the hazard codes in the order the desk offers them.
var Hazards = []string{HazardWater, HazardCollapse, HazardFire, HazardLandslide, HazardGas, HazardIsolated, HazardOther}

// Limits of a rescue request's fields.
const (
	MaxRescuePlace      = 200
	MaxRescueHazardNote = 200
	MaxRescuePeople     = 9999
	MinRescueRadius     = 50   // metres
	MaxRescueRadius     = 5000 // metres
	DefaultRescueRadius = 250  // metres: a house, a street, an underpass
)

// RescueDetails is a rescue request as structured data: where (in words
// and as a pin), how many people and who among them is vulnerable, the
// number to call back, and the hazard. Place, Lat and Lon are the case's
// own address and coordinates; the rest is kept in rescue_details.
type RescueDetails struct {
	CaseID     int64
	Place      string   // address or place in words: "sottopasso di Via Emilia"
	Lat, Lon   *float64 // the pin the agent dropped, both or neither
	RadiusM    int      // the pin's radius in metres (0 without a pin)
	People     int
	Children   bool
	Elderly    bool
	Disabled   bool
	Medical    bool // someone needs medical care, medicines, a device
	Callback   string
	Hazard     string
	HazardNote string // what the hazard is, required with HazardOther
	UpdatedAt  time.Time
	UpdatedBy  string
}

// Vulnerable lists who among the people is vulnerable, by code
// (children, elderly, disabled, medical), in that order.
func (r RescueDetails) Vulnerable() []string {
	var out []string
	for _, v := range []struct {
		on   bool
		code string
	}{{r.Children, "children"}, {r.Elderly, "elderly"}, {r.Disabled, "disabled"}, {r.Medical, "medical"}} {
		if v.on {
			out = append(out, v.code)
		}
	}
	return out
}

func (r RescueDetails) vulnerableText() string { return strings.Join(r.Vulnerable(), " ") }

// RescueError says which field of a rescue request is wrong and why, for
// the person who typed it: Field is the field's name, Code a stable reason
// the console translates. It wraps ErrInvalid.
type RescueError struct {
	Field, Code string
}

func (e *RescueError) Error() string {
	return fmt.Sprintf("%v: rescue request: %s (%s)", ErrInvalid, e.Field, e.Code)
}

// Unwrap makes a RescueError an ErrInvalid.
func (e *RescueError) Unwrap() error { return ErrInvalid }

// Normalize cleans what was typed (trimmed one-line text, the callback's
// spaces kept as typed, the default radius for a pin) and checks every
// field, returning the first problem as a *RescueError.
func (r *RescueDetails) Normalize() error {
	r.Place = CleanLine(r.Place)
	r.Callback = CleanLine(r.Callback)
	r.Hazard = strings.TrimSpace(r.Hazard)
	r.HazardNote = CleanLine(r.HazardNote)
	bad := func(field, code string) error { return &RescueError{Field: field, Code: code} }
	switch {
	case utf8.RuneCountInString(r.Place) > MaxRescuePlace:
		return bad("place", "toolong")
	case (r.Lat == nil) != (r.Lon == nil):
		return bad("pin", "half")
	case r.Lat != nil && !geo.InItaly(*r.Lat, *r.Lon):
		return bad("pin", "outside")
	case r.Place == "" && r.Lat == nil:
		return bad("place", "missing")
	case r.People < 1:
		return bad("people", "missing")
	case r.People > MaxRescuePeople:
		return bad("people", "toomany")
	case r.Callback == "":
		return bad("callback", "missing")
	case !phoneLike(r.Callback):
		return bad("callback", "format")
	case r.Hazard == "":
		return bad("hazard", "missing")
	case !slices.Contains(Hazards, r.Hazard):
		return bad("hazard", "unknown")
	case r.Hazard == HazardOther && r.HazardNote == "":
		return bad("hazardnote", "missing")
	case utf8.RuneCountInString(r.HazardNote) > MaxRescueHazardNote:
		return bad("hazardnote", "toolong")
	}
	if r.Lat == nil {
		r.RadiusM = 0
	} else if r.RadiusM == 0 {
		r.RadiusM = DefaultRescueRadius
	}
	if r.Lat != nil && (r.RadiusM < MinRescueRadius || r.RadiusM > MaxRescueRadius) {
		return bad("radius", "range")
	}
	return nil
}

// phoneLike accepts a phone number as people write it: an optional
// leading +, digits, spaces, dots, dashes and slashes; 6 to 16 digits.
func phoneLike(s string) bool {
	n := 0
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			n++
		case r == '+' && i == 0, r == ' ', r == '.', r == '-', r == '/':
		default:
			return false
		}
	}
	return n >= 6 && n <= 16
}

// saveRescue writes a case's rescue request inside tx: the row in
// rescue_details (replacing an earlier one) and the place and pin on the
// case. A request without a pin leaves the case's coordinates as they
// were (a web form's own position, say).
func (tx *Tx) saveRescue(ctx context.Context, r *RescueDetails, by string) error {
	if err := r.Normalize(); err != nil {
		return err
	}
	r.UpdatedAt, r.UpdatedBy = tx.Now, by
	_, err := tx.exec(ctx, `INSERT INTO rescue_details (case_id, people, children, elderly, disabled, medical, callback, hazard,
		hazard_note, radius_m, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		ON CONFLICT (case_id) DO UPDATE SET people = excluded.people, children = excluded.children,
		elderly = excluded.elderly, disabled = excluded.disabled, medical = excluded.medical, callback = excluded.callback,
		hazard = excluded.hazard, hazard_note = excluded.hazard_note, radius_m = excluded.radius_m,
		updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
		r.CaseID, r.People, r.Children, r.Elderly, r.Disabled, r.Medical, r.Callback, r.Hazard, r.HazardNote, r.RadiusM,
		tx.Now, by)
	if err != nil {
		if tx.d.isForeignKeyViolation(err) {
			return fmt.Errorf("%w: case %d", ErrNotFound, r.CaseID)
		}
		return fmt.Errorf("store: save rescue request of case %d: %w", r.CaseID, err)
	}
	q, args := `UPDATE cases SET address = $1, updated_at = $2`, []any{r.Place, tx.Now}
	if r.Lat != nil {
		q += `, lat = $4, lon = $5`
		args = append(args, r.CaseID, *r.Lat, *r.Lon)
	} else {
		args = append(args, r.CaseID)
	}
	if _, err := tx.exec(ctx, q+` WHERE id = $3`, args...); err != nil {
		return fmt.Errorf("store: place case %d: %w", r.CaseID, err)
	}
	return nil
}

// rescueColumns read a case's rescue request joined as rd to its case c;
// rd.case_id is NULL when the case has none.
const rescueColumns = `rd.case_id, COALESCE(rd.people, 0), COALESCE(rd.children, FALSE), COALESCE(rd.elderly, FALSE),
	COALESCE(rd.disabled, FALSE), COALESCE(rd.medical, FALSE), COALESCE(rd.callback, ''), COALESCE(rd.hazard, ''),
	COALESCE(rd.hazard_note, ''), COALESCE(rd.radius_m, 0), rd.updated_at, COALESCE(rd.updated_by, '')`

// rescueScan receives rescueColumns; done fills the request (nil when the
// case has none) with the case's place and pin.
type rescueScan struct {
	caseID sql.NullInt64
	r      RescueDetails
}

func (s *rescueScan) dest() []any {
	r := &s.r
	return []any{&s.caseID, &r.People, &r.Children, &r.Elderly, &r.Disabled, &r.Medical, &r.Callback, &r.Hazard,
		&r.HazardNote, &r.RadiusM, nullTime{&r.UpdatedAt}, &r.UpdatedBy}
}

func (s *rescueScan) done(c Case) *RescueDetails {
	if !s.caseID.Valid {
		return nil
	}
	r := s.r
	r.CaseID, r.Place, r.Lat, r.Lon = s.caseID.Int64, c.Address, c.Lat, c.Lon
	return &r
}

// RescueDetailsOf returns a case's rescue request (ErrNotFound when the
// agent recorded none).
func (db *DB) RescueDetailsOf(ctx context.Context, caseID int64) (RescueDetails, error) {
	c, err := db.CaseByID(ctx, caseID)
	if err != nil {
		return RescueDetails{}, err
	}
	var s rescueScan
	err = db.reader().queryRow(ctx, `SELECT `+rescueColumns+` FROM rescue_details rd WHERE rd.case_id = $1`, caseID).
		Scan(s.dest()...)
	if err != nil {
		return RescueDetails{}, notFound(err, fmt.Sprintf("rescue request of case %d", caseID))
	}
	return *s.done(c), nil
}
