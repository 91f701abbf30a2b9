package ivr

import (
	"fmt"
	"strings"
)

// Code names a kind of validation problem.
type Code string

// The validation problems Validate can report.
const (
	CodeSyntax          Code = "syntax"           // not valid YAML
	CodeTooLarge        Code = "too-large"        // the file exceeds MaxFlowBytes
	CodeEmpty           Code = "empty"            // nothing in the file
	CodeBadType         Code = "bad-type"         // a value of the wrong shape (Want says which)
	CodeAlias           Code = "alias"            // YAML anchors and aliases are refused
	CodeUnknownField    Code = "unknown-field"    // a field the node kind does not have (Want may suggest one)
	CodeDuplicateField  Code = "duplicate-field"  // the same field twice in one node
	CodeDuplicateNode   Code = "duplicate-node"   // two nodes with the same id
	CodeDuplicateChoice Code = "duplicate-choice" // the same key twice in one menu
	CodeMissingField    Code = "missing-field"    // a required field is absent
	CodeMissingStart    Code = "missing-start"    // no start node
	CodeMissingKind     Code = "missing-kind"     // a node without kind
	CodeUnknownKind     Code = "unknown-kind"     // a kind this package does not know
	CodeBadNodeID       Code = "bad-node-id"      // a node id with odd characters
	CodeNoNodes         Code = "no-nodes"         // the nodes section is empty
	CodeDanglingRef     Code = "dangling-ref"     // a reference to a node that does not exist
	CodeUnreachable     Code = "unreachable"      // a node no call can reach
	CodeMenuNoTimeout   Code = "menu-no-timeout"  // a menu that would wait for ever
	CodeMenuNoFallback  Code = "menu-no-fallback" // a menu with nowhere to go on invalid or no input
	CodeNoChoices       Code = "no-choices"       // a menu without choices
	CodeNoExit          Code = "no-exit"          // a cycle from which no terminal node can be reached
	CodeFreeLoop        Code = "free-loop"        // a cycle that goes round without caller input
	CodeUnknownPrompt   Code = "unknown-prompt"   // a prompt missing from the catalog
	CodeUnknownQueue    Code = "unknown-queue"    // a queue that does not exist
	CodeBadUrgency      Code = "bad-urgency"      // urgency other than none, elevated, rescue
	CodeBadValue        Code = "bad-value"        // a value out of range or malformed (Want says what is expected)
	CodeEmptyTag        Code = "empty-tag"        // a tag node that sets nothing
)

// Problem is one thing wrong with a flow file, at a line and column (1-based).
type Problem struct {
	Line   int
	Column int
	Code   Code
	Node   string // the node the problem is in; empty at the top level
	Field  string // the field at fault, if any
	Value  string // the offending value, reference or cycle
	Want   string // what was expected, or a suggestion
}

// String returns the problem with its position, in English.
func (p Problem) String() string {
	return fmt.Sprintf("%d:%d: %s", p.Line, p.Column, p.Message("en"))
}

