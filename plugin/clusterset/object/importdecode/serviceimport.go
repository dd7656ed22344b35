package importdecode

import (
	"bytes"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// importFields is what convert.ServiceImportFromV1beta1 and
// ServiceImportFromV1alpha1 read of a ServiceImport, and the type meta that
// says which Go type to fill.
type importFields struct {
	apiVersion, kind                 []byte
	name, namespace, resourceVersion string
	importType                       string
	ips                              []string
	ports                            []keptPort
	internalTrafficPolicy            *string
	trafficDistribution              *string
	endpointSliceObjects             string
}

type keptPort struct {
	name, protocol string
	port           int32
}

// parse reads one ServiceImport document in a single pass.
func parse(data []byte) (*importFields, error) {
	s := scanner{data: data}
	f := &importFields{}
	var seen uint64
	err := s.object(true, func(key []byte) error {
		if typeMetaLookalike(key) {
			return errFallback
		}
		return s.member(topFields, &seen, key, func(name string) error { return s.top(f, name) })
	})
	if err != nil {
		return nil, err
	}
	if err := s.end(); err != nil {
		return nil, err
	}
	return f, nil
}

// typeMetaLookalike reports a top-level key that the standard decoder's
// first pass (json.SimpleMetaFactory, with encoding/json's case-insensitive
// field matching) could read as apiVersion or kind, though the typed
// decode, case-sensitive, would not: "Kind", "APIVERSION", or a key that
// is not ASCII, which Unicode case folding could map onto either.
func typeMetaLookalike(key []byte) bool {
	if string(key) == "apiVersion" || string(key) == "kind" {
		return false
	}
	for _, c := range key {
		if c >= 0x80 {
			return true
		}
	}
	return strings.EqualFold(string(key), "apiVersion") || strings.EqualFold(string(key), "kind")
}

// top reads one of the ServiceImport's own fields.
func (s *scanner) top(f *importFields, name string) (err error) {
	switch name {
	case "apiVersion":
		f.apiVersion, err = s.plain()
	case "kind":
		f.kind, err = s.plain()
	case "metadata":
		err = s.members(metaFields, func(name string) error { return s.meta(f, name) })
	case "spec":
		err = s.members(specFields, func(name string) error { return s.spec(f, name) })
	case "status":
		err = s.members(statusFields, func(string) (err error) {
			f.endpointSliceObjects, err = s.internedString()
			return err
		})
	}
	return err
}

// meta reads one of the kept ObjectMeta fields.
func (s *scanner) meta(f *importFields, name string) (err error) {
	switch name {
	case "name":
		f.name, err = s.keptString()
	case "namespace":
		f.namespace, err = s.internedString()
	case "resourceVersion":
		f.resourceVersion, err = s.keptString()
	case "annotations":
		err = s.annotations()
	}
	return err
}

// annotations checks the annotations and leaves a bookmark that ends the
// initial events to the standard decoder: the reflector reads that
// annotation (metav1.InitialEventsAnnotationKey), which the fast result
// does not carry. Escaped keys could spell it, so they are left too.
func (s *scanner) annotations() error {
	if s.null() {
		return nil
	}
	return s.object(true, func(key []byte) error {
		if bytes.Equal(key, []byte(metav1.InitialEventsAnnotationKey)) {
			return errFallback
		}
		return s.check(field{shape: stringVal})
	})
}

// spec reads one of the kept ServiceImportSpec fields.
func (s *scanner) spec(f *importFields, name string) (err error) {
	switch name {
	case "type":
		f.importType, err = s.internedString()
	case "ips":
		f.ips, err = s.keptStrings()
	case "ports":
		f.ports, err = s.ports()
	case "internalTrafficPolicy":
		f.internalTrafficPolicy, err = s.keptOptional()
	case "trafficDistribution":
		f.trafficDistribution, err = s.keptOptional()
	}
	return err
}

// ports reads spec.ports; a null list is no list, as in the typed decode.
func (s *scanner) ports() ([]keptPort, error) {
	if s.null() {
		return nil, nil
	}
	ports := make([]keptPort, 0, 2)
	err := s.array(func() error {
		var p keptPort
		err := s.members(portFields, func(name string) (err error) {
			switch name {
			case "name":
				p.name, err = s.internedString()
			case "protocol":
				p.protocol, err = s.internedString()
			case "port":
				var n int64
				n, err = s.integer(32)
				p.port = int32(n)
			}
			return err
		})
		ports = append(ports, p)
		return err
	})
	return ports, err
}
