package clusterset

import (
	"maps"
	"strings"

	"github.com/clusterset-dns/clusterset/plugin/clusterset/object"

	"github.com/miekg/dns"
)

// snapshot is an immutable view of every answer the plugin serves. The
// handler reads it through an atomic pointer without a lock; a change makes a
// new snapshot that shares every unchanged service's answers with the old one.
type snapshot struct {
	// serial is the SOA serial: the time of the last change that altered an
	// answer, moved forward by at least one each time.
	serial uint32
	// soa is the zone's SOA, per zone, with this snapshot's serial.
	soa []dns.SOA
	// services maps "s.n" (service and namespace labels, lower-cased) to the
	// service's answers.
	services map[string]*serviceAnswers
	// namespaces counts the services served per lower-cased namespace, so
	// that `N.svc.Z` is an empty non-terminal exactly while it has some.
	namespaces map[string]int
	// counts for the gauges.
	byType map[string]int
	ready4 int
	ready6 int
}

// serviceLookupKey is the key of services for a service key.
func serviceLookupKey(key object.ServiceKey) string {
	return strings.ToLower(key.Name) + "." + strings.ToLower(key.Namespace)
}

// with returns a new snapshot in which the services in changed (nil: no
// longer served) replace the old ones, with the given serial and SOAs.
func (s *snapshot) with(changed map[string]*serviceAnswers, serial uint32, soa []dns.SOA) *snapshot {
	next := &snapshot{
		serial:     serial,
		soa:        soa,
		services:   maps.Clone(s.services),
		namespaces: maps.Clone(s.namespaces),
		byType:     maps.Clone(s.byType),
		ready4:     s.ready4,
		ready6:     s.ready6,
	}
	if next.services == nil {
		next.services = map[string]*serviceAnswers{}
	}
	if next.namespaces == nil {
		next.namespaces = map[string]int{}
	}
	if next.byType == nil {
		next.byType = map[string]int{}
	}
	for key, ans := range changed {
		namespace := key[strings.IndexByte(key, '.')+1:]
		if old, ok := next.services[key]; ok {
			next.account(namespace, old, -1)
			delete(next.services, key)
		}
		if ans != nil {
			next.services[key] = ans
			next.account(namespace, ans, +1)
		}
	}
	return next
}

func (s *snapshot) account(namespace string, ans *serviceAnswers, sign int) {
	s.namespaces[namespace] += sign
	if s.namespaces[namespace] == 0 {
		delete(s.namespaces, namespace)
	}
	s.byType[ans.typ] += sign
	s.ready4 += sign * ans.ready4
	s.ready6 += sign * ans.ready6
}
