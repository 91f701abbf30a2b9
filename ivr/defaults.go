package ivr

import (
	_ "embed"
	"fmt"
	"slices"
)

// The default flow and prompt catalog ship inside the binary so a fresh
// install answers the phone before any admin has scripted anything.

//go:embed flows/800840840.yaml
var defaultFlowSource []byte

//go:embed prompts.yaml
var defaultPromptsSource []byte

// DefaultFlowSource returns a copy of the default flow for 800 840 840 (YAML).
func DefaultFlowSource() []byte { return slices.Clone(defaultFlowSource) }

// DefaultPromptsSource returns a copy of the default prompt catalog (YAML).
func DefaultPromptsSource() []byte { return slices.Clone(defaultPromptsSource) }

// DefaultPrompts returns the default prompt catalog.
func DefaultPrompts() (*Prompts, error) {
	p, err := ParsePrompts(defaultPromptsSource)
	if err != nil {
		return nil, fmt.Errorf("ivr: default prompts: %w", err)
	}
	return p, nil
}

// DefaultQueues returns the queue names the default flow hands calls to:
// soccorso (rescue requests), segnalazioni (reports of risk) and
// informazioni (information, and callers who made no choice).
func DefaultQueues() []string { return []string{"soccorso", "segnalazioni", "informazioni"} }

// DefaultFlow loads the default flow against the default prompts and queues.
func DefaultFlow() (*Flow, error) {
	p, err := DefaultPrompts()
	if err != nil {
		return nil, err
	}
	f, err := Load(defaultFlowSource, NewCatalog(p, DefaultQueues()))
	if err != nil {
		return nil, fmt.Errorf("ivr: default flow: %w", err)
	}
	return f, nil
}
