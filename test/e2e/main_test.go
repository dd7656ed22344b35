// Package e2e runs the cluster DNS as users run it: two real clusters
// (test/cluster), the project's image deployed in each as its cluster DNS
// with deploy/cluster-dns as shipped, real workloads in cluster a and b, a
// test-side MCS exporter (test/exporter) writing ServiceImports and
// EndpointSlices into both, and every lookup made from a client pod in
// cluster b through the resolv.conf kubelet wrote for it.
package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/clusterset-dns/clusterset/test/cluster"
)

// env is what every test here shares; set up once by TestMain.
var env *world

// skipReason is set instead of env when this host cannot run clusters.
var skipReason string

// setupErr is set instead of env when the setup failed.
var setupErr error

func TestMain(m *testing.M) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	w, err := setUp(ctx)
	cancel()
	switch {
	case errors.Is(err, cluster.ErrUnsupported):
		skipReason = err.Error()
		fmt.Fprintf(os.Stderr, "e2e: skipping the real-cluster tests: %v\n", err)
	case err != nil:
		setupErr = err
		fmt.Fprintf(os.Stderr, "e2e: setup failed: %v\n", err)
	default:
		env = w
		w.holdIfAsked()
	}
	code := m.Run()
	env.tearDown()
	if setupErr != nil {
		code = 1
	}
	os.Exit(code)
}

// need returns the shared world, or skips or fails the test.
func need(t *testing.T) *world {
	t.Helper()
	switch {
	case skipReason != "":
		t.Skip(skipReason)
	case setupErr != nil:
		t.Fatalf("setup failed: %v", setupErr)
	}
	return env
}
