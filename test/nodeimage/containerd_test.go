package nodeimage

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// testContainerd is a containerd of the test's own: its root, state,
// sockets, runc root and FIFOs all in one temporary directory, the CRI
// plugin off (ctr drives it directly), stopped by PID at the end.
type testContainerd struct {
	Containerd
	dir   string
	execs int // names each exec process uniquely
}

// startContainerd starts Debian's containerd as a child of the test, or
// skips the test naming what is missing. Cleanup deletes its tasks and
// containers, stops it and any shim it left by PID, unmounts whatever is
// still mounted below its directory and removes the directory.
func startContainerd(t *testing.T) *testContainerd {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to run containerd and containers")
	}
	var missing []string
	for _, tool := range []string{"containerd", "ctr", "containerd-shim-runc-v2", "runc"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) > 0 {
		t.Skipf("%s not installed (Debian packages containerd and runc: make nodedeps)", strings.Join(missing, ", "))
	}
	hadRun := dirExists("/run/containerd")

	dir := t.TempDir()
	c := &testContainerd{
		Containerd: Containerd{Address: filepath.Join(dir, "containerd.sock"), Snapshotter: "overlayfs"},
		dir:        dir,
	}
	config := fmt.Sprintf(`version = 2
root = %q
state = %q
disabled_plugins = [
  "io.containerd.grpc.v1.cri",
  "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs",
]

[grpc]
  address = %q

[ttrpc]
  address = %q

[plugins."io.containerd.internal.v1.opt"]
  path = %q
`, filepath.Join(dir, "root"), filepath.Join(dir, "state"), c.Address, c.Address+".ttrpc", filepath.Join(dir, "opt"))
	configPath := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(configPath, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	logFile, err := os.Create(filepath.Join(dir, "containerd.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("containerd", "--config", configPath)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		t.Fatalf("starting containerd: %v", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }() //nolint:errcheck // the exit is what is waited for

	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		c.removeAll(t, ctx)
		cmd.Process.Signal(syscall.SIGTERM) //nolint:errcheck // by PID; SIGKILL follows
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill() //nolint:errcheck // by PID
			<-exited
		}
		logFile.Close()
		killShims(t, filepath.Join(dir, "state"))
		unmountBelow(t, dir)
		if !hadRun {
			// The runc shims put their sockets in /run/containerd/s
			// whatever the state directory; remove what they created
			// once it is empty.
			for _, d := range []string{"/run/containerd/s", "/run/containerd"} {
				os.Remove(d) //nolint:errcheck // only when empty
			}
		}
		if t.Failed() {
			if b, err := os.ReadFile(logFile.Name()); err == nil {
				t.Logf("containerd log (last 4 KiB):\n%s", tail(b, 4096))
			}
		}
	})

	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := c.Ctr(t.Context(), "version"); err == nil {
			return c
		}
		select {
		case <-exited:
			b, _ := os.ReadFile(logFile.Name())
			t.Fatalf("containerd exited at start:\n%s", tail(b, 4096))
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("containerd did not answer on its socket within 30 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// runArgs are the `ctr run` flags that keep a container's runtime state in
// the test's directory: runc's root and the IO FIFOs. --cgroup "" leaves
// the cgroup to runc's default, removed with the container.
func (c *testContainerd) runArgs() []string {
	return []string{"--snapshotter", c.Snapshotter, "--runc-root", filepath.Join(c.dir, "runc"), "--fifo-dir", filepath.Join(c.dir, "fifo"), "--cgroup", ""}
}

// exec runs argv in the running container id, like `kubectl exec`, and
// returns its output and exit code (-1 when ctr itself failed).
func (c *testContainerd) exec(ctx context.Context, id string, argv ...string) (string, int) {
	c.execs++
	args := append([]string{"--address", c.Address, "--namespace", Namespace, "task", "exec", "--fifo-dir", filepath.Join(c.dir, "fifo"), "--exec-id", "e" + strconv.Itoa(c.execs), id}, argv...)
	cmd := exec.CommandContext(ctx, "ctr", args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return out.String(), ee.ExitCode()
	} else if err != nil {
		return out.String() + err.Error(), -1
	}
	return out.String(), 0
}

// taskStatus is the STATUS column of `ctr task ls` for id, "" when absent.
func (c *testContainerd) taskStatus(ctx context.Context, id string) string {
	out, err := c.Ctr(ctx, "task", "ls")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == id {
			return f[2]
		}
	}
	return ""
}

// removeAll kills and deletes every task and container of the namespace.
func (c *testContainerd) removeAll(t *testing.T, ctx context.Context) {
	out, err := c.Ctr(ctx, "containers", "ls", "-q")
	if err != nil {
		t.Logf("cleanup: %v", err)
		return
	}
	for _, id := range strings.Fields(out) {
		if c.taskStatus(ctx, id) != "" {
			c.Ctr(ctx, "task", "kill", "--all", "--signal", "SIGKILL", id) //nolint:errcheck // may have stopped already
			for range 100 {
				if s := c.taskStatus(ctx, id); s == "" || s == "STOPPED" {
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			if _, err := c.Ctr(ctx, "task", "delete", id); err != nil {
				t.Logf("cleanup: %v", err)
			}
		}
		if _, err := c.Ctr(ctx, "containers", "delete", id); err != nil {
			t.Logf("cleanup: %v", err)
		}
	}
}

// killShims kills, by the PID each shim recorded, shims still running
// after containerd stopped (they outlive it by design).
func killShims(t *testing.T, state string) {
	pids, _ := filepath.Glob(filepath.Join(state, "io.containerd.runtime.v2.task", "*", "*", "shim.pid"))
	for _, f := range pids {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid <= 1 {
			continue
		}
		if syscall.Kill(pid, 0) == nil {
			t.Errorf("shim %d (%s) still running after containerd stopped: killing it", pid, f)
			syscall.Kill(pid, syscall.SIGKILL) //nolint:errcheck // by PID
		}
	}
}

// unmountBelow unmounts every mount point below dir, deepest first, and
// fails the test for each: a clean stop leaves none.
func unmountBelow(t *testing.T, dir string) {
	for _, m := range mountsBelow(dir) {
		t.Errorf("%s still mounted after containerd stopped: unmounting", m)
		if err := syscall.Unmount(m, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", m, err)
		}
	}
}

// mountsBelow lists the mount points at or below dir, deepest first.
func mountsBelow(dir string) []string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	defer f.Close()
	var ms []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		// Field 5 is the mount point, with spaces and the like octal-escaped.
		mp := unescapeMountinfo(fields[4])
		if mp == dir || strings.HasPrefix(mp, dir+"/") {
			ms = append(ms, mp)
		}
	}
	slices.SortFunc(ms, func(a, b string) int { return len(b) - len(a) })
	return ms
}

func unescapeMountinfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func dirExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}
