package arisim

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// DialplanError is a line of extensions.conf that the simulator does not
// understand, or that Asterisk would not accept.
type DialplanError struct {
	File   string
	Line   int
	Text   string // the line, comments removed
	Reason string
}

// Error gives the file and line first: "arisim: extensions.conf:12: why: line".
func (e *DialplanError) Error() string {
	return fmt.Sprintf("arisim: %s:%d: %s: %s", e.File, e.Line, e.Reason, e.Text)
}

// LoadDialplan reads an extensions.conf, such as asterisk-conf/extensions.conf,
// into a Dialplan for New(WithDialplan(d)). It understands the part of the
// syntax ascolto uses: [general] (static, writeprotect, clearglobalvars,
// autofallthrough=yes), [globals], contexts of `exten => name,1,App(args)`
// and `same => n,App(args)` lines (exten => name,n too), patterns such as
// _X., comments (;, ;-- --;, \; for a literal semicolon), ${VAR} with
// ${EXTEN}, ${CONTEXT}, ${UNIQUEID}, ${CALLERID(num|name)},
// ${CHANNEL(name|state|uniqueid|language)}, ${CONNECTEDLINE(num)} and the
// applications NoOp, Set (variables, CHANNEL(language), FAXOPT(...)),
// Answer, Wait, Stasis, Hangup, Goto, ReceiveFAX, Dial, Playback and Echo;
// an h extension runs when a channel hangs up. Anything else (#include,
// include =>, templates, labels, hints, other applications, functions or
// expressions, Dial or Playback options) is a *DialplanError naming the
// file and line, and so is a literal Goto to a place that does not exist.
//
// Arguments are split at commas when the file is read, not after ${VAR}
// is expanded as Asterisk does: a variable holding a comma stays one
// argument. Options choose what ReceiveFAX() reports (WithFaxResult).
func LoadDialplan(path string, opts ...DialplanOption) (*Dialplan, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("arisim: load dialplan: %w", err)
	}
	defer f.Close()
	return ParseDialplan(f, path, opts...)
}

