package console

import "fmt"

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

// StateLabel translates an agent state.
func (p *page) StateLabel(state string) string {
	if state == "" {
		state = StateLoggedOut
	}
	return p.T("state." + state)
}

// LangForm says whether the language switch can be shown (it needs a
// session or the pre-session cookie to bind its CSRF token to).
func (p *page) LangForm() bool { return p.v.binding() != "" }

// Strings are the texts the page's script needs, in the page's language.
func (p *page) Strings() map[string]string {
	out := map[string]string{}
	for _, k := range []string{"ws.connecting", "ws.online", "ws.offline", "ws.resync", "kb.pinit", "kb.pinned",
		"kb.none", "desk.phoneok", "desk.phonedown", "wall.pause", "wall.free", "wall.logout", "ws.timeout",
		"desk.casehint", "kb.changednotice"} {
		out[k] = p.T(k)
	}
	for _, s := range []string{StateLoggedOut, StateAvailable, StateRinging, StateReserved, StateOnCall, StateWrapUp, StatePaused} {
		out["state."+s] = p.T("state." + s)
	}
	return out
}

func newCatalog() catalog {
	c := catalog{
		"a11y.skip":     {"Vai al contenuto principale", "Skip to main content"},
		"brand.owner":   {"Presidenza del Consiglio dei Ministri · Dipartimento della Protezione Civile", "Italian Civil Protection Department"},
		"brand.tagline": {"Contact center di protezione civile", "Civil-protection contact center"},
		"foot.text":     {"ascolto · numero verde 800 840 840 · in pericolo di vita chiama il 112", "ascolto · toll-free 800 840 840 · if a life is in danger call 112"},
		"lang.label":    {"Lingua", "Language"},
		"nav.label":     {"Menu principale", "Main menu"},
		"nav.desk":      {"Postazione", "Desk"},
		"nav.wallboard": {"Supervisione", "Wallboard"},
		"nav.kb":        {"Base di conoscenza", "Knowledge base"},
		"nav.users":     {"Utenti", "Users"},
		"nav.account":   {"Il mio profilo", "My account"},
		"nav.logout":    {"Esci", "Sign out"},
		"form.save":     {"Salva", "Save"},
		"yes":           {"sì", "yes"},
		"no":            {"no", "no"},

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
		"login.expired":   {"La sessione è scaduta: accedi di nuovo.", "Your session has expired: please sign in again."},
		"login.out":       {"Sei uscito dalla console.", "You have signed out."},

		"totp.title":   {"Secondo fattore", "Second factor"},
		"totp.heading": {"Codice di verifica", "Verification code"},
		"totp.intro":   {"Inserisci il codice di 6 cifre mostrato dalla tua app di autenticazione.", "Enter the 6-digit code shown by your authenticator app."},
		"totp.enrol":   {"Il secondo fattore è obbligatorio per il tuo ruolo. Aggiungi questa chiave alla tua app di autenticazione (es. FreeOTP, Google Authenticator), poi inserisci il codice che mostra.", "A second factor is required for your role. Add this key to your authenticator app (e.g. FreeOTP, Google Authenticator), then enter the code it shows."},
		"totp.secret":  {"Chiave", "Key"},
		"totp.uri":     {"Indirizzo otpauth", "otpauth address"},
		"totp.code":    {"Codice di 6 cifre", "6-digit code"},
		"totp.submit":  {"Verifica", "Verify"},
		"totp.bad":     {"Codice non valido: controlla l'ora del telefono e riprova.", "Invalid code: check your phone's clock and try again."},
		"totp.used":    {"Questo codice è già stato usato: attendi il successivo.", "This code was already used: wait for the next one."},

		"account.title":        {"Il mio profilo", "My account"},
		"account.heading":      {"Il mio profilo", "My account"},
		"account.lang":         {"Lingua", "Language"},
		"account.langlegend":   {"Lingua predefinita della console", "Default language of the console"},
		"account.password":     {"Cambia password", "Change password"},
		"account.current":      {"Password attuale", "Current password"},
		"account.new":          {"Nuova password", "New password"},
		"account.confirm":      {"Ripeti la nuova password", "Repeat the new password"},
		"account.rule":         {"Almeno 10 caratteri; diversa dal nome utente.", "At least 10 characters; not your username."},
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
		"error.notfound":     {"Pagina o elemento non trovato.", "Page or item not found."},
		"error.invalid":      {"Dati non validi", "Invalid data"},
		"error.conflict":     {"Qualcun altro ha modificato questo elemento: ricarica e riprova.", "Someone else changed this item: reload and try again."},
		"error.forbidden":    {"Il tuo ruolo non consente di aprire questa pagina o fare questa operazione.", "Your role does not allow this page or action."},
		"error.internal":     {"Errore interno: l'operazione non è stata eseguita. Riprova; se si ripete, avvisa l'amministratore.", "Internal error: nothing was done. Try again; if it happens again, tell an administrator."},
		"error.signin":       {"Accedi di nuovo.", "Please sign in again."},
		"error.toolarge":     {"I dati inviati sono troppo grandi.", "The data sent is too large."},
		"error.weakpassword": {"Password troppo debole: almeno 10 caratteri e diversa dal nome utente.", "Password too weak: at least 10 characters and not the username."},

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
		"desk.queues":    {"Code", "Queues"},
		"desk.call":      {"Chiamata", "Call"},
		"desk.nocall":    {"Nessuna chiamata in corso.", "No call in progress."},
		"desk.kb":        {"Base di conoscenza", "Knowledge base"},
		"desk.case":      {"Pratica (codice)", "Case (tracking id)"},
		"desk.casehint":  {"Indica il codice della pratica per collegarvi l'articolo usato.", "Enter the case's tracking id to pin the article you used."},

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
