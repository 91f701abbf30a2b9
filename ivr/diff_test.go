package ivr

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestDiffOutput(t *testing.T) {
	a := "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n"
	tests := []struct {
		name string
		b    string
		want string
	}{
		{"same", a, ""},
		{"one line changed", "a\nb\nc\nd\nE\nf\ng\nh\ni\nj\n",
			"--- old\n+++ new\n@@ -2,7 +2,7 @@\n b\n c\n d\n-e\n+E\n f\n g\n h\n"},
		{"line added at the top", "0\n" + a,
			"--- old\n+++ new\n@@ -1,3 +1,4 @@\n+0\n a\n b\n c\n"},
		{"last line removed", "a\nb\nc\nd\ne\nf\ng\nh\ni\n",
			"--- old\n+++ new\n@@ -7,4 +7,3 @@\n g\n h\n i\n-j\n"},
		{"two distant changes make two hunks", "A\nb\nc\nd\ne\nf\ng\nh\ni\nJ\n",
			"--- old\n+++ new\n@@ -1,4 +1,4 @@\n-a\n+A\n b\n c\n d\n@@ -7,4 +7,4 @@\n g\n h\n i\n-j\n+J\n"},
		{"from nothing", "",
			"--- old\n+++ new\n@@ -1,10 +0,0 @@\n-a\n-b\n-c\n-d\n-e\n-f\n-g\n-h\n-i\n-j\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Diff("old", []byte(a), "new", []byte(tt.b))
			if got != tt.want {
				t.Errorf("diff:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

// applyUnified applies a diff produced by Diff to a, so a test can check
// that the diff really turns a into b.
func applyUnified(t *testing.T, a []string, diff string) []string {
	t.Helper()
	if diff == "" {
		return a
	}
	dl := splitLines(diff)[2:]
	var out []string
	pos := 0 // next line of a to copy
	for i := 0; i < len(dl); {
		h := dl[i]
		var aStart int
		if _, err := fmt.Sscanf(h, "@@ -%d", &aStart); err != nil {
			t.Fatalf("bad hunk header %q", h)
		}
		ranges := strings.Fields(h)[1]
		if strings.HasSuffix(ranges, ",0") {
			aStart++ // an empty side names the line before
		}
		for pos < aStart-1 {
			out = append(out, a[pos])
			pos++
		}
		for i++; i < len(dl) && !strings.HasPrefix(dl[i], "@@"); i++ {
			line := dl[i]
			switch line[0] {
			case ' ':
				if a[pos] != line[1:] {
					t.Fatalf("context %q does not match %q", line[1:], a[pos])
				}
				out = append(out, a[pos])
				pos++
			case '-':
				if a[pos] != line[1:] {
					t.Fatalf("deleted %q does not match %q", line[1:], a[pos])
				}
				pos++
			case '+':
				out = append(out, line[1:])
			}
		}
	}
	return append(out, a[pos:]...)
}

func TestDiffTurnsAIntoB(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 300 {
		n := rng.IntN(40)
		a := make([]string, n)
		for i := range a {
			a[i] = strconv.Itoa(rng.IntN(8))
		}
		b := slices.Clone(a)
		for range rng.IntN(6) {
			switch op := rng.IntN(3); {
			case op == 0 && len(b) > 0:
				i := rng.IntN(len(b))
				b = slices.Delete(b, i, i+1)
			case op == 1:
				b = slices.Insert(b, rng.IntN(len(b)+1), "new"+strconv.Itoa(rng.IntN(5)))
			case len(b) > 0:
				b[rng.IntN(len(b))] = "changed"
			}
		}
		diff := Diff("a", []byte(joinLines(a)), "b", []byte(joinLines(b)))
		got := applyUnified(t, a, diff)
		if !slices.Equal(got, b) {
			t.Fatalf("round %d: applying the diff gives %v, want %v\n%s", round, got, b, diff)
		}
		if (diff == "") != slices.Equal(a, b) {
			t.Fatalf("round %d: empty diff = %v but equal = %v", round, diff == "", slices.Equal(a, b))
		}
		// Myers finds a shortest edit script: its length must match the one
		// implied by a longest common subsequence, computed independently.
		edits := 0
		if diff != "" {
			for _, l := range splitLines(diff)[2:] {
				if l[0] == '-' || l[0] == '+' {
					edits++
				}
			}
		}
		if want := len(a) + len(b) - 2*lcsLength(a, b); edits != want {
			t.Fatalf("round %d: %d edits, the shortest script has %d\n%s", round, edits, want, diff)
		}
	}
}

// lcsLength is the textbook dynamic-programming longest common subsequence.
func lcsLength(a, b []string) int {
	dp := make([][]int, len(a)+1)
	for i := range dp {
		dp[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				dp[i][j] = dp[i+1][j+1] + 1
			} else {
				dp[i][j] = max(dp[i+1][j], dp[i][j+1])
			}
		}
	}
	return dp[0][0]
}

func joinLines(l []string) string {
	if len(l) == 0 {
		return ""
	}
	return strings.Join(l, "\n") + "\n"
}

func TestDiffOfTwoFlowVersions(t *testing.T) {
	old := DefaultFlowSource()
	changed := strings.Replace(string(old), "    timeout: 6s\n", "    timeout: 8s\n", 1)
	diff := Diff("v1", old, "v2", []byte(changed))
	if strings.Count(diff, "\n-    timeout: 6s") != 1 || strings.Count(diff, "\n+    timeout: 8s") != 1 || strings.Count(diff, "@@ ") != 1 {
		t.Errorf("diff of one changed timeout:\n%s", diff)
	}
}
