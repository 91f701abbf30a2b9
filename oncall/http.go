package oncall

import (
	"errors"
	"html/template"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/ascolto/ascolto/store"
	"go.uber.org/zap"
)

// Mux is where the confirmation page is mounted (*web.Server is one).
type Mux interface {
	Handle(pattern string, h http.Handler)
}

// Mount registers the confirmation link's page: GET shows the choice
// (a link scanner that fetches it confirms nothing), POST records it.
//
//	GET  /attivazione/{token}
//	POST /attivazione/{token}   coming=1&eta=20 | coming=0
func (s *Service) Mount(m Mux) {
	m.Handle("GET /attivazione/{token}", http.HandlerFunc(s.confirmPage))
	m.Handle("POST /attivazione/{token}", http.HandlerFunc(s.confirmSubmit))
}

var confirmTpl = template.Must(template.New("c").Parse(`<!doctype html>
<html lang="it"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{if .Exercise}}ESERCITAZIONE — {{end}}Attivazione Contact Center</title>
<style>body{font-family:sans-serif;max-width:34rem;margin:1rem auto;padding:0 1rem;line-height:1.4}
.drill{background:#fde68a;padding:.5rem;font-weight:bold}button{font-size:1.1rem;padding:.6rem 1rem;margin:.3rem 0}
.ok{background:#d1fae5;padding:.5rem}.err{background:#fee2e2;padding:.5rem}label{display:block;margin:.5rem 0}</style></head>
<body>
{{if .Exercise}}<p class="drill">ESERCITAZIONE — questa è un'esercitazione, non un'emergenza reale.</p>{{end}}
<h1>Attivazione del Contact Center</h1>
<p><strong>{{.Event}}</strong></p>
{{if .Message}}<p class="{{.Class}}" role="status">{{.Message}}</p>{{end}}
{{if .Open}}
<p>{{.Name}}, prendi servizio?</p>
<form method="post">
<input type="hidden" name="coming" value="1">
<label for="eta">Tra quanti minuti arrivi?</label>
<input id="eta" name="eta" type="number" min="0" max="600" inputmode="numeric" required>
<button type="submit">Arrivo</button>
</form>
<form method="post"><input type="hidden" name="coming" value="0"><button type="submit">Non sono disponibile</button></form>
{{else}}<p>L'attivazione è chiusa.</p>{{end}}
</body></html>`))

type confirmView struct {
	Event, Name, Message, Class string
	Exercise, Open              bool
}

func (s *Service) confirmPage(w http.ResponseWriter, r *http.Request) {
	p, err := s.db.ActivationPersonByToken(r.Context(), r.PathValue("token"))
	if err != nil {
		s.confirmFail(w, err)
		return
	}
	a, err := s.db.Activation(r.Context(), p.ActivationID)
	if err != nil {
		s.confirmFail(w, err)
		return
	}
	v := confirmView{Event: a.Event, Name: p.Name, Exercise: a.Exercise, Open: a.ClosedAt.IsZero()}
	switch p.Status {
	case store.PersonConfirmed:
		v.Message, v.Class = "Hai già confermato: puoi aggiornare i minuti.", "ok"
	case store.PersonDeclined:
		v.Message, v.Class = "Hai detto di non essere disponibile: puoi cambiare idea.", "ok"
	}
	s.confirmRender(w, http.StatusOK, v)
}

func (s *Service) confirmSubmit(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "richiesta non valida", http.StatusBadRequest)
		return
	}
	reply := Reply{Coming: r.PostForm.Get("coming") == "1", ETA: -1}
	if reply.Coming {
		if v := strings.TrimSpace(r.PostForm.Get("eta")); v != "" {
			n, ok := minutes(v)
			if !ok {
				http.Error(w, "minuti non validi (0-600)", http.StatusBadRequest)
				return
			}
			reply.ETA = n
		}
	}
	remote, _, _ := net.SplitHostPort(r.RemoteAddr)
	p, a, err := s.Respond(r.Context(), r.PathValue("token"), reply, "link", remote)
	if err != nil {
		s.confirmFail(w, err)
		return
	}
	v := confirmView{Event: a.Event, Name: p.Name, Exercise: a.Exercise, Open: true, Class: "ok"}
	if reply.Coming {
		v.Message = "Grazie, la tua presenza è registrata"
		if reply.ETA >= 0 {
			v.Message += ": arrivo tra " + strconv.Itoa(reply.ETA) + " minuti"
		}
		v.Message += "."
	} else {
		v.Message = "Grazie, abbiamo registrato che non sei disponibile."
	}
	s.confirmRender(w, http.StatusOK, v)
}

func (s *Service) confirmFail(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.confirmRender(w, http.StatusNotFound, confirmView{Message: "Link non valido.", Class: "err"})
	case errors.Is(err, ErrNotOpen):
		s.confirmRender(w, http.StatusConflict, confirmView{Message: "L'attivazione è già chiusa: grazie comunque.", Class: "err"})
	default:
		s.log.Error("confirmation page", zap.Error(err))
		s.confirmRender(w, http.StatusInternalServerError, confirmView{Message: "Errore: riprova tra poco o rispondi alla chiamata.", Class: "err"})
	}
}

func (s *Service) confirmRender(w http.ResponseWriter, code int, v confirmView) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("X-Robots-Tag", "noindex")
	w.WriteHeader(code)
	confirmTpl.Execute(w, v)
}
