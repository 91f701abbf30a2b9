package acdconf

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestRefusals: each rule refuses what it should, tied to its field, in
// the edge's language and with the edge's name for the field.
func TestRefusals(t *testing.T) {
	cli := Words{Lang: "it", Field: func(f string) string { return "--" + f }}
	en := Words{Lang: "en", Field: func(f string) string { return "«" + f + "»" }}
	_, _, slErr := ParseTarget(cli, FieldSL, "80")
	_, _, slEn := ParseTarget(en, FieldSL, "101/20")
	_, secErr := Seconds(cli, FieldWrapup, 1500*time.Millisecond)
	_, ringErr := Seconds(en, FieldRingTimeout, 0)
	_, ovfErr := ParseOverflow(cli, "voicemail")
	for _, c := range []struct {
		err         error
		field, want string
	}{
		{slErr, FieldSL, `--sl "80" non valido: usa PERCENTUALE/SECONDI`},
		{slEn, FieldSL, "«sl» \"101/20\" is not valid: the percentage must be a whole number from 1 to 100"},
		{secErr, FieldWrapup, "--wrapup 1.5s non valido"},
		{ringErr, FieldRingTimeout, "«ring-timeout» must be at least 1s"},
		{ovfErr, FieldOverflow, `--overflow "voicemail" non valido`},
		{CheckQueueName(cli, "Soccorso"), FieldName, `nome di coda "Soccorso" non valido`},
		{CheckStrategy(en, "fastest"), FieldStrategy, `unknown «strategy» "fastest"`},
		{CheckCallbackAttempts(cli, 21), FieldCallbackAttempts, "--callback-attempts 21 non valido: usa da 0 a 20"},
		{CheckExtension(cli, "10 1"), FieldExtension, `interno "10 1" non valido`},
		{CheckEndpoint(en, "PJSIP"), FieldEndpoint, `«endpoint» "PJSIP" is not valid: use TECH/RESOURCE`},
		{CheckPhone(cli, "gsm"), FieldPhone, `--phone "gsm" non valido`},
	} {
		var fe *FieldError
		if !errors.As(c.err, &fe) || fe.Field != c.field || !strings.Contains(fe.Msg, c.want) {
			t.Errorf("got %v, want a refusal of %s saying %q", c.err, c.field, c.want)
		}
	}
	if p, s, err := ParseTarget(cli, FieldSL, " 90/15s"); err != nil || p != 90 || s != 15 {
		t.Errorf("90/15s: %d/%d %v", p, s, err)
	}
	if o, err := ParseOverflow(cli, "none"); err != nil || o != "" {
		t.Errorf("none: %q %v", o, err)
	}
	if names, err := QueueNames(cli, " soccorso, ,informazioni,soccorso"); err != nil || strings.Join(names, "|") != "soccorso|informazioni" {
		t.Errorf("queue names: %v %v", names, err)
	}
}
