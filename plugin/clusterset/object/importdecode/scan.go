package importdecode

import (
	"errors"
	"strconv"
	"unicode/utf8"
)

// errFallback means the input is outside what the fast path can prove it
// reads exactly as the standard decoder does: malformed JSON, a type the
// schema does not allow, an escaped or duplicated key where it matters, a
// null or an escape in a kept value. The standard decoder then decides,
// errors included, so the fast path itself never reports an error.
var errFallback = errors.New("importdecode: left to the standard decoder")

// maxDepth bounds the nesting the scanner follows; deeper input is left to
// the standard decoder, which has its own (larger) limit.
const maxDepth = 256

// scanner reads one JSON document (RFC 8259) in place, without building
// values, so that skipped subtrees cost one pass and no allocation.
type scanner struct {
	data  []byte
	pos   int
	depth int
	// short is set when the scan failed for want of more data, which
	// the framer tells from malformed data (framer.go).
	short bool
}

// more reports whether n more bytes are there, noting when they are not.
func (s *scanner) more(n int) bool {
	if len(s.data)-s.pos < n {
		s.short = true
		return false
	}
	return true
}

// ws skips the four whitespace bytes of RFC 8259 section 2.
func (s *scanner) ws() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// peek returns the next byte after whitespace, 0 at the end.
func (s *scanner) peek() byte {
	s.ws()
	if s.pos >= len(s.data) {
		return 0
	}
	return s.data[s.pos]
}

// consume takes c as the next byte after whitespace.
func (s *scanner) consume(c byte) error {
	if s.peek() != c {
		s.more(1)
		return errFallback
	}
	s.pos++
	return nil
}

// null consumes a null literal if one comes next.
func (s *scanner) null() bool {
	if s.peek() == 'n' && s.literal("null") == nil {
		return true
	}
	return false
}

// literal consumes the exact word (true, false, null).
func (s *scanner) literal(word string) error {
	if !s.more(len(word)) || string(s.data[s.pos:s.pos+len(word)]) != word {
		return errFallback
	}
	s.pos += len(word)
	return nil
}

// str consumes a string and returns its raw bytes between the quotes and
// whether it holds an escape. Bytes from 0x80 up are accepted as they are,
// as the standard decoder does (it replaces invalid UTF-8, so a kept value
// with invalid UTF-8 must not take the fast path: see plain).
func (s *scanner) str() (raw []byte, escaped bool, err error) {
	if err := s.consume('"'); err != nil {
		return nil, false, err
	}
	start := s.pos
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		switch {
		case c == '"':
			s.pos++
			return s.data[start : s.pos-1], escaped, nil
		case c < 0x20:
			return nil, false, errFallback
		case c == '\\':
			escaped = true
			if err := s.escape(); err != nil {
				return nil, false, err
			}
		default:
			s.pos++
		}
	}
	s.short = true
	return nil, false, errFallback
}

