package ivr

import (
	"fmt"
	"slices"

	"go.yaml.in/yaml/v3"
)

// The languages prompts are written in. Italian is the default.
const (
	LangItalian = "it"
	LangEnglish = "en"
)

// Prompts is the prompt catalog: for each prompt name, its text in Italian
// and English. The text is what the recorded file says, and doubles as the
// transcript the demo shows.
//
// Sound layout: prompt NAME is played as the media URI "sound:ascolto/NAME"
// with the ARI play parameter lang=it or lang=en. With Asterisk's default
// languageprefix=yes, Asterisk then looks for
// <astdatadir>/sounds/<lang>/ascolto/NAME.<ext> (for example
// /var/lib/asterisk/sounds/it/ascolto/benvenuto.wav). The repository keeps
// the files in asterisk-conf/sounds/<lang>/ascolto/.
type Prompts struct {
	entries map[string]promptEntry
	names   []string
}

type promptEntry struct {
	it, en string
	voice  string // language whose voice speaks this prompt, when not its own (generator hint)
}

// ParsePrompts reads a prompt catalog: a YAML mapping from prompt name to
// {it: text, en: text}, with an optional voice: en|it telling the audio
// generator to speak both versions with that language's voice.
func ParsePrompts(src []byte) (*Prompts, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, fmt.Errorf("ivr: prompt catalog: %w: %w", ErrBadPrompts, err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("ivr: prompt catalog must be a mapping of prompt names: %w", ErrBadPrompts)
	}
	root := doc.Content[0]
	p := &Prompts{entries: map[string]promptEntry{}}
	for i := 0; i+1 < len(root.Content); i += 2 {
		key, val := root.Content[i], root.Content[i+1]
		name := key.Value
		if !validPromptName(name) {
			return nil, fmt.Errorf("ivr: prompt catalog line %d: name %q: use lowercase letters, digits and -: %w", key.Line, name, ErrBadPrompts)
		}
		if _, dup := p.entries[name]; dup {
			return nil, fmt.Errorf("ivr: prompt catalog line %d: prompt %q appears twice: %w", key.Line, name, ErrBadPrompts)
		}
		if val.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("ivr: prompt catalog line %d: prompt %q needs it: and en: texts: %w", val.Line, name, ErrBadPrompts)
		}
		var e promptEntry
		for j := 0; j+1 < len(val.Content); j += 2 {
			fk, fv := val.Content[j], val.Content[j+1]
			if fv.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("ivr: prompt catalog line %d: %s.%s must be a text: %w", fv.Line, name, fk.Value, ErrBadPrompts)
			}
			switch fk.Value {
			case LangItalian:
				e.it = fv.Value
			case LangEnglish:
				e.en = fv.Value
			case "voice":
				if fv.Value != LangItalian && fv.Value != LangEnglish {
					return nil, fmt.Errorf("ivr: prompt catalog line %d: %s.voice must be it or en: %w", fv.Line, name, ErrBadPrompts)
				}
				e.voice = fv.Value
			default:
				return nil, fmt.Errorf("ivr: prompt catalog line %d: unknown field %q in prompt %q: %w", fk.Line, fk.Value, name, ErrBadPrompts)
			}
		}
		if e.it == "" || e.en == "" {
			return nil, fmt.Errorf("ivr: prompt catalog line %d: prompt %q needs both it: and en: texts: %w", key.Line, name, ErrBadPrompts)
		}
		p.entries[name] = e
		p.names = append(p.names, name)
	}
	slices.Sort(p.names)
	return p, nil
}

func validPromptName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if !(ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || ch == '-' && i > 0) {
			return false
		}
	}
	return true
}

// Has reports whether the catalog has a prompt of that name.
func (p *Prompts) Has(name string) bool {
	_, ok := p.entries[name]
	return ok
}

// Names returns the prompt names in alphabetical order.
func (p *Prompts) Names() []string { return slices.Clone(p.names) }

// Text returns the prompt's text in lang ("it" or "en"); any other language
// gets the Italian text.
func (p *Prompts) Text(name, lang string) (string, bool) {
	e, ok := p.entries[name]
	if !ok {
		return "", false
	}
	if lang == LangEnglish {
		return e.en, true
	}
	return e.it, true
}

// Voice returns the language whose voice should speak the prompt when it is
// recorded in lang: normally lang itself, but a prompt such as "For English,
// press 9" is spoken in English in both sets.
func (p *Prompts) Voice(name, lang string) string {
	if e, ok := p.entries[name]; ok && e.voice != "" {
		return e.voice
	}
	return lang
}

// URI returns the Asterisk media URI of a prompt; pass the language to ARI's
// play as lang.
func (p *Prompts) URI(name string) string { return soundURI(name) }
