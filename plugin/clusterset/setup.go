package clusterset

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/clusterset-dns/clusterset/plugin/clusterset/internal/answer"
	"github.com/clusterset-dns/clusterset/plugin/clusterset/object"

	"github.com/coredns/caddy"
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/plugin"

	"github.com/miekg/dns"
	"k8s.io/apimachinery/pkg/labels"
)

// defaultZone is served when neither the directive nor its server block
// names a zone other than the root: an MCS server owning every name under
// "." would answer NXDOMAIN for the whole internet.
const defaultZone = "clusterset.local."

// errDuplicateDirective is returned when a server block has the directive
// twice: two instances would each answer for the same zones.
var errDuplicateDirective = errors.New("the clusterset directive may appear once per server block")

func init() { plugin.Register(pluginName, setup) }

func setup(c *caddy.Controller) error {
	cs, err := parse(c)
	if err != nil {
		return plugin.Error(pluginName, err)
	}
	c.OnStartup(cs.OnStartup)
	c.OnShutdown(cs.OnShutdown)
	c.OnRestart(cs.offerHandoff)
	c.OnRestartFailed(cs.withdrawHandoff)
	dnsserver.GetConfig(c).AddPlugin(func(next plugin.Handler) plugin.Handler {
		cs.Next = next
		return cs
	})
	return nil
}

// parse reads the directive's block. It does no I/O: files named in the
// Corefile are read in OnStartup.
func parse(c *caddy.Controller) (*ClusterSet, error) {
	cs := &ClusterSet{
		watch:          watchOptions{qps: defaultQPS, burst: defaultBurst},
		answers:        answer.Options{TTL: defaultTTL, MaxAddresses: defaultMaxAddresses, DeniedNamespaces: setOf(defaultDeniedNamespaces)},
		startupTimeout: defaultStartupTimeout,
	}
	seen := false
	for c.Next() {
		if seen {
			return nil, c.Errf("%v", errDuplicateDirective)
		}
		seen = true

		origins := plugin.OriginsFromArgsOrServerBlock(c.RemainingArgs(), c.ServerBlockKeys)
		if len(origins) == 1 && origins[0] == "." {
			origins = []string{defaultZone}
		}
		set := map[string]bool{}
		for c.NextBlock() {
			option := c.Val()
			if set[option] {
				return nil, c.Errf("option '%s' given twice", option)
			}
			set[option] = true
			if err := cs.parseOption(c, option); err != nil {
				return nil, err
			}
		}
		if set["kubeconfig"] && set["endpoint"] {
			return nil, c.Errf("options 'kubeconfig' and 'endpoint' exclude each other")
		}
		if set["tls"] && !set["endpoint"] {
			return nil, c.Errf("option 'tls' needs 'endpoint'")
		}
		for _, ns := range cs.watch.excludedNamespaces {
			if _, ok := cs.watch.namespaces[ns]; ok {
				return nil, c.Errf("namespace %q is in both 'namespaces' and 'exclude_namespaces'", ns)
			}
		}
		if cs.answers.IgnoreEmptyService && cs.watch.noEndpoints {
			return nil, c.Errf("'ignore empty_service' needs endpoints, but 'noendpoints' is set")
		}
		if err := cs.checkLocality(c); err != nil {
			return nil, err
		}

		for _, o := range origins {
			o = strings.ToLower(dns.Fqdn(o))
			if !slices.ContainsFunc(cs.zones, func(z zoneRecords) bool { return z.origin == o }) {
				cs.zones = append(cs.zones, newZoneRecords(o, cs.answers.TTL))
			}
		}
	}
	// Most specific zone first, so a query matches it before its parent.
	slices.SortStableFunc(cs.zones, func(a, b zoneRecords) int { return len(b.origin) - len(a.origin) })
	cs.sourceKey = sourceKeyOf(c.ServerBlockKeys, cs.zones, cs.watch)
	cs.gauges = newInstanceGauges(dnsserver.GetConfig(c), cs.zones)
	serial := uint32(time.Now().Unix())
	for i := range cs.zones {
		cs.preSyncSOA = append(cs.preSyncSOA, cs.zones[i].soa(serial, cs.answers.TTL))
	}
	return cs, nil
}