// ParseDialplan reads extensions.conf text from r, as LoadDialplan does;
// name is the file name errors give.
func ParseDialplan(r io.Reader, name string, opts ...DialplanOption) (*Dialplan, error) {
	p := &confParser{file: name, cfg: newDialplanConfig(opts), exts: map[string]*confExten{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		p.line++
		if err := p.parseLine(sc.Text()); err != nil {
			return nil, err
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("arisim: read %s: %w", name, err)
	}
	if p.comment > 0 {
		return nil, &DialplanError{File: name, Line: p.commentLine, Text: ";--", Reason: "block comment never closed with --;"}
	}
	d := NewDialplan()
	for k, v := range p.globals {
		d.SetGlobal(k, v)
	}
	for _, e := range p.order {
		d.Add(e.context, e.name, e.apps...)
	}
	for _, g := range p.gotos {
		apps, found := d.lookup(g.context, g.exten)
		if !found || g.prio > len(apps) {
			return nil, &DialplanError{File: name, Line: g.line, Text: g.text,
				Reason: fmt.Sprintf("Goto to %s,%s,%d, which does not exist", g.context, g.exten, g.prio)}
		}
	}
	return d, nil
}

// confParser holds what is known while reading extensions.conf line by line.
type confParser struct {
	file        string
	cfg         dialplanConfig
	line        int
	comment     int // depth of ;-- --; comments
	commentLine int // where the outermost one opened
	section     string
	globals     map[string]string
	exts        map[string]*confExten // context + "\x00" + name
	order       []*confExten
	last        *confExten // what `same =>` continues
	gotos       []confGoto
}

type confExten struct {
	context, name string
	apps          []App
}

// confGoto is a Goto with a literal target, checked once every context is read.
type confGoto struct {
	line           int
	text           string
	context, exten string
	prio           int
}

func (p *confParser) fail(text, reason string, args ...any) error {
	return &DialplanError{File: p.file, Line: p.line, Text: strings.TrimSpace(text), Reason: fmt.Sprintf(reason, args...)}
}

// stripComments removes ; comments and ;-- --; blocks (which may span lines
// and nest, but ;--- is an ordinary comment, as in Asterisk's config
// parser) and turns \; into ;.
func (p *confParser) stripComments(line string) string {
	var b strings.Builder
	for i := 0; i < len(line); i++ {
		c := line[i]
		opens := c == ';' && strings.HasPrefix(line[i:], ";--") && !strings.HasPrefix(line[i:], ";---")
		switch {
		case opens:
			if p.comment == 0 {
				p.commentLine = p.line
			}
			p.comment++
			i += 2
		case p.comment > 0:
			if strings.HasPrefix(line[i:], "--;") {
				p.comment--
				i += 2
			}
		case c == '\\' && i+1 < len(line) && line[i+1] == ';':
			b.WriteByte(';')
			i++
		case c == ';':
			return b.String()
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func (p *confParser) parseLine(raw string) error {
	line := strings.TrimSpace(p.stripComments(raw))
	if line == "" {
		return nil
	}
	if strings.HasPrefix(line, "#") {
		return p.fail(line, "#include and #exec are not supported")
	}
	if strings.HasPrefix(line, "[") {
		end := strings.IndexByte(line, ']')
		if end < 0 {
			return p.fail(line, "section header without ]")
		}
		if rest := strings.TrimSpace(line[end+1:]); rest != "" {
			return p.fail(line, "templates and section options such as %s are not supported", rest)
		}
		name := strings.TrimSpace(line[1:end])
		if name == "" {
			return p.fail(line, "empty section name")
		}
		p.section, p.last = name, nil
		return nil
	}
	eq := strings.IndexByte(line, '=')
	if eq < 0 {
		return p.fail(line, "expected key = value or key => value")
	}
	key := strings.ToLower(strings.TrimSpace(line[:eq]))
	value := line[eq+1:]
	value = strings.TrimSpace(strings.TrimPrefix(value, ">"))
	switch {
	case p.section == "":
		return p.fail(line, "line outside any [section]")
	case strings.EqualFold(p.section, "general"):
		return p.general(line, key, value)
	case strings.EqualFold(p.section, "globals"):
		name := strings.TrimSpace(line[:eq])
		if !isVarName(name) {
			return p.fail(line, "global variable name %q is not a plain name", name)
		}
		if err := p.checkExpr(line, value); err != nil {
			return err
		}
		if p.globals == nil {
			p.globals = map[string]string{}
		}
		p.globals[name] = value
		return nil
	}
	switch key {
	case "exten":
		return p.exten(line, value)
	case "same":
		return p.same(line, value)
	case "include":
		return p.fail(line, "include => is not supported: write the extensions in the context")
	}
	return p.fail(line, "%q is not understood in a context (only exten => and same =>)", key)
}

// general accepts the [general] settings that do not change what the
// simulator does.
func (p *confParser) general(line, key, value string) error {
	switch key {
	case "static", "writeprotect", "clearglobalvars":
		if _, ok := confBool(value); !ok {
			return p.fail(line, "%s must be yes or no", key)
		}
		return nil
	case "autofallthrough":
		if on, ok := confBool(value); !ok || !on {
			return p.fail(line, "only autofallthrough = yes is simulated")
		}
		return nil
	}
	return p.fail(line, "[general] setting %q is not understood", key)
}

func confBool(v string) (bool, bool) {
	switch strings.ToLower(v) {
	case "yes", "true", "on", "1", "y":
		return true, true
	case "no", "false", "off", "0", "n":
		return false, true
	}
	return false, false
}

// exten reads `name,priority,App(args)`.
func (p *confParser) exten(line, value string) error {
	name, rest, ok := strings.Cut(value, ",")
	if !ok {
		return p.fail(line, "exten => needs name,priority,application")
	}
	name = strings.TrimSpace(name)
	if err := p.checkExtenName(line, name); err != nil {
		return err
	}
	key := p.section + "\x00" + name
	e := p.exts[key]
	prio, app, ok := strings.Cut(rest, ",")
	if !ok {
		return p.fail(line, "exten => needs name,priority,application")
	}
	prio = strings.TrimSpace(prio)
	if prio == "1" {
		if e != nil {
			return p.fail(line, "extension %s of [%s] already has a priority 1", name, p.section)
		}
		e = &confExten{context: p.section, name: name}
		p.exts[key] = e
		p.order = append(p.order, e)
	} else if e == nil {
		return p.fail(line, "extension %s must start at priority 1", name)
	}
	p.last = e
	return p.addApp(line, e, prio, app)
}

// same reads `priority,App(args)` for the extension of the line before.
func (p *confParser) same(line, value string) error {
	if p.last == nil {
		return p.fail(line, "same => without an exten => before it in [%s]", p.section)
	}
	prio, app, ok := strings.Cut(value, ",")
	if !ok {
		return p.fail(line, "same => needs priority,application")
	}
	return p.addApp(line, p.last, strings.TrimSpace(prio), app)
}

func (p *confParser) addApp(line string, e *confExten, prio, text string) error {
	next := len(e.apps) + 1
	switch {
	case prio == "n" || prio == strconv.Itoa(next):
	case prio == "hint":
		return p.fail(line, "hints are not supported")
	case strings.Contains(prio, "("):
		return p.fail(line, "priority labels such as %s are not supported", prio)
	default:
		return p.fail(line, "priority %s of %s: the next one is %d (or n)", prio, e.name, next)
	}
	a, err := p.app(line, e, strings.TrimSpace(text))
	if err != nil {
		return err
	}
	e.apps = append(e.apps, a)
	return nil
}

// checkExtenName accepts literal extensions and patterns made of X Z N .
// ! [ranges] and literal characters.
func (p *confParser) checkExtenName(line, name string) error {
	if name == "" {
		return p.fail(line, "empty extension name")
	}
	if strings.ContainsAny(name, "/ \t") {
		return p.fail(line, "extension %q: caller ID matching and spaces are not supported", name)
	}
	if !strings.HasPrefix(name, "_") {
		return nil
	}
	pat := name[1:]
	if pat == "" {
		return p.fail(line, "empty pattern %q", name)
	}
	for i := 0; i < len(pat); i++ {
		if pat[i] == ']' {
			return p.fail(line, "pattern %q has ] without [", name)
		}
		if pat[i] != '[' {
			continue
		}
		end := strings.IndexByte(pat[i:], ']')
		if end < 2 {
			return p.fail(line, "pattern %q has an unclosed or empty [", name)
		}
		i += end
	}
	return nil
}

// app maps one application to the simulator's.
func (p *confParser) app(line string, e *confExten, text string) (App, error) {
	name, args := text, ""
	if open := strings.IndexByte(text, '('); open >= 0 {
		if !strings.HasSuffix(text, ")") {
			return App{}, p.fail(line, "application %q: missing ) at the end", text)
		}
		name, args = strings.TrimSpace(text[:open]), text[open+1:len(text)-1]
	}
	if !isVarName(name) {
		return App{}, p.fail(line, "%q is not an application name", name)
	}
	if err := p.checkExpr(line, args); err != nil {
		return App{}, err
	}
	parts := splitAppArgs(args)
	var a App
	switch strings.ToLower(name) {
	case "noop":
		a = AppNoOp(args)
	case "answer", "hangup", "echo":
		if args != "" {
			return App{}, p.fail(line, "%s(%s): arguments are not supported", name, args)
		}
		switch strings.ToLower(name) {
		case "answer":
			a = AppAnswer()
		case "hangup":
			a = AppHangup()
		default:
			a = AppEcho()
		}
	case "set":
		v, val, ok := strings.Cut(args, "=")
		if !ok {
			return App{}, p.fail(line, "Set(%s): expected name=value", args)
		}
		switch v = strings.TrimSpace(v); {
		case isVarName(v):
			a = AppSet(v, val)
		case strings.EqualFold(v, "CHANNEL(language)") || isFaxOpt(v):
			a = AppSetFunction(v, val)
		default:
			return App{}, p.fail(line, "Set(%s): only variables, CHANNEL(language) and FAXOPT(...) can be set", args)
		}
	case "wait":
		secs, err := strconv.ParseFloat(args, 64)
		if err != nil || secs < 0 {
			return App{}, p.fail(line, "Wait(%s): expected seconds", args)
		}
		a = AppWait(time.Duration(secs * float64(time.Second)))
	case "stasis":
		if parts[0] == "" || strings.Contains(parts[0], "${") {
			return App{}, p.fail(line, "Stasis(%s): the application name must be written out", args)
		}
		a = AppStasis(parts[0], parts[1:]...)
	case "goto":
		g, err := p.gotoApp(line, e, parts)
		if err != nil {
			return App{}, err
		}
		a = g
	case "receivefax":
		if len(parts) > 2 || parts[0] == "" {
			return App{}, p.fail(line, "ReceiveFAX(%s): expected file[,options]", args)
		}
		opts := ""
		if len(parts) == 2 {
			opts = parts[1]
			if strings.Trim(opts, "dfFs") != "" {
				return App{}, p.fail(line, "ReceiveFAX(%s): options other than d, f, F, s are not supported", args)
			}
		}
		a = AppReceiveFAXFile(parts[0], opts, p.cfg.fax)
	case "dial":
		a2, err := p.dialApp(line, args, parts)
		if err != nil {
			return App{}, err
		}
		a = a2
	case "userevent":
		if parts[0] == "" {
			return App{}, p.fail(line, "UserEvent(%s): expected name[,key: value...]", args)
		}
		a = AppUserEvent(parts[0], parts[1:]...)
	case "playback":
		if len(parts) > 1 || parts[0] == "" {
			return App{}, p.fail(line, "Playback(%s): options are not supported", args)
		}
		a = AppPlayback(strings.Split(parts[0], "&")...)
	default:
		return App{}, p.fail(line, "application %s is not simulated (NoOp, Set, Answer, Wait, Stasis, Hangup, Goto, ReceiveFAX, Dial, Playback, Echo are)", name)
	}
	a.data = args // ChannelDialplan shows the data as written
	return a, nil
}

func (p *confParser) gotoApp(line string, e *confExten, parts []string) (App, error) {
	if len(parts) > 3 {
		return App{}, p.fail(line, "Goto(%s): expected [[context,]exten,]priority", strings.Join(parts, ","))
	}
	prio, err := strconv.Atoi(strings.TrimSpace(parts[len(parts)-1]))
	if err != nil || prio < 1 {
		return App{}, p.fail(line, "Goto(%s): the priority must be a number (labels are not supported)", strings.Join(parts, ","))
	}
	context, exten := "", ""
	switch len(parts) {
	case 3:
		context, exten = parts[0], parts[1]
	case 2:
		exten = parts[0]
	}
	target := confGoto{line: p.line, text: line, context: e.context, exten: e.name, prio: prio}
	if context != "" {
		target.context = context
	}
	if exten != "" {
		target.exten = exten
	}
	if !strings.Contains(target.context+target.exten, "${") {
		p.gotos = append(p.gotos, target)
	}
	return AppGoto(context, exten, prio), nil
}

func (p *confParser) dialApp(line, args string, parts []string) (App, error) {
	if len(parts) > 3 || parts[0] == "" {
		return App{}, p.fail(line, "Dial(%s): expected dialstring[,timeout[,options]]", args)
	}
	if strings.Contains(parts[0], "&") {
		return App{}, p.fail(line, "Dial(%s): dialling several channels at once is not simulated", args)
	}
	var timeout time.Duration
	if len(parts) > 1 && parts[1] != "" {
		secs, err := strconv.Atoi(strings.TrimSpace(parts[1]))
		if err != nil || secs < 0 {
			return App{}, p.fail(line, "Dial(%s): the timeout must be whole seconds", args)
		}
		timeout = time.Duration(secs) * time.Second
	}
	if len(parts) == 3 && parts[2] != "" {
		return App{}, p.fail(line, "Dial(%s): options are not simulated", args)
	}
	return AppDial(parts[0], timeout), nil
}

// readableFuncs are the dialplan functions ${...} may read (readVarLocked).
var readableFuncs = []string{"CALLERID(num)", "CALLERID(name)", "CHANNEL(name)", "CHANNEL(state)",
	"CHANNEL(uniqueid)", "CHANNEL(language)", "CONNECTEDLINE(num)"}

// checkExpr accepts ${NAME} and ${FUNC(arg)} the simulator can expand, and
// refuses $[...] expressions, substrings, nesting and other functions.
func (p *confParser) checkExpr(line, s string) error {
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 >= len(s) {
			continue
		}
		switch s[i+1] {
		case '[':
			return p.fail(line, "$[...] expressions are not supported")
		case '{':
		default:
			continue
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return p.fail(line, "${ without }")
		}
		ref := s[i+2 : i+end]
		if strings.Contains(ref, "${") {
			return p.fail(line, "nested ${...} is not supported")
		}
		if !isVarName(ref) && !containsFold(readableFuncs, ref) {
			return p.fail(line, "${%s} is not understood (plain variables and %s are)", ref, strings.Join(readableFuncs, ", "))
		}
		i += end
	}
	return nil
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

func isVarName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '_' && !(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') && !(i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func isFaxOpt(s string) bool {
	fn, arg, ok := strings.Cut(s, "(")
	return ok && strings.EqualFold(fn, "FAXOPT") && strings.HasSuffix(arg, ")") && isVarName(strings.TrimSuffix(arg, ")"))
}

// splitAppArgs splits application data at commas outside parentheses,
// brackets, braces and double quotes, as Asterisk's argument parser does.
func splitAppArgs(s string) []string {
	var parts []string
	depth, quoted, start := 0, false, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			i++
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '(' || c == '[' || c == '{':
			depth++
		case (c == ')' || c == ']' || c == '}') && depth > 0:
			depth--
		case c == ',' && depth == 0:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}
