package nodeimage

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
)

// Namespace is the containerd namespace the CRI plugin, hence kubelet,
// sees images and containers in.
const Namespace = "k8s.io"

// ErrNoCtr is returned when the ctr command (Debian package containerd)
// is missing.
var ErrNoCtr = errors.New("nodeimage: ctr is not in PATH (Debian package containerd; make nodedeps installs it)")

// Containerd is one node's containerd, as ctr reaches it.
type Containerd struct {
	// Address is its gRPC socket (containerd's [grpc] address).
	Address string
	// Snapshotter is the one its CRI plugin uses ([plugins."io.containerd.
	// grpc.v1.cri".containerd] snapshotter); images are unpacked into it at
	// import, since the CRI plugin does not unpack imported images itself.
	// Empty means ctr's default, overlayfs.
	Snapshotter string
}

// Ctr runs `ctr --address ADDRESS -n k8s.io ARGS...` and returns its
// combined output; the error carries that output.
func (c Containerd) Ctr(ctx context.Context, args ...string) (string, error) {
	ctr, err := exec.LookPath("ctr")
	if err != nil {
		return "", ErrNoCtr
	}
	full := append([]string{"--address", c.Address, "--namespace", Namespace}, args...)
	out, err := exec.CommandContext(ctx, ctr, full...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("ctr %s: %w: %s", strings.Join(full, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

// Import imports the docker-archive file (`ctr images import`) and unpacks
// it into the Snapshotter.
func (c Containerd) Import(ctx context.Context, file string) error {
	args := []string{"images", "import"}
	if c.Snapshotter != "" {
		args = append(args, "--snapshotter", c.Snapshotter)
	}
	_, err := c.Ctr(ctx, append(args, file)...)
	return err
}
