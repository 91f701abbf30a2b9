package console

import (
	"fmt"
	"strings"
)

// catalog holds every text a person reads in the console, Italian first,
// English second. Templates and handlers name texts by key; a test renders
// every page in both languages and fails on a missing key.
type catalog map[string][2]string

// t returns the text of key in lang (Italian unless "en").
func (c catalog) t(lang, key string) string {
	e, ok := c[key]
	if !ok {
		return "‹" + key + "›"
	}
	if lang == "en" {
		return e[1]
	}
	return e[0]
}

func (c catalog) has(key string) bool { _, ok := c[key]; return ok }

// add takes in the words of pages mounted apart, keeping any already there.
func (c catalog) add(words catalog) {
	for k, v := range words {
		if !c.has(k) {
			c[k] = v
		}
	}
}

// StateLabel translates an agent state.
func (p *page) StateLabel(state string) string {
	if state == "" {
		state = StateLoggedOut
	}
	return p.T("state." + state)
}

// PhoneLabel translates the device state Asterisk reports for a phone
// (NOT_INUSE, INUSE ...); a state without words is left out.
func (p *page) PhoneLabel(device string) string {
	if !p.c.cat.has("phone." + device) {
		return ""
	}
	return p.T("phone." + device)
}

// LangForm says whether the language switch can be shown (it needs a
// session or the pre-session cookie to bind its CSRF token to).
func (p *page) LangForm() bool { return p.v.binding() != "" }

// Strings are the texts the page's script needs, in the page's language.
func (p *page) Strings() map[string]string {
	out := map[string]string{}
	for _, k := range []string{"ws.connecting", "ws.online", "ws.offline", "ws.resync", "kb.pinit", "kb.pinned",
		"kb.none", "desk.phoneok", "desk.phonedown", "wall.pause", "wall.free", "wall.logout", "ws.timeout",
		"desk.casehint", "kb.changednotice", "desk.sincefor"} {
		out[k] = p.T(k)
	}
	// The live parts of the desk and the wallboard draw with these.
	for k := range p.c.cat {
		for _, pre := range []string{"sp.", "pop.", "call.", "disp.", "urgency.", "remind.", "mode.", "wall.", "train.", "phone."} {
			if strings.HasPrefix(k, pre) {
				out[k] = p.T(k)
			}
		}
	}
	for _, s := range []string{StateLoggedOut, StateAvailable, StateRinging, StateReserved, StateOnCall, StateWrapUp, StatePaused} {
		out["state."+s] = p.T("state." + s)
	}
	return out
}

