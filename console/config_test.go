package console

import (
	"net/netip"
	"testing"
	"time"
)

func TestParseConfig(t *testing.T) {
	cfg, err := ParseConfig("true", "127.0.0.1, 10.0.0.0/8 ,::1", "always", "30m", "8h")
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.TOTPRequired || cfg.SecureCookies != "always" || cfg.IdleTimeout != 30*time.Minute || cfg.SessionMax != 8*time.Hour {
		t.Fatalf("%+v", cfg)
	}
	want := []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	if len(cfg.TrustedProxies) != 3 || cfg.TrustedProxies[0] != want[0] || cfg.TrustedProxies[1] != want[1] || cfg.TrustedProxies[2] != want[2] {
		t.Fatalf("proxies %v", cfg.TrustedProxies)
	}
	if d, err := ParseConfig("", "", "", "", ""); err != nil || d.TOTPRequired || d.IdleTimeout != DefaultConfig().IdleTimeout {
		t.Fatalf("defaults: %+v %v", d, err)
	}
	for _, bad := range [][5]string{
		{"yes", "", "", "", ""},
		{"", "10.0.0.0/33", "", "", ""},
		{"", "proxy.example", "", "", ""},
		{"", "", "sometimes", "", ""},
		{"", "", "", "10s", ""},
		{"", "", "", "two hours", ""},
		{"", "", "", "13h", "12h"},
	} {
		if _, err := ParseConfig(bad[0], bad[1], bad[2], bad[3], bad[4]); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
