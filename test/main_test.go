// Package test holds the integration tests: the real bin/coredns binary, run
// with each Corefile of corefile-examples/, against a real kube-apiserver and
// etcd (test/testbed), queried on the wire with dig and miekg/dns.
//
// Expected answers are the MCS DNS specification (KEP-1645
// specification.md) as plugin/clusterset/README.md describes it; a "row N"
// label numbers a case of the project's contract table, which is yet to be
// written into the repository.
//
// Run with `make test` (builds bin/coredns, the test binaries and installs
// dig first), or `go test ./test/...` once those exist.
package test

import (
	"context"
	"fmt"
	"log"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/clusterset-dns/clusterset/test/testbed"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// coreDNSUser is the least-privileged user the coredns processes run as.
const coreDNSUser = "coredns"

var (
	// bed is the API server shared by every test of the package.
	bed *testbed.Bed
	// repoRoot is the module root; coreDNSBin is bin/coredns below it.
	repoRoot, coreDNSBin string

	// children are the coredns processes running, so that a signal can
	// stop them before the test binary exits.
	childrenMu sync.Mutex
	children   = map[*testbed.Process]struct{}{}
)

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	log.SetFlags(log.Ltime | log.Lmicroseconds)
	var err error
	if repoRoot, err = findRepoRoot(); err != nil {
		fmt.Fprintln(os.Stderr, "integration tests:", err)
		return 1
	}
	coreDNSBin = filepath.Join(repoRoot, "bin", "coredns")
	if env := os.Getenv("COREDNS_BIN"); env != "" {
		coreDNSBin = env
	}
	if _, err := os.Stat(coreDNSBin); err != nil {
		fmt.Fprintf(os.Stderr, "integration tests: %s is missing: run `make build` (or `make test`, which builds it)\n", coreDNSBin)
		return 1
	}
	if _, err := exec.LookPath("dig"); err != nil {
		fmt.Fprintln(os.Stderr, "integration tests: dig is not installed: run `make deps` (apt-get install bind9-dnsutils)")
		return 1
	}

	// The ClusterProperty CRD the repository ships (deploy/crds/) is installed
	// with the MCS CRDs, once for the package.
	clusterPropertyCRD := filepath.Join(repoRoot, testbed.ClusterPropertyCRDPath)
	if _, err := os.Stat(clusterPropertyCRD); err != nil {
		fmt.Fprintf(os.Stderr, "integration tests: the ClusterProperty CRD is missing: %v\n", err)
		return 1
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	start := time.Now()
	bed, err = testbed.Start(ctx, testbed.Options{
		Users:    []testbed.User{{Name: coreDNSUser}},
		CRDFiles: []string{clusterPropertyCRD},
		Logf:     log.Printf,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration tests:", err)
		return 1
	}
	defer bed.Stop()
	log.Printf("test bed up in %v", time.Since(start).Round(time.Millisecond))

	// Ctrl-C or a TERM from `go test`: stop our children and the bed, then
	// exit; deferred calls do not run on a signal otherwise.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		s := <-sigs
		log.Printf("%v: stopping coredns processes and the test bed", s)
		childrenMu.Lock()
		for p := range children {
			p.Kill(2 * time.Second)
		}
		childrenMu.Unlock()
		bed.Stop()
		os.Exit(2)
	}()

	if err := grantCoreDNS(ctx, bed); err != nil {
		fmt.Fprintln(os.Stderr, "integration tests:", err)
		return 1
	}
	return m.Run()
}

// grantCoreDNS gives the coredns user what the clusterset and kubernetes
// plugins read, and nothing else: the RBAC a deployment needs.
func grantCoreDNS(ctx context.Context, bed *testbed.Bed) error {
	role := &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "system:coredns-clusterset"},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"namespaces", "services", "pods"}, Verbs: []string{"list", "watch"}},
			{APIGroups: []string{"discovery.k8s.io"}, Resources: []string{"endpointslices"}, Verbs: []string{"list", "watch"}},
			{APIGroups: []string{"multicluster.x-k8s.io"}, Resources: []string{"serviceimports"}, Verbs: []string{"list", "watch"}},
			{APIGroups: []string{"about.k8s.io"}, Resources: []string{"clusterproperties"}, Verbs: []string{"list", "watch"}},
		},
	}
	if _, err := bed.Kube.RbacV1().ClusterRoles().Create(ctx, role, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("cluster role: %w", err)
	}
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "system:coredns-clusterset"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: role.Name},
		Subjects:   []rbacv1.Subject{{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: coreDNSUser}},
	}
	if _, err := bed.Kube.RbacV1().ClusterRoleBindings().Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("cluster role binding: %w", err)
	}
	return nil
}

// findRepoRoot walks up from the working directory to the main module's
// go.mod.
func findRepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && len(b) > 0 && containsLine(string(b), "module github.com/clusterset-dns/clusterset") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod of github.com/clusterset-dns/clusterset above the working directory")
		}
		dir = parent
	}
}

func containsLine(s, line string) bool {
	for len(s) > 0 {
		i := 0
		for i < len(s) && s[i] != '\n' {
			i++
		}
		if s[:i] == line {
			return true
		}
		if i == len(s) {
			break
		}
		s = s[i+1:]
	}
	return false
}