// parseOption parses one option line; c is on the option's name.
func (cs *ClusterSet) parseOption(c *caddy.Controller, option string) error {
	args := c.RemainingArgs()
	argc := func(lo, hi int) error {
		if len(args) < lo || len(args) > hi {
			if lo == hi {
				return c.Errf("option '%s' takes %d argument(s), got %d", option, lo, len(args))
			}
			return c.Errf("option '%s' takes %d to %d arguments, got %d", option, lo, hi, len(args))
		}
		return nil
	}
	switch option {
	case "kubeconfig":
		if err := argc(1, 2); err != nil {
			return err
		}
		cs.watch.kubeconfig = args[0]
		if len(args) == 2 {
			cs.watch.kubecontext = args[1]
		}
	case "endpoint":
		if err := argc(1, 1); err != nil {
			return err
		}
		u, err := url.Parse(args[0])
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return c.Errf("option 'endpoint': %q is not an http or https URL", args[0])
		}
		cs.watch.endpoint = args[0]
	case "tls":
		if err := argc(3, 3); err != nil {
			return err
		}
		cs.watch.tlsCert, cs.watch.tlsKey, cs.watch.tlsCA = args[0], args[1], args[2]
	case "apiserver_qps":
		if err := argc(1, 1); err != nil {
			return err
		}
		qps, err := strconv.ParseFloat(args[0], 32)
		if err != nil || qps <= 0 {
			return c.Errf("option 'apiserver_qps': %q is not a positive number", args[0])
		}
		cs.watch.qps = float32(qps)
	case "apiserver_burst":
		if err := argc(1, 1); err != nil {
			return err
		}
		burst, err := strconv.Atoi(args[0])
		if err != nil || burst <= 0 {
			return c.Errf("option 'apiserver_burst': %q is not a positive integer", args[0])
		}
		cs.watch.burst = burst
	case "namespaces":
		if err := argc(1, 1<<16); err != nil {
			return err
		}
		cs.watch.namespaces = map[string]struct{}{}
		for _, ns := range args {
			if _, ok := answer.DNSLabel(ns); !ok || ns != strings.ToLower(ns) {
				return c.Errf("option 'namespaces': %q is not a namespace name", ns)
			}
			cs.watch.namespaces[ns] = struct{}{}
		}
	case "exclude_namespaces":
		if err := argc(1, 1<<16); err != nil {
			return err
		}
		for _, ns := range args {
			if _, ok := answer.DNSLabel(ns); !ok || ns != strings.ToLower(ns) {
				return c.Errf("option 'exclude_namespaces': %q is not a namespace name", ns)
			}
			if !slices.Contains(cs.watch.excludedNamespaces, ns) {
				cs.watch.excludedNamespaces = append(cs.watch.excludedNamespaces, ns)
			}
		}
		slices.Sort(cs.watch.excludedNamespaces)
	case "namespace_labels", "import_labels":
		if err := argc(1, 1<<16); err != nil {
			return err
		}
		expr := strings.Join(args, " ")
		if _, err := labels.Parse(expr); err != nil {
			return c.Errf("option '%s': %q is not a label selector: %v", option, expr, err)
		}
		if option == "namespace_labels" {
			cs.watch.namespaceLabels = expr
		} else {
			cs.watch.importLabels = expr
		}
	case "ttl":
		if err := argc(1, 1); err != nil {
			return err
		}
		ttl, err := strconv.Atoi(args[0])
		if err != nil || ttl < 0 || ttl > maxTTL {
			return c.Errf("option 'ttl': %q is not a number of seconds from 0 to %d", args[0], maxTTL)
		}
		cs.answers.TTL = uint32(ttl)
	case "noendpoints":
		if err := argc(0, 0); err != nil {
			return err
		}
		cs.watch.noEndpoints = true
	case "fallthrough":
		cs.Fall.SetZonesFromArgs(args)
	case "ignore":
		if len(args) != 1 || args[0] != "empty_service" {
			return c.Errf("option 'ignore' takes 'empty_service', got %q", strings.Join(args, " "))
		}
		cs.answers.IgnoreEmptyService = true
	case "deny_namespaces":
		// No argument denies none: the defaults are then lifted.
		cs.answers.DeniedNamespaces = map[string]struct{}{}
		for _, ns := range args {
			if _, ok := answer.DNSLabel(ns); !ok || ns != strings.ToLower(ns) {
				return c.Errf("option 'deny_namespaces': %q is not a namespace name", ns)
			}
			cs.answers.DeniedNamespaces[ns] = struct{}{}
		}
	case "allow_addresses", "deny_addresses":
		if err := argc(1, 1<<16); err != nil {
			return err
		}
		prefixes := make([]netip.Prefix, 0, len(args))
		for _, a := range args {
			p, err := parsePrefix(a)
			if err != nil {
				return c.Errf("option '%s': %q is not a CIDR or an address", option, a)
			}
			prefixes = append(prefixes, p)
		}
		if option == "allow_addresses" {
			cs.answers.Addresses.Allow = prefixes
		} else {
			cs.answers.Addresses.Deny = prefixes
		}
	case "allow_special_addresses":
		if err := argc(0, 0); err != nil {
			return err
		}
		cs.answers.Addresses.Special = true
	case "max_addresses":
		if err := argc(1, 1); err != nil {
			return err
		}
		n, err := strconv.Atoi(args[0])
		if err != nil || n < 1 || n > maxMaxAddresses {
			return c.Errf("option 'max_addresses': %q is not a number from 1 to %d", args[0], maxMaxAddresses)
		}
		cs.answers.MaxAddresses = n
	case "cluster_id":
		if err := argc(0, 1); err != nil {
			return err
		}
		if len(args) == 0 {
			cs.answers.Locality.ClusterIDFromProperty = true
			break
		}
		id, ok := answer.DNSSubdomain(args[0])
		if !ok {
			return c.Errf("option 'cluster_id': %q is not a cluster ID (a DNS subdomain, KEP-2149)", args[0])
		}
		cs.answers.Locality.ClusterID = id
	case "topology":
		if err := argc(0, 2); err != nil {
			return err
		}
		if len(args) == 0 {
			cs.answers.Locality.ZoneFromProperty = true
			break
		}
		cs.answers.Locality.Zone = args[0]
		if len(args) == 2 {
			cs.answers.Locality.Region = args[1]
		}
	case "prefer":
		if err := argc(1, 2); err != nil {
			return err
		}
		switch args[0] {
		case "none":
			cs.answers.Locality.Prefer = answer.PreferNone
		case "local":
			cs.answers.Locality.Prefer = answer.PreferLocal
		case "zone":
			cs.answers.Locality.Prefer = answer.PreferZone
		default:
			return c.Errf("option 'prefer' takes local, zone or none, got %q", args[0])
		}
		if len(args) == 2 {
			if args[1] != "restrict" {
				return c.Errf("option 'prefer': %q is not 'restrict'", args[1])
			}
			cs.answers.Locality.Restrict = true
		}
	case "scoped_names":
		if err := argc(0, 2); err != nil {
			return err
		}
		if len(args) == 0 {
			args = []string{"zone", "cluster"}
		}
		for _, a := range args {
			switch a {
			case "zone":
				cs.answers.ScopedZone = true
			case "cluster":
				cs.answers.ScopedCluster = true
			default:
				return c.Errf("option 'scoped_names' takes zone and/or cluster, got %q", a)
			}
		}
	case "answer":
		if err := argc(1, 1); err != nil {
			return err
		}
		switch args[0] {
		case "vip":
			cs.answers.AnswerEndpoints = false
		case "endpoints":
			cs.answers.AnswerEndpoints = true
		default:
			return c.Errf("option 'answer' takes vip or endpoints, got %q", args[0])
		}
	case "cluster_health":
		if err := argc(0, 1); err != nil {
			return err
		}
		cs.answers.HealthProperty = object.PropertyUnreachableClusters
		if len(args) == 1 {
			if _, ok := answer.DNSSubdomain(args[0]); !ok || args[0] != strings.ToLower(args[0]) {
				return c.Errf("option 'cluster_health': %q is not a ClusterProperty name", args[0])
			}
			cs.answers.HealthProperty = args[0]
		}
	case "extended_errors":
		if err := argc(0, 0); err != nil {
			return err
		}
		cs.answers.ExtendedErrors = true
	case "rotate":
		if err := argc(0, 0); err != nil {
			return err
		}
		cs.answers.Rotate = true
	case "startup_timeout":
		if err := argc(1, 1); err != nil {
			return err
		}
		d, err := time.ParseDuration(args[0])
		if err != nil || d < 0 {
			return c.Errf("option 'startup_timeout': %q is not a duration such as 5s", args[0])
		}
		cs.startupTimeout = d
	default:
		return c.Errf("unknown option '%s'", option)
	}
	return nil
}

