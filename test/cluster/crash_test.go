package cluster_test

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/clusterset-dns/clusterset/test/cluster"
	"github.com/clusterset-dns/clusterset/test/nodeimage"
)

// crashChildEnv makes the test binary a run that starts a cluster with a
// pod, says so, and waits to be killed.
const crashChildEnv = "CLUSTERSET_CLUSTER_CRASH_CHILD"

// TestACrashedRunIsRemovedByTheNextStart kills a test binary that runs a
// cluster (SIGKILL: no cleanup runs), checks that it left things behind,
// and that the next Start of the same cluster removes them, so that its
// own Stop leaves nothing.
func TestACrashedRunIsRemovedByTheNextStart(t *testing.T) {
	if os.Getenv(crashChildEnv) != "" {
		runCrashChild(t)
		return
	}
	const name = "tc"
	images, err := nodeimage.WriteTestImages(t.Context(), t.TempDir())
	if err != nil {
		t.Fatalf("images: %v", err)
	}
	child := exec.Command(os.Args[0], "-test.run=^TestACrashedRunIsRemovedByTheNextStart$", "-test.v")
	child.Env = append(os.Environ(), crashChildEnv+"="+images.Pause+","+images.Client)
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	child.Stderr = child.Stdout
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	var lines []string
	ready := false
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if strings.Contains(sc.Text(), "CLUSTER AND POD RUNNING") {
			ready = true
			break
		}
	}
	if !ready {
		_ = child.Wait()
		if strings.Contains(strings.Join(lines, "\n"), "SKIP") {
			t.Skipf("the child skipped:\n%s", strings.Join(lines, "\n"))
		}
		t.Fatalf("the child did not get its cluster running:\n%s", strings.Join(lines, "\n"))
	}
	go func() {
		for sc.Scan() {
		}
	}()
	_ = child.Process.Signal(syscall.SIGKILL)
	_ = child.Wait()

	// What the dead run left: its namespace, and the pod's processes.
	if _, err := os.Stat("/run/netns/clusterset-" + name); err != nil {
		t.Fatalf("the killed run left no network namespace: the test proves nothing (%v)", err)
	}
	pauses := countPodProcesses(t, name)
	if pauses == 0 {
		t.Fatal("the killed run left no pod process: the test proves nothing")
	}
	stale, _ := filepath.Glob(filepath.Join(os.TempDir(), "clusterset-cluster-"+name+"-*"))

	c, err := cluster.Start(t.Context(), cluster.Options{
		Name: name, Index: 5, Images: []string{images.Pause, images.Client},
		SandboxImage: nodeimage.PauseImage, Logf: t.Logf,
	})
	if err != nil {
		t.Fatalf("starting again after the crash: %v", err)
	}
	c.Stop()
	for _, d := range stale {
		if _, err := os.Stat(d); err == nil {
			t.Errorf("the dead run's directory %s is still there", d)
		}
		if left := mountsContaining(t, d); len(left) > 0 {
			t.Errorf("the dead run's mounts are still there: %v", left)
		}
	}
	if _, err := os.Stat("/run/netns/clusterset-" + name); err == nil {
		t.Error("a network namespace is still there")
	}
	if n := countPodProcesses(t, name); n != 0 {
		t.Errorf("%d pause processes are still running (%d after the crash)", n, pauses)
	}
}

// runCrashChild starts cluster tc with a pod and waits to be killed.
func runCrashChild(t *testing.T) {
	images := strings.Split(os.Getenv(crashChildEnv), ",")
	c, err := cluster.Start(context.Background(), cluster.Options{
		Name: "tc", Index: 5, Images: images, SandboxImage: nodeimage.PauseImage, Logf: t.Logf,
	})
	if errors.Is(err, cluster.ErrUnsupported) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	startClientPod(t, c)
	os.Stdout.WriteString("CLUSTER AND POD RUNNING\n")
	time.Sleep(time.Hour)
}

// countPodProcesses counts the processes in the pod cgroups of the named
// cluster's kubelet (below its cgroupRoot, /clusterset-NAME).
func countPodProcesses(t *testing.T, name string) int {
	t.Helper()
	n := 0
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cgroup"))
		if err == nil && strings.Contains(string(b), "/clusterset-"+name+"/kubepods") {
			n++
		}
	}
	return n
}
