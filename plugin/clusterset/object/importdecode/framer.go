package importdecode

import (
	"bytes"
	"io"

	"k8s.io/apimachinery/pkg/runtime"
)

// firstRead is the framer's first read size; the buffer doubles when a
// frame outgrows it.
const firstRead = 32 << 10

// framer is the standard JSON framer (json.Framer: a stream of JSON
// values, one frame each) with a fast path: the standard one finds each
// value's end with encoding/json's Decoder, which costs about as much as
// decoding the event once more. The fast path finds it with the scanner,
// and hands the rest of the stream to the standard frame reader at the
// first thing it cannot frame (malformed data, a value not an object, a
// read error or the end of the stream), so the standard one reports it.
type framer struct {
	runtime.Framer
}

func (f framer) NewFrameReader(r io.ReadCloser) io.ReadCloser {
	return &frameReader{r: r, standard: f.Framer}
}

// frameReader reads frames as the standard JSON frame reader does
// (k8s.io/apimachinery/pkg/util/framer: one value a Read, or
// io.ErrShortBuffer and the rest on the next Reads).
type frameReader struct {
	r        io.ReadCloser
	standard runtime.Framer
	// buf[start:] is read and not yet framed.
	buf   []byte
	start int
	// remaining is the rest of a frame larger than the caller's buffer.
	remaining []byte
	// fallback is the standard frame reader, once it has taken over.
	fallback io.ReadCloser
}

func (f *frameReader) Read(data []byte) (int, error) {
	switch {
	case f.fallback != nil:
		return f.fallback.Read(data)
	case len(f.remaining) > 0:
		n := copy(data, f.remaining)
		if f.remaining = f.remaining[n:]; len(f.remaining) > 0 {
			return n, io.ErrShortBuffer
		}
		return n, nil
	}
	frame, ok := f.next()
	if !ok {
		return f.fallback.Read(data)
	}
	n := copy(data, frame)
	if n < len(frame) {
		f.remaining = frame[n:]
		return n, io.ErrShortBuffer
	}
	return n, nil
}

// next returns the next frame, reading as much as it needs; false when
// the standard frame reader has taken over.
func (f *frameReader) next() ([]byte, bool) {
	for {
		pending := f.buf[f.start:]
		s := scanner{data: pending}
		if c := s.peek(); c != 0 && c != '{' {
			return nil, f.handOver(nil)
		}
		if s.pos < len(pending) {
			from := s.pos
			if err := s.skip(); err == nil {
				f.start += s.pos
				return pending[from:s.pos], true
			}
			if !s.short {
				return nil, f.handOver(nil)
			}
		}
		if err := f.fill(); err != nil {
			return nil, f.handOver(err)
		}
	}
}

// fill reads more after what is pending, moving it to the front of the
// buffer and growing the buffer when it is full.
func (f *frameReader) fill() error {
	pending := len(f.buf) - f.start
	if f.start > 0 {
		copy(f.buf, f.buf[f.start:])
		f.buf, f.start = f.buf[:pending], 0
	}
	if pending == cap(f.buf) {
		grown := make([]byte, pending, max(firstRead, 2*cap(f.buf)))
		copy(grown, f.buf)
		f.buf = grown
	}
	n, err := f.r.Read(f.buf[pending:cap(f.buf)])
	f.buf = f.buf[:pending+n]
	return err
}

// handOver gives the standard frame reader what is pending and the rest
// of the stream, which ends with readErr when the stream gave one.
// It returns false, for next.
func (f *frameReader) handOver(readErr error) bool {
	pending := bytes.NewReader(f.buf[f.start:])
	var rest io.Reader
	switch readErr {
	case nil:
		rest = io.MultiReader(pending, f.r)
	case io.EOF:
		rest = pending
	default:
		rest = io.MultiReader(pending, errorReader{readErr})
	}
	f.fallback = f.standard.NewFrameReader(readCloser{Reader: rest, Closer: f.r})
	return false
}

func (f *frameReader) Close() error {
	if f.fallback != nil {
		return f.fallback.Close()
	}
	return f.r.Close()
}

// errorReader gives the stream's read error again, as the stream would
// have to the standard frame reader.
type errorReader struct{ err error }

func (e errorReader) Read([]byte) (int, error) { return 0, e.err }

type readCloser struct {
	io.Reader
	io.Closer
}
