package web

import (
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

func TestClientIP(t *testing.T) {
	trusted, err := ParseProxies("10.0.0.0/8, 2001:db8:ffff::1")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		peer string
		xff  []string // header lines
		want string
	}{
		{"direct", "198.51.100.7:5000", nil, "198.51.100.7"},
		{"untrusted peer: header ignored", "198.51.100.7:5000", []string{"203.0.113.9"}, "198.51.100.7"},
		{"through our proxy", "10.1.1.1:5000", []string{"203.0.113.9"}, "203.0.113.9"},
		{"spoofed left part ignored", "10.1.1.1:5000", []string{"192.0.2.66, 203.0.113.9, 10.2.2.2"}, "203.0.113.9"},
		{"client writes the whole header", "10.1.1.1:5000", []string{"1.1.1.1, 2.2.2.2, 3.3.3.3, 203.0.113.9"}, "203.0.113.9"},
		{"several header lines", "10.1.1.1:5000", []string{"192.0.2.66", "203.0.113.9", "10.2.2.2"}, "203.0.113.9"},
		{"ports and brackets", "10.1.1.1:5000", []string{"192.0.2.66:1, [2001:db8:1::5]:443"}, "2001:db8:1::5"},
		{"IPv4 in IPv6", "[::ffff:10.1.1.1]:5000", []string{"::ffff:203.0.113.9"}, "203.0.113.9"},
		{"IPv6 proxy", "[2001:db8:ffff::1]:5000", []string{"2001:db8:1::5"}, "2001:db8:1::5"},
		{"garbage from our proxy: the proxy", "10.1.1.1:5000", []string{"garbage"}, "10.1.1.1"},
		{"garbage left of the client: ignored", "10.1.1.1:5000", []string{"garbage, 203.0.113.9"}, "203.0.113.9"},
		{"only our proxies", "10.1.1.1:5000", []string{"10.3.3.3, 10.2.2.2"}, "10.3.3.3"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.peer
		for _, v := range tc.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := ClientIP(r, trusted); got.String() != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "@"
	if got := ClientIP(r, trusted); got.IsValid() {
		t.Errorf("unreadable peer: %s", got)
	}
}

func TestRateKey(t *testing.T) {
	for in, want := range map[string]string{
		"203.0.113.9":             "203.0.113.9",
		"::ffff:203.0.113.9":      "203.0.113.9",
		"2001:db8:1:2::1":         "2001:db8:1:2::/64",
		"2001:db8:1:2:aaaa:bb::1": "2001:db8:1:2::/64", // the same household
		"2001:db8:1:3::1":         "2001:db8:1:3::/64", // the neighbour
		"fe80::1%eth0":            "fe80::/64",
	} {
		if got := RateKey(netip.MustParseAddr(in)); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
}

func TestParseProxies(t *testing.T) {
	got, err := ParseProxies(" 10.0.0.1, 192.168.0.0/16 ,,2001:db8::/32")
	if err != nil || len(got) != 3 || got[0].String() != "10.0.0.1/32" || got[1].String() != "192.168.0.0/16" {
		t.Fatalf("%v %v", got, err)
	}
	if got, err := ParseProxies(""); err != nil || got != nil {
		t.Fatalf("empty: %v %v", got, err)
	}
	if _, err := ParseProxies("10.0.0.1,proxy.example"); err == nil || !strings.Contains(err.Error(), "proxy.example") {
		t.Fatalf("bad: %v", err)
	}
}
