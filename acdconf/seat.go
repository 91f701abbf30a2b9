package acdconf

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/ascolto/ascolto/store"
)

// CheckExtension refuses an extension a seat cannot have.
func CheckExtension(w Words, ext string) error {
	if !ExtensionRE.MatchString(ext) {
		return refuse(FieldExtension, w.t("interno %q non valido: 1-32 caratteri tra lettere, cifre, '.', '-' e '_'",
			"extension %q is not valid: 1-32 of letters, digits, '.', '-' and '_'"), ext)
	}
	return nil
}

// validEndpoint is the one rule for a seat's phone: TECH/RESOURCE, no blanks.
func validEndpoint(ep string) bool {
	tech, res, ok := strings.Cut(ep, "/")
	return ok && tech != "" && res != "" && !strings.ContainsAny(ep, " \t")
}

// CheckEndpoint refuses a phone that is not TECH/RESOURCE.
func CheckEndpoint(w Words, ep string) error {
	if !validEndpoint(ep) {
		return refuse(FieldEndpoint, w.t("%s %q non valido: usa TECNOLOGIA/RISORSA, es. PJSIP/101", "%s %q is not valid: use TECH/RESOURCE, e.g. PJSIP/101"),
			w.name(FieldEndpoint), ep)
	}
	return nil
}

// CheckPhone refuses an unknown kind of phone.
func CheckPhone(w Words, kind string) error {
	if !slices.Contains(PhoneKinds, kind) {
		return refuse(FieldPhone, w.t("%s %q non valido: sip (telefono fisso o SIP) o webrtc (softphone nella console)",
			"%s %q is not valid: sip (desk or SIP phone) or webrtc (the console's softphone)"), w.name(FieldPhone), kind)
	}
	return nil
}

