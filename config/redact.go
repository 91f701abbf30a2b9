package config

import (
	"net/url"
	"regexp"
	"strings"
)

// Mask replaces every credential Redact hides.
const Mask = "xxxxx"

// Redact hides the credentials in s, which may be a URL setting, a
// connection string, or any text that quotes one (an error, a log line):
//
//   - the password in a URL's user info: scheme://user:xxxxx@host;
//   - the value of every name=value pair whose name looks like a secret
//     (password, pass, pwd, apikey, api_key, key, token, secret,
//     access_token, auth, sig, signature and their *_token, *_secret …
//     variants, in any case), whether in a URL's query string or in a
//     key=value connection string (password='…' included).
//
// The rest is kept as written, so the text still says which host, user and
// setting are meant. A URL too malformed to tell where its user info ends is
// masked from the user name's ':' to its last '@': over-masking a broken URL
// is better than leaking the password it holds.
//
// A secret that is a URL's whole user name (https://TOKEN@host) or a path
// segment (https://host/bot<token>/send) cannot be told from an ordinary one
// and is not hidden: settings that take such URLs are shown by config show
// only as far as this function allows, so prefer query parameters or
// user:password for credentials.
func Redact(s string) string {
	if !strings.Contains(s, "://") && !strings.Contains(s, "=") {
		return s // the fast path: most log lines hold neither
	}
	return redactPairs(redactUserinfo(s))
}

// urlStart finds where URLs begin in text: a scheme, then "://".
var urlStart = regexp.MustCompile(`[A-Za-z][A-Za-z0-9+.\-]*://`)

// tokenEnd reports the characters that end a URL quoted in text.
func tokenEnd(r byte) bool {
	switch r {
	case ' ', '\t', '\n', '\r', '"', '\'', '`', '<', '>':
		return true
	}
	return false
}

// redactUserinfo masks the password of every URL in s, splitting each the
// way net/url does: the authority ends at the first '/', '?' or '#', and
// the user info is everything before its last '@'.
func redactUserinfo(s string) string {
	var b strings.Builder
	last := 0
	for _, m := range urlStart.FindAllStringIndex(s, -1) {
		if m[0] < last {
			continue
		}
		start := m[1] // just after "://"
		end := start
		for end < len(s) && !tokenEnd(s[end]) {
			end++
		}
		tok := s[start:end]
		authEnd := strings.IndexAny(tok, "/?#")
		if authEnd < 0 {
			authEnd = len(tok)
		}
		auth := tok[:authEnd]
		colon := strings.IndexByte(auth, ':')
		var from, to int // the masked span inside tok
		switch at := strings.LastIndexByte(auth, '@'); {
		case at >= 0:
			// Well formed: user:password@host.
			if colon < 0 || colon > at {
				continue // no password
			}
			from, to = colon+1, at
		case colon >= 0 && strings.IndexByte(tok[authEnd:], '@') >= 0 && strayAt(auth[colon+1:], tok[authEnd:]):
			// An unescaped '/', '?' or '#' in the password ended the
			// authority early (user:pa/ss@host): mask up to the last '@'.
			from, to = colon+1, authEnd+strings.LastIndexByte(tok[authEnd:], '@')
		default:
			continue
		}
		b.WriteString(s[last : start+from])
		b.WriteString(Mask)
		last = start + to
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// strayAt reports whether an '@' after the authority is more likely the end
// of a password broken by an unescaped delimiter than ordinary data: the
// "port" is not a number, or the '@' sits in the path rather than in the
// query or fragment.
func strayAt(port, rest string) bool {
	for i := 0; i < len(port); i++ {
		if port[i] < '0' || port[i] > '9' {
			return true
		}
	}
	path := rest
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	return strings.IndexByte(path, '@') >= 0
}

// pair finds name=value: after the start of the text, a query or list
// separator, whitespace or an opening bracket; the value quoted with '…'
// (libpq's key='value'), or up to the next separator.
var pair = regexp.MustCompile(`(?:^|[?&;,\s({\[])([A-Za-z0-9_.%+\-]+)=('(?:[^'\\]|\\.)*'?|[^&;,\s"'<>#)}\]` + "`" + `]*)`)

// redactPairs masks the values of the name=value pairs whose names look
// like secrets.
func redactPairs(s string) string {
	if !strings.Contains(s, "=") {
		return s
	}
	var b strings.Builder
	last := 0
	for p := 0; p < len(s); {
		m := pair.FindStringSubmatchIndex(s[p:])
		if m == nil {
			break
		}
		name, vStart, vEnd := s[p+m[2]:p+m[3]], p+m[4], p+m[5]
		if !secretName(name) || vStart == vEnd {
			// Look inside the value too: it may be a URL with a query of
			// its own (redirect=https://host/?token=…).
			// The value starts after the name and '=', so p moves on.
			p = vStart
			continue
		}
		b.WriteString(s[last:vStart])
		b.WriteString(Mask)
		last, p = vEnd, vEnd
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// secretNames are the parameter names that carry credentials.
var secretNames = map[string]bool{
	"password": true, "pass": true, "pwd": true, "passwd": true, "apikey": true, "api_key": true, "key": true,
	"token": true, "secret": true, "access_token": true, "auth": true, "sig": true, "signature": true,
	"sslpassword": true, "authorization": true, "credentials": true,
}

// secretName says whether a parameter name looks like a secret's:
// one of secretNames in any case, with '-' for '_' and percent-encoding
// undone, or a name ending in one of them after a '_' (client_secret,
// auth_token, private_key), or containing password, passwd, secret, token
// or apikey.
func secretName(name string) bool {
	if n, err := url.QueryUnescape(name); err == nil {
		name = n
	}
	n := strings.ReplaceAll(strings.ToLower(name), "-", "_")
	if secretNames[n] {
		return true
	}
	if i := strings.LastIndexByte(n, '_'); i >= 0 && secretNames[n[i+1:]] {
		return true
	}
	for _, w := range []string{"password", "passwd", "secret", "token", "apikey"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}
