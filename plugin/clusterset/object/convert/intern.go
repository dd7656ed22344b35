package convert

import (
	"strings"
	"sync"
)

// internMax bounds the strings the table keeps. The values interned are the
// few that repeat across objects (namespaces, clusters, zones, address
// types, port names and protocols); a cluster set with more distinct ones
// than this only interns less.
const internMax = 4096

// interned is the table the conversions share: every informer converts on
// its own goroutine.
var interned = internTable{strings: map[string]string{}}

// internTable keeps one copy of the strings that repeat across objects, so
// that thirty thousand slices of three clusters hold three cluster names
// and not thirty thousand: decoding gives every string of every object its
// own allocation.
type internTable struct {
	mu      sync.Mutex
	strings map[string]string
}

// intern returns the table's copy of s. When the table is full it starts
// over: the objects keep the copies they hold, and the values still in use
// come back as they are seen.
func (t *internTable) intern(s string) string {
	if s == "" {
		return ""
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if v, ok := t.strings[s]; ok {
		return v
	}
	if len(t.strings) >= internMax {
		clear(t.strings)
	}
	// A copy, so that the table never keeps a decoder's buffer alive.
	s = strings.Clone(s)
	t.strings[s] = s
	return s
}

// intern is interned.intern.
func intern(s string) string { return interned.intern(s) }
