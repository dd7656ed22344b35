package convert

import (
	"fmt"
	"reflect"
	"testing"
	"unsafe"

	"github.com/clusterset-dns/clusterset/plugin/clusterset/object"
)

func TestIntern(t *testing.T) {
	table := internTable{strings: map[string]string{}}
	in := []byte("cluster-a")
	first := table.intern(string(in))
	if first != "cluster-a" {
		t.Fatalf("intern = %q, want cluster-a", first)
	}
	if again := table.intern(string(in)); unsafe.StringData(again) != unsafe.StringData(first) {
		t.Error("a repeated value is a new copy, want the table's")
	}
	buffer := "decoded: cluster-b"
	if got := table.intern(buffer[9:]); unsafe.StringData(got) == unsafe.StringData(buffer[9:]) {
		t.Error("the table keeps the caller's bytes, want a copy")
	}
	if table.intern("") != "" || len(table.strings) != 2 {
		t.Errorf("the empty string is interned: %v", table.strings)
	}
	for i := len(table.strings); i < internMax; i++ {
		table.intern(fmt.Sprint(i))
	}
	if len(table.strings) != internMax {
		t.Fatalf("table holds %d, want %d", len(table.strings), internMax)
	}
	if table.intern("one more") != "one more" || len(table.strings) != 1 {
		t.Errorf("a full table holds %d after one more, want it started over with 1", len(table.strings))
	}
}

func TestInternPorts(t *testing.T) {
	table := portTable{lists: map[string][]object.Port{}}
	list := func(ports ...object.Port) []object.Port { return append(make([]object.Port, 0, 4), ports...) }
	http := table.intern(list(object.Port{Name: "http", Protocol: "TCP", Port: 80}))
	if again := table.intern(list(object.Port{Name: "http", Protocol: "TCP", Port: 80})); &again[0] != &http[0] {
		t.Error("an equal list is a new copy, want the table's")
	}
	if cap(http) != len(http) {
		t.Errorf("a shared list has room to append in place: len %d, cap %d", len(http), cap(http))
	}
	for _, other := range [][]object.Port{
		list(object.Port{Name: "http", Protocol: "TCP", Port: 81}),
		list(object.Port{Name: "http", Protocol: "UDP", Port: 80}),
		list(object.Port{Name: "htt", Protocol: "pTCP", Port: 80}),
		list(object.Port{Name: "http", Protocol: "TCP", Port: 80}, object.Port{Name: "dns", Protocol: "UDP", Port: 53}),
	} {
		if got := table.intern(other); &got[0] == &http[0] || !reflect.DeepEqual(got, other) {
			t.Errorf("intern(%v) = %v, want its own list", other, got)
		}
	}
	if got := table.intern([]object.Port{}); got == nil || len(got) != 0 {
		t.Errorf("intern of no ports = %#v, want the empty list", got)
	}
	for i := len(table.lists); i < portListsMax; i++ {
		table.intern(list(object.Port{Port: int32(1000 + i)}))
	}
	table.intern(list(object.Port{Port: 1}))
	if len(table.lists) != 1 {
		t.Errorf("a full table holds %d after one more, want it started over with 1", len(table.lists))
	}
}

// InternBytes gives the table's copy of a value it holds without
// allocating, and the same string intern gives.
func TestInternBytes(t *testing.T) {
	buf := []byte("intern-bytes-test")
	first := InternBytes(buf)
	if first != "intern-bytes-test" || unsafe.StringData(intern("intern-bytes-test")) != unsafe.StringData(first) {
		t.Fatalf("InternBytes = %q, not the table's copy", first)
	}
	buf[0] = 'X'
	if first != "intern-bytes-test" {
		t.Fatal("the table kept the caller's bytes")
	}
	buf[0] = 'i'
	if n := testing.AllocsPerRun(100, func() { InternBytes(buf) }); n != 0 {
		t.Errorf("a value in the table costs %v allocations, want 0", n)
	}
	if InternBytes(nil) != "" {
		t.Error("empty bytes are not the empty string")
	}
}
