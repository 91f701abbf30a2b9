package ivr

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// lines joins source lines, so a test can count them: line N is argument N.
func lines(l ...string) []byte { return []byte(strings.Join(l, "\n") + "\n") }

func testCatalog(t testing.TB) Catalog {
	t.Helper()
	p, err := DefaultPrompts()
	if err != nil {
		t.Fatal(err)
	}
	return NewCatalog(p, DefaultQueues())
}

type wantProblem struct {
	code      Code
	line, col int
}

func TestValidateReportsEachProblemWithPosition(t *testing.T) {
	cat := testCatalog(t)
	tests := []struct {
		name string
		src  []byte
		want []wantProblem
	}{
		{"unknown kind", lines(
			"start: a",
			"nodes:",
			"  a:",
			"    kind: plya",
			"    prompts: benvenuto",
		), []wantProblem{{CodeUnknownKind, 4, 11}}},
		{"unknown field", lines(
			"start: a",
			"nodes:",
			"  a:",
			"    kind: hangup",
			"    promts: benvenuto",
		), []wantProblem{{CodeUnknownField, 5, 5}}},
		{"transfer fallback to a missing node", lines(
			"start: a",
			"nodes:",
			"  a:",
			"    kind: transfer",
			"    number: \"+390862000000\"",
			"    failed: nowhere",
		), []wantProblem{{CodeDanglingRef, 6, 13}}},
		{"failed on a node that is not a transfer", lines(
			"start: a",
			"nodes:",
			"  a:",
			"    kind: hangup",
			"    failed: a",
		), []wantProblem{{CodeUnknownField, 5, 5}}},
		{"unknown top-level field", lines(
			"start: a",
			"node:",
			"  a:",
			"    kind: hangup",
		), []wantProblem{{CodeMissingField, 1, 1}, {CodeUnknownField, 2, 1}}},
		{"unknown anchor", lines(
			"start: a",
			"nodes:",
			"  a:",
			"    kind: hangup",
			"  b: *nothing",
		), []wantProblem{{CodeSyntax, 5, 6}}},
		{"dangling reference", lines(
			"start: a",
			"nodes:",
			"  a:",
			"    kind: play",
			"    prompts: benvenuto",
			"    next: nowhere",
		), []wantProblem{{CodeDanglingRef, 6, 11}}},
		{"dangling menu choice", lines(
			"start: m",
			"nodes:",
			"  m:",
			"    kind: menu",
			"    prompts: menu-ordinario",
			"    choices:",
			`      "1": nowhere`,
			"    timeout: 5s",
			"    after_retries: q",
			"  q:",
			"    kind: hangup",
		), []wantProblem{{CodeDanglingRef, 7, 12}}},
		{"unreachable node", lines(
			"start: a",
			"nodes:",
			"  a:",
			"    kind: hangup",
			"  b:",
			"    kind: hangup",
		), []wantProblem{{CodeUnreachable, 5, 3}}},
		{"menu without timeout", lines(
			"start: m",
			"nodes:",
			"  m:",
			"    kind: menu",
			"    prompts: menu-ordinario",
			"    choices:",
			`      "1": q`,
			"    after_retries: q",
			"  q:",
			"    kind: hangup",
		), []wantProblem{{CodeMenuNoTimeout, 3, 3}}},
		{"menu without invalid-input path", lines(
			"start: m",
			"nodes:",
			"  m:",
			"    kind: menu",
			"    prompts: menu-ordinario",
			"    choices:",
			`      "1": q`,
			"    timeout: 5s",
			"  q:",
			"    kind: hangup",
		), []wantProblem{{CodeMenuNoFallback, 3, 3}}},
		{"menu without choices", lines(
			"start: m",
			"nodes:",
			"  m:",
			"    kind: menu",
			"    prompts: menu-ordinario",
			"    choices: {}",
			"    timeout: 5s",
			"    after_retries: q",
			"  q:",
			"    kind: hangup",
		), []wantProblem{{CodeNoChoices, 6, 14}}},
		{"loop that needs no input", lines(
			"start: a",
			"nodes:",
			"  a:",
			"    kind: play",
			"    prompts: benvenuto",
			"    next: m",
			"  m:",
			"    kind: menu",
			"    prompts: menu-ordinario",
			"    choices:",
			`      "1": q`,
			"    timeout: 5s",
			"    after_retries: a",
			"  q:",
			"    kind: hangup",
		), []wantProblem{{CodeFreeLoop, 3, 3}}},
		{"hours loop that waits for opening", lines(
			"start: h",
			"nodes:",
			"  h:",
			"    kind: hours",
			"    open: q",
			"    closed: wait",
			"  wait:",
			"    kind: play",
			"    prompts: fuori-orario",
			"    next: h",
			"  q:",
			"    kind: queue",
			"    queue: informazioni",
		), []wantProblem{{CodeFreeLoop, 3, 3}}},
		{"loop with no way out", lines(
			"start: a",
			"nodes:",
			"  a:",
			"    kind: play",
			"    prompts: benvenuto",
			"    next: b",
			"  b:",
			"    kind: play",
			"    prompts: arrivederci",
			"    next: a",
		), []wantProblem{{CodeFreeLoop, 3, 3}, {CodeNoExit, 3, 3}}},
		{"self loop through a tag", lines(
			"start: t",
			"nodes:",
			"  t:",
			"    kind: tag",
			"    priority: 1",
			"    next: t",
		), []wantProblem{{CodeFreeLoop, 3, 3}, {CodeNoExit, 3, 3}}},
		{"unknown prompt", lines(
			"start: a",
			"nodes:",
			"  a:",
			"    kind: hangup",
			"    prompts: [arrivederci, ciao-ciao]",
		), []wantProblem{{CodeUnknownPrompt, 5, 28}}},
		{"unknown invalid prompt", lines(
			"start: m",
			"nodes:",
			"  m:",
			"    kind: menu",
			"    prompts: menu-ordinario",
			"    choices:",
			`      "1": q`,
			"    timeout: 5s",
			"    invalid_prompt: sbagliato",
			"    after_retries: q",
			"  q:",
			"    kind: hangup",
		), []wantProblem{{CodeUnknownPrompt, 9, 21}}},
		{"unknown queue", lines(
			"start: a",
			"nodes:",
			"  a:",
			"    kind: queue",
			"    queue: nessuna",
		), []wantProblem{{CodeUnknownQueue, 5, 12}}},
		{"bad urgency", lines(
			"start: t",
			"nodes:",
			"  t:",
			"    kind: tag",
			"    urgency: high",
			"    next: q",
			"  q:",
			"    kind: hangup",
		), []wantProblem{{CodeBadUrgency, 5, 14}}},
		{"missing start", lines(
			"nodes:",
			"  a:",
			"    kind: hangup",
		), []wantProblem{{CodeMissingStart, 1, 1}}},
		{"start points nowhere", lines(
			"start: b",
			"nodes:",
			"  a:",
			"    kind: hangup",
		), []wantProblem{{CodeDanglingRef, 1, 8}}},
		{"duplicate node", lines(
			"start: a",
			"nodes:",
			"  a:",
			"    kind: hangup",
			"  a:",
			"    kind: hangup",
		), []wantProblem{{CodeDuplicateNode, 5, 3}}},
		{"duplicate field", lines(
			"start: a",
			"nodes:",
			"  a:",
			"    kind: hangup",
			"    prompts: arrivederci",
			"    prompts: benvenuto",
		), []wantProblem{{CodeDuplicateField, 6, 5}}},
		{"duplicate choice", lines(
			"start: m",
			"nodes:",
			"  m:",
			"    kind: menu",
			"    prompts: menu-ordinario",
			"    choices:",
			`      "1": q`,
			`      "1": q`,
			"    timeout: 5s",
			"    after_retries: q",
			"  q:",
			"    kind: hangup",
		), []wantProblem{{CodeDuplicateChoice, 8, 7}}},
		{"priority out of range", lines(
			"start: q",
			"nodes:",
			"  q:",
			"    kind: queue",
			"    queue: soccorso",
			"    priority: 11",
		), []wantProblem{{CodeBadValue, 6, 15}}},
		{"too many retries and too short a timeout", lines(
			"start: m",
			"nodes:",
			"  m:",
			"    kind: menu",
			"    prompts: menu-ordinario",
			"    choices:",
			`      "12": q`,
			"    timeout: 500ms",
			"    retries: 9",
			"    after_retries: q",
			"  q:",
			"    kind: hangup",
		), []wantProblem{{CodeBadValue, 7, 7}, {CodeBadValue, 8, 14}, {CodeBadValue, 9, 14}}},
		{"bad record and transfer values", lines(
			"start: r",
			"nodes:",
			"  r:",
			"    kind: record",
			`    terminate_key: "x"`,
			"    beep: maybe",
			"    max_seconds: 0",
			"    next: t",
			"  t:",
			"    kind: transfer",
			"    number: centralino",
		), []wantProblem{{CodeBadValue, 5, 20}, {CodeBadValue, 6, 11}, {CodeBadValue, 7, 18}, {CodeBadValue, 11, 13}}},
		{"bad language", lines(
			"start: l",
			"nodes:",
			"  l:",
			"    kind: language",
			"    language: fr",
			"    next: q",
			"  q:",
			"    kind: hangup",
		), []wantProblem{{CodeBadValue, 5, 15}}},
		{"wrong shape", lines(
			"start: m",
			"nodes:",
			"  m:",
			"    kind: menu",
			"    prompts: menu-ordinario",
			"    choices: [1, 2]",
			"    timeout: 5s",
			"    after_retries: q",
			"  q:",
			"    kind: hangup",
		), []wantProblem{{CodeBadType, 6, 14}}},
		{"tag that sets nothing", lines(
			"start: t",
			"nodes:",
			"  t:",
			"    kind: tag",
			"    next: q",
			"  q:",
			"    kind: hangup",
		), []wantProblem{{CodeEmptyTag, 3, 3}}},
		{"missing kind", lines(
			"start: a",
			"nodes:",
			"  a:",
			"    prompts: arrivederci",
		), []wantProblem{{CodeMissingKind, 3, 3}}},
		{"missing required field", lines(
			"start: a",
			"nodes:",
			"  a:",
			"    kind: play",
			"    prompts: benvenuto",
		), []wantProblem{{CodeMissingField, 3, 3}}},
		{"bad node id", lines(
			"start: x",
			"nodes:",
			"  x:",
			"    kind: hangup",
			"  bad id:",
			"    kind: hangup",
		), []wantProblem{{CodeBadNodeID, 5, 3}}},
		{"tab indentation", lines(
			"start: a",
			"nodes:",
			"  a:",
			"\tkind: hangup",
		), []wantProblem{{CodeSyntax, 4, 1}}},
		{"anchor and alias", lines(
			"start: a",
			"nodes:",
			"  a: &x",
			"    kind: hangup",
			"  b: *x",
		), []wantProblem{{CodeAlias, 3, 6}, {CodeAlias, 5, 6}}},
		{"empty file", []byte(""), []wantProblem{{CodeEmpty, 1, 1}}},
		{"not a mapping", lines("- a", "- b"), []wantProblem{{CodeBadType, 1, 1}}},
		{"no nodes", lines("start: a", "nodes: {}"), []wantProblem{{CodeNoNodes, 2, 8}}},
		{"too large", []byte(strings.Repeat("#", MaxFlowBytes+1)), []wantProblem{{CodeTooLarge, 1, 1}}},
		{"several problems at once, sorted", lines(
			"start: a",
			"nodes:",
			"  a:",
			"    kind: tag",
			"    urgency: maximum",
			"    next: b",
			"  b:",
			"    kind: plya",
			"  c:",
			"    kind: queue",
			"    queue: informazioni",
			"    priority: high",
		), []wantProblem{{CodeBadUrgency, 5, 14}, {CodeUnknownKind, 8, 11}, {CodeUnreachable, 9, 3}, {CodeBadValue, 12, 15}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Validate(tt.src, cat)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d problems, want %d:\n%s", len(got), len(tt.want), problemList(got))
			}
			for i, w := range tt.want {
				g := got[i]
				if g.Code != w.code || g.Line != w.line || g.Column != w.col {
					t.Errorf("problem %d = %s %d:%d, want %s %d:%d\n%s", i, g.Code, g.Line, g.Column, w.code, w.line, w.col, problemList(got))
				}
				it, en := g.Message(LangItalian), g.Message(LangEnglish)
				if it == "" || en == "" || it == en || strings.Contains(it+en, "%!") || it == string(g.Code) {
					t.Errorf("problem %d messages are not usable: it=%q en=%q", i, it, en)
				}
			}
			f, err := Load(tt.src, cat)
			if f != nil || !errors.Is(err, ErrInvalidFlow) {
				t.Fatalf("Load = %v, %v; want no flow and ErrInvalidFlow", f, err)
			}
			var verr *ValidationError
			if !errors.As(err, &verr) || len(verr.Problems) != len(tt.want) {
				t.Fatalf("Load error %v does not carry the %d problems", err, len(tt.want))
			}
		})
	}
}

