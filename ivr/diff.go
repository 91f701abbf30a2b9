package ivr

import (
	"fmt"
	"strings"
)

// DiffContext is how many unchanged lines surround each change in Diff.
const DiffContext = 3

// maxDiffEdits bounds the Myers search; two flows further apart than this are
// shown as one replacement, which is what a reader would want anyway.
const maxDiffEdits = 4000

// Diff returns a unified-style line diff from a to b (named nameA and nameB
// in the header), or "" when they are the same. It is for `ascolto ivr diff`.
func Diff(nameA string, a []byte, nameB string, b []byte) string {
	la, lb := splitLines(string(a)), splitLines(string(b))
	ops := diffLines(la, lb)
	changed := false
	for _, o := range ops {
		if o.kind != ' ' {
			changed = true
			break
		}
	}
	if !changed {
		return ""
	}
	var out strings.Builder
	fmt.Fprintf(&out, "--- %s\n+++ %s\n", nameA, nameB)
	for _, h := range hunks(ops) {
		writeHunk(&out, ops[h[0]:h[1]], la, lb)
	}
	return out.String()
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	s = strings.TrimSuffix(s, "\n")
	return strings.Split(s, "\n")
}

// diffOp is one line of the edit script: ' ' kept, '-' deleted, '+' inserted.
// ai and bi are the line's index in a and b; for an insertion ai is where
// it goes in a, for a deletion bi is where it would be in b.
type diffOp struct {
	kind   byte
	ai, bi int
}

// diffLines computes a shortest edit script with Myers' O(ND) algorithm,
// after trimming the common head and tail.
func diffLines(a, b []string) []diffOp {
	head := 0
	for head < len(a) && head < len(b) && a[head] == b[head] {
		head++
	}
	tail := 0
	for tail < len(a)-head && tail < len(b)-head && a[len(a)-1-tail] == b[len(b)-1-tail] {
		tail++
	}
	var ops []diffOp
	for i := 0; i < head; i++ {
		ops = append(ops, diffOp{' ', i, i})
	}
	mid := myers(a[head:len(a)-tail], b[head:len(b)-tail])
	for _, o := range mid {
		o.ai += head
		o.bi += head
		ops = append(ops, o)
	}
	for i := tail; i > 0; i-- {
		ops = append(ops, diffOp{' ', len(a) - i, len(b) - i})
	}
	return ops
}

func myers(a, b []string) []diffOp {
	n, m := len(a), len(b)
	if n == 0 || m == 0 {
		return replaceAll(n, m)
	}
	limit := min(n+m, maxDiffEdits)
	off := limit + 1
	v := make([]int, 2*limit+3)
	var trace [][]int // trace[d] holds v[off-d .. off+d] before round d
	for d := 0; d <= limit; d++ {
		snap := make([]int, 2*d+3)
		copy(snap, v[off-d-1:off+d+2])
		trace = append(trace, snap)
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				x = v[off+k+1]
			} else {
				x = v[off+k-1] + 1
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x++
				y++
			}
			v[off+k] = x
			if x >= n && y >= m {
				return backtrack(trace, n, m)
			}
		}
	}
	return replaceAll(n, m)
}

func backtrack(trace [][]int, n, m int) []diffOp {
	var rev []diffOp
	x, y := n, m
	for d := len(trace) - 1; d >= 0; d-- {
		snap := trace[d]
		at := func(k int) int { return snap[k+d+1] }
		k := x - y
		var prevK int
		if k == -d || (k != d && at(k-1) < at(k+1)) {
			prevK = k + 1
		} else {
			prevK = k - 1
		}
		prevX := at(prevK)
		prevY := prevX - prevK
		for x > prevX && y > prevY {
			rev = append(rev, diffOp{' ', x - 1, y - 1})
			x--
			y--
		}
		if d == 0 {
			break
		}
		if x == prevX {
			rev = append(rev, diffOp{'+', x, y - 1})
			y--
		} else {
			rev = append(rev, diffOp{'-', x - 1, y})
			x--
		}
	}
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	return rev
}

func replaceAll(n, m int) []diffOp {
	ops := make([]diffOp, 0, n+m)
	for i := 0; i < n; i++ {
		ops = append(ops, diffOp{'-', i, 0})
	}
	for j := 0; j < m; j++ {
		ops = append(ops, diffOp{'+', n, j})
	}
	return ops
}

// hunks groups changes with DiffContext lines around them, merging groups
// whose context would touch.
func hunks(ops []diffOp) [][2]int {
	var out [][2]int
	for i := 0; i < len(ops); {
		if ops[i].kind == ' ' {
			i++
			continue
		}
		start := max(0, i-DiffContext)
		end := i
		for end < len(ops) {
			if ops[end].kind != ' ' {
				end++
				continue
			}
			run := end
			for run < len(ops) && ops[run].kind == ' ' {
				run++
			}
			if run == len(ops) || run-end > 2*DiffContext {
				end = min(end+DiffContext, len(ops))
				break
			}
			end = run
		}
		out = append(out, [2]int{start, end})
		i = end
	}
	return out
}

func writeHunk(out *strings.Builder, ops []diffOp, a, b []string) {
	aStart, bStart := ops[0].ai, ops[0].bi
	aCount, bCount := 0, 0
	for _, o := range ops {
		if o.kind != '+' {
			aCount++
		}
		if o.kind != '-' {
			bCount++
		}
	}
	fmt.Fprintf(out, "@@ -%s +%s @@\n", hunkRange(aStart, aCount), hunkRange(bStart, bCount))
	for _, o := range ops {
		switch o.kind {
		case ' ':
			out.WriteString(" " + a[o.ai] + "\n")
		case '-':
			out.WriteString("-" + a[o.ai] + "\n")
		case '+':
			out.WriteString("+" + b[o.bi] + "\n")
		}
	}
}

// hunkRange formats a hunk side as GNU diff does: an empty side names the
// line before it.
func hunkRange(start, count int) string {
	if count == 0 {
		return fmt.Sprintf("%d,0", start)
	}
	if count == 1 {
		return fmt.Sprintf("%d", start+1)
	}
	return fmt.Sprintf("%d,%d", start+1, count)
}
