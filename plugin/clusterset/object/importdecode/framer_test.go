package importdecode

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
)

// streamFramers are the standard JSON framer and ours.
func streamFramers(tb testing.TB) (standard, fast runtime.Framer) {
	std, ours := jsonStreams(tb)
	return std.Framer, ours.Framer
}

// chunkReader gives its data in reads of the sizes given, in turn, then
// ends with err (io.EOF when nil).
type chunkReader struct {
	data  []byte
	sizes []int
	i     int
	err   error
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		return 0, io.EOF
	}
	n := min(len(p), len(r.data), max(1, r.sizes[r.i%len(r.sizes)]))
	r.i++
	n = copy(p, r.data[:n])
	r.data = r.data[n:]
	return n, nil
}

func (r *chunkReader) Close() error { return nil }

// frames reads everything a frame reader gives with a caller buffer of
// size, as one string per Read: the bytes and the error.
func frames(f runtime.Framer, stream []byte, sizes []int, readErr error, size int) []string {
	r := f.NewFrameReader(&chunkReader{data: stream, sizes: sizes, err: readErr})
	buf := make([]byte, size)
	var out []string
	for range 10000 {
		n, err := r.Read(buf)
		out = append(out, fmt.Sprintf("%q %v", buf[:n], err))
		if err != nil && !errors.Is(err, io.ErrShortBuffer) {
			break
		}
	}
	return out
}

// assertFramesEquivalent fails unless both framers give the same reads.
func assertFramesEquivalent(t *testing.T, standard, fast runtime.Framer, stream []byte, sizes []int, readErr error, size int) {
	t.Helper()
	want := frames(standard, stream, sizes, readErr, size)
	got := frames(fast, stream, sizes, readErr, size)
	if strings.Join(want, "\n") != strings.Join(got, "\n") {
		t.Fatalf("reads differ for %q (chunks %v, buffer %d):\nstandard %v\nfast     %v", stream, sizes, size, want, got)
	}
}

func framerCases(tb testing.TB) []string {
	event := `{"type":"ADDED","object":` + string(fixture(tb)) + "}\n"
	return []string{
		event + event + event,
		"  \n" + event + "\t" + event,
		`{}{"a":[1,2,{"b":"c\"}"}]}`,
		event + `{"type":"ADDED","object":{"a":}}` + "\n" + event,
		event + `[1,2]` + event,
		event + `"x"`,
		event + `123`,
		event + `{"a":1`,
		event + "  ",
		event + `}`,
		`{"a":"\u00e9\ud83d"}{"b":tru}`,
		`{"a":-}`,
		"{\"a\":\"\x01\"}",
		`{"a":` + strings.Repeat("[", 300) + strings.Repeat("]", 300) + `}` + event,
		``,
	}
}

func TestFramerMatchesStandard(t *testing.T) {
	standard, fast := streamFramers(t)
	for i, stream := range framerCases(t) {
		for _, sizes := range [][]int{{1 << 20}, {1}, {7, 1, 300}, {4096}} {
			for _, size := range []int{1024, 16, 1 << 16} {
				for _, readErr := range []error{nil, errors.New("connection reset")} {
					t.Run(fmt.Sprintf("%d/%v/%d/%v", i, sizes, size, readErr), func(t *testing.T) {
						assertFramesEquivalent(t, standard, fast, []byte(stream), sizes, readErr, size)
					})
				}
			}
		}
	}
}

// FuzzFramerMatchesStandard holds the framer to the standard one on any
// stream, read in chunks of any size into a buffer of any size.
func FuzzFramerMatchesStandard(f *testing.F) {
	for _, stream := range framerCases(f) {
		f.Add([]byte(stream), uint16(4096), uint16(1024), false)
	}
	f.Add([]byte(`{"a":1}{"b":2}`), uint16(3), uint16(5), true)
	standard, fast := streamFramers(f)
	f.Fuzz(func(t *testing.T, stream []byte, chunk, size uint16, fail bool) {
		var readErr error
		if fail {
			readErr = errors.New("connection reset")
		}
		assertFramesEquivalent(t, standard, fast, stream, []int{int(chunk)}, readErr, max(1, int(size)))
	})
}

// The fast framer must frame a stream without handing it over.
func TestFramerTakesServerStreams(t *testing.T) {
	_, fast := streamFramers(t)
	stream := bytes.Repeat([]byte(`{"type":"ADDED","object":`+string(fixture(t))+"}\n"), 3)
	r := fast.NewFrameReader(io.NopCloser(bytes.NewReader(stream)))
	buf := make([]byte, 1<<16)
	for range 3 {
		if _, err := r.Read(buf); err != nil {
			t.Fatal(err)
		}
	}
	if r.(*frameReader).fallback != nil {
		t.Error("the standard frame reader took over a well-formed stream")
	}
}
