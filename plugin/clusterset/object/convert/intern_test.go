package convert

import (
	"fmt"
	"testing"
	"unsafe"
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
