package nodeimage

import (
	"bufio"
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path"
	"slices"
	"strings"
)

// ClientImage is the image the tests `kubectl exec` into to resolve names
// as a pod does, through the resolv.conf kubelet writes.
const ClientImage = "localhost/clusterset-test/client:1"

// ErrMissingTool is returned when a host file that the client image copies
// is missing; the message names the Debian package that provides it.
var ErrMissingTool = errors.New("nodeimage: missing on this host")

// hostBinary is a program the client image copies from the host, with the
// Debian package that installs it (`make nodedeps`).
type hostBinary struct {
	host, image, pkg string
}

var clientBinaries = []hostBinary{
	// Static: no libraries. Its applets are linked below, except nslookup:
	// the tests want BIND's, as the MCS conformance suite runs.
	{host: "/bin/busybox", image: "/bin/busybox", pkg: "busybox-static"},
	{host: "/usr/bin/nslookup", image: "/usr/bin/nslookup", pkg: "bind9-dnsutils"},
	// `getent ahosts NAME` is getaddrinfo(3), through nsswitch.conf; glibc
	// 2.34 and later has the files and dns services inside libc.so.6.
	{host: "/usr/bin/getent", image: "/usr/bin/getent", pkg: "libc-bin"},
}

// busyboxApplets are the busybox commands the image links in /bin: a shell
// and what test scripts use around a lookup.
var busyboxApplets = []string{
	"[", "awk", "cat", "cut", "date", "echo", "env", "false", "grep", "head",
	"hostname", "id", "kill", "ls", "mkdir", "nc", "printf", "ps", "rm", "sed",
	"seq", "sh", "sleep", "sort", "tail", "test", "timeout", "touch", "tr", "true",
	"uniq", "wc", "wget",
}

// clientPath is the PATH of the client image's processes.
const clientPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

var clientEtc = []File{
	// kubelet mounts its own /etc/hosts and /etc/resolv.conf over these;
	// outside a pod, localhost resolves from files and nothing from DNS.
	{Path: "/etc/hosts", Mode: 0o644, Data: []byte("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n")},
	{Path: "/etc/nsswitch.conf", Mode: 0o644, Data: []byte("passwd: files\ngroup: files\nhosts: files dns\n")},
	{Path: "/etc/passwd", Mode: 0o644, Data: []byte("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n")},
	{Path: "/etc/group", Mode: 0o644, Data: []byte("root:x:0:\nnobody:x:65534:\n")},
	{Path: "/root", Mode: fs.ModeDir | 0o700},
	{Path: "/tmp", Mode: fs.ModeDir | fs.ModeSticky | 0o777},
}

// Client is the client image: busybox, nslookup and getent with every
// shared library they load and the dynamic loader, at the paths the host
// has them, plus the pause program (pauseBin, from BuildPause) as its
// default command. pause, not `sleep`, is PID 1 so that the container
// stops on SIGTERM at once and reaps the orphans that `kubectl exec`
// sessions leave.
func Client(ctx context.Context, pauseBin string) (Image, error) {
	files := []File{{Path: pausePath, Mode: 0o755, Source: pauseBin}}
	files = append(files, clientEtc...)
	libs := map[string]bool{}
	for _, b := range clientBinaries {
		if _, err := os.Stat(b.host); err != nil {
			return Image{}, fmt.Errorf("%w: %s (Debian package %s; make nodedeps installs it)", ErrMissingTool, b.host, b.pkg)
		}
		files = append(files, File{Path: b.image, Mode: 0o755, Source: b.host})
		deps, err := sharedLibraries(ctx, b.host)
		if err != nil {
			return Image{}, err
		}
		for _, d := range deps {
			libs[d] = true
		}
	}
	for _, l := range slices.Sorted(maps.Keys(libs)) {
		// Copied as the file it resolves to, under the name the loader
		// asks for: no symlink chains to reproduce.
		files = append(files, File{Path: l, Mode: 0o755, Source: l})
	}
	applets, err := busyboxList(ctx)
	if err != nil {
		return Image{}, err
	}
	for _, a := range busyboxApplets {
		if !applets[a] {
			return Image{}, fmt.Errorf("nodeimage: /bin/busybox has no %q applet", a)
		}
		files = append(files, File{Path: "/bin/" + a, Link: "busybox"})
	}
	return Image{
		Tag: ClientImage,
		Config: Config{
			Cmd:        []string{pausePath},
			Env:        []string{clientPath},
			WorkingDir: "/",
		},
		Files: files,
	}, nil
}

// sharedLibraries lists the files the dynamic loader maps for bin: its
// ELF interpreter and, from ldd, every library (transitively). A static
// binary has none.
func sharedLibraries(ctx context.Context, bin string) ([]string, error) {
	f, err := elf.Open(bin)
	if err != nil {
		return nil, fmt.Errorf("nodeimage: %s: %w", bin, err)
	}
	var interp string
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			b := make([]byte, p.Filesz)
			if _, err := p.ReadAt(b, 0); err != nil {
				f.Close()
				return nil, fmt.Errorf("nodeimage: %s: reading its ELF interpreter: %w", bin, err)
			}
			interp = string(bytes.TrimRight(b, "\x00"))
		}
	}
	f.Close()
	if interp == "" {
		return nil, nil
	}
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "ldd", bin)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("nodeimage: ldd %s: %w: %s", bin, err, stderr.String())
	}
	libs, err := parseLdd(out)
	if err != nil {
		return nil, fmt.Errorf("nodeimage: ldd %s: %w", bin, err)
	}
	if !slices.Contains(libs, interp) {
		libs = append(libs, interp)
	}
	return libs, nil
}

// parseLdd reads ldd's lines: "libx.so.1 => /path/libx.so.1 (0x...)", the
// loader as "/lib64/ld-linux-x86-64.so.2 (0x...)", and the kernel's vDSO,
// which has no file.
func parseLdd(out []byte) ([]string, error) {
	var libs []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		name, target, arrow := strings.Cut(line, " => ")
		if !arrow {
			target = name
		}
		if strings.HasPrefix(strings.TrimSpace(target), "not found") {
			return nil, fmt.Errorf("%s: not found", strings.TrimSpace(name))
		}
		p, _, _ := strings.Cut(strings.TrimSpace(target), " (")
		if !path.IsAbs(p) {
			continue // linux-vdso.so.1
		}
		libs = append(libs, path.Clean(p))
	}
	return libs, sc.Err()
}

// busyboxList is the set of applets the host's busybox has.
func busyboxList(ctx context.Context) (map[string]bool, error) {
	out, err := exec.CommandContext(ctx, "/bin/busybox", "--list").Output()
	if err != nil {
		return nil, fmt.Errorf("nodeimage: /bin/busybox --list: %w", err)
	}
	set := map[string]bool{}
	for _, a := range strings.Fields(string(out)) {
		set[a] = true
	}
	return set, nil
}
