package test

import (
	"bytes"
	"context"
	"crypto/x509"
	"debug/elf"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/clusterset-dns/clusterset/test/nodeimage"

	"github.com/miekg/dns"
)

// imageUID is the numeric user the image runs as (distroless' nonroot).
const imageUID = 65532

// TestImage builds the container image with `make image` (buildah, vfs
// storage, chroot isolation, FROM scratch: no daemon and no network), then
// checks what Kubernetes will run: the image config (user, entrypoint,
// command, ports), the root filesystem (the binary and the CA bundle,
// nothing else), the binary (static, carrying cap_net_bind_service, the
// clusterset build: -version and -plugins) and, as root, that the binary
// binds a port below 1024 as user 65532 thanks to that file capability.
//
// Everything it creates lives in a temporary directory: the build context,
// and buildah's storage (a private --root), so no image or container is
// left in the machine's storage and concurrent runs do not meet.
func TestImage(t *testing.T) {
	ensureBuildah(t)
	tmp := t.TempDir()
	storage := nodeimage.Buildah{Root: filepath.Join(tmp, "storage"), RunRoot: filepath.Join(tmp, "run")}
	// Not t.Context(): the cleanups below run after it is canceled.
	bah := func(args ...string) (string, error) { return storage.Run(context.Background(), args...) }
	const image = "clusterset-coredns:test"

	start := time.Now()
	if _, err := storage.MakeImage(t.Context(), repoRoot, image, filepath.Join(tmp, "context")); err != nil {
		t.Fatal(err)
	}
	t.Logf("make image: %v", time.Since(start).Round(100*time.Millisecond))
	t.Cleanup(func() {
		// Removing the private storage removes everything; say so
		// explicitly too, in case a later edit points --root elsewhere.
		if _, err := bah("rmi", "--force", image); err != nil {
			t.Logf("cleanup: %v", err)
		}
	})

	// The image config, as Kubernetes reads it.
	inspect, err := bah("inspect", "--type", "image", image)
	if err != nil {
		t.Fatal(err)
	}
	var info struct {
		OCIv1 struct {
			Config struct {
				User         string
				Entrypoint   []string
				Cmd          []string
				ExposedPorts map[string]struct{}
				WorkingDir   string
			} `json:"config"`
			Architecture string `json:"architecture"`
			OS           string `json:"os"`
		} `json:"OCIv1"`
	}
	if err := json.Unmarshal([]byte(inspect), &info); err != nil {
		t.Fatalf("buildah inspect: %v\n%s", err, inspect)
	}
	cfg := info.OCIv1.Config
	if u, _, _ := strings.Cut(cfg.User, ":"); u != strconv.Itoa(imageUID) {
		t.Errorf("image user %q, want %d (numeric, so that runAsNonRoot can verify it)", cfg.User, imageUID)
	}
	if !slices.Equal(cfg.Entrypoint, []string{"/coredns"}) {
		t.Errorf("entrypoint %q, want [/coredns]", cfg.Entrypoint)
	}
	if !slices.Equal(cfg.Cmd, []string{"-conf", "/etc/coredns/Corefile"}) {
		t.Errorf("cmd %q, want [-conf /etc/coredns/Corefile]", cfg.Cmd)
	}
	var ports []string
	for p := range cfg.ExposedPorts {
		ports = append(ports, p)
	}
	slices.Sort(ports)
	if !slices.Equal(ports, []string{"53/tcp", "53/udp"}) {
		t.Errorf("exposed ports %q, want [53/tcp 53/udp]", ports)
	}
	if info.OCIv1.OS != "linux" {
		t.Errorf("image os %q, want linux", info.OCIv1.OS)
	}

	// The root filesystem: a working container, mounted (with vfs, a plain
	// directory in the private storage).
	ctr, err := bah("from", "--pull=never", "--name", "clusterset-image-test", image)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := bah("rm", ctr); err != nil {
			t.Logf("cleanup: %v", err)
		}
	})
	rootfs, err := bah("mount", ctr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bah("umount", ctr) }) //nolint:errcheck // rm follows

	var files []string
	err = filepath.WalkDir(rootfs, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(rootfs, p)
			files = append(files, "/"+rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(files)
	if want := []string{"/coredns", "/etc/ssl/certs/ca-certificates.crt"}; !slices.Equal(files, want) {
		t.Errorf("image files %q, want exactly %q (scratch base)", files, want)
	}
	bundle, err := os.ReadFile(filepath.Join(rootfs, "etc/ssl/certs/ca-certificates.crt"))
	if err != nil {
		t.Fatal(err)
	}
	if pool := x509.NewCertPool(); !pool.AppendCertsFromPEM(bundle) {
		t.Errorf("/etc/ssl/certs/ca-certificates.crt holds no PEM certificate (%d bytes)", len(bundle))
	}

	bin := filepath.Join(rootfs, "coredns")
	checkStatic(t, bin)
	caps, err := fileCaps(bin)
	if err != nil {
		t.Errorf("/coredns: %v (make image runs setcap cap_net_bind_service=+ep; the capability must survive the COPY)", err)
	} else if caps.permitted != 1<<capNetBindService || !caps.effective {
		t.Errorf("/coredns file capabilities: permitted %#x effective %v, want exactly cap_net_bind_service=ep", caps.permitted, caps.effective)
	}

	version := runOut(t, bin, "-version")
	if !strings.Contains(version, "CoreDNS-1.15.0") {
		t.Errorf("/coredns -version: %q, want CoreDNS-1.15.0", version)
	}
	plugins := strings.Fields(runOut(t, bin, "-plugins"))
	for _, p := range []string{"clusterset", "kubernetes", "forward", "cache", "errors", "health", "ready", "prometheus", "reload", "loop", "loadbalance"} {
		if !slices.Contains(plugins, p) && !slices.Contains(plugins, "dns."+p) {
			t.Errorf("/coredns -plugins does not list %s:\n%s", p, strings.Join(plugins, " "))
		}
	}

	t.Run("binds port below 1024 as user 65532", func(t *testing.T) {
		testLowPortAsNonRoot(t, bin)
	})
}

// ensureBuildah returns buildah's path, installing Debian's package when it
// is missing and this runs as root with apt-get; it skips the test only
// when that is impossible. make image also needs setcap (libcap2-bin).
func ensureBuildah(t *testing.T) string {
	t.Helper()
	missing := func() []string {
		var m []string
		if _, err := exec.LookPath("buildah"); err != nil {
			m = append(m, "buildah")
		}
		if _, err := exec.LookPath("setcap"); err != nil {
			m = append(m, "libcap2-bin")
		}
		return m
	}
	if pkgs := missing(); len(pkgs) > 0 {
		if _, err := exec.LookPath("apt-get"); err != nil || os.Geteuid() != 0 {
			t.Skipf("image test skipped: %s not installed and cannot be installed here (needs root and apt-get): apt-get install -y buildah libcap2-bin", strings.Join(pkgs, ", "))
		}
		t.Logf("installing %s with apt-get", strings.Join(pkgs, " "))
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
		defer cancel()
		install := func() ([]byte, error) {
			cmd := exec.CommandContext(ctx, "apt-get", append([]string{"install", "-y", "-qq"}, pkgs...)...)
			cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
			return cmd.CombinedOutput()
		}
		out, err := install()
		if err != nil {
			// Stale or empty package lists: refresh once.
			if up, uerr := exec.CommandContext(ctx, "apt-get", "update", "-qq").CombinedOutput(); uerr != nil {
				t.Logf("apt-get update: %v\n%s", uerr, up)
			}
			out, err = install()
		}
		if pkgs := missing(); len(pkgs) > 0 {
			t.Skipf("image test skipped: %s not installed and apt-get install failed (%v):\n%s", strings.Join(pkgs, ", "), err, out)
		}
	}
	p, _ := exec.LookPath("buildah")
	return p
}

// checkStatic fails unless bin is an ELF executable with no interpreter and
// no shared libraries: the image has no libc.
func checkStatic(t *testing.T, bin string) {
	t.Helper()
	f, err := elf.Open(bin)
	if err != nil {
		t.Errorf("/coredns: %v", err)
		return
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("/coredns is dynamically linked (has an ELF interpreter): the scratch and distroless static images have no libc; build with CGO_ENABLED=0")
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("/coredns needs shared libraries %q", libs)
	}
}

const capNetBindService = 10

type fileCapabilities struct {
	permitted uint64
	effective bool
}

// fileCaps decodes the security.capability extended attribute of path
// (struct vfs_cap_data, revision 2 or 3).
func fileCaps(path string) (fileCapabilities, error) {
	buf := make([]byte, 64)
	n, err := syscall.Getxattr(path, "security.capability", buf)
	if err != nil {
		return fileCapabilities{}, errors.New("no file capabilities (security.capability: " + err.Error() + ")")
	}
	buf = buf[:n]
	if len(buf) < 20 {
		return fileCapabilities{}, errors.New("security.capability too short: " + strconv.Itoa(len(buf)) + " bytes")
	}
	magic := binary.LittleEndian.Uint32(buf[0:4])
	lo := binary.LittleEndian.Uint32(buf[4:8])
	hi := binary.LittleEndian.Uint32(buf[12:16])
	return fileCapabilities{permitted: uint64(hi)<<32 | uint64(lo), effective: magic&1 == 1}, nil
}

func runOut(t *testing.T, bin string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	if err != nil {
		t.Errorf("%s %s: %v\n%s", bin, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// testLowPortAsNonRoot copies the image's binary (with its capability) to a
// directory user 65532 can read, starts it as 65532 on a free port below
// 1024, and asks it a question; the same binary without the capability must
// fail to bind, or the first half proves nothing. In a pod, with
// allowPrivilegeEscalation false, the runtime keeps NET_BIND_SERVICE in the
// permitted set (capabilities.add), which the file capability needs.
func testLowPortAsNonRoot(t *testing.T, imageBin string) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to start a process as user 65532")
	}
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_unprivileged_port_start"); err == nil {
		if v, _ := strconv.Atoi(strings.TrimSpace(string(b))); v < 1024 {
			t.Skipf("net.ipv4.ip_unprivileged_port_start is %d here: any user may bind low ports, the capability cannot be told apart", v)
		}
	}
	dir := t.TempDir()
	// t.TempDir's parent is private (0700) too; both are this test's own.
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(imageBin)
	if err != nil {
		t.Fatal(err)
	}
	withCap, noCap := filepath.Join(dir, "coredns"), filepath.Join(dir, "coredns-nocap")
	for _, p := range []string{withCap, noCap} {
		if err := os.WriteFile(p, data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	attr := make([]byte, 64)
	n, err := syscall.Getxattr(imageBin, "security.capability", attr)
	if err != nil {
		t.Fatalf("image binary has no capability: %v", err)
	}
	if err := syscall.Setxattr(withCap, "security.capability", attr[:n], 0); err != nil {
		t.Skipf("cannot set file capabilities here (%v)", err)
	}
	port := freeLowPort(t)
	corefile := filepath.Join(dir, "Corefile")
	body := ".:" + strconv.Itoa(port) + " {\n    bind 127.0.0.1\n    whoami\n}\n"
	if err := os.WriteFile(corefile, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	// start runs bin as imageUID; the returned channel closes when it exits.
	start := func(bin string) <-chan struct{} {
		cmd := exec.Command(bin, "-conf", corefile)
		cmd.Dir = dir
		cmd.SysProcAttr = &syscall.SysProcAttr{
			Credential: &syscall.Credential{Uid: imageUID, Gid: imageUID, Groups: []uint32{}},
			Pdeathsig:  syscall.SIGKILL,
		}
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatalf("starting %s as %d: %v", bin, imageUID, err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }() //nolint:errcheck // the exit is what is checked
		t.Cleanup(func() {
			select {
			case <-exited:
			default:
				cmd.Process.Kill() //nolint:errcheck // by PID, our child
				<-exited
			}
			if t.Failed() {
				t.Logf("%s output:\n%s", filepath.Base(bin), out.String())
			}
		})
		return exited
	}

	// Without the capability: must exit (permission denied on bind).
	select {
	case <-start(noCap):
	case <-time.After(15 * time.Second):
		t.Fatalf("coredns without the file capability kept running as %d on port %d: the positive check would prove nothing", imageUID, port)
	}

	exited := start(withCap)
	m := new(dns.Msg)
	m.SetQuestion("whoami.example.", dns.TypeA)
	cl := &dns.Client{Net: "udp", Timeout: 300 * time.Millisecond}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(20 * time.Second)
	for {
		if r, _, err := cl.Exchange(m, addr); err == nil && r.Rcode == dns.RcodeSuccess {
			return
		}
		select {
		case <-exited:
			t.Fatalf("coredns with cap_net_bind_service exited as user %d on port %d", imageUID, port)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("coredns with cap_net_bind_service did not answer on %s as user %d", addr, imageUID)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// freeLowPort finds a port in 900..1023 free on 127.0.0.1 for TCP and UDP.
func freeLowPort(t *testing.T) int {
	t.Helper()
	for p := 900; p < 1024; p++ {
		if portFree(net.JoinHostPort("127.0.0.1", strconv.Itoa(p))) {
			return p
		}
	}
	t.Skip("no free port in 900..1023 on 127.0.0.1")
	return 0
}
