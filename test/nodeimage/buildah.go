package nodeimage

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// Buildah is a buildah image storage, always with the vfs driver as
// `make image` uses it (no fuse, no overlay mounts). The zero value is
// buildah's default storage, where a plain `make image` leaves
// clusterset-coredns:dev; Root and RunRoot select a private one (buildah's
// --root and --runroot), as the image test uses.
type Buildah struct {
	Root, RunRoot string
}

// Args are the global buildah flags that select the storage.
func (b Buildah) Args() []string {
	args := []string{"--storage-driver", "vfs"}
	if b.Root != "" {
		args = append(args, "--root", b.Root)
	}
	if b.RunRoot != "" {
		args = append(args, "--runroot", b.RunRoot)
	}
	return args
}

// Command is the buildah command line for this storage, the value of make's
// BUILDAH variable (`make image BUILDAH=...`). The paths must not hold
// spaces: make splits the line on them.
func (b Buildah) Command() string {
	return strings.Join(append([]string{"buildah"}, b.Args()...), " ")
}

// Run runs buildah with args on this storage and returns its trimmed
// standard output; the error carries its standard error.
func (b Buildah) Run(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "buildah", append(b.Args(), args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("buildah %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out)), nil
}

// MakeImage runs `make image` in the repository at repoRoot with this
// storage, building image (e.g. "clusterset-coredns:dev") from the build
// context contextDir, which it empties first. It returns make's output.
func (b Buildah) MakeImage(ctx context.Context, repoRoot, image, contextDir string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "make", "-C", repoRoot, "--no-print-directory", "image",
		"IMAGE="+image,
		"IMAGE_CONTEXT="+contextDir,
		"BUILDAH="+b.Command())
	out, err := cmd.CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("make image: %w\n%s", err, out)
	}
	return out, nil
}

// PushArchive writes image from this storage to file as a docker-archive
// tagged tag and nothing else (`buildah push ID docker-archive:FILE:TAG`),
// so that one build can be imported under several tags, e.g. the one a
// Deployment runs and the one it is rolled to. A short tag is written
// normalized, as containerd's CRI plugin resolves a pod's image name.
// An existing file is replaced: buildah does not add to an archive.
func (b Buildah) PushArchive(ctx context.Context, image, file, tag string) error {
	// Pushed by name, the archive also carries the image's own names
	// (localhost/NAME for a short `make image` tag); by ID, only tag.
	id, err := b.Run(ctx, "inspect", "--type", "image", "--format", "{{.FromImageID}}", image)
	if err != nil {
		return err
	}
	if id == "" {
		return fmt.Errorf("buildah inspect %s: no image ID", image)
	}
	if err := os.Remove(file); err != nil && !os.IsNotExist(err) {
		return err
	}
	_, err = b.Run(ctx, "push", "--quiet", id, "docker-archive:"+file+":"+tag)
	return err
}