// QueueNames splits and checks a comma-separated list of queue names; an
// empty list means "in no queue" (not nil).
func QueueNames(w Words, s string) ([]string, error) {
	out := []string{}
	for _, n := range strings.Split(s, ",") {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		if !QueueNameRE.MatchString(n) {
			return nil, refuse(FieldQueues, w.t("%s: nome di coda %q non valido", "%s: queue name %q is not valid"), w.name(FieldQueues), n)
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out, nil
}

// CheckQueuesExist refuses a list naming a queue that does not exist.
func CheckQueuesExist(ctx context.Context, w Words, db *store.DB, names []string) error {
	for _, n := range names {
		if _, err := db.QueueByName(ctx, n); errors.Is(err, store.ErrNotFound) {
			return refuse(FieldQueues, w.t("la coda %s non esiste", "queue %s does not exist"), n)
		} else if err != nil {
			return err
		}
	}
	return nil
}

// CheckSeat explains what the store would refuse of a whole seat: an
// unknown site or user, or a user who already has another seat. all are
// the stored seats.
func CheckSeat(ctx context.Context, w Words, db *store.DB, seat store.Agent, all []store.Agent) error {
	if _, err := db.SiteByCode(ctx, seat.Site); errors.Is(err, store.ErrNotFound) {
		return refuse(FieldSite, w.t("la sede %q non esiste", "site %q does not exist"), seat.Site)
	} else if err != nil {
		return err
	}
	if seat.Username == "" {
		return nil
	}
	if _, err := db.UserByName(ctx, seat.Username); errors.Is(err, store.ErrNotFound) {
		return refuse(FieldUser, w.t("l'utente %s non esiste", "user %s does not exist"), seat.Username)
	} else if err != nil {
		return err
	}
	for _, other := range all {
		if other.Username == seat.Username && other.Extension != seat.Extension {
			return refuse(FieldUser, w.t("l'utente %s ha già la postazione %s", "user %s already has seat %s"), seat.Username, other.Extension)
		}
	}
	return nil
}

// SetAgentQueues makes ext a member of exactly the queues named: it joins
// the missing ones (penalty and level 0) and leaves the others; queues it
// already belongs to keep its penalty and level there. Each change is
// audited by the store with actor.
func SetAgentQueues(ctx context.Context, db *store.DB, ext string, names []string, actor string) (joined, left []string, err error) {
	qs, err := db.Queues(ctx)
	if err != nil {
		return nil, nil, err
	}
	for _, q := range qs {
		member := slices.ContainsFunc(q.Members, func(m store.Member) bool { return m.Extension == ext })
		want := slices.Contains(names, q.Name)
		switch {
		case want && !member:
			if err := db.SetMembership(ctx, q.Name, ext, store.Member{Extension: ext}, actor); err != nil {
				return joined, left, err
			}
			joined = append(joined, q.Name)
		case !want && member:
			if err := db.RemoveMembership(ctx, q.Name, ext, actor); err != nil {
				return joined, left, err
			}
			left = append(left, q.Name)
		}
	}
	return joined, left, nil
}

// AgentQueues maps each extension to the queues it belongs to.
func AgentQueues(qs []store.Queue) map[string][]string {
	out := map[string][]string{}
	for _, q := range qs {
		for _, m := range q.Members {
			out[m.Extension] = append(out[m.Extension], q.Name)
		}
	}
	return out
}

// importColumns are the CSV header's names, Italian or English, for each field.
var importColumns = map[string]string{
	"interno": "extension", "extension": "extension",
	"telefono": "endpoint", "endpoint": "endpoint",
	"nome": "name", "name": "name",
	"code": "queues", "queues": "queues",
	"sede": "site", "site": "site",
	"tipo": "phone", "phone": "phone",
	"utente": "user", "user": "user",
}

// SeatRow is one line of a seat import, checked.
type SeatRow struct {
	Line   int
	Seat   store.Agent
	Queues []string // nil: leave the memberships as they are
	IsNew  bool
}

// ReadSeats parses and checks a whole CSV of seats (a header, one seat a
// line) against the stored seats, queues, sites and users. A file-level
// error (not CSV, no header) is err; each bad line is one problem, with
// its line number. Nothing is saved: see ImportSeats.
func ReadSeats(ctx context.Context, w Words, db *store.DB, in io.Reader) ([]SeatRow, []string, error) {
	cr := csv.NewReader(in)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	head, err := cr.Read()
	if err != nil {
		return nil, nil, refuse(FieldFile, w.t("intestazione CSV illeggibile: %v", "CSV header not readable: %v"), err)
	}
	col := map[string]int{}
	for i, h := range head {
		f, ok := importColumns[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))]
		if !ok {
			return nil, nil, refuse(FieldFile, w.t("colonna %q sconosciuta: usa interno, telefono, nome, code, sede, tipo, utente",
				"unknown column %q: use extension, endpoint, name, queues, site, phone, user"), h)
		}
		col[f] = i
	}
	if _, ok := col["extension"]; !ok {
		return nil, nil, refuse(FieldFile, "%s", w.t("manca la colonna interno", "the extension column is missing"))
	}
	existing, err := db.Agents(ctx)
	if err != nil {
		return nil, nil, err
	}
	qs, err := db.Queues(ctx)
	if err != nil {
		return nil, nil, err
	}
	queueKnown := map[string]bool{}
	for _, q := range qs {
		queueKnown[q.Name] = true
	}
	siteKnown := map[string]bool{}
	userKnown := map[string]bool{}
	userSeat := map[string]string{}
	for _, s := range existing {
		if s.Username != "" {
			userSeat[s.Username] = s.Extension
		}
	}
	seen := map[string]int{}
	var rows []SeatRow
	var problems []string
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			problems = append(problems, fmt.Sprintf(w.t("riga %d: %v", "line %d: %v"), line, err))
			continue
		}
		get := func(f string) (string, bool) {
			i, ok := col[f]
			if !ok || i >= len(rec) {
				return "", false
			}
			v := strings.TrimSpace(rec[i])
			return v, v != ""
		}
		bad := func(format string, args ...any) {
			problems = append(problems, fmt.Sprintf(w.t("riga %d: ", "line %d: "), line)+fmt.Sprintf(format, args...))
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		ext, _ := get("extension")
		if !ExtensionRE.MatchString(ext) {
			bad(w.t("interno %q non valido", "extension %q is not valid"), ext)
			continue
		}
		if prev, dup := seen[ext]; dup {
			bad(w.t("l'interno %s è già alla riga %d", "extension %s is already on line %d"), ext, prev)
			continue
		}
		seen[ext] = line
		r := SeatRow{Line: line}
		if i := slices.IndexFunc(existing, func(x store.Agent) bool { return x.Extension == ext }); i >= 0 {
			r.Seat = existing[i]
		} else {
			r.Seat, r.IsNew = NewSeat(ext), true
		}
		if ep, ok := get("endpoint"); ok {
			if !validEndpoint(ep) {
				bad(w.t("telefono %q non valido: usa TECNOLOGIA/RISORSA, es. PJSIP/%s", "endpoint %q is not valid: use TECH/RESOURCE, e.g. PJSIP/%s"), ep, ext)
				continue
			}
			r.Seat.Endpoint = ep
		} else if r.IsNew {
			bad(w.t("il telefono è obbligatorio per una postazione nuova (es. PJSIP/%s)", "the endpoint is required for a new seat (e.g. PJSIP/%s)"), ext)
			continue
		}
		if v, ok := get("name"); ok {
			r.Seat.Name = v
		}
		if v, ok := get("site"); ok {
			r.Seat.Site = v
		}
		if !siteKnown[r.Seat.Site] {
			if _, err := db.SiteByCode(ctx, r.Seat.Site); errors.Is(err, store.ErrNotFound) {
				bad(w.t("la sede %q non esiste", "site %q does not exist"), r.Seat.Site)
				continue
			} else if err != nil {
				return nil, nil, err
			}
			siteKnown[r.Seat.Site] = true
		}
		if v, ok := get("phone"); ok {
			if !slices.Contains(PhoneKinds, v) {
				bad(w.t("tipo %q non valido: sip o webrtc", "phone %q is not valid: sip or webrtc"), v)
				continue
			}
			r.Seat.PhoneKind = v
		}
		if v, ok := get("user"); ok {
			if !userKnown[v] {
				if _, err := db.UserByName(ctx, v); errors.Is(err, store.ErrNotFound) {
					bad(w.t("l'utente %q non esiste", "user %q does not exist"), v)
					continue
				} else if err != nil {
					return nil, nil, err
				}
				userKnown[v] = true
			}
			if other, taken := userSeat[v]; taken && other != ext {
				bad(w.t("l'utente %s ha già la postazione %s", "user %s already has seat %s"), v, other)
				continue
			}
			userSeat[v] = ext
			r.Seat.Username = v
		}
		if v, ok := get("queues"); ok {
			r.Queues = []string{}
			if v != "-" {
				for _, q := range strings.FieldsFunc(v, func(c rune) bool { return c == ',' || c == ';' }) {
					q = strings.TrimSpace(q)
					if !queueKnown[q] {
						bad(w.t("la coda %q non esiste", "queue %q does not exist"), q)
						r.Queues = nil
						break
					}
					if !slices.Contains(r.Queues, q) {
						r.Queues = append(r.Queues, q)
					}
				}
				if r.Queues == nil {
					continue
				}
			}
		}
		rows = append(rows, r)
	}
	return rows, problems, nil
}

// ImportSeats saves checked rows (from ReadSeats) in order, each seat and
// its memberships audited with actor, and counts the new and the updated.
// On an error it says which line failed and how many were saved before it.
func ImportSeats(ctx context.Context, w Words, db *store.DB, rows []SeatRow, actor string) (created, updated int, err error) {
	for i, r := range rows {
		if err := db.SaveAgent(ctx, &r.Seat, actor); err != nil {
			return created, updated, fmt.Errorf(w.t("riga %d (%s): %w; le %d righe precedenti sono state salvate", "line %d (%s): %w; the %d lines before it were saved"),
				r.Line, r.Seat.Extension, err, i)
		}
		if r.Queues != nil {
			if _, _, err := SetAgentQueues(ctx, db, r.Seat.Extension, r.Queues, actor); err != nil {
				return created, updated, fmt.Errorf(w.t("riga %d (%s): %w", "line %d (%s): %w"), r.Line, r.Seat.Extension, err)
			}
		}
		if r.IsNew {
			created++
		} else {
			updated++
		}
	}
	return created, updated, nil
}
