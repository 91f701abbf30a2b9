package acd

// waitlist holds the calls of one queue that need one skill level, best first.
// It is a treap (a binary search tree balanced by pseudo-random weights) whose
// nodes are the calls themselves and carry their subtree size, so that the
// best call, insertion, removal and "how many calls are ahead of this one"
// all cost O(log n). A queue has one waitlist per skill level; an agent of
// level L looks at the heads of lists 0..L.
type waitlist struct {
	root *call
}

// treapNode is the part of a call that links it into a waitlist.
type treapNode struct {
	left, right *call
	weight      uint64
	size        int
}

func treapSize(c *call) int {
	if c == nil {
		return 0
	}
	return c.node.size
}

func (c *call) resize() { c.node.size = 1 + treapSize(c.node.left) + treapSize(c.node.right) }

// split returns the calls of t that go before k, and the others.
func split(t, k *call) (*call, *call) {
	if t == nil {
		return nil, nil
	}
	if t.before(k) {
		l, r := split(t.node.right, k)
		t.node.right = l
		t.resize()
		return t, r
	}
	l, r := split(t.node.left, k)
	t.node.left = r
	t.resize()
	return l, t
}

// merge joins two treaps where every call of l goes before every call of r.
func merge(l, r *call) *call {
	if l == nil {
		return r
	}
	if r == nil {
		return l
	}
	if l.node.weight > r.node.weight {
		l.node.right = merge(l.node.right, r)
		l.resize()
		return l
	}
	r.node.left = merge(l, r.node.left)
	r.resize()
	return r
}

func (w *waitlist) insert(c *call) {
	c.node.left, c.node.right, c.node.size = nil, nil, 1
	l, r := split(w.root, c)
	w.root = merge(merge(l, c), r)
}

func (w *waitlist) remove(c *call) { w.root = unlink(w.root, c) }

func unlink(t, c *call) *call {
	if t == nil {
		return nil
	}
	if t == c {
		return merge(t.node.left, t.node.right)
	}
	if c.before(t) {
		t.node.left = unlink(t.node.left, c)
	} else {
		t.node.right = unlink(t.node.right, c)
	}
	t.resize()
	return t
}

// min returns the best call, or nil.
func (w *waitlist) min() *call {
	t := w.root
	if t == nil {
		return nil
	}
	for t.node.left != nil {
		t = t.node.left
	}
	return t
}

// ahead counts the calls that go before k; k need not be in the list.
func (w *waitlist) ahead(k *call) int {
	n := 0
	for t := w.root; t != nil; {
		if t.before(k) {
			n += treapSize(t.node.left) + 1
			t = t.node.right
		} else {
			t = t.node.left
		}
	}
	return n
}

func (w *waitlist) len() int { return treapSize(w.root) }

// weightFor spreads a sequence number into a treap weight (splitmix64), so the
// tree's shape is deterministic without a random source.
func weightFor(seq uint64) uint64 {
	z := seq + 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}
