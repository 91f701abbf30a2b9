package oncall

import (
	"context"
	"sort"
	"time"

	"github.com/ascolto/ascolto/store"
)

// Board is the coordinator's live picture of an activation.
type Board struct {
	ID          int64     `json:"id"`
	Event       string    `json:"event"`
	RequestedBy string    `json:"requested_by"`
	Reason      string    `json:"reason"`
	Exercise    bool      `json:"exercise"`
	State       string    `json:"state"`
	OpenedAt    time.Time `json:"opened_at"`
	ClosedAt    time.Time `json:"closed_at"`
	Now         time.Time `json:"now"`
	// Deadline is the reopening target (opened + 30 min); Remaining the
	// seconds to it (negative once past).
	Deadline  time.Time `json:"deadline"`
	Remaining int       `json:"remaining_s"`
	Quorum    int       `json:"quorum"`
	// Operators confirmed (arrived included), arrived, still possible.
	Confirmed   int `json:"confirmed"`
	Arrived     int `json:"arrived"`
	Declined    int `json:"declined"`
	Unreachable int `json:"unreachable"`
	Calling     int `json:"calling"`
	Waiting     int `json:"waiting"`
	// QuorumETA is when the quorum-th confirmed operator is expected (their
	// arrival, or confirmation + minutes given); zero while too few confirmed.
	QuorumETA time.Time `json:"quorum_eta"`
	QuorumAt  time.Time `json:"quorum_at"` // when the quorum was confirmed
	// Alert says why the target will be missed ("" when on track): late
	// (the estimate is past the deadline), short (not enough people left to
	// make the quorum), overdue (the deadline passed without the quorum in place).
	Alert  string        `json:"alert"`
	Waves  []BoardWave   `json:"waves"`
	People []BoardPerson `json:"people"`
}

// BoardWave is a wave on the board.
type BoardWave struct {
	Name      string    `json:"name"`
	StartedAt time.Time `json:"started_at"`
	Due       time.Time `json:"due"` // when the next wave starts, at the latest
	People    int       `json:"people"`
}

// BoardPerson is one person on the board. State is waiting, calling,
// confirmed, arrived, declined or unreachable.
type BoardPerson struct {
	ID         int64     `json:"id"`
	Person     string    `json:"person"`
	Name       string    `json:"name"`
	Role       string    `json:"role"`
	Site       string    `json:"site"`
	Wave       string    `json:"wave"`
	State      string    `json:"state"`
	ETA        int       `json:"eta_min"`
	ExpectedAt time.Time `json:"expected_at"`
	Via        string    `json:"via"`
	Attempts   int       `json:"attempts"`
	Last       string    `json:"last"` // last call's result
	NextCall   time.Time `json:"next_call"`
	AnsweredAt time.Time `json:"answered_at"`
}

// Board builds the board of an activation (0: the latest real one, or the
// latest drill with exercise).
func (s *Service) Board(ctx context.Context, id int64, exercise bool) (Board, error) {
	var a store.Activation
	var err error
	if id == 0 {
		a, err = s.db.LatestActivation(ctx, exercise)
	} else {
		a, err = s.db.Activation(ctx, id)
	}
	if err != nil {
		return Board{}, err
	}
	people, err := s.db.ActivationPeople(ctx, a.ID)
	if err != nil {
		return Board{}, err
	}
	waves, err := s.db.ActivationWaves(ctx, a.ID)
	if err != nil {
		return Board{}, err
	}
	atts, err := s.db.ActivationAttempts(ctx, a.ID)
	if err != nil {
		return Board{}, err
	}
	return buildBoard(a, waves, people, atts, s.clock.Now()), nil
}

