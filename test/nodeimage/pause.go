package nodeimage

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
)

// PauseImage is the pod sandbox image: containerd's CRI sandbox_image and
// kubelet's --pod-infra-container-image. The localhost/ prefix keeps the
// name a full reference that no runtime mistakes for one to pull.
const PauseImage = "localhost/clusterset-test/pause:1"

// pausePath is where the pause program sits in both images.
const pausePath = "/pause"

// ErrNoGo is returned when no go command is found to build the pause
// program with.
var ErrNoGo = errors.New("nodeimage: the go command is not in PATH (needed to build the pause program)")

// BuildPause builds the pause program (./pause) into dir and returns its
// path. The build is static (CGO_ENABLED=0), stripped, without VCS stamps
// and with -trimpath, so the binary, and the images holding it, change only
// when the source or the Go toolchain does.
func BuildPause(ctx context.Context, dir string) (string, error) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		return "", ErrNoGo
	}
	src, err := pauseSourceDir()
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, "pause")
	cmd := exec.CommandContext(ctx, goCmd, "build", "-trimpath", "-buildvcs=false", "-ldflags", "-s -w", "-o", out, ".")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOFLAGS=")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("nodeimage: go build of the pause program: %w\n%s", err, b)
	}
	return out, nil
}

// pauseSourceDir is ./pause beside this file: the tests and the harness
// that use this package always run from a source tree.
func pauseSourceDir() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("nodeimage: cannot locate the pause program's source")
	}
	dir := filepath.Join(filepath.Dir(file), "pause")
	if _, err := os.Stat(filepath.Join(dir, "main.go")); err != nil {
		return "", fmt.Errorf("nodeimage: pause program source: %w", err)
	}
	return dir, nil
}

// Pause is the pause image around the program that BuildPause wrote to
// pauseBin. It runs as 65535, the user of the Kubernetes pause image: the
// sandbox needs no privilege.
func Pause(pauseBin string) Image {
	return Image{
		Tag: PauseImage,
		Config: Config{
			Entrypoint: []string{pausePath},
			User:       "65535:65535",
		},
		Files: []File{{Path: pausePath, Mode: 0o755, Source: pauseBin}},
	}
}

// Archives are the paths of the test images' archives, ready for Import.
type Archives struct {
	Pause  string
	Client string
}

// WriteTestImages builds the pause program and writes the pause and client
// images as docker-archives into dir (pause.tar, client.tar).
func WriteTestImages(ctx context.Context, dir string) (Archives, error) {
	if err := os.MkdirAll(dir, fs.ModeDir|0o755); err != nil {
		return Archives{}, err
	}
	pauseBin, err := BuildPause(ctx, dir)
	if err != nil {
		return Archives{}, err
	}
	client, err := Client(ctx, pauseBin)
	if err != nil {
		return Archives{}, err
	}
	a := Archives{Pause: filepath.Join(dir, "pause.tar"), Client: filepath.Join(dir, "client.tar")}
	if _, err := WriteArchiveFile(a.Pause, Pause(pauseBin)); err != nil {
		return Archives{}, err
	}
	if _, err := WriteArchiveFile(a.Client, client); err != nil {
		return Archives{}, err
	}
	return a, nil
}
