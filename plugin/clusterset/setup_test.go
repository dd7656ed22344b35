package clusterset

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clusterset-dns/clusterset/plugin/clusterset/internal/answer"

	"github.com/coredns/caddy"
)

func TestParseAcceptsEveryOption(t *testing.T) {
	c := caddy.NewTestController("dns", `clusterset clusterset.local east.clusterset.local {
		kubeconfig /etc/kube/config admin@prod
		apiserver_qps 20.5
		apiserver_burst 40
		namespaces demo shop
		namespace_labels env in (prod, staging),team!=ops
		import_labels !multicluster.kubernetes.io/service-name
		exclude_namespaces submariner-operator submariner-k8s-broker submariner-operator
		ttl 30
		fallthrough east.clusterset.local
		ignore empty_service
		startup_timeout 2s
	}`)
	cs, err := parse(c)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	w := cs.watch
	if w.kubeconfig != "/etc/kube/config" || w.kubecontext != "admin@prod" || w.qps != 20.5 || w.burst != 40 {
		t.Errorf("client options = %+v", w)
	}
	if _, ok := w.namespaces["shop"]; !ok || len(w.namespaces) != 2 {
		t.Errorf("namespaces = %v", w.namespaces)
	}
	if w.namespaceLabels != "env in (prod, staging),team!=ops" {
		t.Errorf("namespace_labels = %q", w.namespaceLabels)
	}
	if w.importLabels != "!multicluster.kubernetes.io/service-name" {
		t.Errorf("import_labels = %q", w.importLabels)
	}
	if want := []string{"submariner-k8s-broker", "submariner-operator"}; !slices.Equal(w.excludedNamespaces, want) {
		t.Errorf("exclude_namespaces = %q, want %q", w.excludedNamespaces, want)
	}
	if cs.answers.TTL != 30 || !cs.answers.IgnoreEmptyService || cs.startupTimeout != 2*time.Second {
		t.Errorf("answer options = %+v, startup_timeout %v", cs.answers, cs.startupTimeout)
	}
	if len(cs.zones) != 2 || cs.zones[0].origin != "east.clusterset.local." || cs.zones[1].origin != "clusterset.local." {
		t.Errorf("zones = %v, want the most specific first", cs.zones)
	}
	if !cs.Fall.Through("x.east.clusterset.local.") || cs.Fall.Through("x.west.clusterset.local.") {
		t.Errorf("fallthrough zones wrong: %v", cs.Fall)
	}
	if cs.zones[0].ns.Hdr.Ttl != 30 || cs.preSyncSOA[0].Minttl != 30 {
		t.Errorf("the ttl does not reach the zone records")
	}
}

func TestParseLocalityOptions(t *testing.T) {
	cases := []struct {
		corefile   string
		properties bool // the ClusterProperty watch is on
		check      func(a answer.Options) bool
	}{
		{"clusterset", false, func(a answer.Options) bool {
			return a.Locality == answer.LocalityOptions{} && !a.ScopedZone && !a.ScopedCluster && !a.AnswerEndpoints && a.HealthProperty == "" && !a.ExtendedErrors
		}},
		{"clusterset {\n cluster_id West.DC.example\n prefer local restrict\n}", false, func(a answer.Options) bool {
			return a.Locality.ClusterID == "west.dc.example" && a.Locality.Prefer == answer.PreferLocal && a.Locality.Restrict
		}},
		{"clusterset {\n cluster_id\n topology\n prefer zone\n}", true, func(a answer.Options) bool {
			return a.Locality.ClusterIDFromProperty && a.Locality.ZoneFromProperty && a.Locality.Prefer == answer.PreferZone
		}},
		{"clusterset {\n cluster_id east\n topology us-east-1a us-east-1\n prefer zone\n}", false, func(a answer.Options) bool {
			return a.Locality.Zone == "us-east-1a" && a.Locality.Region == "us-east-1"
		}},
		{"clusterset {\n scoped_names\n answer endpoints\n extended_errors\n}", false, func(a answer.Options) bool {
			return a.ScopedZone && a.ScopedCluster && a.AnswerEndpoints && a.ExtendedErrors
		}},
		{"clusterset {\n scoped_names cluster\n answer vip\n}", false, func(a answer.Options) bool {
			return !a.ScopedZone && a.ScopedCluster && !a.AnswerEndpoints && !a.Rotate
		}},
		{"clusterset {\n rotate\n}", false, func(a answer.Options) bool { return a.Rotate }},
		{"clusterset {\n cluster_health\n}", true, func(a answer.Options) bool {
			return a.HealthProperty == "unreachable-clusters.clusterset-dns.io" && a.Locality.ZoneFromProperty
		}},
		{"clusterset {\n cluster_id east\n prefer zone\n}", true, func(a answer.Options) bool {
			return a.Locality.ZoneFromProperty && a.Locality.ClusterID == "east"
		}},
		{"clusterset {\n cluster_id east\n prefer local\n}", false, func(a answer.Options) bool {
			return !a.Locality.ZoneFromProperty
		}},
		{"clusterset {\n cluster_health health.example.org\n}", true, func(a answer.Options) bool {
			return a.HealthProperty == "health.example.org"
		}},
	}
	for _, tc := range cases {
		cs, err := parse(caddy.NewTestController("dns", tc.corefile))
		if err != nil {
			t.Errorf("parse %q: %v", tc.corefile, err)
			continue
		}
		if !tc.check(cs.answers) {
			t.Errorf("parse %q: answer options %+v", tc.corefile, cs.answers)
		}
		if cs.watch.clusterProperties != tc.properties {
			t.Errorf("parse %q: ClusterProperty watch %v, want %v", tc.corefile, cs.watch.clusterProperties, tc.properties)
		}
	}
}

