package ivr

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Validate reports every problem in a flow source at once, each with its line
// and column, sorted by position. An empty result means Load will succeed.
// The catalog says which prompts and queues exist; a nil catalog knows none.
func Validate(src []byte, cat Catalog) []Problem {
	_, problems := compile(src, cat)
	return problems
}

// fieldType is the shape and meaning of a node field.
type fieldType uint8

const (
	ftText fieldType = iota + 1
	ftPrompts
	ftPrompt
	ftRef
	ftChoices
	ftDuration
	ftRetries
	ftPriority
	ftBool
	ftUrgency
	ftQueue
	ftNumber
	ftKey
	ftLanguage
	ftSeconds
)

type fieldSpec struct {
	name     string
	typ      fieldType
	required bool
}

// kindFields lists the fields each node kind accepts besides kind and note.
// Menu timeout, after_retries and choices are checked by dedicated rules so
// the admin gets a message that says why they matter.
func kindFields(k Kind) []fieldSpec {
	prompts := fieldSpec{"prompts", ftPrompts, false}
	next := fieldSpec{"next", ftRef, true}
	switch k {
	case KindPlay:
		return []fieldSpec{{"prompts", ftPrompts, true}, next}
	case KindMenu:
		return []fieldSpec{{"prompts", ftPrompts, true}, {"choices", ftChoices, false}, {"timeout", ftDuration, false},
			{"retries", ftRetries, false}, {"invalid_prompt", ftPrompt, false}, {"timeout_prompt", ftPrompt, false},
			{"after_retries", ftRef, false}, {"pass_other_keys", ftBool, false}}
	case KindHours:
		return []fieldSpec{{"open", ftRef, true}, {"closed", ftRef, true}}
	case KindMode:
		return []fieldSpec{{"ordinary", ftRef, true}, {"emergency", ftRef, true}, {"closed", ftRef, true}}
	case KindTag:
		return []fieldSpec{{"category", ftText, false}, {"urgency", ftUrgency, false}, {"priority", ftPriority, false}, next}
	case KindRecord:
		return []fieldSpec{prompts, {"max_seconds", ftSeconds, false}, {"beep", ftBool, false},
			{"terminate_key", ftKey, false}, next, {"failed", ftRef, false}}
	case KindQueue:
		return []fieldSpec{prompts, {"queue", ftQueue, true}, {"priority", ftPriority, false}}
	case KindTransfer:
		return []fieldSpec{prompts, {"number", ftNumber, true}, {"failed", ftRef, false}}
	case KindFax, KindHangup:
		return []fieldSpec{prompts}
	case KindLanguage:
		return []fieldSpec{{"language", ftLanguage, true}, next}
	}
	return nil
}

// pendingRef is a node reference waiting for every node id to be known.
type pendingRef struct {
	from   int // node index, -1 for start
	field  string
	target string
	line   int
	column int
	dst    *int
}

type compiler struct {
	cat      Catalog
	problems []Problem
	flow     *Flow
	refs     []pendingRef
	broken   []bool // nodes with a problem of their own: not blamed again by graph rules
}

func (c *compiler) add(p Problem) { c.problems = append(c.problems, p) }

func (c *compiler) at(n *yaml.Node, p Problem) {
	p.Line, p.Column = n.Line, n.Column
	c.add(p)
}

// compile turns a flow source into a Flow, or reports why it cannot.
func compile(src []byte, cat Catalog) (*Flow, []Problem) {
	c := &compiler{cat: cat}
	if cat == nil {
		c.cat = catalog{}
	}
	if len(src) > MaxFlowBytes {
		return nil, []Problem{{Line: 1, Column: 1, Code: CodeTooLarge}}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, []Problem{syntaxProblem(err, src)}
	}
	if doc.Kind == 0 || len(doc.Content) == 0 || isNull(doc.Content[0]) {
		return nil, []Problem{{Line: 1, Column: 1, Code: CodeEmpty}}
	}
	root := doc.Content[0]
	if c.checkAliases(root); len(c.problems) > 0 {
		return nil, c.sorted()
	}
	if root.Kind != yaml.MappingNode {
		c.at(root, Problem{Code: CodeBadType, Field: "flow", Want: "mapping"})
		return nil, c.sorted()
	}
	c.flow = &Flow{digest: digestOf(src), start: -1, index: map[string]int{}}
	c.top(root)
	c.resolve()
	c.graph()
	if len(c.problems) > 0 {
		return nil, c.sorted()
	}
	return c.flow, nil
}