// Message explains the problem in Italian ("it", the default) or English
// ("en"), saying what is wrong and what to do.
func (p Problem) Message(lang string) string {
	en := lang == LangEnglish
	pick := func(it, eng string) string {
		if en {
			return eng
		}
		return it
	}
	where := ""
	if p.Node != "" {
		where = pick(" nel nodo «"+p.Node+"»", " in node «"+p.Node+"»")
	}
	switch p.Code {
	case CodeSyntax:
		return pick("il file non è YAML valido: ", "the file is not valid YAML: ") + p.Value
	case CodeTooLarge:
		return pick(fmt.Sprintf("il file è troppo grande (più di %d byte)", MaxFlowBytes),
			fmt.Sprintf("the file is too large (more than %d bytes)", MaxFlowBytes))
	case CodeEmpty:
		return pick("il file è vuoto: servono almeno «start» e «nodes»",
			"the file is empty: it needs at least «start» and «nodes»")
	case CodeBadType:
		return pick(fmt.Sprintf("«%s»%s deve essere %s", p.Field, where, shapeName(p.Want, false)),
			fmt.Sprintf("«%s»%s must be %s", p.Field, where, shapeName(p.Want, true)))
	case CodeAlias:
		return pick("ancore e alias YAML (& e *) non sono ammessi: scrivi il valore per esteso e metti tra virgolette il tasto \"*\"",
			"YAML anchors and aliases (& and *) are not allowed: write the value out, and quote the key \"*\"")
	case CodeUnknownField:
		return pick(fmt.Sprintf("campo sconosciuto «%s»%s", p.Field, where), fmt.Sprintf("unknown field «%s»%s", p.Field, where)) +
			suggestion(p.Want, en)
	case CodeDuplicateField:
		return pick(fmt.Sprintf("il campo «%s» compare due volte%s", p.Field, where),
			fmt.Sprintf("field «%s» appears twice%s", p.Field, where))
	case CodeDuplicateNode:
		return pick(fmt.Sprintf("esistono due nodi «%s»: ogni nodo deve avere un nome diverso", p.Node),
			fmt.Sprintf("there are two nodes «%s»: every node needs its own name", p.Node))
	case CodeDuplicateChoice:
		return pick(fmt.Sprintf("il tasto «%s» compare due volte%s", p.Value, where),
			fmt.Sprintf("key «%s» appears twice%s", p.Value, where))
	case CodeMissingField:
		return pick(fmt.Sprintf("manca il campo obbligatorio «%s»%s", p.Field, where),
			fmt.Sprintf("required field «%s» is missing%s", p.Field, where))
	case CodeMissingStart:
		return pick("manca «start»: indica il nodo da cui parte ogni chiamata",
			"«start» is missing: name the node every call begins with")
	case CodeMissingKind:
		return pick(fmt.Sprintf("al nodo «%s» manca «kind»: indica che cosa fa (%s)", p.Node, join(kindNames())),
			fmt.Sprintf("node «%s» has no «kind»: say what it does (%s)", p.Node, join(kindNames())))
	case CodeUnknownKind:
		return pick(fmt.Sprintf("tipo di nodo sconosciuto «%s»%s", p.Value, where),
			fmt.Sprintf("unknown node kind «%s»%s", p.Value, where)) + suggestion(p.Want, en) +
			pick("; tipi ammessi: ", "; known kinds: ") + join(kindNames())
	case CodeBadNodeID:
		return pick(fmt.Sprintf("nome di nodo non valido «%s»: usa lettere, cifre, «-» e «_»", p.Node),
			fmt.Sprintf("bad node name «%s»: use letters, digits, «-» and «_»", p.Node))
	case CodeNoNodes:
		return pick("«nodes» è vuoto: il flusso non ha nodi", "«nodes» is empty: the flow has no nodes")
	case CodeDanglingRef:
		if p.Node == "" {
			return pick(fmt.Sprintf("«%s» rimanda al nodo «%s», che non esiste", p.Field, p.Value),
				fmt.Sprintf("«%s» points to node «%s», which does not exist", p.Field, p.Value))
		}
		return pick(fmt.Sprintf("«%s» nel nodo «%s» rimanda al nodo «%s», che non esiste", p.Field, p.Node, p.Value),
			fmt.Sprintf("«%s» in node «%s» points to node «%s», which does not exist", p.Field, p.Node, p.Value))
	case CodeUnreachable:
		return pick(fmt.Sprintf("il nodo «%s» non è raggiungibile dall'inizio del flusso: collegalo o toglilo", p.Node),
			fmt.Sprintf("node «%s» cannot be reached from the start: link it or remove it", p.Node))
	case CodeMenuNoTimeout:
		return pick(fmt.Sprintf("il menu «%s» non ha «timeout»: indica quanto attendere un tasto (per esempio 5s)", p.Node),
			fmt.Sprintf("menu «%s» has no «timeout»: say how long to wait for a key (for example 5s)", p.Node))
	case CodeMenuNoFallback:
		return pick(fmt.Sprintf("il menu «%s» non ha «after_retries»: indica dove va la chiamata se il chiamante sbaglia tasto o non ne preme nessuno", p.Node),
			fmt.Sprintf("menu «%s» has no «after_retries»: say where the call goes when the caller presses a wrong key or none", p.Node))
	case CodeNoChoices:
		return pick(fmt.Sprintf("il menu «%s» non ha scelte in «choices»", p.Node),
			fmt.Sprintf("menu «%s» has no «choices»", p.Node))
	case CodeNoExit:
		return pick(fmt.Sprintf("ciclo senza uscita (%s): da qui la chiamata non arriva mai a queue, transfer, fax o hangup", p.Value),
			fmt.Sprintf("loop with no way out (%s): from here the call never reaches queue, transfer, fax or hangup", p.Value))
	case CodeFreeLoop:
		return pick(fmt.Sprintf("ciclo infinito (%s): si ripete senza che il chiamante prema un tasto; fallo passare da una scelta di menu", p.Value),
			fmt.Sprintf("endless loop (%s): it goes round without the caller pressing a key; route it through a menu choice", p.Value))
	case CodeUnknownPrompt:
		return pick(fmt.Sprintf("il messaggio «%s»%s non esiste nel catalogo dei messaggi", p.Value, where),
			fmt.Sprintf("prompt «%s»%s is not in the prompt catalog", p.Value, where))
	case CodeUnknownQueue:
		return pick(fmt.Sprintf("la coda «%s»%s non esiste", p.Value, where),
			fmt.Sprintf("queue «%s»%s does not exist", p.Value, where))
	case CodeBadUrgency:
		return pick(fmt.Sprintf("urgenza «%s»%s non valida: usa none, elevated o rescue", p.Value, where),
			fmt.Sprintf("bad urgency «%s»%s: use none, elevated or rescue", p.Value, where))
	case CodeBadValue:
		return pick(fmt.Sprintf("valore «%s» non valido per «%s»%s: serve %s", p.Value, p.Field, where, constraint(p.Want, false)),
			fmt.Sprintf("bad value «%s» for «%s»%s: expected %s", p.Value, p.Field, where, constraint(p.Want, true)))
	case CodeEmptyTag:
		return pick(fmt.Sprintf("il nodo «%s» non imposta nulla: indica category, urgency o priority", p.Node),
			fmt.Sprintf("node «%s» sets nothing: give category, urgency or priority", p.Node))
	}
	return string(p.Code)
}

