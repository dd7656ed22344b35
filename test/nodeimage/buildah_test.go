package nodeimage

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestBuildahPushArchive commits a small image into a private buildah
// storage the way `make image` builds ours (vfs, FROM scratch, a binary
// carrying cap_net_bind_service), pushes it with PushArchive under two
// tags, and imports both archives into a containerd of the test's own:
// the tags are listed, the file capability survives into the unpacked
// snapshot (our image binds :53 as non-root with it) and the image runs.
func TestBuildahPushArchive(t *testing.T) {
	for _, tool := range []string{"buildah", "setcap"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (Debian packages buildah and libcap2-bin)", tool)
		}
	}
	c := startContainerd(t)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()

	tmp := t.TempDir()
	b := Buildah{Root: filepath.Join(tmp, "storage"), RunRoot: filepath.Join(tmp, "run")}
	t.Cleanup(func() {
		// vfs layers are plain directories; buildah mounts nothing, but
		// say so if a later buildah does.
		for _, m := range mountsBelow(tmp) {
			t.Errorf("%s still mounted", m)
			syscall.Unmount(m, syscall.MNT_DETACH) //nolint:errcheck // reported above
		}
	})
	bin, err := BuildPause(ctx, tmp)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.CommandContext(ctx, "setcap", "cap_net_bind_service=+ep", bin).CombinedOutput(); err != nil {
		t.Skipf("cannot set file capabilities here: %v: %s", err, out)
	}
	const image = "localhost/clusterset-test/buildah-source:1"
	ctr, err := b.Run(ctx, "from", "--pull=never", "scratch")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Run(ctx, "rm", ctr) //nolint:errcheck // the storage is removed with tmp
	for _, args := range [][]string{
		{"copy", ctr, bin, "/pause"},
		{"config", "--entrypoint", `["/pause"]`, "--user", "65532:65532", ctr},
		{"commit", "--quiet", ctr, image},
	} {
		if _, err := b.Run(ctx, args...); err != nil {
			t.Fatal(err)
		}
	}

	// A full reference and a short one, as `make image` tags ours.
	tags := []string{"localhost/clusterset-test/pushed:1", "clusterset-nodeimage-test:2"}
	for i, tag := range tags {
		file := filepath.Join(tmp, "pushed"+string(rune('a'+i))+".tar")
		if err := os.WriteFile(file, []byte("stale"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := b.PushArchive(ctx, image, file, tag); err != nil {
			t.Fatal(err)
		}
		checkPushedArchive(t, file, tag)
		if err := c.Import(ctx, file); err != nil {
			t.Fatal(err)
		}
	}
	out, err := c.Ctr(ctx, "images", "ls", "-q")
	if err != nil {
		t.Fatal(err)
	}
	listed := strings.Fields(out)
	if !slices.Contains(listed, tags[0]) {
		t.Errorf("ctr images ls does not list %s: %q", tags[0], listed)
	}
	// containerd stores a short name under its normalized form, the same
	// one the CRI plugin resolves a pod's `image: NAME:TAG` to.
	if !slices.ContainsFunc(listed, func(s string) bool { return strings.HasSuffix(s, "/library/"+tags[1]) }) {
		t.Errorf("ctr images ls has no normalized %s: %q", tags[1], listed)
	}

	mnt := filepath.Join(tmp, "mnt")
	if err := os.Mkdir(mnt, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Ctr(ctx, "images", "mount", "--snapshotter", c.Snapshotter, tags[0], mnt); err != nil {
		t.Fatal(err)
	}
	capability := make([]byte, 64)
	n, xerr := syscall.Getxattr(filepath.Join(mnt, "pause"), "security.capability", capability)
	if _, err := c.Ctr(ctx, "images", "unmount", "--rm", mnt); err != nil {
		t.Error(err)
	}
	if xerr != nil || n < 8 || binary.LittleEndian.Uint32(capability[4:8])&(1<<capNetBindService) == 0 {
		t.Errorf("/pause in the unpacked image: security.capability %x (%v), want cap_net_bind_service", capability[:max(n, 0)], xerr)
	}

	args := append([]string{"--address", c.Address, "--namespace", Namespace, "run", "--rm", "--null-io"}, c.runArgs()...)
	run := exec.CommandContext(ctx, "ctr", append(args, tags[0], "nodeimage-pushed")...)
	var runOut bytes.Buffer
	run.Stdout, run.Stderr = &runOut, &runOut
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	runDone := make(chan struct{})
	go func() { run.Wait(); close(runDone) }() //nolint:errcheck // the task's status is checked
	waitStatus(t, ctx, c, "nodeimage-pushed", "RUNNING")
	if _, err := c.Ctr(ctx, "task", "kill", "--signal", "SIGTERM", "nodeimage-pushed"); err != nil {
		t.Error(err)
	}
	select {
	case <-runDone:
		if code := run.ProcessState.ExitCode(); code != 0 {
			t.Errorf("pushed image's /pause exited %d after SIGTERM:\n%s", code, runOut.String())
		}
	case <-time.After(20 * time.Second):
		t.Errorf("pushed image's /pause still running 20 s after SIGTERM")
		run.Process.Kill() //nolint:errcheck // by PID, our ctr
		<-runDone
	}
}

// capNetBindService is CAP_NET_BIND_SERVICE's bit (linux/capability.h).
const capNetBindService = 10

// checkPushedArchive reads a buildah docker-archive: one image tagged tag,
// whose layer holds /pause with its security.capability PAX record.
func checkPushedArchive(t *testing.T, file, tag string) {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	_, entries := readTar(t, f)
	var m []archiveManifest
	if err := json.Unmarshal(entries["manifest.json"], &m); err != nil || len(m) != 1 {
		t.Fatalf("%s: manifest.json %s (%v), want one image", file, entries["manifest.json"], err)
	}
	// A short tag comes back normalized: "REGISTRY/library/" + tag.
	if len(m[0].RepoTags) != 1 || m[0].RepoTags[0] != tag && !strings.HasSuffix(m[0].RepoTags[0], "/library/"+tag) {
		t.Errorf("%s: RepoTags %q, want only %s", file, m[0].RepoTags, tag)
	}
	if len(m[0].Layers) != 1 {
		t.Fatalf("%s: layers %q, want one", file, m[0].Layers)
	}
	tr := tar.NewReader(bytes.NewReader(entries[m[0].Layers[0]]))
	for {
		hdr, err := tr.Next()
		if err != nil {
			t.Errorf("%s: no pause in the layer (%v)", file, err)
			return
		}
		if strings.TrimPrefix(hdr.Name, "/") == "pause" {
			if _, ok := hdr.PAXRecords["SCHILY.xattr.security.capability"]; !ok {
				t.Errorf("%s: /pause has no security.capability in the layer: %v", file, hdr.PAXRecords)
			}
			return
		}
	}
}