func (c *compiler) sorted() []Problem {
	slices.SortStableFunc(c.problems, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	return c.problems
}

// syntaxProblem turns a YAML parser error into a problem at its line.
func syntaxProblem(err error, src []byte) Problem {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line, col := 1, 1
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, tail, ok := strings.Cut(rest, ":"); ok {
			if n, err := strconv.Atoi(num); err == nil {
				line, msg = n, strings.TrimSpace(tail)
			}
		}
	}
	// The parser gives no position for an alias to an unknown anchor; find it.
	if name, ok := strings.CutPrefix(msg, "unknown anchor '"); ok {
		name, _, _ = strings.Cut(name, "'")
		for i, l := range strings.Split(string(src), "\n") {
			if at := strings.Index(l, "*"+name); at >= 0 {
				line, col = i+1, at+1
				break
			}
		}
	}
	return Problem{Line: line, Column: col, Code: CodeSyntax, Value: msg}
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// checkAliases refuses anchors and aliases: they make a flow hard to read and
// an alias bomb could make the validator itself slow.
func (c *compiler) checkAliases(n *yaml.Node) {
	if n.Kind == yaml.AliasNode || n.Anchor != "" {
		c.at(n, Problem{Code: CodeAlias})
		return
	}
	for _, child := range n.Content {
		c.checkAliases(child)
	}
}

func (c *compiler) top(root *yaml.Node) {
	seen := map[string]bool{}
	var nodes *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		key, val := root.Content[i], root.Content[i+1]
		name := key.Value
		if seen[name] {
			c.at(key, Problem{Code: CodeDuplicateField, Field: name})
			continue
		}
		seen[name] = true
		switch name {
		case "name":
			c.flow.name, _ = c.text(val, "", name)
		case "description":
			c.flow.description, _ = c.text(val, "", name)
		case "start":
			if s, ok := c.text(val, "", name); ok && s != "" {
				c.refs = append(c.refs, pendingRef{from: -1, field: "start", target: s, line: val.Line, column: val.Column, dst: &c.flow.start})
			} else if ok {
				c.at(key, Problem{Code: CodeMissingStart})
			}
		case "nodes":
			nodes = val
		default:
			c.at(key, Problem{Code: CodeUnknownField, Field: name, Want: closest(name, []string{"name", "description", "start", "nodes"})})
		}
	}
	if !seen["start"] {
		c.at(root, Problem{Code: CodeMissingStart})
	}
	if nodes == nil {
		c.at(root, Problem{Code: CodeMissingField, Field: "nodes"})
		return
	}
	if isNull(nodes) || (nodes.Kind == yaml.MappingNode && len(nodes.Content) == 0) {
		c.at(nodes, Problem{Code: CodeNoNodes})
		return
	}
	if nodes.Kind != yaml.MappingNode {
		c.at(nodes, Problem{Code: CodeBadType, Field: "nodes", Want: "mapping"})
		return
	}
	// Fixed capacity: pendingRef.dst points into this slice.
	c.flow.nodes = make([]node, 0, len(nodes.Content)/2)
	for i := 0; i+1 < len(nodes.Content); i += 2 {
		c.node(nodes.Content[i], nodes.Content[i+1])
	}
}

func validNodeID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		ch := id[i]
		ok := ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || (i > 0 && (ch == '-' || ch == '_'))
		if !ok {
			return false
		}
	}
	return true
}