func problemList(ps []Problem) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString("  " + string(p.Code) + " " + p.String() + "\n")
	}
	return b.String()
}

func TestValidateMessagesHelpTheAdmin(t *testing.T) {
	cat := testCatalog(t)
	tests := []struct {
		name   string
		src    []byte
		it, en string
	}{
		{"suggests the field meant", lines("start: a", "nodes:", "  a:", "    kind: hangup", "    promts: benvenuto"),
			"forse intendevi «prompts»", "did you mean «prompts»"},
		{"suggests the kind meant", lines("start: a", "nodes:", "  a:", "    kind: hangpu"),
			"forse intendevi «hangup»", "did you mean «hangup»"},
		{"names the loop", lines("start: a", "nodes:", "  a:", "    kind: play", "    prompts: benvenuto", "    next: b",
			"  b:", "    kind: play", "    prompts: arrivederci", "    next: a"),
			"a → b → a", "a → b → a"},
		{"names the missing target", lines("start: a", "nodes:", "  a:", "    kind: play", "    prompts: benvenuto", "    next: fine"),
			"rimanda al nodo «fine», che non esiste", "points to node «fine», which does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := Validate(tt.src, cat)
			if len(ps) == 0 {
				t.Fatal("no problem reported")
			}
			var it, en strings.Builder
			for _, p := range ps {
				it.WriteString(p.Message(LangItalian) + "\n")
				en.WriteString(p.Message(LangEnglish) + "\n")
			}
			if !strings.Contains(it.String(), tt.it) {
				t.Errorf("Italian messages %q lack %q", it.String(), tt.it)
			}
			if !strings.Contains(en.String(), tt.en) {
				t.Errorf("English messages %q lack %q", en.String(), tt.en)
			}
		})
	}
}

