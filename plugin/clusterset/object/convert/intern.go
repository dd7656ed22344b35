package convert

import (
	"encoding/binary"
	"slices"
	"strings"
	"sync"

	"github.com/clusterset-dns/clusterset/plugin/clusterset/object"
)

// internMax bounds the strings the table keeps. The values interned are the
// few that repeat across objects (namespaces, clusters, zones, address
// types, port names and protocols); a cluster set with more distinct ones
// than this only interns less.
const internMax = 4096

// portListsMax bounds the port lists the table keeps: services mostly
// share a few (one "http" port, "dns" over UDP and TCP, ...).
const portListsMax = 1024

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

// InternBytes is intern for a string a decoder holds as bytes: a string
// already in the table costs no allocation (the lookup with string(b)
// does not copy). The watch's fast ServiceImport decoder (package
// importdecode) reads the few values the transform interns this way.
func InternBytes(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	interned.mu.Lock()
	v, ok := interned.strings[string(b)]
	interned.mu.Unlock()
	if ok {
		return v
	}
	return interned.intern(string(b))
}

// interned port lists, shared like the strings.
var internedPorts = portTable{lists: map[string][]object.Port{}}

// portTable keeps one copy of each port list, so that the slices of a
// service, and services alike, share it: a list is as large as the slice
// that holds it. The lists are never written to after conversion; each
// is clipped, so that an append copies rather than writes into it.
type portTable struct {
	mu    sync.Mutex
	lists map[string][]object.Port
}

// intern returns the table's copy of ports, whose strings must be interned
// already. A full table starts over, as the string table does.
func (t *portTable) intern(ports []object.Port) []object.Port {
	if len(ports) == 0 {
		return ports
	}
	var buf [128]byte
	key := portsKey(buf[:0], ports)
	t.mu.Lock()
	defer t.mu.Unlock()
	if list, ok := t.lists[string(key)]; ok {
		return list
	}
	if len(t.lists) >= portListsMax {
		clear(t.lists)
	}
	list := slices.Clip(ports)
	t.lists[string(key)] = list
	return list
}

// portsKey appends to b an encoding of ports that differs whenever the
// lists do: each string is prefixed with its length.
func portsKey(b []byte, ports []object.Port) []byte {
	for _, p := range ports {
		b = binary.AppendUvarint(b, uint64(len(p.Name)))
		b = append(b, p.Name...)
		b = binary.AppendUvarint(b, uint64(len(p.Protocol)))
		b = append(b, p.Protocol...)
		b = binary.BigEndian.AppendUint32(b, uint32(p.Port))
	}
	return b
}

// internPorts is internedPorts.intern.
func internPorts(ports []object.Port) []object.Port { return internedPorts.intern(ports) }
