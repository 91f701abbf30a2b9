package main

import (
	"fmt"

	"github.com/ascolto/ascolto/config"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// redactCore hides credentials (config.Redact) in every log entry's message
// and in its string, error and Stringer fields, whichever package wrote it:
// drivers and HTTP clients quote URLs in their errors (pgx its connection
// string, net/http a gateway's URL with its ?apikey=), and a log line is
// read by more people than the configuration.
type redactCore struct{ zapcore.Core }

func (c redactCore) With(fields []zapcore.Field) zapcore.Core {
	return redactCore{c.Core.With(redactFields(fields))}
}

func (c redactCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(e.Level) {
		return ce.AddCore(e, c)
	}
	return ce
}

func (c redactCore) Write(e zapcore.Entry, fields []zapcore.Field) error {
	e.Message = config.Redact(e.Message)
	return c.Core.Write(e, redactFields(fields))
}

func redactFields(fields []zapcore.Field) []zapcore.Field {
	out := fields
	for i, f := range fields {
		var text string
		switch f.Type {
		case zapcore.StringType:
			text = f.String
		case zapcore.ByteStringType:
			text = string(f.Interface.([]byte))
		case zapcore.ErrorType, zapcore.StringerType:
			var ok bool
			if text, ok = describe(f.Interface); !ok {
				continue // zap reports a panicking Error or String itself
			}
		default:
			continue
		}
		safe := config.Redact(text)
		if safe == text {
			continue
		}
		if &out[0] == &fields[0] {
			out = append([]zapcore.Field(nil), fields...) // never change the caller's slice
		}
		out[i] = zap.String(f.Key, safe)
	}
	return out
}

// describe is an error's or a Stringer's text, false if it has none or
// panics (a nil pointer behind the interface).
func describe(v any) (s string, ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	switch x := v.(type) {
	case error:
		return x.Error(), true
	case fmt.Stringer:
		return x.String(), true
	}
	return "", false
}