func TestShippedFlowsValidate(t *testing.T) {
	cat := testCatalog(t)
	every, err := os.ReadFile("testdata/every-kind.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for name, src := range map[string][]byte{"default": DefaultFlowSource(), "every-kind": every} {
		if ps := Validate(src, cat); len(ps) > 0 {
			t.Errorf("%s flow: %d problems:\n%s", name, len(ps), problemList(ps))
		}
	}
	// The default flow needs the default queues: against a catalog without
	// them it must fail, naming each missing queue.
	p, _ := DefaultPrompts()
	ps := Validate(DefaultFlowSource(), NewCatalog(p, nil))
	missing := map[string]bool{}
	for _, pr := range ps {
		if pr.Code != CodeUnknownQueue {
			t.Errorf("unexpected problem %s", pr)
		}
		missing[pr.Value] = true
	}
	for _, q := range DefaultQueues() {
		if !missing[q] {
			t.Errorf("queue %q not reported missing", q)
		}
	}
}

func TestLoadDefaultFlow(t *testing.T) {
	f, err := DefaultFlow()
	if err != nil {
		t.Fatal(err)
	}
	if f.Name() != "800 840 840" || f.Start() != "benvenuto" || !f.UsesHours() {
		t.Errorf("name %q start %q usesHours %v", f.Name(), f.Start(), f.UsesHours())
	}
	if len(f.Digest()) != 64 {
		t.Errorf("digest %q is not a sha256", f.Digest())
	}
	wantKinds := map[string]Kind{"benvenuto": KindMenu, "inglese": KindLanguage, "modalita": KindMode, "orario": KindHours,
		"pericolo": KindTag, "coda-soccorso": KindQueue, "messaggio": KindRecord, "fax": KindFax, "fuori-orario": KindHangup,
		"avviso-112": KindPlay}
	for id, want := range wantKinds {
		if got, ok := f.NodeKind(id); !ok || got != want {
			t.Errorf("node %s kind = %v, %v; want %v", id, got, ok, want)
		}
	}
	ids := f.NodeIDs()
	if ids[0] != "benvenuto" || len(ids) != len(f.nodes) {
		t.Errorf("NodeIDs = %v", ids)
	}
	other, err := Load(append(DefaultFlowSource(), []byte("\n# a comment\n")...), testCatalog(t))
	if err != nil {
		t.Fatal(err)
	}
	if other.Digest() == f.Digest() {
		t.Error("different sources share a digest")
	}
}
