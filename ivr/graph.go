package ivr

import (
	"slices"
	"strings"
)

// The graph rules: every node reachable from start, no cycle that goes round
// without the caller pressing a key (a silent caller, or a line left open,
// would loop for ever), and no cycle from which the call can never end.

// edges returns the nodes reachable from n without caller input (free) and
// through a menu choice (input). Missing references (-1) are left out.
func (n *node) edges() (free, input []int) {
	add := func(list []int, i int) []int {
		if i >= 0 && !slices.Contains(list, i) {
			return append(list, i)
		}
		return list
	}
	free = add(free, n.next)
	free = add(free, n.afterRetries)
	free = add(free, n.open)
	free = add(free, n.closed)
	free = add(free, n.failed)
	for _, i := range n.byMode {
		free = add(free, i)
	}
	for _, i := range n.choices {
		input = add(input, i)
	}
	return free, input
}

func (c *compiler) graph() {
	f := c.flow
	count := len(f.nodes)
	if count == 0 {
		return
	}
	free := make([][]int, count)
	all := make([][]int, count)
	for i := range f.nodes {
		fr, in := f.nodes[i].edges()
		free[i] = fr
		all[i] = append(slices.Clone(fr), in...)
	}

	if f.start >= 0 {
		reached := make([]bool, count)
		reached[f.start] = true
		queue := []int{f.start}
		for len(queue) > 0 {
			v := queue[0]
			queue = queue[1:]
			for _, w := range all[v] {
				if !reached[w] {
					reached[w] = true
					queue = append(queue, w)
				}
			}
		}
		for i, ok := range reached {
			if !ok {
				n := &f.nodes[i]
				c.add(Problem{Line: n.line, Column: n.column, Code: CodeUnreachable, Node: n.id})
			}
		}
	}

	for _, comp := range components(free) {
		if cyclic(comp, free) {
			c.loopProblem(CodeFreeLoop, comp, free)
		}
	}

	// A node can end the call if a terminal node is reachable from it. Nodes
	// that already have a problem of their own count as exits, so one typo
	// does not also raise a "no way out" message.
	exits := make([]bool, count)
	reverse := make([][]int, count)
	var queue []int
	for i := range f.nodes {
		for _, w := range all[i] {
			reverse[w] = append(reverse[w], i)
		}
		if f.nodes[i].kind.terminal() || c.broken[i] {
			exits[i] = true
			queue = append(queue, i)
		}
	}
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		for _, u := range reverse[v] {
			if !exits[u] {
				exits[u] = true
				queue = append(queue, u)
			}
		}
	}
	for _, comp := range components(all) {
		if cyclic(comp, all) && !exits[comp[0]] {
			c.loopProblem(CodeNoExit, comp, all)
		}
	}
}

// loopProblem reports a cycle at its first node in file order, naming one
// concrete round trip so the admin can see it.
func (c *compiler) loopProblem(code Code, comp []int, adj [][]int) {
	first := slices.Min(comp)
	n := &c.flow.nodes[first]
	path := cyclePath(first, comp, adj)
	names := make([]string, 0, len(path)+1)
	for i, v := range path {
		if i == 8 {
			names = append(names, "…")
			break
		}
		names = append(names, c.flow.nodes[v].id)
	}
	names = append(names, n.id)
	c.add(Problem{Line: n.line, Column: n.column, Code: code, Node: n.id, Value: strings.Join(names, " → ")})
}

// cyclePath returns a shortest path from start back to start inside comp.
func cyclePath(start int, comp []int, adj [][]int) []int {
	in := make(map[int]bool, len(comp))
	for _, v := range comp {
		in[v] = true
	}
	parent := map[int]int{start: -1}
	queue := []int{start}
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		for _, w := range adj[v] {
			if w == start {
				var path []int
				for u := v; u >= 0; u = parent[u] {
					path = append(path, u)
				}
				slices.Reverse(path)
				return path
			}
			if _, seen := parent[w]; !seen && in[w] {
				parent[w] = v
				queue = append(queue, w)
			}
		}
	}
	return []int{start}
}

func cyclic(comp []int, adj [][]int) bool {
	return len(comp) > 1 || slices.Contains(adj[comp[0]], comp[0])
}

// components returns the strongly connected components of a graph (Tarjan's
// algorithm, iterative so a huge generated flow cannot exhaust the stack).
func components(adj [][]int) [][]int {
	count := len(adj)
	index := make([]int, count)
	low := make([]int, count)
	onStack := make([]bool, count)
	for i := range index {
		index[i] = -1
	}
	type frame struct{ v, edge int }
	var stack []int
	var out [][]int
	next := 0
	visit := func(v int) {
		index[v], low[v] = next, next
		next++
		stack = append(stack, v)
		onStack[v] = true
	}
	for root := range count {
		if index[root] >= 0 {
			continue
		}
		visit(root)
		calls := []frame{{root, 0}}
		for len(calls) > 0 {
			top := len(calls) - 1
			v := calls[top].v
			if calls[top].edge < len(adj[v]) {
				w := adj[v][calls[top].edge]
				calls[top].edge++
				if index[w] < 0 {
					visit(w)
					calls = append(calls, frame{w, 0})
				} else if onStack[w] {
					low[v] = min(low[v], index[w])
				}
				continue
			}
			if low[v] == index[v] {
				var comp []int
				for {
					w := stack[len(stack)-1]
					stack = stack[:len(stack)-1]
					onStack[w] = false
					comp = append(comp, w)
					if w == v {
						break
					}
				}
				out = append(out, comp)
			}
			calls = calls[:top]
			if top > 0 {
				u := calls[top-1].v
				low[u] = min(low[u], low[v])
			}
		}
	}
	return out
}
