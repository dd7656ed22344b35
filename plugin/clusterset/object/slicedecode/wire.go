package slicedecode

import (
	"errors"
	"io"
)

// The errors of the generated protobuf code (k8s.io/api's generated.pb.go),
// whose checks the reader repeats one for one: the fast path must fail
// exactly where the standard decoder does, so that it can leave those
// inputs to it. Which error is returned does not matter, only that one is.
var (
	errOverflow      = errors.New("slicedecode: integer overflow")
	errInvalidLength = errors.New("slicedecode: negative length")
	errEndGroup      = errors.New("slicedecode: end of group without a start")
	errWireType      = errors.New("slicedecode: wire type not the field's")
	errIllegalTag    = errors.New("slicedecode: illegal tag")
	errEOF           = io.ErrUnexpectedEOF
)

// Protobuf wire types (protobuf encoding guide, "Message Structure").
const (
	wireVarint     = 0
	wireFixed64    = 1
	wireBytes      = 2
	wireStartGroup = 3
	wireEndGroup   = 4
	wireFixed32    = 5
)

// reader reads one message's bytes as the generated Unmarshal does: each
// read checks what the generated code checks and nothing more.
type reader struct {
	data []byte
	pos  int
}

func (r *reader) more() bool { return r.pos < len(r.data) }

// varint reads a base-128 varint; bits past the 64th are dropped, as the
// generated code's shifts drop them, and an eleventh byte is an overflow.
func (r *reader) varint() (uint64, error) {
	var v uint64
	for shift := uint(0); ; shift += 7 {
		if shift >= 64 {
			return 0, errOverflow
		}
		if r.pos >= len(r.data) {
			return 0, errEOF
		}
		b := r.data[r.pos]
		r.pos++
		v |= uint64(b&0x7F) << shift
		if b < 0x80 {
			return v, nil
		}
	}
}

// tag reads a field's key: its number and wire type. Like every generated
// message (but not a map entry), it refuses an end-group key and a field
// number below 1.
func (r *reader) tag() (num int32, wire int, err error) {
	key, err := r.varint()
	if err != nil {
		return 0, 0, err
	}
	num, wire = int32(key>>3), int(key&7)
	if wire == wireEndGroup {
		return 0, 0, errEndGroup
	}
	if num <= 0 {
		return 0, 0, errIllegalTag
	}
	return num, wire, nil
}

// lengthDelimited reads a length and the bytes it covers, which must end
// within limit (the generated code checks a map entry's key and value
// against the enclosing message, not the entry).
func (r *reader) lengthDelimited(limit int) ([]byte, error) {
	n, err := r.varint()
	if err != nil {
		return nil, err
	}
	length := int(n)
	if length < 0 {
		return nil, errInvalidLength
	}
	end := r.pos + length
	if end < 0 {
		return nil, errInvalidLength
	}
	if end > limit {
		return nil, errEOF
	}
	b := r.data[r.pos:end]
	r.pos = end
	return b, nil
}

// bytesField reads a length-delimited field after its key, whose wire
// type must say so.
func (r *reader) bytesField(wire int) ([]byte, error) {
	if wire != wireBytes {
		return nil, errWireType
	}
	return r.lengthDelimited(len(r.data))
}

// varintField reads a varint field after its key.
func (r *reader) varintField(wire int) (uint64, error) {
	if wire != wireVarint {
		return 0, errWireType
	}
	return r.varint()
}

// skipFrom skips the field whose key starts at start, one the message
// does not know, as the generated skipGenerated does: groups nest, and the
// field must end within limit.
func (r *reader) skipFrom(start, limit int) error {
	r.pos = start
	n, err := skipField(r.data[start:])
	if err != nil {
		return err
	}
	if n < 0 || start+n < 0 {
		return errInvalidLength
	}
	if start+n > limit {
		return errEOF
	}
	r.pos = start + n
	return nil
}

// skipField is the length of the field at the start of data, groups and
// all. Fixed-size values are not bounds-checked here but by the caller,
// as in the generated code.
func skipField(data []byte) (int, error) {
	r := reader{data: data}
	depth := 0
	for r.more() {
		key, err := r.varint()
		if err != nil {
			return 0, err
		}
		switch key & 7 {
		case wireVarint:
			if _, err := r.varint(); err != nil {
				return 0, err
			}
		case wireFixed64:
			r.pos += 8
		case wireBytes:
			n, err := r.varint()
			if err != nil {
				return 0, err
			}
			if int(n) < 0 {
				return 0, errInvalidLength
			}
			r.pos += int(n)
		case wireStartGroup:
			depth++
		case wireEndGroup:
			if depth == 0 {
				return 0, errEndGroup
			}
			depth--
		case wireFixed32:
			r.pos += 4
		default:
			return 0, errWireType
		}
		if r.pos < 0 {
			return 0, errInvalidLength
		}
		if depth == 0 {
			return r.pos, nil
		}
	}
	return 0, errEOF
}