func (c *compiler) node(key, val *yaml.Node) {
	id := key.Value
	before := len(c.problems)
	if key.Kind != yaml.ScalarNode || !validNodeID(id) {
		c.at(key, Problem{Code: CodeBadNodeID, Node: id})
		return
	}
	if _, dup := c.flow.index[id]; dup {
		c.at(key, Problem{Code: CodeDuplicateNode, Node: id})
		return
	}
	idx := len(c.flow.nodes)
	c.flow.index[id] = idx
	c.flow.nodes = append(c.flow.nodes, node{id: id, line: key.Line, column: key.Column, next: -1, afterRetries: -1,
		open: -1, closed: -1, failed: -1, byMode: [3]int{-1, -1, -1}})
	c.broken = append(c.broken, false)
	n := &c.flow.nodes[idx]
	for i := range n.choices {
		n.choices[i] = -1
	}
	defer func() { c.broken[idx] = len(c.problems) > before }()

	if val.Kind != yaml.MappingNode {
		c.at(val, Problem{Code: CodeBadType, Node: id, Field: id, Want: "mapping"})
		return
	}
	var kindVal *yaml.Node
	for i := 0; i+1 < len(val.Content); i += 2 {
		if val.Content[i].Value == "kind" {
			kindVal = val.Content[i+1]
			break
		}
	}
	if kindVal == nil || isNull(kindVal) {
		c.at(key, Problem{Code: CodeMissingKind, Node: id})
		return
	}
	kind, ok := parseKind(kindVal.Value)
	if kindVal.Kind != yaml.ScalarNode || !ok {
		c.at(kindVal, Problem{Code: CodeUnknownKind, Node: id, Value: kindVal.Value, Want: closest(kindVal.Value, kindNames())})
		return
	}
	n.kind = kind
	n.retries, n.maxSeconds, n.beep, n.terminateKey = 2, 120, true, "#"
	if kind == KindHours {
		c.flow.usesHours = true
	}

	specs := kindFields(kind)
	seen := map[string]bool{}
	for i := 0; i+1 < len(val.Content); i += 2 {
		fk, fv := val.Content[i], val.Content[i+1]
		name := fk.Value
		if seen[name] {
			c.at(fk, Problem{Code: CodeDuplicateField, Node: id, Field: name})
			continue
		}
		seen[name] = true
		if name == "kind" {
			continue
		}
		if name == "note" {
			c.text(fv, id, name)
			continue
		}
		spec, found := findSpec(specs, name)
		if !found {
			names := []string{"kind", "note"}
			for _, s := range specs {
				names = append(names, s.name)
			}
			c.at(fk, Problem{Code: CodeUnknownField, Node: id, Field: name, Want: closest(name, names)})
			continue
		}
		if isNull(fv) {
			seen[name] = false // an empty value counts as missing
			continue
		}
		c.field(idx, spec, fk, fv)
	}
	for _, s := range specs {
		if s.required && !seen[s.name] {
			c.at(key, Problem{Code: CodeMissingField, Node: id, Field: s.name})
		}
	}
	switch kind {
	case KindMenu:
		if !seen["timeout"] {
			c.at(key, Problem{Code: CodeMenuNoTimeout, Node: id})
		}
		if !seen["after_retries"] {
			c.at(key, Problem{Code: CodeMenuNoFallback, Node: id})
		}
		if !seen["choices"] {
			c.at(key, Problem{Code: CodeNoChoices, Node: id})
		}
	case KindTag:
		if !seen["category"] && !seen["urgency"] && !seen["priority"] {
			c.at(key, Problem{Code: CodeEmptyTag, Node: id})
		}
	}
	c.finishNode(n)
}

func findSpec(specs []fieldSpec, name string) (fieldSpec, bool) {
	for _, s := range specs {
		if s.name == name {
			return s, true
		}
	}
	return fieldSpec{}, false
}

// finishNode precomputes what the engine plays, so a call step allocates nothing.
func (c *compiler) finishNode(n *node) {
	n.media = mediaOf(n.prompts)
	if n.kind != KindMenu {
		return
	}
	n.invalidNames = append(slices.Clip(n.invalidNames), n.prompts...)
	n.invalidMedia = mediaOf(n.invalidNames)
	n.silentNames = append(slices.Clip(n.silentNames), n.prompts...)
	n.silentMedia = mediaOf(n.silentNames)
}

func mediaOf(names []string) []string {
	if len(names) == 0 {
		return nil
	}
	media := make([]string, len(names))
	for i, name := range names {
		media[i] = soundURI(name)
	}
	return media
}