// checkLocality checks the locality, scoped-name and answer options against each other, after the
// block is read, and decides whether ClusterProperties are watched.
func (cs *ClusterSet) checkLocality(c *caddy.Controller) error {
	loc := &cs.answers.Locality
	hasID := loc.ClusterID != "" || loc.ClusterIDFromProperty
	if loc.Prefer != answer.PreferNone && !hasID {
		return c.Errf("option 'prefer' needs 'cluster_id' to know which cluster is local")
	}
	if (cs.answers.ScopedZone || cs.answers.ScopedCluster) && cs.watch.noEndpoints {
		return c.Errf("'scoped_names' needs endpoints, but 'noendpoints' is set")
	}
	if cs.answers.AnswerEndpoints && cs.watch.noEndpoints {
		return c.Errf("'answer endpoints' needs endpoints, but 'noendpoints' is set")
	}
	// Without `topology ZONE`, the zone comes from the ClusterProperties
	// whenever they are read anyway, and `prefer zone` reads them for it.
	watched := loc.ClusterIDFromProperty || cs.answers.HealthProperty != ""
	if loc.Zone == "" && (watched || loc.Prefer == answer.PreferZone) {
		loc.ZoneFromProperty = true
	}
	cs.watch.clusterProperties = watched || loc.ZoneFromProperty
	return nil
}

// maxMaxAddresses is the largest max_addresses: 4000 compressed A records
// (16 octets each) still fit a TCP message of 65535 octets.
const maxMaxAddresses = 4000

// parsePrefix parses a CIDR, or a lone address as its own /32 or /128.
func parsePrefix(s string) (netip.Prefix, error) {
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return p.Masked(), nil
}

func setOf(items []string) map[string]struct{} {
	m := make(map[string]struct{}, len(items))
	for _, it := range items {
		m[it] = struct{}{}
	}
	return m
}

// String describes the configuration, for debugging.
func (cs *ClusterSet) String() string {
	origins := make([]string, len(cs.zones))
	for i := range cs.zones {
		origins[i] = cs.zones[i].origin
	}
	return fmt.Sprintf("clusterset %s ttl=%d", strings.Join(origins, " "), cs.answers.TTL)
}
