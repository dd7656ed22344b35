package importdecode

import "github.com/clusterset-dns/clusterset/plugin/clusterset/object/convert"

// keptString consumes a string value the result keeps.
func (s *scanner) keptString() (string, error) {
	raw, err := s.plain()
	return string(raw), err
}

// keptOptional consumes a string value the result keeps behind a pointer,
// nil for null as in the typed decode.
func (s *scanner) keptOptional() (*string, error) {
	if s.null() {
		return nil, nil
	}
	v, err := s.keptString()
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// keptStrings consumes a list of strings the result keeps, nil for null
// as in the typed decode.
func (s *scanner) keptStrings() ([]string, error) {
	if s.null() {
		return nil, nil
	}
	var out []string
	err := s.array(func() error {
		v, err := s.keptString()
		out = append(out, v)
		return err
	})
	return out, err
}

// internedString consumes a string value the transform interns
// (convert.InternBytes): one it has seen before costs no allocation.
func (s *scanner) internedString() (string, error) {
	raw, err := s.plain()
	return convert.InternBytes(raw), err
}