// text reads a scalar field as text.
func (c *compiler) text(v *yaml.Node, node, field string) (string, bool) {
	if v.Kind != yaml.ScalarNode {
		c.at(v, Problem{Code: CodeBadType, Node: node, Field: field, Want: "string"})
		return "", false
	}
	if isNull(v) {
		return "", true
	}
	return v.Value, true
}

func (c *compiler) scalar(v *yaml.Node, node, field string) (string, bool) {
	if v.Kind != yaml.ScalarNode {
		c.at(v, Problem{Code: CodeBadType, Node: node, Field: field, Want: "scalar"})
		return "", false
	}
	return v.Value, true
}

func (c *compiler) bad(v *yaml.Node, node, field, want string) {
	c.at(v, Problem{Code: CodeBadValue, Node: node, Field: field, Value: v.Value, Want: want})
}

func (c *compiler) prompt(v *yaml.Node, node, field string) (string, bool) {
	name, ok := c.scalar(v, node, field)
	if !ok {
		return "", false
	}
	if !c.cat.HasPrompt(name) {
		c.at(v, Problem{Code: CodeUnknownPrompt, Node: node, Field: field, Value: name})
		return "", false
	}
	return name, true
}

func (c *compiler) ref(from int, field string, v *yaml.Node, dst *int) {
	target, ok := c.scalar(v, c.flow.nodes[from].id, field)
	if !ok {
		return
	}
	c.refs = append(c.refs, pendingRef{from: from, field: field, target: target, line: v.Line, column: v.Column, dst: dst})
}

func (c *compiler) field(idx int, spec fieldSpec, fk, fv *yaml.Node) {
	n := &c.flow.nodes[idx]
	id, name := n.id, spec.name
	switch spec.typ {
	case ftText:
		s, ok := c.text(fv, id, name)
		if ok && strings.TrimSpace(s) == "" {
			c.bad(fv, id, name, "text")
		}
		if name == "category" {
			n.category = s
		}
	case ftPrompts:
		items := []*yaml.Node{fv}
		if fv.Kind == yaml.SequenceNode {
			items = fv.Content
			if len(items) == 0 {
				c.at(fv, Problem{Code: CodeBadType, Node: id, Field: name, Want: "prompts"})
			}
		} else if fv.Kind != yaml.ScalarNode {
			c.at(fv, Problem{Code: CodeBadType, Node: id, Field: name, Want: "prompts"})
			return
		}
		for _, it := range items {
			if p, ok := c.prompt(it, id, name); ok {
				n.prompts = append(n.prompts, p)
			}
		}
	case ftPrompt:
		if p, ok := c.prompt(fv, id, name); ok {
			if name == "invalid_prompt" {
				n.invalidNames = []string{p}
			} else {
				n.silentNames = []string{p}
			}
		}
	case ftRef:
		var dst *int
		switch name {
		case "next":
			dst = &n.next
		case "after_retries":
			dst = &n.afterRetries
		case "failed":
			dst = &n.failed
		case "open":
			dst = &n.open
		case "closed":
			if n.kind == KindMode {
				dst = &n.byMode[2]
			} else {
				dst = &n.closed
			}
		case "ordinary":
			dst = &n.byMode[0]
		case "emergency":
			dst = &n.byMode[1]
		}
		c.ref(idx, name, fv, dst)
	case ftChoices:
		c.choices(idx, fv)
	case ftDuration:
		s, ok := c.scalar(fv, id, name)
		if !ok {
			return
		}
		d, err := parseSeconds(s)
		if err != nil || d < MinMenuTimeout || d > MaxMenuTimeout {
			c.bad(fv, id, name, "timeout")
			return
		}
		n.timeout = d
	case ftRetries, ftPriority, ftSeconds:
		s, ok := c.scalar(fv, id, name)
		if !ok {
			return
		}
		v, err := strconv.Atoi(s)
		lo, hi := 0, MaxRetries
		if spec.typ == ftPriority {
			hi = MaxPriority
		} else if spec.typ == ftSeconds {
			lo, hi = 1, MaxRecordSeconds
		}
		if err != nil || v < lo || v > hi {
			c.bad(fv, id, name, name)
			return
		}
		switch spec.typ {
		case ftRetries:
			n.retries = v
		case ftPriority:
			n.priority, n.setsPrio = v, true
		default:
			n.maxSeconds = v
		}
	case ftBool:
		s, ok := c.scalar(fv, id, name)
		if !ok {
			return
		}
		b, err := strconv.ParseBool(s)
		if err != nil {
			c.bad(fv, id, name, "bool")
			return
		}
		if name == "pass_other_keys" {
			n.passOtherKeys = b
		} else {
			n.beep = b
		}
	case ftUrgency:
		s, ok := c.scalar(fv, id, name)
		if !ok {
			return
		}
		u, err := ParseUrgency(s)
		if err != nil {
			c.at(fv, Problem{Code: CodeBadUrgency, Node: id, Field: name, Value: s})
			return
		}
		n.urgency, n.setsUrgency = u, true
	case ftQueue:
		s, ok := c.scalar(fv, id, name)
		if !ok {
			return
		}
		if !c.cat.HasQueue(s) {
			c.at(fv, Problem{Code: CodeUnknownQueue, Node: id, Field: name, Value: s})
			return
		}
		n.queue = s
	case ftNumber:
		s, ok := c.scalar(fv, id, name)
		if !ok {
			return
		}
		if !validNumber(s) {
			c.bad(fv, id, name, "number")
			return
		}
		n.number = s
	case ftKey:
		s, ok := c.scalar(fv, id, name)
		if !ok {
			return
		}
		if len(s) != 1 || dtmfIndex(s[0]) < 0 {
			c.bad(fv, id, name, "key")
			return
		}
		n.terminateKey = s
	case ftLanguage:
		s, ok := c.scalar(fv, id, name)
		if !ok {
			return
		}
		if s != LangItalian && s != LangEnglish {
			c.bad(fv, id, name, "language")
			return
		}
		n.language = s
	}
}