// escape consumes one backslash escape (RFC 8259 section 7).
func (s *scanner) escape() error {
	if !s.more(2) {
		return errFallback
	}
	switch s.data[s.pos+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		s.pos += 2
		return nil
	case 'u':
		if !s.more(6) {
			return errFallback
		}
		for _, h := range s.data[s.pos+2 : s.pos+6] {
			if !isHex(h) {
				return errFallback
			}
		}
		s.pos += 6
		return nil
	}
	return errFallback
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// plain consumes a string whose value is its raw bytes: no escape and valid
// UTF-8, so that it reads the same however a decoder unescapes.
func (s *scanner) plain() ([]byte, error) {
	raw, escaped, err := s.str()
	if err != nil {
		return nil, err
	}
	if escaped || !isPlainUTF8(raw) {
		return nil, errFallback
	}
	return raw, nil
}

func isPlainUTF8(raw []byte) bool {
	for _, c := range raw {
		if c >= utf8.RuneSelf {
			return utf8.Valid(raw)
		}
	}
	return true
}

// number consumes a number and reports whether it is written as an
// integer (no fraction, no exponent), the only form an integer field takes.
func (s *scanner) number() (raw []byte, integer bool, err error) {
	s.ws()
	start := s.pos
	if s.pos < len(s.data) && s.data[s.pos] == '-' {
		s.pos++
	}
	if !s.more(1) {
		return nil, false, errFallback
	}
	switch c := s.data[s.pos]; {
	case c == '0':
		s.pos++
	case '1' <= c && c <= '9':
		s.digits()
	default:
		return nil, false, errFallback
	}
	integer = true
	if s.pos < len(s.data) && s.data[s.pos] == '.' {
		s.pos++
		if s.digits() == 0 {
			s.more(1)
			return nil, false, errFallback
		}
		integer = false
	}
	if s.pos < len(s.data) && (s.data[s.pos] == 'e' || s.data[s.pos] == 'E') {
		s.pos++
		if s.pos < len(s.data) && (s.data[s.pos] == '+' || s.data[s.pos] == '-') {
			s.pos++
		}
		if s.digits() == 0 {
			s.more(1)
			return nil, false, errFallback
		}
		integer = false
	}
	return s.data[start:s.pos], integer, nil
}

// digits consumes a run of decimal digits and returns its length.
func (s *scanner) digits() int {
	start := s.pos
	for s.pos < len(s.data) && '0' <= s.data[s.pos] && s.data[s.pos] <= '9' {
		s.pos++
	}
	return s.pos - start
}

// integer consumes an integer that fits in bits, as an int field of that
// size accepts it.
func (s *scanner) integer(bits int) (int64, error) {
	raw, integer, err := s.number()
	if err != nil || !integer {
		return 0, errFallback
	}
	n, err := strconv.ParseInt(string(raw), 10, bits)
	if err != nil {
		return 0, errFallback
	}
	return n, nil
}

// object consumes an object, calling member with each key and the
// scanner at its value, which member must consume. Keys with an escape
// could unescape to a field's name, so where keys name fields (plainKeys)
// they are left to the standard decoder.
func (s *scanner) object(plainKeys bool, member func(key []byte) error) error {
	if err := s.enter('{'); err != nil {
		return err
	}
	if s.peek() == '}' {
		s.pos++
		s.depth--
		return nil
	}
	for {
		key, escaped, err := s.str()
		if err != nil {
			return err
		}
		if escaped && plainKeys {
			return errFallback
		}
		if err := s.consume(':'); err != nil {
			return err
		}
		if err := member(key); err != nil {
			return err
		}
		if done, err := s.next('}'); done || err != nil {
			return err
		}
	}
}

// array consumes an array, calling element with the scanner at each
// element, which element must consume.
func (s *scanner) array(element func() error) error {
	if err := s.enter('['); err != nil {
		return err
	}
	if s.peek() == ']' {
		s.pos++
		s.depth--
		return nil
	}
	for {
		if err := element(); err != nil {
			return err
		}
		if done, err := s.next(']'); done || err != nil {
			return err
		}
	}
}

// enter consumes the opening byte of a container, one level deeper.
func (s *scanner) enter(open byte) error {
	if s.depth >= maxDepth {
		return errFallback
	}
	if err := s.consume(open); err != nil {
		return err
	}
	s.depth++
	return nil
}

// next consumes the separator after a member or element: a comma (more to
// come) or the closing byte (done, one level up).
func (s *scanner) next(closing byte) (done bool, err error) {
	switch s.peek() {
	case ',':
		s.pos++
		return false, nil
	case closing:
		s.pos++
		s.depth--
		return true, nil
	}
	s.more(1)
	return false, errFallback
}

// skip consumes any value, checked but not built.
func (s *scanner) skip() error {
	switch c := s.peek(); {
	case c == '{':
		return s.object(false, func([]byte) error { return s.skip() })
	case c == '[':
		return s.array(s.skip)
	case c == '"':
		_, _, err := s.str()
		return err
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	default:
		_, _, err := s.number()
		return err
	}
}

// end checks that nothing but whitespace follows the document.
func (s *scanner) end() error {
	if s.peek() != 0 || s.pos != len(s.data) {
		return errFallback
	}
	return nil
}
