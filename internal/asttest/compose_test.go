package asttest

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestComposeRunsTheTestedConfig: no container engine runs here, so the
// compose file is held to the configuration the real-Asterisk tests run:
// it mounts exactly the files the harness renders (ConfFiles), the prompts
// where the harness links them, and its ports, ARI URL and password agree
// with those files.
func TestComposeRunsTheTestedConfig(t *testing.T) {
	root := filepath.Dir(ConfDir())
	b, err := os.ReadFile(filepath.Join(root, "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var compose struct {
		Services map[string]struct {
			Volumes     []string          `yaml:"volumes"`
			Ports       []string          `yaml:"ports"`
			Environment map[string]string `yaml:"environment"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(b, &compose); err != nil {
		t.Fatal(err)
	}
	ast, ok := compose.Services["asterisk"]
	if !ok {
		t.Fatal("docker-compose.yml has no asterisk service")
	}
	var mounted []string
	sounds := map[string]bool{}
	for _, v := range ast.Volumes {
		parts := strings.Split(v, ":")
		if len(parts) < 2 || !strings.HasPrefix(parts[0], "./asterisk-conf/") {
			continue
		}
		src, dst := strings.TrimPrefix(parts[0], "./asterisk-conf/"), parts[1]
		if lang, ok := strings.CutPrefix(src, "sounds/"); ok {
			// The harness links <lang>/ascolto under Asterisk's sound folder.
			if want := "/usr/share/asterisk/sounds/" + lang; dst != want {
				t.Errorf("prompts %s mounted at %s, want %s", src, dst, want)
			}
			sounds[strings.TrimSuffix(lang, "/ascolto")] = true
			continue
		}
		if dst != "/etc/asterisk/"+src {
			t.Errorf("%s mounted at %s, want /etc/asterisk/%s", src, dst, src)
		}
		mounted = append(mounted, src)
	}
	slices.Sort(mounted)
	tested := slices.Sorted(slices.Values(ConfFiles))
	if !slices.Equal(mounted, tested) {
		t.Errorf("compose mounts %v, the tests render %v", mounted, tested)
	}
	if !sounds["it"] || !sounds["en"] {
		t.Errorf("compose mounts prompts for %v, want it and en", sounds)
	}

	conf := func(name string) string {
		b, err := os.ReadFile(filepath.Join(ConfDir(), name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	setting := func(file, key string) string {
		m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(key) + `\s*=\s*(\S*)`).FindStringSubmatch(conf(file))
		if m == nil {
			t.Fatalf("%s has no %s", file, key)
		}
		return m[1]
	}
	asc := compose.Services["ascolto"].Environment
	if want := "http://asterisk:" + setting("http.conf", "bindport") + "/ari"; asc["ASCOLTO_ARI_URL"] != want {
		t.Errorf("ASCOLTO_ARI_URL %q, http.conf says %q", asc["ASCOLTO_ARI_URL"], want)
	}
	if asc["ASCOLTO_ARI_PASSWORD"] != setting("ari.conf", "password") {
		t.Errorf("ASCOLTO_ARI_PASSWORD %q differs from ari.conf's", asc["ASCOLTO_ARI_PASSWORD"])
	}
	ports := strings.Join(ast.Ports, " ")
	tlsPort := setting("http.conf", "tlsbindaddr")[strings.LastIndexByte(setting("http.conf", "tlsbindaddr"), ':')+1:]
	rtp := setting("rtp.conf", "rtpstart") + "-" + setting("rtp.conf", "rtpend")
	for _, want := range []string{"5060:5060/udp", tlsPort + ":" + tlsPort, rtp + ":" + rtp + "/udp"} {
		if !strings.Contains(ports, want) {
			t.Errorf("compose publishes %q, missing %q (from asterisk-conf)", ports, want)
		}
	}
	if wss := asc["ASCOLTO_SOFTPHONE_WSS"]; wss != "" && !strings.Contains(wss, ":"+tlsPort+"/ws") {
		t.Errorf("ASCOLTO_SOFTPHONE_WSS %q is not Asterisk's WSS port %s", wss, tlsPort)
	}
	if !strings.Contains(conf("pjsip.conf"), "bind = 0.0.0.0:5060") {
		t.Error("pjsip.conf no longer binds 5060, which compose publishes")
	}
}