func (c *compiler) choices(idx int, v *yaml.Node) {
	id := c.flow.nodes[idx].id
	if v.Kind != yaml.MappingNode {
		c.at(v, Problem{Code: CodeBadType, Node: id, Field: "choices", Want: "mapping"})
		return
	}
	if len(v.Content) == 0 {
		c.at(v, Problem{Code: CodeNoChoices, Node: id})
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, target := v.Content[i], v.Content[i+1]
		if k.Kind != yaml.ScalarNode || len(k.Value) != 1 || dtmfIndex(k.Value[0]) < 0 {
			c.at(k, Problem{Code: CodeBadValue, Node: id, Field: "choices", Value: k.Value, Want: "key"})
			continue
		}
		if seen[k.Value] {
			c.at(k, Problem{Code: CodeDuplicateChoice, Node: id, Value: k.Value})
			continue
		}
		seen[k.Value] = true
		if isNull(target) {
			c.at(target, Problem{Code: CodeMissingField, Node: id, Field: "choices " + k.Value})
			continue
		}
		c.ref(idx, "choices "+k.Value, target, &c.flow.nodes[idx].choices[dtmfIndex(k.Value[0])])
	}
}

// parseSeconds reads "5s", "1m30s" or a plain number of seconds.
func parseSeconds(s string) (time.Duration, error) {
	if n, err := strconv.Atoi(s); err == nil {
		return time.Duration(n) * time.Second, nil
	}
	return time.ParseDuration(s)
}

func validNumber(s string) bool {
	digits := strings.TrimPrefix(s, "+")
	if len(digits) < 3 || len(digits) > 15 {
		return false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return false
		}
	}
	return true
}

func (c *compiler) resolve() {
	for _, r := range c.refs {
		if r.from < 0 && len(c.flow.index) == 0 {
			continue // no nodes at all: already reported, start cannot point anywhere
		}
		i, ok := c.flow.index[r.target]
		if !ok {
			node := ""
			if r.from >= 0 {
				node = c.flow.nodes[r.from].id
				c.broken[r.from] = true
			}
			c.add(Problem{Line: r.line, Column: r.column, Code: CodeDanglingRef, Node: node, Field: r.field, Value: r.target})
			continue
		}
		*r.dst = i
	}
}