func buildBoard(a store.Activation, waves []store.ActivationWave, people []store.ActivationPerson, atts []store.ActivationAttempt, now time.Time) Board {
	pol := policyOf(a)
	b := Board{ID: a.ID, Event: a.Event, RequestedBy: a.RequestedBy, Reason: a.Reason, Exercise: a.Exercise, State: a.State,
		OpenedAt: a.OpenedAt, ClosedAt: a.ClosedAt, Now: now, Deadline: a.OpenedAt.Add(pol.Target), Quorum: a.Quorum, QuorumAt: a.QuorumAt}
	if !a.ClosedAt.IsZero() {
		now = a.ClosedAt
	}
	b.Remaining = int(b.Deadline.Sub(now).Round(time.Second) / time.Second)
	calling := map[int64]bool{}
	last := map[int64]string{}
	for _, at := range atts {
		if at.Channel != "phone" {
			continue
		}
		if at.EndedAt.IsZero() {
			calling[at.PersonID] = true
		} else {
			last[at.PersonID] = at.Result
		}
	}
	names := map[int]string{}
	count := map[int]int{}
	for _, p := range people {
		count[p.Wave]++
	}
	for i, w := range waves {
		names[w.Wave] = w.Name
		bw := BoardWave{Name: w.Name, StartedAt: w.StartedAt, People: count[w.Wave]}
		if !w.StartedAt.IsZero() && i+1 < len(waves) {
			bw.Due = w.StartedAt.Add(w.Wait)
		}
		b.Waves = append(b.Waves, bw)
	}
	started := map[int]bool{}
	for _, w := range waves {
		if !w.StartedAt.IsZero() {
			started[w.Wave] = true
		}
	}
	var expected []time.Time
	possible := 0
	for _, p := range people {
		bp := BoardPerson{ID: p.ID, Person: p.Person, Name: p.Name, Role: p.Role, Site: p.Site, Wave: names[p.Wave], State: p.Status,
			ETA: p.ETAMinutes, Via: p.ConfirmedVia, Attempts: p.Attempts + p.Refusals, Last: last[p.ID], NextCall: p.NextAttemptAt,
			AnsweredAt: p.ConfirmedAt}
		if p.Status == store.PersonDeclined {
			bp.AnsweredAt = p.DeclinedAt
		}
		op := p.Role == RoleOperator
		switch {
		case p.Status == store.PersonConfirmed && !p.ArrivedAt.IsZero():
			bp.State, bp.ExpectedAt = "arrived", p.ArrivedAt
		case p.Status == store.PersonConfirmed:
			eta := pol.DefaultETA
			if p.ETAMinutes >= 0 {
				eta = time.Duration(p.ETAMinutes) * time.Minute
			}
			bp.ExpectedAt = p.ConfirmedAt.Add(eta)
		case calling[p.ID]:
			bp.State = "calling"
		}
		switch bp.State {
		case "arrived":
			if op {
				b.Arrived++
				b.Confirmed++
				expected = append(expected, bp.ExpectedAt)
			}
		case store.PersonConfirmed:
			if op {
				b.Confirmed++
				expected = append(expected, bp.ExpectedAt)
			}
		case store.PersonDeclined:
			b.Declined++
		case store.PersonUnreachable:
			b.Unreachable++
		case "calling":
			b.Calling++
			if op {
				possible++
			}
		default:
			b.Waiting++
			if op {
				possible++
			}
		}
		b.People = append(b.People, bp)
	}
	sort.Slice(expected, func(i, j int) bool { return expected[i].Before(expected[j]) })
	if len(expected) >= a.Quorum {
		b.QuorumETA = expected[a.Quorum-1]
	}
	// Unreachable people may still confirm through the link, but the board
	// cannot count on them.
	switch {
	case !a.ClosedAt.IsZero():
	case b.Arrived >= a.Quorum:
	case !b.QuorumETA.IsZero() && b.QuorumETA.After(b.Deadline):
		b.Alert = "late"
	case b.QuorumETA.IsZero() && b.Confirmed+possible < a.Quorum:
		b.Alert = "short"
	case now.After(b.Deadline):
		b.Alert = "overdue"
	}
	return b
}

// AlertText is the alert in Italian or English.
func AlertText(alert, lang string) string {
	it := map[string][2]string{
		"late":    {"Obiettivo dei 30 minuti a rischio: il quorum è previsto dopo la scadenza.", "The 30-minute target will be missed: the quorum is expected after the deadline."},
		"short":   {"Quorum non raggiungibile con le persone rimaste: servono altre risorse.", "The quorum cannot be reached with the people left: more staff is needed."},
		"overdue": {"Scadenza superata senza il quorum in sala.", "Deadline passed without the quorum in place."},
	}
	t, ok := it[alert]
	if !ok {
		return ""
	}
	if lang == "en" {
		return t[1]
	}
	return t[0]
}