func newCatalog() catalog {
	c := catalog{
		"a11y.skip":       {"Vai al contenuto principale", "Skip to main content"},
		"brand.owner":     {"Presidenza del Consiglio dei Ministri · Dipartimento della Protezione Civile", "Italian Civil Protection Department"},
		"brand.tagline":   {"Contact center di protezione civile", "Civil-protection contact center"},
		"foot.text":       {"ascolto · numero verde 800 840 840 · in pericolo di vita chiama il 112", "ascolto · toll-free 800 840 840 · if a life is in danger call 112"},
		"lang.label":      {"Lingua", "Language"},
		"nav.label":       {"Menu principale", "Main menu"},
		"nav.desk":        {"Postazione", "Desk"},
		"nav.wallboard":   {"Supervisione", "Wallboard"},
		"nav.activation":  {"Attivazione", "Activation"},
		"act.heading":     {"Attivazione d'emergenza", "Emergency activation"},
		"act.exercise":    {"ESERCITAZIONE", "EXERCISE"},
		"act.requestedby": {"Richiesta da", "Requested by"},
		"act.reason":      {"Motivo", "Reason"},
		"act.opened":      {"Aperta", "Opened"},
		"act.closedat":    {"chiusa", "closed"},
		"act.countdown":   {"Tempo all'obiettivo dei 30 minuti", "Time to the 30-minute target"},
		"act.totarget":    {"all'obiettivo dei 30 minuti", "to the 30-minute target"},
		"act.quorum":      {"Quorum", "Quorum"},
		"act.confirmed":   {"confermati", "confirmed"},
		"act.arrived":     {"in sala", "arrived"},
		"act.inplace":     {"quorum in sala previsto alle", "quorum in place expected at"},
		"act.people":      {"Persone chiamate", "People called"},
		"act.name":        {"Nome", "Name"},
		"act.wave":        {"Ondata", "Wave"},
		"act.state":       {"Stato", "State"},
		"act.eta":         {"Arrivo", "ETA"},
		"act.lastcall":    {"Ultima chiamata", "Last call"},
		"act.none":        {"Nessuna attivazione finora. Quando se ne apre una, il quadro compare qui da solo.", "No activation so far. When one opens, its board appears here by itself."},
		"act.close":       {"Chiudi l'attivazione", "Close the activation"},
		"act.open":        {"Apri un'attivazione", "Open an activation"},
		"act.event":       {"Evento", "Event"},
		"act.quorumfield": {"Quorum (operatori confermati necessari)", "Quorum (confirmed operators needed)"},
		"act.quorumhint":  {"Vuoto: quello dell'elenco dei reperibili.", "Empty: the roster's."},
		"act.exercisebox": {"Esercitazione (nessun cambio di modalità)", "Exercise (no change of mode)"},
		"act.confirm":     {"Confermo: modalità emergenza H24 e chiamata dei reperibili adesso", "I confirm: emergency mode H24 and the on-call operators are called now"},
		"act.openit":      {"Apri", "Open"},
		"nav.kb":          {"Base di conoscenza", "Knowledge base"},
		"nav.users":       {"Utenti", "Users"},
		"nav.account":     {"Il mio profilo", "My account"},
		"nav.logout":      {"Esci", "Sign out"},
		"form.save":       {"Salva", "Save"},
		"yes":             {"sì", "yes"},
		"no":              {"no", "no"},

		"role.agent":      {"operatore", "agent"},
		"role.supervisor": {"coordinatore", "supervisor"},
		"role.opsroom":    {"Sala Operativa", "operations room"},
		"role.admin":      {"amministratore", "admin"},

		"state.logged-out": {"disconnesso", "logged out"},
		"state.available":  {"disponibile", "available"},
		"state.ringing":    {"squilla", "ringing"},
		"state.reserved":   {"riservato (richiamata)", "reserved (callback)"},
		"state.on-call":    {"in conversazione", "on a call"},
		"state.wrap-up":    {"chiusura scheda", "wrap-up"},
		"state.paused":     {"in pausa", "paused"},

		"login.title":     {"Accesso", "Sign in"},
		"login.heading":   {"Accedi alla console", "Sign in to the console"},
		"login.intro":     {"Usa il nome utente e la password che ti ha dato l'amministratore.", "Use the username and password your administrator gave you."},
		"login.username":  {"Nome utente", "Username"},
		"login.password":  {"Password", "Password"},
		"login.submit":    {"Accedi", "Sign in"},
		"login.help":      {"Password dimenticata? Chiedi all'amministratore di impostarne una nuova.", "Forgot your password? Ask an administrator to set a new one."},
		"login.missing":   {"Inserisci nome utente e password.", "Enter your username and password."},
		"login.bad":       {"Nome utente o password errati.", "Wrong username or password."},
		"login.throttled": {"Troppi tentativi non riusciti: riprova tra %d minuti.", "Too many failed attempts: try again in %d minutes."},
		"login.busy":      {"Troppi accessi in questo momento: riprova tra qualche secondo.", "Too many sign-ins at this moment: try again in a few seconds."},
		"login.expired":   {"La sessione è scaduta: accedi di nuovo.", "Your session has expired: please sign in again."},
		"login.out":       {"Sei uscito dalla console.", "You have signed out."},

		"totp.title":    {"Secondo fattore", "Second factor"},
		"totp.heading":  {"Codice di verifica", "Verification code"},
		"totp.intro":    {"Inserisci il codice di 6 cifre mostrato dalla tua app di autenticazione.", "Enter the 6-digit code shown by your authenticator app."},
		"totp.enrol":    {"Il secondo fattore è obbligatorio per il tuo ruolo. Inquadra il codice QR con la tua app di autenticazione (es. FreeOTP, Google Authenticator) o inserisci la chiave, poi scrivi il codice che mostra.", "A second factor is required for your role. Scan the QR code with your authenticator app (e.g. FreeOTP, Google Authenticator) or type in the key, then enter the code it shows."},
		"totp.optional": {"Il secondo fattore non è obbligatorio per il tuo ruolo, ma protegge il tuo account se la password viene rubata. Inquadra il codice QR con la tua app di autenticazione (es. FreeOTP, Google Authenticator) o inserisci la chiave, poi scrivi il codice che mostra.", "A second factor is not required for your role, but it protects your account if your password is stolen. Scan the QR code with your authenticator app (e.g. FreeOTP, Google Authenticator) or type in the key, then enter the code it shows."},
		"totp.qr":       {"Codice QR da inquadrare con l'app di autenticazione", "QR code to scan with the authenticator app"},
		"totp.secret":   {"Chiave", "Key"},
		"totp.uri":      {"Indirizzo otpauth", "otpauth address"},
		"totp.code":     {"Codice di 6 cifre", "6-digit code"},
		"totp.submit":   {"Verifica", "Verify"},
		"totp.bad":      {"Codice non valido: controlla l'ora del telefono e riprova.", "Invalid code: check your phone's clock and try again."},
		"totp.used":     {"Questo codice è già stato usato: attendi il successivo.", "This code was already used: wait for the next one."},

		"account.title":        {"Il mio profilo", "My account"},
		"account.heading":      {"Il mio profilo", "My account"},
		"account.lang":         {"Lingua", "Language"},
		"account.langlegend":   {"Lingua predefinita della console", "Default language of the console"},
		"account.password":     {"Cambia password", "Change password"},
		"account.current":      {"Password attuale", "Current password"},
		"account.new":          {"Nuova password", "New password"},
		"account.confirm":      {"Ripeti la nuova password", "Repeat the new password"},
		"account.rule":         {"Almeno 10 caratteri, senza il nome utente; non una password comune, una sequenza (12345, qwerty) o caratteri ripetuti. Vanno bene tre o quattro parole a caso.", "At least 10 characters, without your username; not a common password, a sequence (12345, qwerty) or repeated characters. Three or four random words work well."},
		"account.change":       {"Cambia password", "Change password"},
		"account.badcurrent":   {"La password attuale non è corretta.", "The current password is wrong."},
		"account.mismatch":     {"Le due password non coincidono.", "The two passwords differ."},
		"account.totp":         {"Secondo fattore (TOTP)", "Second factor (TOTP)"},
		"account.totpon":       {"Il secondo fattore è attivo.", "The second factor is on."},
		"account.totpadd":      {"Attiva il secondo fattore", "Turn on the second factor"},
		"account.totpremove":   {"Disattiva il secondo fattore", "Turn off the second factor"},
		"account.totprequired": {"Il secondo fattore è obbligatorio per il tuo ruolo.", "The second factor is required for your role."},

		"done.saved":     {"Modifiche salvate.", "Changes saved."},
		"done.created":   {"Utente creato.", "User created."},
		"done.password":  {"Password cambiata; le altre sessioni sono state chiuse.", "Password changed; your other sessions were closed."},
		"done.totp":      {"Secondo fattore attivato.", "Second factor turned on."},
		"done.totpoff":   {"Secondo fattore disattivato.", "Second factor turned off."},
		"done.pinned":    {"Articolo collegato alla pratica.", "Article pinned to the case."},
		"done.published": {"Articolo pubblicato.", "Article published."},
		"done.retired":   {"Articolo ritirato.", "Article retired."},
		"done.draft":     {"Articolo riportato in bozza.", "Article back to draft."},

		"error.title":        {"Non è stato possibile completare la richiesta", "The request could not be completed"},
		"error.home":         {"Torna alla pagina iniziale", "Back to the home page"},
		"error.notready":     {"Il servizio si sta avviando (il database non risponde ancora). Riprova tra poco.", "The service is starting (the database is not answering yet). Try again shortly."},
		"error.csrf":         {"Il modulo è scaduto o è già stato inviato. Ricarica la pagina e riprova.", "The form has expired or was already sent. Reload the page and try again."},
		"error.notwired":     {"Il sistema di distribuzione delle chiamate (ACD) non è collegato: stati e chiamate non sono disponibili.", "The call distribution system (ACD) is not connected: states and calls are unavailable."},
		"error.noagent":      {"Al tuo utente non è assegnata una postazione (interno). Chiedi all'amministratore.", "Your user has no seat (extension) assigned. Ask an administrator."},
		"error.refused":      {"Operazione non consentita in questo momento", "Not allowed right now"},
		"notfound.title":     {"Pagina non trovata", "Page not found"},
		"notfound.text":      {"L'indirizzo non corrisponde a nessuna pagina della console: controlla il link o torna alla pagina iniziale.", "This address matches no page of the console: check the link or go back to the home page."},
		"error.notfound":     {"Pagina o elemento non trovato.", "Page or item not found."},
		"method.title":       {"Richiesta non accettata", "Request not accepted"},
		"method.text":        {"Questo indirizzo esiste, ma non accetta questo tipo di richiesta: aprilo dai link e dai pulsanti della console.", "This address exists but does not take this kind of request: open it from the console's links and buttons."},
		"error.method":       {"Questo indirizzo non accetta questo tipo di richiesta.", "This address does not take this kind of request."},
		"error.invalid":      {"Dati non validi", "Invalid data"},
		"error.conflict":     {"Qualcun altro ha modificato questo elemento: ricarica e riprova.", "Someone else changed this item: reload and try again."},
		"error.forbidden":    {"Il tuo ruolo non consente di aprire questa pagina o fare questa operazione.", "Your role does not allow this page or action."},
		"error.internal":     {"Errore interno: l'operazione non è stata eseguita. Riprova; se si ripete, avvisa l'amministratore.", "Internal error: nothing was done. Try again; if it happens again, tell an administrator."},
		"error.signin":       {"Accedi di nuovo.", "Please sign in again."},
		"error.toolarge":     {"I dati inviati sono troppo grandi.", "The data sent is too large."},
		"error.weakpassword": {"Password troppo debole: almeno 10 caratteri, senza il nome utente, non comune e non una sequenza.", "Password too weak: at least 10 characters, without the username, not common and not a sequence."},
		"error.busy":         {"Il server è molto occupato: riprova tra qualche secondo.", "The server is very busy: try again in a few seconds."},

		"password.short":    {"Password troppo debole: servono almeno 10 caratteri.", "Password too weak: it needs at least 10 characters."},
		"password.long":     {"Password troppo lunga: al massimo 256 byte.", "Password too long: at most 256 bytes."},
		"password.username": {"Password troppo debole: non deve contenere il nome utente.", "Password too weak: it must not contain the username."},
		"password.repeated": {"Password troppo debole: è fatta di caratteri ripetuti.", "Password too weak: it is made of repeated characters."},
		"password.sequence": {"Password troppo debole: è una sequenza (come 12345, abcde o qwerty).", "Password too weak: it is a sequence (like 12345, abcde or qwerty)."},
		"password.common":   {"Password troppo debole: è tra le password più usate, le prime che si provano. Scegline una meno prevedibile, per esempio tre o quattro parole a caso.", "Password too weak: it is among the most used passwords, the first ones tried. Choose a less predictable one, e.g. three or four random words."},

		"desk.title":     {"Postazione operatore", "Agent desk"},
		"desk.heading":   {"Postazione operatore", "Agent desk"},
		"desk.state":     {"Il mio stato", "My state"},
		"desk.available": {"Disponibile", "Available"},
		"desk.reason":    {"Motivo della pausa", "Pause reason"},
		"desk.pause":     {"Pausa", "Pause"},
		"desk.logout":    {"Disconnetti dalle code", "Log out of queues"},
		"desk.seat":      {"Postazione", "Seat"},
		"desk.phone":     {"Telefono", "Phone"},
		"desk.phoneok":   {"registrato", "registered"},
		"desk.phonedown": {"non raggiungibile", "unreachable"},
		"desk.sincefor":  {"da %s", "for %s"},
		// The phone's device state as Asterisk names it, in words.
		"phone.NOT_INUSE":   {"libero", "idle"},
		"phone.INUSE":       {"in conversazione", "in use"},
		"phone.BUSY":        {"occupato", "busy"},
		"phone.RINGING":     {"squilla", "ringing"},
		"phone.RINGINUSE":   {"squilla durante una chiamata", "ringing while in use"},
		"phone.ONHOLD":      {"in attesa", "on hold"},
		"phone.UNAVAILABLE": {"non disponibile", "unavailable"},
		"desk.queues":       {"Code", "Queues"},
		"desk.call":         {"Chiamata", "Call"},
		"desk.nocall":       {"Nessuna chiamata in corso.", "No call in progress."},
		"desk.kb":           {"Base di conoscenza", "Knowledge base"},
		"desk.case":         {"Pratica (codice)", "Case (tracking id)"},
		"desk.casehint":     {"Indica il codice della pratica per collegarvi l'articolo usato.", "Enter the case's tracking id to pin the article you used."},

		"wall.title":     {"Supervisione", "Wallboard"},
		"wall.heading":   {"Supervisione code e operatori", "Queues and agents"},
		"wall.mode":      {"Modalità", "Mode"},
		"wall.queues":    {"Code", "Queues"},
		"wall.queue":     {"Coda", "Queue"},
		"wall.waiting":   {"In attesa", "Waiting"},
		"wall.longest":   {"Attesa massima", "Longest wait"},
		"wall.sl":        {"Livello di servizio", "Service level"},
		"wall.answered":  {"Risposte", "Answered"},
		"wall.abandoned": {"Abbandonate", "Abandoned"},
		"wall.ready":     {"Operatori liberi", "Agents free"},
		"wall.more":      {"Qui arriveranno indicatori per sede, grafici e azioni di supervisione.", "Per-site figures, charts and supervisor actions go here."},
		"wall.agents":    {"Operatori", "Agents"},
		"wall.agent":     {"Operatore", "Agent"},
		"wall.state":     {"Stato", "State"},
		"wall.since":     {"Dalle", "Since"},
		"wall.actions":   {"Azioni", "Actions"},
		"wall.pause":     {"Metti in pausa", "Pause"},
		"wall.free":      {"Rendi disponibile", "Make available"},
		"wall.logout":    {"Disconnetti", "Log out"},

		"kb.title":         {"Base di conoscenza", "Knowledge base"},
		"kb.heading":       {"Base di conoscenza", "Knowledge base"},
		"kb.search":        {"Cerca negli articoli", "Search the articles"},
		"kb.searchhint":    {"Accenti e plurali non contano: «alluvione» trova anche «alluvioni».", "Accents and plurals do not matter: «alluvione» also finds «alluvioni»."},
		"kb.go":            {"Cerca", "Search"},
		"kb.results":       {"%d risultati per «%s»", "%d results for «%s»"},
		"kb.none":          {"Nessun articolo trovato.", "No article found."},
		"kb.new":           {"Nuovo articolo", "New article"},
		"kb.edit":          {"Modifica", "Edit"},
		"kb.history":       {"Cronologia", "History"},
		"kb.manage":        {"Gestione", "Manage"},
		"kb.meta":          {"Versione %d · aggiornato il %s da %s", "Version %d · updated %s by %s"},
		"kb.pin":           {"Collega a una pratica", "Pin to a case"},
		"kb.pinit":         {"Collega", "Pin"},
		"kb.pinned":        {"Collegato alla pratica", "Pinned to the case"},
		"kb.publish":       {"Pubblica", "Publish"},
		"kb.retire":        {"Ritira", "Retire"},
		"kb.todraft":       {"Riporta in bozza", "Back to draft"},
		"kb.comment":       {"Nota sulla modifica", "Change note"},
		"kb.slug":          {"Indirizzo breve", "Short name"},
		"kb.slughint":      {"Lettere minuscole, cifre e trattini, es. terremoto-cosa-fare.", "Lowercase letters, digits and hyphens, e.g. terremoto-cosa-fare."},
		"kb.ftitle":        {"Titolo", "Title"},
		"kb.topic":         {"Sezione", "Section"},
		"kb.summary":       {"Sommario", "Summary"},
		"kb.body":          {"Testo", "Text"},
		"kb.bodyhint":      {"## titolo, - elenco, 1. elenco numerato, **grassetto**; riga vuota per un nuovo paragrafo.", "## heading, - list, 1. numbered list, **bold**; a blank line starts a paragraph."},
		"kb.tags":          {"Parole chiave (separate da virgole)", "Keywords (comma-separated)"},
		"kb.status":        {"Stato", "Status"},
		"kb.stale":         {"Qualcun altro ha salvato l'articolo nel frattempo: apri di nuovo la modifica per non sovrascrivere il suo lavoro.", "Someone else saved the article meanwhile: open the editor again so as not to overwrite their work."},
		"kb.badcase":       {"Codice pratica non valido (es. CC-2026-000123).", "Invalid tracking id (e.g. CC-2026-000123)."},
		"kb.noquery":       {"Scrivi cosa cercare.", "Type what to search for."},
		"kb.querylong":     {"Ricerca troppo lunga (massimo 200 caratteri).", "Search too long (200 characters at most)."},
		"kb.changednotice": {"Articolo aggiornato", "Article updated"},

		"status.draft":     {"bozza", "draft"},
		"status.published": {"pubblicato", "published"},
		"status.retired":   {"ritirato", "retired"},

		"topic.avvisi":         {"Avvisi di emergenza", "Emergency notices"},
		"topic.autoprotezione": {"Autoprotezione: prima, durante, dopo", "Self-protection: before, during, after"},
		"topic.rischi":         {"Rischi e allerte", "Risks and alerts"},
		"topic.competenze":     {"Chi fa cosa: competenze", "Who does what: competences"},
		"topic.campagne":       {"Campagne informative", "Information campaigns"},
		"topic.servizio":       {"Schede per gli operatori", "Notes for operators"},

		"users.title":       {"Utenti", "Users"},
		"users.edit":        {"Utente", "User"},
		"users.heading":     {"Utenti della console", "Console users"},
		"users.name":        {"Nome e cognome", "Full name"},
		"users.role":        {"Ruolo", "Role"},
		"users.totp":        {"Secondo fattore", "Second factor"},
		"users.state":       {"Stato", "State"},
		"users.active":      {"attivo", "active"},
		"users.disabled":    {"disabilitato", "disabled"},
		"users.add":         {"Aggiungi un utente", "Add a user"},
		"users.create":      {"Crea utente", "Create user"},
		"users.namehint":    {"2-64 caratteri: lettere minuscole, cifre, punto, trattino.", "2-64 characters: lowercase letters, digits, dot, hyphen."},
		"users.badname":     {"Nome utente non valido: 2-64 caratteri tra lettere minuscole, cifre, punto, trattino e trattino basso.", "Invalid username: 2-64 of lowercase letters, digits, dot, hyphen and underscore."},
		"users.badrole":     {"Ruolo non valido.", "Invalid role."},
		"users.taken":       {"Esiste già un utente con questo nome.", "A user with this name already exists."},
		"users.lastadmin":   {"Non si può togliere l'ultimo amministratore attivo.", "The last active administrator cannot be removed."},
		"users.notself":     {"Non puoi disabilitare te stesso.", "You cannot disable yourself."},
		"users.enable":      {"Riabilita", "Enable"},
		"users.disable":     {"Disabilita (chiude le sue sessioni)", "Disable (ends their sessions)"},
		"users.totpreset":   {"Azzera il secondo fattore", "Reset the second factor"},
		"users.setpassword": {"Imposta una nuova password", "Set a new password"},
		"users.profile":     {"Profilo", "Profile"},
		"users.sessions":    {"Sessioni aperte", "Open sessions"},
		"users.created":     {"Creato il", "Created"},
		"users.audit":       {"Ultime azioni di questo utente", "This user's latest actions"},

		"nav.cases":    {"Pratiche", "Cases"},
		"form.cancel":  {"Annulla", "Cancel"},
		"error.closed": {"La pratica (o la segnalazione) è già chiusa.", "The case (or flag) is already closed."},

		"sp.heading":      {"Softphone nel browser", "Softphone in the browser"},
		"sp.state":        {"Stato", "State"},
		"sp.unregistered": {"non registrato", "not registered"},
		"sp.registering":  {"registrazione…", "registering…"},
		"sp.registered":   {"registrato", "registered"},
		"sp.failed":       {"registrazione non riuscita", "registration failed"},
		"sp.disconnected": {"centralino non raggiungibile", "PBX unreachable"},
		"sp.nolib":        {"libreria SIP non caricata", "SIP library not loaded"},
		"sp.password":     {"Password SIP della postazione", "The seat's SIP password"},
		"sp.hint":         {"Resta solo in questa scheda del browser: non viene inviata alla console né salvata.", "It stays in this browser tab only: it is neither sent to the console nor stored."},
		"sp.connect":      {"Collega il softphone", "Connect the softphone"},
		"sp.disconnect":   {"Scollega", "Disconnect"},
		"sp.answer":       {"Rispondi", "Answer"},
		"sp.hangup":       {"Riaggancia", "Hang up"},
		"sp.ringing":      {"Chiamata in arrivo", "Incoming call"},
		"sp.incall":       {"In conversazione", "In conversation"},
		"sp.ended":        {"Chiamata terminata", "Call ended"},
		"sp.nomic":        {"Microfono non disponibile: controlla i permessi del browser.", "Microphone unavailable: check the browser's permissions."},
		"sp.external":     {"Usa il telefono della postazione: qui vedi lo stato che riporta il centralino.", "Use the seat's phone: this shows the state the PBX reports."},

		"pop.caller":     {"Chiamante", "Caller"},
		"pop.queue":      {"Coda", "Queue"},
		"pop.path":       {"Percorso IVR", "IVR path"},
		"pop.digits":     {"Tasti premuti", "Keys pressed"},
		"pop.comune":     {"Comune probabile", "Likely comune"},
		"pop.arrived":    {"In linea dalle", "Calling since"},
		"pop.previous":   {"Contatti precedenti da questo numero", "Earlier contacts from this number"},
		"pop.none":       {"nessuno", "none"},
		"pop.transcript": {"Il chiamante dice (addestramento)", "The caller says (training)"},
		"train.score":    {"Punteggio della scheda", "Score of the form"},
		"train.rescue":   {"soccorso segnalato correttamente", "rescue flagged rightly"},
		"train.category": {"categoria", "category"},
		"train.comune":   {"comune", "comune"},
		"train.outcome":  {"esito", "outcome"},
		"pop.unknown":    {"numero nascosto", "withheld number"},
		"pop.rescue":     {"RICHIESTA DI SOCCORSO: una persona può essere in pericolo. Se c'è pericolo di vita, fai chiamare il 112.", "RESCUE REQUEST: someone may be in danger. If a life is at risk, have them call 112."},
		"pop.rescuesay":  {"Attenzione: richiesta di soccorso in arrivo da %s.", "Attention: rescue request coming in from %s."},
		"pop.elevated":   {"Urgenza elevata", "Elevated urgency"},
		"pop.offered":    {"Chiamata in arrivo da %s, coda %s.", "Call coming in from %s, queue %s."},

		"call.controls":         {"Comandi della chiamata", "Call controls"},
		"call.hangup":           {"Riaggancia", "Hang up"},
		"call.hold":             {"Metti in attesa", "Hold"},
		"call.unhold":           {"Riprendi", "Resume"},
		"call.xferto":           {"Trasferisci a", "Transfer to"},
		"call.transfer":         {"Trasferisci", "Transfer"},
		"call.xferhint":         {"Una coda (es. soccorso) o un numero di telefono.", "A queue (e.g. soccorso) or a phone number."},
		"call.done":             {"Fatto.", "Done."},
		"call.notarget":         {"Indica una coda o un numero.", "Give a queue or a number."},
		"call.xferrefused":      {"Trasferimento non riuscito verso", "Transfer failed to"},
		"call.xferback":         {"il chiamante è tornato in testa alla coda", "the caller is back at the head of queue"},
		"call.dial.BUSY":        {"occupato", "busy"},
		"call.dial.NOANSWER":    {"nessuna risposta", "no answer"},
		"call.dial.CONGESTION":  {"linea congestionata", "congestion"},
		"call.dial.CHANUNAVAIL": {"numero non raggiungibile", "unreachable"},

		"disp.heading":         {"Scheda della chiamata", "Call record"},
		"disp.category":        {"Categoria", "Category"},
		"disp.choose":          {"— scegli —", "— choose —"},
		"disp.outcome":         {"Esito", "Outcome"},
		"disp.callertype":      {"Tipo di chiamante", "Caller type"},
		"disp.comune":          {"Comune", "Comune"},
		"disp.comunehint":      {"Scrivi il nome e scegli dall'elenco, oppure il codice ISTAT di 6 cifre.", "Type the name and pick from the list, or the 6-digit ISTAT code."},
		"disp.notes":           {"Note", "Notes"},
		"disp.urgency":         {"Urgenza", "Urgency"},
		"disp.rescuehint":      {"«Richiesta di soccorso» inoltra subito la pratica alla Sala Operativa.", "«Rescue request» sends the case on to the operations room at once."},
		"disp.save":            {"Salva la scheda", "Save the record"},
		"disp.update":          {"Aggiorna la scheda", "Update the record"},
		"disp.tracking":        {"Codice della pratica:", "Case tracking id:"},
		"disp.readit":          {"Leggilo al cittadino: gli servirà per ogni contatto successivo.", "Read it to the caller: they will need it for any later contact."},
		"disp.opencase":        {"Apri la pratica", "Open the case"},
		"disp.missing":         {"Scegli categoria ed esito.", "Choose a category and an outcome."},
		"disp.ambiguouscomune": {"Più comuni hanno questo nome: sceglilo dall'elenco.", "Several comuni have this name: pick one from the list."},
		"disp.badcomune":       {"Comune non riconosciuto: sceglilo dall'elenco o scrivi il codice ISTAT di 6 cifre.", "Comune not recognised: pick it from the list or type the 6-digit ISTAT code."},
		"disp.saved":           {"Scheda salvata.", "Record saved."},
		"disp.forwarded":       {"Inoltrata alla Sala Operativa.", "Forwarded to the operations room."},
		"disp.forwardfailed": {"ATTENZIONE: la pratica NON è arrivata alla Sala Operativa. Telefona subito alla Sala.",
			"WARNING: the case did NOT reach the operations room. Phone the room now."},
		"disp.opsupdate":        {"Sala Operativa, pratica", "Operations room, case"},
		"disp.ops.new":          {"ricevuta", "received"},
		"disp.ops.acknowledged": {"presa in carico", "acknowledged"},
		"disp.ops.assigned":     {"assegnata", "assigned"},
		"disp.ops.closed":       {"chiusa", "closed"},
		"desk.comunequery":      {"Scrivi da 1 a 60 caratteri del nome del comune o il codice ISTAT.", "Type 1 to 60 characters of the comune's name or its ISTAT code."},

		"urgency.none":     {"ordinaria", "ordinary"},
		"urgency.elevated": {"elevata", "elevated"},
		"urgency.rescue":   {"Richiesta di soccorso", "Rescue request"},

		"remind.heading": {"Schede da completare", "Records to complete"},
		"remind.item":    {"La chiamata da %s (%s) non ha ancora la scheda: completala e salvala.", "The call from %s (%s) has no record yet: complete and save it."},
		"remind.open":    {"Completa ora", "Complete now"},
		"remind.wrapup":  {"Chiusura scheda: salva la scheda per tornare disponibile.", "Wrap-up: save the record to become available again."},

		"mode.ordinary":  {"ordinaria", "ordinary"},
		"mode.emergency": {"emergenza (H24)", "emergency (24/7)"},
		"mode.closed":    {"servizio sospeso", "service suspended"},

		"wall.modechange":       {"Cambia modalità", "Change mode"},
		"wall.modewarn":         {"La nuova modalità vale entro un secondo per ogni nuova chiamata e resta nel registro con il tuo nome e il motivo.", "The new mode applies within a second to every new call and is logged with your name and the reason."},
		"wall.newmode":          {"Nuova modalità", "New mode"},
		"wall.modereason":       {"Motivo (obbligatorio)", "Reason (required)"},
		"wall.modereasonhint":   {"Es. «Alluvione in Emilia-Romagna, richiesta DPC».", "E.g. «Floods in Emilia-Romagna, DPC request»."},
		"wall.modeconfirm":      {"Conferma il cambio", "Confirm the change"},
		"wall.modeset":          {"Modalità cambiata.", "Mode changed."},
		"wall.sites":            {"Sedi", "Sites"},
		"wall.site":             {"Sede", "Site"},
		"wall.name":             {"Nome", "Name"},
		"wall.charts":           {"Ultime ore", "Last hours"},
		"wall.chartcalls":       {"Chiamate ogni 15 minuti (ultime 4 ore)", "Calls per 15 minutes (last 4 hours)"},
		"wall.chartwaiting":     {"In attesa e operatori liberi (da quando la pagina è aperta)", "Waiting and free agents (since this page opened)"},
		"wall.offered":          {"Entrate", "Offered"},
		"wall.busy":             {"Operatori occupati", "Agents busy"},
		"wall.needed":           {"Operatori necessari (Erlang C)", "Agents needed (Erlang C)"},
		"wall.colready":         {"Liberi", "Free"},
		"wall.colbusy":          {"Occupati", "Busy"},
		"wall.colneeded":        {"Necessari", "Needed"},
		"wall.short":            {"mancano operatori", "short of agents"},
		"wall.asafull":          {"Tempo medio di risposta", "Average speed of answer"},
		"wall.ahtfull":          {"Durata media di gestione", "Average handling time"},
		"wall.instate":          {"Tempo nello stato", "Time in state"},
		"wall.moveto":           {"Sposta nella coda", "Move to queue"},
		"wall.move":             {"Sposta", "Move"},
		"wall.movefrom":         {"Sposta da %s", "Move from %s"},
		"wall.moved":            {"Operatore spostato.", "Agent moved."},
		"wall.listen":           {"Ascolta", "Listen"},
		"wall.whisper":          {"Suggerisci", "Whisper"},
		"wall.barge":            {"Intervieni", "Barge"},
		"wall.supervising":      {"Il tuo telefono squilla: rispondi per collegarti.", "Your phone is ringing: answer to join."},
		"wall.switched":         {"Modalità cambiata sulla stessa chiamata.", "Mode switched on the same call."},
		"wall.stopped":          {"Supervisione terminata.", "Supervision ended."},
		"wall.stop":             {"Termina supervisione", "Stop supervising"},
		"wall.watching.listen":  {"in ascolto", "listening"},
		"wall.watching.whisper": {"suggerimento", "whispering"},
		"wall.watching.barge":   {"in conferenza", "barged in"},
		"wall.nodata":           {"Nessun dato.", "No data."},
		"wall.badhours":         {"Ore: un intero da 1 a 12.", "Hours: a whole number from 1 to 12."},

		"case.title":          {"Pratica", "Case"},
		"case.searchtitle":    {"Pratiche", "Cases"},
		"case.searchheading":  {"Pratiche", "Cases"},
		"case.search":         {"Cerca (codice, telefono, email, comune o parole)", "Search (tracking id, phone, email, comune or words)"},
		"case.searchhint":     {"Un codice come CC-2026-000123 apre subito la pratica.", "A tracking id like CC-2026-000123 opens the case at once."},
		"case.status":         {"Stato", "Status"},
		"case.anystatus":      {"tutti", "any"},
		"case.results":        {"%d pratiche per «%s»", "%d cases for «%s»"},
		"case.latest":         {"Pratiche aperte più recenti", "Latest open cases"},
		"case.none":           {"Nessuna pratica trovata.", "No case found."},
		"case.id":             {"Codice", "Tracking id"},
		"case.opened":         {"Aperta il", "Opened"},
		"case.closedat":       {"Chiusa il", "Closed"},
		"case.channel":        {"Canale", "Channel"},
		"case.contact":        {"Contatto", "Contact"},
		"case.summary":        {"Oggetto", "Summary"},
		"case.address":        {"Indirizzo", "Address"},
		"case.facts":          {"Dati della pratica", "Case details"},
		"case.pins":           {"Articoli usati", "Articles used"},
		"case.rescuenote":     {"pratica segnalata alla Sala Operativa come persona in pericolo.", "case flagged to the operations room as a person in danger."},
		"case.reviews":        {"Da verificare", "To review"},
		"case.noreviews":      {"Niente da verificare.", "Nothing to review."},
		"case.resolve":        {"Segna come verificato", "Mark as reviewed"},
		"case.resolvedby":     {"Verificato da %s il %s", "Reviewed by %s on %s"},
		"case.timeline":       {"Cronologia", "Timeline"},
		"case.otherfiles":     {"Altri allegati", "Other files"},
		"case.dispositions":   {"Schede degli operatori", "Agents' records"},
		"case.addnote":        {"Aggiungi una nota", "Add a note"},
		"case.note":           {"Nota interna (non inviata al cittadino)", "Internal note (not sent to the citizen)"},
		"case.notemissing":    {"Scrivi la nota.", "Write the note."},
		"case.notelong":       {"Nota troppo lunga (massimo 4000 caratteri).", "Note too long (4000 characters at most)."},
		"case.reply":          {"Rispondi via email", "Reply by email"},
		"case.nomail":         {"L'email non è configurata su questo servizio: non si possono inviare risposte.", "Email is not set up on this service: replies cannot be sent."},
		"case.deliveries":     {"Email inviate", "Email sent"},
		"case.attempts":       {"%d tentativi", "%d attempts"},
		"case.template":       {"Modello", "Template"},
		"case.lang":           {"Lingua del messaggio", "Language of the message"},
		"case.to":             {"Destinatario", "To"},
		"case.tohint":         {"Vuoto: l'indirizzo della pratica.", "Empty: the case's address."},
		"case.replytextlabel": {"Testo", "Text"},
		"case.replyhint":      {"I modelli con * richiedono il testo.", "Templates marked * need the text."},
		"case.send":           {"Invia", "Send"},
		"case.sendclose":      {"Invia e chiudi la pratica", "Send and close the case"},
		"case.choosetemplate": {"Scegli il modello del messaggio.", "Choose the message's template."},
		"case.notemplate":     {"— scegli un modello —", "— choose a template —"},
		"case.closes":         {"chiude la pratica", "closes the case"},
		"case.replyclosing":   {"Questo modello comunica al cittadino che la pratica è chiusa: inviandolo, la pratica viene chiusa con l'esito scelto qui.", "This template tells the citizen the case is closed: sending it closes the case with the outcome chosen here."},
		"case.replycloses":    {"Questo modello comunica la chiusura: scegli l'esito con cui chiudere la pratica.", "This template announces the closing: pick the outcome to close the case with."},
		"case.badtemplate":    {"Modello di email sconosciuto.", "Unknown email template."},
		"case.replylong":      {"Testo troppo lungo (massimo 8000 caratteri).", "Text too long (8000 characters at most)."},
		"case.replytext":      {"Questo modello richiede il testo della risposta.", "This template needs the reply's text."},
		"case.badto":          {"Indirizzo del destinatario non valido.", "Invalid recipient address."},
		"case.noaddress":      {"La pratica non ha un indirizzo email: indica il destinatario.", "The case has no email address: give the recipient."},
		"case.merge":          {"Unisci un duplicato", "Merge a duplicate"},
		"case.duplicate":      {"Codice della pratica duplicata", "Tracking id of the duplicate"},
		"case.mergeconfirm":   {"Confermo: il duplicato confluisce in %s e non potrà essere separato.", "I confirm: the duplicate is folded into %s and cannot be split again."},
		"case.mergeit":        {"Unisci", "Merge"},
		"case.close":          {"Chiudi la pratica", "Close the case"},
		"case.closeconfirm":   {"Confermo la chiusura con questo esito.", "I confirm closing with this outcome."},
		"case.closeit":        {"Chiudi", "Close"},
		"case.confirm":        {"Spunta la conferma prima di procedere.", "Tick the confirmation before going on."},
		"case.badoutcome":     {"Scegli un esito dall'elenco.", "Pick an outcome from the list."},
		"case.badstatus":      {"Stato sconosciuto.", "Unknown status."},
		"case.ismerged":       {"Questa pratica è stata unita a un'altra: apri quella.", "This case was merged into another: open that one."},
		"case.mergedfrom":     {"La pratica %s è stata unita a %s.", "Case %s was merged into %s."},
		"cstatus.open":        {"aperta", "open"},
		"cstatus.closed":      {"chiusa", "closed"},
		"cstatus.merged":      {"unita", "merged"},
		"channel.phone":       {"telefono", "phone"},
		"channel.fax":         {"fax", "fax"},
		"channel.web":         {"modulo web", "web form"},
		"channel.email":       {"email", "email"},
		"channel.note":        {"nota", "note"},
		"dir.in":              {"in arrivo", "incoming"},
		"dir.out":             {"in uscita", "outgoing"},
		"dir.internal":        {"interna", "internal"},
		"delivery.queued":     {"in coda di invio", "queued"},
		"delivery.sent":       {"consegnata al server di posta", "handed to the mail server"},
		"delivery.failed":     {"non inviata", "failed"},
		"delivery.bounced":    {"respinta", "bounced"},
		"done.noted":          {"Nota aggiunta.", "Note added."},
		"done.replied":        {"Risposta messa in coda di invio.", "Reply queued for sending."},
		"done.repliedclosed":  {"Pratica chiusa e risposta messa in coda di invio.", "Case closed and reply queued for sending."},
		"done.merged":         {"Pratiche unite.", "Cases merged."},
		"done.closed":         {"Pratica chiusa.", "Case closed."},
		"done.resolved":       {"Segnalazione verificata.", "Flag marked as reviewed."},

		"ws.connecting": {"connessione…", "connecting…"},
		"ws.online":     {"in linea", "online"},
		"ws.offline":    {"non in linea: riconnessione…", "offline: reconnecting…"},
		"ws.resync":     {"aggiornamento…", "refreshing…"},
		"ws.timeout":    {"Il server non ha risposto in tempo.", "The server did not answer in time."},
		"ws.bad":        {"Messaggio non valido", "Invalid message"},
		"ws.csrf":       {"Token di sicurezza non valido: ricarica la pagina.", "Invalid security token: reload the page."},
		"ws.replay":     {"Messaggio ripetuto: ignorato.", "Repeated message: ignored."},
		"ws.session":    {"La sessione è scaduta: accedi di nuovo.", "Your session has expired: please sign in again."},
		"ws.unknown":    {"Tipo di messaggio sconosciuto.", "Unknown message type."},
		"ws.forbidden":  {"Il tuo ruolo non consente questa operazione.", "Your role does not allow this action."},
		"ws.rate":       {"Troppi messaggi: rallenta.", "Too many messages: slow down."},
	}
	for k, v := range rescueCatalog {
		c[k] = v
	}
	for k, v := range wallCatalog {
		c[k] = v
	}
	return c
}

// check reports keys that lack a translation, for the tests.
func (c catalog) check() error {
	for k, v := range c {
		if v[0] == "" || v[1] == "" {
			return fmt.Errorf("console: catalog key %q lacks a translation", k)
		}
	}
	return nil
}
