package cluster

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/clusterset-dns/clusterset/test/testbed"
)

// KubectlBinary is kubectl as the test binaries have it ($KUBECTL first).
func KubectlBinary() string {
	if k := os.Getenv("KUBECTL"); k != "" {
		return k
	}
	dir := os.Getenv(testbed.EnvDir)
	if dir == "" {
		dir = testbed.CacheDir()
	}
	return filepath.Join(dir, "kubectl")
}

// Kubectl runs kubectl as the admin of the cluster and returns its
// standard output; an error carries its standard error.
func (c *Cluster) Kubectl(ctx context.Context, args ...string) (string, error) {
	return c.KubectlStdin(ctx, nil, args...)
}

// KubectlStdin is Kubectl with stdin as kubectl's standard input.
func (c *Cluster) KubectlStdin(ctx context.Context, stdin []byte, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, KubectlBinary(), append([]string{"--kubeconfig", c.Kubeconfig(testbed.AdminUser)}, args...)...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("cluster %s: kubectl %s: %w: %s", c.Name, strings.Join(args, " "), err, strings.TrimSpace(errOut.String()))
	}
	return out.String(), nil
}

// Exec runs command in the first container of pod namespace/name through
// `kubectl exec`, and returns its standard output.
func (c *Cluster) Exec(ctx context.Context, namespace, pod string, command ...string) (string, error) {
	return c.Kubectl(ctx, append([]string{"exec", "-n", namespace, pod, "--"}, command...)...)
}
