package opsroom

import (
	"fmt"
	"net/mail"
	"net/url"
	"strings"
	"time"
)

// Config is how the operations room is reached, from the service's settings.
type Config struct {
	// EscalateAfter is how long an item may wait unacknowledged before it
	// is escalated (default 2 minutes); RepeatEvery how often the
	// escalation repeats while nobody acknowledges (default the same).
	EscalateAfter time.Duration
	RepeatEvery   time.Duration
	// RoomNumber is the operations room's telephone, dialled over the
	// trunk on escalation ("" = no call).
	RoomNumber string
	// RoomEmail receives the last-fallback email: escalations, and items
	// whose webhook delivery failed for good.
	RoomEmail []string
	// CoordinatorEmail is told of every escalation.
	CoordinatorEmail []string
	// WebhookURL receives every change as signed JSON ("" = no webhook);
	// WebhookSecret is the HMAC-SHA256 key.
	WebhookURL    string
	WebhookSecret string
	// FeedToken lets the room's systems read the CAP feed and the exports
	// without a console session (Authorization: Bearer …); "" = sessions only.
	FeedToken string
	// Sender is the CAP sender (default contactcenter@protezionecivile.it).
	Sender string
	// PublicURL is the console's address as the room reaches it, for links
	// in email, webhook and CAP (e.g. https://ascolto.example.it).
	PublicURL string
}

// DefaultEscalateAfter is the acknowledgement deadline the issue sets.
const DefaultEscalateAfter = 2 * time.Minute

func (c *Config) fill() {
	if c.EscalateAfter <= 0 {
		c.EscalateAfter = DefaultEscalateAfter
	}
	if c.RepeatEvery <= 0 {
		c.RepeatEvery = c.EscalateAfter
	}
	if c.Sender == "" {
		c.Sender = "contactcenter@protezionecivile.it"
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
}

// ParseConfig builds a Config from the service's string settings (flags,
// ASCOLTO_* variables or YAML keys): escalateAfter a Go duration of 10 s
// to 1 h ("2m"); roomNumber digits with an optional leading +; the email
// settings comma-separated addresses; webhookURL an http(s) URL, which
// needs a secret of at least 16 characters; publicURL an http(s) URL.
// Empty strings keep the defaults or turn the feature off.
func ParseConfig(escalateAfter, roomNumber, roomEmail, coordinatorEmail, webhookURL, webhookSecret, feedToken, publicURL string) (Config, error) {
	var c Config
	if escalateAfter != "" {
		d, err := time.ParseDuration(escalateAfter)
		if err != nil || d < 10*time.Second || d > time.Hour {
			return c, fmt.Errorf("opsroom: escalation delay %q is not a duration between 10s and 1h (e.g. 2m)", escalateAfter)
		}
		c.EscalateAfter = d
	}
	roomNumber = strings.ReplaceAll(strings.TrimSpace(roomNumber), " ", "")
	if roomNumber != "" {
		for i, r := range roomNumber {
			if (r < '0' || r > '9') && !(r == '+' && i == 0) {
				return c, fmt.Errorf("opsroom: operations-room number %q: digits only, with an optional leading + (e.g. +390668201)", roomNumber)
			}
		}
		if len(roomNumber) < 4 || len(roomNumber) > 16 {
			return c, fmt.Errorf("opsroom: operations-room number %q: 4 to 16 digits", roomNumber)
		}
		c.RoomNumber = roomNumber
	}
	var err error
	if c.RoomEmail, err = addresses("operations-room email", roomEmail); err != nil {
		return c, err
	}
	if c.CoordinatorEmail, err = addresses("coordinator email", coordinatorEmail); err != nil {
		return c, err
	}
	if webhookURL != "" {
		if err := checkURL("webhook URL", webhookURL); err != nil {
			return c, err
		}
		if len(webhookSecret) < 16 {
			return c, fmt.Errorf("opsroom: the webhook needs a secret of at least 16 characters to sign with (HMAC-SHA256)")
		}
		c.WebhookURL, c.WebhookSecret = webhookURL, webhookSecret
	}
	if feedToken != "" && len(feedToken) < 16 {
		return c, fmt.Errorf("opsroom: the feed token must be at least 16 characters")
	}
	c.FeedToken = feedToken
	if publicURL != "" {
		if err := checkURL("public URL", publicURL); err != nil {
			return c, err
		}
		c.PublicURL = publicURL
	}
	c.fill()
	return c, nil
}

func addresses(what, list string) ([]string, error) {
	var out []string
	for _, a := range strings.Split(list, ",") {
		a = strings.TrimSpace(a)
		if a == "" {
			continue
		}
		p, err := mail.ParseAddress(a)
		if err != nil || p.Address != a {
			return nil, fmt.Errorf("opsroom: %s %q is not an address like sala.operativa@example.it", what, a)
		}
		out = append(out, a)
	}
	return out, nil
}

func checkURL(what, s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("opsroom: %s %q is not an http:// or https:// URL", what, s)
	}
	return nil
}
