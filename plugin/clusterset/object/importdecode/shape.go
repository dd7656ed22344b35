package importdecode

import (
	"time"
)

// shape is what the typed decode of a field accepts. The fast path drops
// most fields, but a value of the wrong JSON type in any of them makes the
// standard decoder fail the whole object, so each is checked against its
// Go type's shape before being dropped. null is accepted everywhere, as
// encoding/json leaves the field unset (and metav1.Time reads it as zero).
type shape uint8

const (
	anyValue   shape = iota // metav1.FieldsV1 takes any JSON value
	stringVal               // string
	int32Val                // int32
	int64Val                // int64
	boolVal                 // bool
	timeVal                 // metav1.Time: an RFC 3339 string
	stringMap               // map[string]string
	stringList              // []string
	structVal               // a struct: see field.elem
	structList              // a slice of structs: see field.elem
	kept                    // read by the caller into the result
)

// field is one JSON field of a Go struct and the shape of its value.
type field struct {
	name  string
	shape shape
	elem  []field // the struct's fields, for structVal and structList
}

// index finds the field named key; -1 for a key the struct does not
// have, which the typed decode ignores (it is case-sensitive).
func index(fields []field, key []byte) int {
	for i := range fields {
		if fields[i].name == string(key) {
			return i
		}
	}
	return -1
}

// members consumes an object of the struct fields, through member.
func (s *scanner) members(fields []field, keep func(name string) error) error {
	var seen uint64
	return s.object(true, func(key []byte) error { return s.member(fields, &seen, key, keep) })
}

// member consumes the value of one key of an object of the struct fields.
// Known fields are checked (or handed to keep when kept) and may come
// once: a repeated field merges or overrides in the typed decode, which is
// left to it. Unknown keys are skipped, as the typed decode ignores them.
// keep must consume the value.
func (s *scanner) member(fields []field, seen *uint64, key []byte, keep func(name string) error) error {
	i := index(fields, key)
	if i < 0 {
		return s.skip()
	}
	if *seen&(1<<i) != 0 {
		return errFallback
	}
	*seen |= 1 << i
	if fields[i].shape == kept {
		return keep(fields[i].name)
	}
	return s.check(fields[i])
}

// noneKept is the keep function of a struct none of whose fields is kept.
func noneKept(string) error { return errFallback }

// check consumes a value that f's Go type accepts, or falls back.
func (s *scanner) check(f field) error {
	if s.null() {
		return nil
	}
	switch f.shape {
	case anyValue:
		return s.skip()
	case stringVal:
		_, _, err := s.str()
		return err
	case int32Val:
		_, err := s.integer(32)
		return err
	case int64Val:
		_, err := s.integer(64)
		return err
	case boolVal:
		return s.boolean()
	case timeVal:
		return s.time()
	case stringMap:
		return s.object(false, func([]byte) error { return s.check(field{shape: stringVal}) })
	case stringList:
		return s.array(func() error { return s.check(field{shape: stringVal}) })
	case structVal:
		return s.members(f.elem, noneKept)
	case structList:
		return s.array(func() error { return s.check(field{shape: structVal, elem: f.elem}) })
	}
	return errFallback
}

func (s *scanner) boolean() error {
	if s.peek() == 't' {
		return s.literal("true")
	}
	return s.literal("false")
}

// time consumes a string metav1.Time parses: RFC 3339 as time.Parse reads
// it. Escaped strings are left to the standard decoder.
func (s *scanner) time() error {
	raw, err := s.plain()
	if err != nil {
		return err
	}
	if _, err := time.Parse(time.RFC3339, string(raw)); err != nil {
		return errFallback
	}
	return nil
}
