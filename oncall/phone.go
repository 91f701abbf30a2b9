package oncall

import (
	"errors"
	"fmt"
	"strings"
)

// ErrBadNumber means a phone number cannot be made into an E.164 number.
var ErrBadNumber = errors.New("oncall: not a phone number")

// NormalizePhone turns a phone number written the ways people write them
// ("340 123 4567", "+39 (0862) 12.34.56", "0039 340-1234567") into E.164
// (+393401234567). A number without a country code is Italian: mobile
// numbers start with 3, landlines with 0. Anything else is ErrBadNumber.
func NormalizePhone(s string) (string, error) {
	raw := strings.TrimSpace(s)
	var b strings.Builder
	for i, r := range raw {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
			b.WriteRune(r)
		case r == ' ', r == '-', r == '.', r == '/', r == '(', r == ')', r == '\u00a0':
		default:
			return "", fmt.Errorf("%w: %q has %q in it", ErrBadNumber, s, r)
		}
	}
	n := b.String()
	switch {
	case strings.HasPrefix(n, "+"):
		n = n[1:]
	case strings.HasPrefix(n, "00"):
		n = n[2:]
	case strings.HasPrefix(n, "3") || strings.HasPrefix(n, "0"):
		n = "39" + n
	default:
		return "", fmt.Errorf("%w: %q (write it with the country code, e.g. +39 340 123 4567)", ErrBadNumber, s)
	}
	if len(n) < 8 || len(n) > 15 || n[0] == '0' {
		return "", fmt.Errorf("%w: %q has the wrong number of digits", ErrBadNumber, s)
	}
	if national, ok := strings.CutPrefix(n, "39"); ok {
		// Italian numbers: landlines 0…, 6 to 11 digits; mobiles 3…, 9 or 10.
		switch {
		case strings.HasPrefix(national, "0") && len(national) >= 6 && len(national) <= 11:
		case strings.HasPrefix(national, "3") && len(national) >= 9 && len(national) <= 10:
		default:
			return "", fmt.Errorf("%w: %q is not an Italian landline (0…) or mobile (3…) number", ErrBadNumber, s)
		}
	}
	return "+" + n, nil
}