func TestParseZones(t *testing.T) {
	cases := []struct {
		name        string
		corefile    string
		serverBlock string
		want        string
	}{
		{"zones default to the server block's", "clusterset", "mcs.example.org.:53", "mcs.example.org."},
		{"a root server block means clusterset.local", "clusterset", ".:53", "clusterset.local."},
		{"zones given are lower-cased", "clusterset ClusterSet.Local", ".:53", "clusterset.local."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := caddy.NewTestController("dns", tc.corefile)
			c.ServerBlockKeys = []string{tc.serverBlock}
			cs, err := parse(c)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if len(cs.zones) != 1 || cs.zones[0].origin != tc.want {
				t.Errorf("zones = %v, want %s", cs.zones, tc.want)
			}
		})
	}
}

func TestParseDefaults(t *testing.T) {
	cs, err := parse(caddy.NewTestController("dns", "clusterset"))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	if cs.answers.TTL != defaultTTL || cs.startupTimeout != defaultStartupTimeout ||
		cs.watch.qps != defaultQPS || cs.watch.burst != defaultBurst || cs.watch.kubeconfig != "" || cs.watch.endpoint != "" {
		t.Errorf("defaults = %+v %+v %v", cs.watch, cs.answers, cs.startupTimeout)
	}
}

func TestParseRejectsMistakes(t *testing.T) {
	cases := []struct {
		name     string
		corefile string
		// want must appear in the error, which must also name the line.
		want string
		line string
	}{
		{"an unknown option", "clusterset {\n  kubeconfg /x\n}", "unknown option 'kubeconfg'", ":2"},
		{"ttl over 3600", "clusterset {\n ttl 3601\n}", "option 'ttl'", ":2"},
		{"a negative ttl", "clusterset {\n ttl -1\n}", "option 'ttl'", ":2"},
		{"ttl without a value", "clusterset {\n ttl\n}", "option 'ttl' takes 1 argument", ":2"},
		{"kubeconfig with three arguments", "clusterset {\n kubeconfig a b c\n}", "option 'kubeconfig' takes 1 to 2", ":2"},
		{"an endpoint that is no URL", "clusterset {\n endpoint localhost:6443\n}", "option 'endpoint'", ":2"},
		{"tls with two files", "clusterset {\n endpoint https://127.0.0.1:6443\n tls a b\n}", "option 'tls' takes 3", ":3"},
		{"tls without endpoint", "clusterset {\n tls a b c\n}", "option 'tls' needs 'endpoint'", ":"},
		{"kubeconfig and endpoint together", "clusterset {\n kubeconfig /x\n endpoint https://127.0.0.1:6443\n}", "exclude each other", ":"},
		{"a zero qps", "clusterset {\n apiserver_qps 0\n}", "option 'apiserver_qps'", ":2"},
		{"a fractional burst", "clusterset {\n apiserver_burst 1.5\n}", "option 'apiserver_burst'", ":2"},
		{"a namespace that is no name", "clusterset {\n namespaces demo Bad_NS\n}", "option 'namespaces'", ":2"},
		{"namespaces without a name", "clusterset {\n namespaces\n}", "option 'namespaces' takes", ":2"},
		{"a bad label selector", "clusterset {\n namespace_labels env in (prod\n}", "option 'namespace_labels'", ":2"},
		{"a bad import label selector", "clusterset {\n import_labels app=(web\n}", "option 'import_labels'", ":2"},
		{"import_labels without a selector", "clusterset {\n import_labels\n}", "option 'import_labels' takes", ":2"},
		{"an excluded namespace that is no name", "clusterset {\n exclude_namespaces demo Bad_NS\n}", "option 'exclude_namespaces'", ":2"},
		{"exclude_namespaces without a name", "clusterset {\n exclude_namespaces\n}", "option 'exclude_namespaces' takes", ":2"},
		{"a namespace both served and excluded", "clusterset {\n namespaces demo shop\n exclude_namespaces shop\n}", "in both 'namespaces' and 'exclude_namespaces'", ":"},
		{"noendpoints with an argument", "clusterset {\n noendpoints yes\n}", "option 'noendpoints' takes 0", ":2"},
		{"ignore with something else", "clusterset {\n ignore everything\n}", "option 'ignore' takes 'empty_service'", ":2"},
		{"ignore empty_service without endpoints", "clusterset {\n noendpoints\n ignore empty_service\n}", "needs endpoints", ":"},
		{"a bad startup_timeout", "clusterset {\n startup_timeout soon\n}", "option 'startup_timeout'", ":2"},
		{"an option twice", "clusterset {\n ttl 5\n ttl 6\n}", "option 'ttl' given twice", ":3"},
		{"the directive twice in one block", "clusterset\nclusterset", "once per server block", ":2"},
		{"a cluster ID that is no DNS name", "clusterset {\n cluster_id east_1\n}", "option 'cluster_id'", ":2"},
		{"prefer something else", "clusterset {\n cluster_id east\n prefer nearest\n}", "option 'prefer' takes local, zone or none", ":3"},
		{"prefer with a second word", "clusterset {\n cluster_id east\n prefer local only\n}", "'restrict'", ":3"},
		{"prefer without cluster_id", "clusterset {\n prefer local\n}", "needs 'cluster_id'", ":"},
		{"topology with three words", "clusterset {\n topology a b c\n}", "option 'topology' takes 0 to 2", ":2"},
		{"scoped_names of something else", "clusterset {\n scoped_names region\n}", "option 'scoped_names' takes zone and/or cluster", ":2"},
		{"scoped_names without endpoints", "clusterset {\n noendpoints\n scoped_names\n}", "'scoped_names' needs endpoints", ":"},
		{"answer something else", "clusterset {\n answer both\n}", "option 'answer' takes vip or endpoints", ":2"},
		{"answer endpoints without endpoints", "clusterset {\n noendpoints\n answer endpoints\n}", "'answer endpoints' needs endpoints", ":"},
		{"a health property that is no name", "clusterset {\n cluster_health Bad/Name\n}", "option 'cluster_health'", ":2"},
		{"extended_errors with an argument", "clusterset {\n extended_errors on\n}", "option 'extended_errors' takes 0", ":2"},
		{"rotate with an argument", "clusterset {\n rotate on\n}", "option 'rotate' takes 0", ":2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parse(caddy.NewTestController("dns", tc.corefile))
			if err == nil {
				t.Fatalf("parse accepted %q", tc.corefile)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.want) || !strings.Contains(msg, "Testfile"+tc.line) {
				t.Errorf("error %q, want it to contain %q and name Testfile%s", msg, tc.want, tc.line)
			}
		})
	}
}

func TestSetupRegistersThePlugin(t *testing.T) {
	c := caddy.NewTestController("dns", "clusterset")
	if err := setup(c); err != nil {
		t.Fatalf("setup: %v", err)
	}
	if err := setup(caddy.NewTestController("dns", "clusterset {\n bogus\n}")); err == nil ||
		!strings.Contains(err.Error(), "plugin/clusterset") {
		t.Errorf("setup error %v does not name the plugin", err)
	}
}