func suggestion(want string, en bool) string {
	if want == "" {
		return ""
	}
	if en {
		return " (did you mean «" + want + "»?)"
	}
	return " (forse intendevi «" + want + "»?)"
}

// shapeName names the YAML shape a field needs.
func shapeName(shape string, en bool) string {
	it, eng := shape, shape
	switch shape {
	case "mapping":
		it, eng = "un elenco di campi (chiave: valore)", "a mapping (key: value)"
	case "string":
		it, eng = "un testo", "a text"
	case "prompts":
		it, eng = "un nome di messaggio o un elenco di nomi", "a prompt name or a list of names"
	case "scalar":
		it, eng = "un valore semplice", "a plain value"
	}
	if en {
		return eng
	}
	return it
}

// constraint describes what a field accepts.
func constraint(want string, en bool) string {
	it, eng := want, want
	switch want {
	case "priority":
		it, eng = fmt.Sprintf("un numero intero da 0 a %d", MaxPriority), fmt.Sprintf("a whole number from 0 to %d", MaxPriority)
	case "retries":
		it, eng = fmt.Sprintf("un numero intero da 0 a %d", MaxRetries), fmt.Sprintf("a whole number from 0 to %d", MaxRetries)
	case "timeout":
		it, eng = fmt.Sprintf("una durata tra %v e %v, per esempio 5s", MinMenuTimeout, MaxMenuTimeout),
			fmt.Sprintf("a duration between %v and %v, for example 5s", MinMenuTimeout, MaxMenuTimeout)
	case "max_seconds":
		it, eng = fmt.Sprintf("un numero di secondi da 1 a %d", MaxRecordSeconds), fmt.Sprintf("a number of seconds from 1 to %d", MaxRecordSeconds)
	case "key":
		it, eng = "un tasto del telefono: 0-9, \"*\" o \"#\" (tra virgolette)", "a phone key: 0-9, \"*\" or \"#\" (in quotes)"
	case "bool":
		it, eng = "true o false", "true or false"
	case "number":
		it, eng = "un numero di telefono di sole cifre, con + iniziale facoltativo", "a phone number of digits only, with an optional leading +"
	case "language":
		it, eng = "it oppure en", "it or en"
	case "text":
		it, eng = "un testo non vuoto", "a non-empty text"
	}
	if en {
		return eng
	}
	return it
}

// ValidationError lists every problem found in a flow; it wraps ErrInvalidFlow.
type ValidationError struct {
	Problems []Problem
}

// Error summarises the problems in English.
func (e *ValidationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "ivr: %s: %d problem(s)", ErrInvalidFlow, len(e.Problems))
	for i, p := range e.Problems {
		if i == 3 {
			fmt.Fprintf(&b, "; and %d more", len(e.Problems)-3)
			break
		}
		b.WriteString("; ")
		b.WriteString(p.String())
	}
	return b.String()
}

// Unwrap lets errors.Is(err, ErrInvalidFlow) match.
func (e *ValidationError) Unwrap() error { return ErrInvalidFlow }

// editDistance is the Levenshtein distance, used to suggest a field or kind
// name when an admin mistypes one.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// closest returns the candidate nearest to s, if it is near enough to be a typo.
func closest(s string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		if d := editDistance(s, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}
