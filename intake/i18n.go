package intake

// text holds every word the public form shows, Italian first.
var text = map[string][2]string{
	"title":            {"Segnala al Contact Center della Protezione Civile", "Report to the Civil Protection Contact Center"},
	"intro":            {"Con questo modulo può inviare una segnalazione o una richiesta. Riceverà il codice della pratica sullo schermo e per email.", "With this form you can send a report or a request. You will get your case number on screen and by email."},
	"emergency":        {"In caso di pericolo immediato per persone chiami il 112. Questo modulo non è un numero di emergenza.", "If people are in immediate danger call 112. This form is not an emergency number."},
	"skip":             {"Vai al modulo", "Skip to the form"},
	"other_lang":       {"English", "Italiano"},
	"required_note":    {"I campi contrassegnati con * sono obbligatori.", "Fields marked with * are required."},
	"what":             {"Che cosa vuole segnalare", "What do you want to report"},
	"category":         {"Argomento", "Topic"},
	"choose":           {"Scelga…", "Choose…"},
	"description":      {"Descrizione", "Description"},
	"description_hint": {"Che cosa è successo, dove, da quando; se ci sono persone in difficoltà.", "What happened, where, since when; whether people are in difficulty."},
	"where":            {"Dove", "Where"},
	"comune":           {"Comune", "Municipality"},
	"comune_hint":      {"Scriva il nome del comune; se ce ne sono più d'uno, scelga dall'elenco.", "Type the name of the municipality; if several match, choose from the list."},
	"provincia":        {"Oppure scelga la provincia", "Or choose the province"},
	"show_comuni":      {"Mostra i comuni della provincia", "Show the municipalities of the province"},
	"comune_pick":      {"Scelga il comune", "Choose the municipality"},
	"address":          {"Indirizzo o luogo (facoltativo)", "Address or place (optional)"},
	"coords":           {"Coordinate (facoltative)", "Coordinates (optional)"},
	"lat":              {"Latitudine", "Latitude"},
	"lon":              {"Longitudine", "Longitude"},
	"geolocate":        {"Usa la mia posizione", "Use my location"},
	"geo_denied":       {"Posizione non disponibile: può scrivere l'indirizzo.", "Location not available: you can type the address."},
	"you":              {"I suoi recapiti", "Your contact details"},
	"name":             {"Nome e cognome (facoltativo)", "Full name (optional)"},
	"email":            {"Email", "Email"},
	"email_hint":       {"Serve per risponderle e per inviarle il codice della pratica.", "Needed to answer you and to send you the case number."},
	"phone":            {"Telefono (facoltativo)", "Phone (optional)"},
	"files":            {"Foto o documenti (facoltativi)", "Photos or documents (optional)"},
	"files_hint":       {"Fino a 5 file JPEG, PNG, WebP, HEIC o PDF, al massimo 10 MB ciascuno e 25 MB in tutto.", "Up to 5 JPEG, PNG, WebP, HEIC or PDF files, at most 10 MB each and 25 MB in all."},
	"privacy":          {"Informativa sulla privacy", "Privacy notice"},
	"privacy_short":    {"I dati inviati sono trattati dal Dipartimento della Protezione Civile solo per gestire la sua segnalazione e rispondere, ai sensi del Regolamento (UE) 2016/679 (GDPR).", "The data you send are processed by the Civil Protection Department only to handle your report and answer you, under Regulation (EU) 2016/679 (GDPR)."},
	"privacy_read":     {"Leggi l'informativa completa", "Read the full notice"},
	"consent":          {"Ho letto l'informativa e acconsento al trattamento dei dati per la gestione della segnalazione", "I have read the notice and consent to the processing of my data to handle the report"},
	"honeypot":         {"Non compilare questo campo", "Leave this field empty"},
	"submit":           {"Invia la segnalazione", "Send the report"},
	"errors_title":     {"Il modulo contiene errori", "The form has errors"},
	"files_again":      {"Per sicurezza i file non sono stati conservati: li alleghi di nuovo.", "For safety the files were not kept: please attach them again."},
	"done_title":       {"Segnalazione ricevuta", "Report received"},
	"done_code":        {"Il codice della sua pratica è", "Your case number is"},
	"done_mail":        {"Le abbiamo inviato una conferma all'indirizzo", "We have sent a confirmation to"},
	"done_keep":        {"Conservi il codice e lo indichi in ogni comunicazione: se ci scrive per email, lo metta nell'oggetto.", "Keep the number and quote it whenever you write: if you email us, put it in the subject."},
	"done_new":         {"Invia un'altra segnalazione", "Send another report"},
	"busy":             {"Il servizio è molto richiesto in questo momento. Riprovi tra qualche secondo; in caso di pericolo chiami il 112.", "The service is very busy right now. Try again in a few seconds; in danger call 112."},
	"too_many":         {"Ha inviato molte segnalazioni in poco tempo. Riprovi tra qualche minuto; in caso di pericolo chiami il 112.", "You have sent many reports in a short time. Try again in a few minutes; in danger call 112."},
	"store_failed":     {"Non è stato possibile registrare la segnalazione per un problema tecnico. Nulla è stato salvato: riprovi tra poco o chiami l'800 840 840.", "The report could not be recorded because of a technical problem. Nothing was saved: try again shortly or call 800 840 840."},
	"too_large":        {"L'invio supera i 25 MB consentiti: riduca o tolga qualche allegato.", "The submission exceeds the 25 MB allowed: shrink or remove some attachments."},
	"too_slow":         {"L'invio è arrivato troppo lentamente ed è stato interrotto: nulla è stato salvato. Riprovi da dove la connessione è migliore, o con allegati più piccoli; in caso di pericolo chiami il 112.", "The submission arrived too slowly and was cut off: nothing was saved. Try again where the connection is better, or with smaller attachments; in danger call 112."},
	"bad_request":      {"Il modulo inviato non è leggibile: ricarichi la pagina e riprovi.", "The form sent could not be read: reload the page and try again."},

	"err_category":      {"Scelga l'argomento della segnalazione.", "Choose the topic of the report."},
	"err_description":   {"Descriva la situazione (almeno 10 caratteri).", "Describe the situation (at least 10 characters)."},
	"err_description_l": {"La descrizione è troppo lunga (al massimo 5.000 caratteri).", "The description is too long (at most 5,000 characters)."},
	"err_comune":        {"Indichi il comune.", "Give the municipality."},
	"err_comune_none":   {"Nessun comune trovato con questo nome: controlli o scelga la provincia.", "No municipality found with this name: check it or choose the province."},
	"err_comune_many":   {"Più comuni corrispondono: scelga quello giusto dall'elenco.", "Several municipalities match: choose the right one from the list."},
	"err_address":       {"L'indirizzo è troppo lungo (al massimo 200 caratteri).", "The address is too long (at most 200 characters)."},
	"err_coords":        {"Le coordinate non sono valide: lasci i campi vuoti o usi numeri come 42.35 e 13.40.", "The coordinates are not valid: leave them empty or use numbers like 42.35 and 13.40."},
	"err_name":          {"Il nome è troppo lungo (al massimo 100 caratteri).", "The name is too long (at most 100 characters)."},
	"err_email":         {"Indichi un indirizzo email valido, ad esempio nome@esempio.it.", "Give a valid email address, for example name@example.com."},
	"err_phone":         {"Il telefono può contenere solo cifre, spazi e il prefisso +.", "The phone may contain only digits, spaces and a leading +."},
	"err_files_n":       {"Si possono allegare al massimo 5 file.", "At most 5 files can be attached."},
	"err_file_size":     {"Il file %s supera i 10 MB.", "The file %s is larger than 10 MB."},
	"err_file_type":     {"Il file %s non è una foto (JPEG, PNG, WebP, HEIC) né un PDF: non è stato accettato.", "The file %s is not a photo (JPEG, PNG, WebP, HEIC) or a PDF: it was not accepted."},
	"err_consent":       {"Per inviare la segnalazione serve il consenso al trattamento dei dati.", "Consent to data processing is needed to send the report."},
	"err_spam":          {"Il modulo non può essere inviato.", "The form cannot be sent."},
}

// t returns a text in the language ("en" or Italian otherwise).
func t(lang, key string) string {
	v, ok := text[key]
	if !ok {
		return key
	}
	if lang == "en" {
		return v[1]
	}
	return v[0]
}
