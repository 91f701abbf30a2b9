package oncall

// The board's codes in words people read, Italian and English: the state
// of an activation and of each person on it, how their last call ended,
// how they confirmed, and the usual names of waves. The console's board
// and `ascolto emergency status` show these, never the codes.

// Kinds of code Word translates.
const (
	WordActivation = "activation" // running, quorum, exhausted, closed
	WordState      = "state"      // a person: waiting, calling, confirmed, arrived, declined, unreachable
	WordResult     = "result"     // a call's Outcome
	WordVia        = "via"        // how a person confirmed: phone, link, login
	WordWave       = "wave"       // a wave's name in the roster
)

var words = map[string][2]string{
	"activation.running":   {"in corso", "running"},
	"activation.quorum":    {"quorum confermato", "quorum confirmed"},
	"activation.exhausted": {"tutti chiamati, quorum non raggiunto", "everyone called, quorum not reached"},
	"activation.closed":    {"chiusa", "closed"},

	"state.waiting":     {"da chiamare", "to be called"},
	"state.calling":     {"in chiamata", "calling"},
	"state.confirmed":   {"ha confermato", "confirmed"},
	"state.arrived":     {"in sala", "arrived"},
	"state.declined":    {"non disponibile", "declined"},
	"state.unreachable": {"non raggiunto", "unreachable"},

	"result." + string(OutcomeConfirmed):   {"ha confermato (tasto 1)", "confirmed (key 1)"},
	"result." + string(OutcomeDeclined):    {"non disponibile (tasto 2)", "declined (key 2)"},
	"result." + string(OutcomeBusy):        {"occupato", "busy"},
	"result." + string(OutcomeNoAnswer):    {"nessuna risposta", "no answer"},
	"result." + string(OutcomeUnreachable): {"telefono non raggiungibile", "phone unreachable"},
	"result." + string(OutcomeRefused):     {"linee occupate, si riprova", "lines full, retrying"},
	"result." + string(OutcomeNoInput):     {"ha risposto senza scegliere", "answered without choosing"},
	"result." + string(OutcomeHungUp):      {"ha riagganciato", "hung up"},
	"result." + string(OutcomeInterrupted): {"chiamata interrotta", "call interrupted"},
	"result." + string(OutcomeError):       {"errore nella chiamata", "call failed"},
	"result.sent":                          {"SMS inviato", "SMS sent"},
	"result.failed":                        {"SMS non inviato", "SMS not sent"},

	"via.phone": {"telefono", "phone"},
	"via.link":  {"link ricevuto", "link"},
	"via.login": {"accesso alla console", "console sign-in"},

	"wave.primary":   {"primaria", "primary"},
	"wave.secondary": {"secondaria", "secondary"},
	"wave.backup":    {"riserva", "backup"},
	"wave.reserve":   {"riserva", "reserve"},
}

// Word returns the word for a code of kind (WordState, WordResult, …) in
// lang (Italian unless "en"). A code it does not know, such as a wave the
// roster names in its own words, comes back as it is.
func Word(kind, code, lang string) string {
	w, ok := words[kind+"."+code]
	if !ok {
		return code
	}
	if lang == "en" {
		return w[1]
	}
	return w[0]
}

// Words returns every word in lang, keyed "kind.code", for a page that
// shows the board.
func Words(lang string) map[string]string {
	out := make(map[string]string, len(words))
	for k, w := range words {
		if lang == "en" {
			out[k] = w[1]
		} else {
			out[k] = w[0]
		}
	}
	return out
}
