package main

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/coredns/caddy"
	"github.com/coredns/coredns/core/dnsserver"
)

// upstreamDirectives is CoreDNS's default order, captured before init
// replaces it: package-level variables are initialised before any init
// function of the package runs, and SetDirectives assigns a copy rather than
// writing into the upstream slice.
var upstreamDirectives = slices.Clone(dnsserver.Directives)

// registeredPlugins returns the directive names of every plugin compiled into
// this binary. Caddy lists plugins of the "dns" server type as "dns.NAME";
// plugins for any server type, such as "on", carry no prefix.
func registeredPlugins(t *testing.T) []string {
	t.Helper()
	var names []string
	for _, name := range caddy.ListPlugins()["others"] {
		names = append(names, strings.TrimPrefix(name, "dns."))
	}
	if len(names) == 0 {
		t.Fatal("caddy lists no plugins; the blank imports did not register anything")
	}
	return names
}

func TestDirectivesPlaceClustersetRightAfterKubernetes(t *testing.T) {
	got := directives()
	k := slices.Index(got, "kubernetes")
	if k < 0 {
		t.Fatal(`"kubernetes" is not in the directive list`)
	}
	if k+1 >= len(got) || got[k+1] != "clusterset" {
		t.Errorf(`directive after "kubernetes" = %q, want "clusterset"; list: %v`, at(got, k+1), got)
	}
}

func TestDirectivesAreInstalledBeforeMain(t *testing.T) {
	if !slices.Equal(dnsserver.Directives, directives()) {
		t.Errorf("dnsserver.Directives = %v, want directives() = %v", dnsserver.Directives, directives())
	}
}

func TestDirectivesHaveNoDuplicates(t *testing.T) {
	seen := map[string]bool{}
	for _, d := range directives() {
		if seen[d] {
			t.Errorf("directive %q listed twice", d)
		}
		seen[d] = true
	}
}

func TestEveryDirectiveHasACompiledInPlugin(t *testing.T) {
	registered := registeredPlugins(t)
	for _, d := range directives() {
		if !slices.Contains(registered, d) {
			t.Errorf("directive %q has no registered plugin; add its blank import or drop it from directives()", d)
		}
	}
}

func TestEveryCompiledInPluginHasADirective(t *testing.T) {
	list := directives()
	for _, p := range registeredPlugins(t) {
		if !slices.Contains(list, p) {
			t.Errorf("plugin %q is compiled in but not in directives(), so a Corefile cannot use it", p)
		}
	}
}

// TestDirectivesFollowUpstreamOrder guards CoreDNS upgrades: apart from our
// own directive, the list must keep upstream's relative order, and name only
// directives upstream knows.
func TestDirectivesFollowUpstreamOrder(t *testing.T) {
	last, lastName := -1, ""
	for _, d := range directives() {
		if d == "clusterset" {
			continue
		}
		i := slices.Index(upstreamDirectives, d)
		if i < 0 {
			t.Errorf("directive %q is not in CoreDNS's default order", d)
			continue
		}
		if i < last {
			t.Errorf("directive %q comes after %q here but before it upstream", d, lastName)
		}
		last, lastName = i, d
	}
}

func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("go tool not found: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "coredns")
	if out, err := exec.Command(gobin, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	t.Run("-plugins lists clusterset", func(t *testing.T) {
		out := run(t, bin, "-plugins")
		// coredns/caddy's DescribePlugins strips the "dns." prefix, so the
		// plugin is printed as plain "clusterset".
		if !slices.Contains(strings.Split(out, "\n"), "clusterset") {
			t.Errorf("-plugins output does not list clusterset:\n%s", out)
		}
	})

	t.Run("-version names CoreDNS and its version", func(t *testing.T) {
		out := run(t, bin, "-version")
		if !strings.HasPrefix(out, "CoreDNS-1.") {
			t.Errorf("-version output = %q, want it to start with CoreDNS-1.", out)
		}
	})
}

// run executes bin with args and returns its standard output, failing the
// test if it exits non-zero.
func run(t *testing.T, bin string, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\nstderr:\n%s", bin, strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

// at returns list[i], or "<end of list>" when i is out of range.
func at(list []string, i int) string {
	if i < 0 || i >= len(list) {
		return "<end of list>"
	}
	return list[i]
}
