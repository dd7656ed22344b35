// Package testbed runs a real Kubernetes API server on loopback for tests and
// demos: etcd and kube-apiserver (v1.37.2, built by hack/testbins.sh) on free
// 127.0.0.1 ports with a temporary data directory, token and client
// certificate authentication, RBAC, the Multi-Cluster Services CRDs from
// sigs.k8s.io/mcs-api, and any CRD files the caller names (such as the
// about.k8s.io ClusterProperty CRD, with helpers to write ClusterProperties).
// It writes the objects test/fixtures builds; it builds none itself.
//
// A Bed kills only the processes it started, by PID, and removes its
// temporary directory when stopped. The children also get SIGKILL from the
// kernel when the process that started them dies (Pdeathsig), so a test
// binary killed by its -timeout leaves no servers behind; directories left by
// such a death are removed by the next Start.
package testbed

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	mcsclient "sigs.k8s.io/mcs-api/pkg/client/clientset/versioned"
)

// Version is the Kubernetes release the test bed runs.
const Version = "v1.37.2"

const serviceAccountKey = "sa.key"

// AdminUser is the user of the admin token; it is in group system:masters.
const AdminUser = "admin"

// Environment variables that override where the binaries are found.
const (
	// EnvDir names a directory holding kube-apiserver and etcd.
	EnvDir = "CLUSTERSET_TESTBINS_DIR"
	// EnvAPIServer names the kube-apiserver binary.
	EnvAPIServer = "TEST_ASSET_KUBE_APISERVER"
	// EnvEtcd names the etcd binary.
	EnvEtcd = "TEST_ASSET_ETCD"
)

// User is a user the API server authenticates by a static token.
type User struct {
	Name   string
	Groups []string
}

// Options configure Start. The zero value is a usable default.
type Options struct {
	// Users are extra token users besides AdminUser. Their tokens and
	// kubeconfig files are available from Bed.Token and Bed.Kubeconfig.
	Users []User
	// ServiceImportV1Alpha1Only installs a ServiceImport CRD that serves and
	// stores only v1alpha1, as older MCS implementations shipped it.
	ServiceImportV1Alpha1Only bool
	// SkipCRDs starts the API server without the MCS CRDs (and without
	// CRDFiles); InstallCRDs and InstallCRDFiles can add them later.
	SkipCRDs bool
	// CRDFiles are CustomResourceDefinition YAML files installed with the
	// MCS CRDs, such as the ClusterProperty CRD the repository ships
	// (ClusterPropertyCRDPath). CRDs are best installed once per test
	// binary: the first object written within about 2 s of its CRD
	// becoming Established waits about 2 s in the API server.
	CRDFiles []string
	// ServiceClusterIPRange is --service-cluster-ip-range; default
	// 10.96.0.0/16.
	ServiceClusterIPRange string
	// Address is the address the API server binds and advertises; default
	// 127.0.0.1. Any other address also turns on the endpoint reconciler,
	// so that the `kubernetes` Service points at it as in a real cluster
	// (test/cluster gives it the host end of a node's link).
	Address string
	// Authorization is --authorization-mode; default RBAC.
	Authorization string
	// APIServerArgs are extra kube-apiserver flags, after the test bed's
	// own: a scalar flag given again here overrides the test bed's value
	// (list flags such as --authorization-mode add to it instead).
	APIServerArgs []string
	// StartTimeout bounds each server's start; default 90s.
	StartTimeout time.Duration
	// Logf, when set, receives progress lines.
	Logf func(format string, args ...any)
}

// Bed is a running etcd and kube-apiserver pair.
type Bed struct {
	// Dir is the temporary directory holding data, certificates, logs and
	// kubeconfig files; it is removed by Stop.
	Dir string
	// URL is the API server's https URL on 127.0.0.1.
	URL string
	// EtcdURL is etcd's client URL.
	EtcdURL string
	// CAFile is the PEM bundle that verifies the API server's certificate.
	CAFile string
	// Config is the admin client configuration.
	Config *rest.Config
	// Kube, MCS and Dynamic are admin clients.
	Kube    kubernetes.Interface
	MCS     mcsclient.Interface
	Dynamic dynamic.Interface

	opts    Options
	tokens  map[string]string
	ca      *clientCA
	etcd    *proc
	api     *proc
	stopped bool
}

// Start starts etcd and kube-apiserver, waits until the API is ready, writes
// the kubeconfig files and installs the MCS CRDs and opts.CRDFiles (unless
// opts.SkipCRDs).
// On error everything already started is stopped.
func Start(ctx context.Context, opts Options) (_ *Bed, err error) {
	if opts.ServiceClusterIPRange == "" {
		opts.ServiceClusterIPRange = "10.96.0.0/16"
	}
	if opts.StartTimeout == 0 {
		opts.StartTimeout = 90 * time.Second
	}
	if opts.Address == "" {
		opts.Address = "127.0.0.1"
	}
	if opts.Authorization == "" {
		opts.Authorization = "RBAC"
	}
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	apiserverBin, etcdBin, err := Binaries()
	if err != nil {
		return nil, err
	}
	removeStaleDirs()
	dir, err := os.MkdirTemp("", dirPrefix)
	if err != nil {
		return nil, fmt.Errorf("temp dir: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o600); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("owner file: %w", err)
	}
	b := &Bed{Dir: dir, opts: opts, tokens: map[string]string{}}
	defer func() {
		if err != nil {
			b.Stop()
		}
	}()

	begin := time.Now()
	if err := b.startEtcd(ctx, etcdBin); err != nil {
		return nil, err
	}
	opts.Logf("testbed: etcd ready at %s after %v", b.EtcdURL, time.Since(begin).Round(time.Millisecond))
	if err := b.startAPIServer(ctx, apiserverBin); err != nil {
		return nil, err
	}
	opts.Logf("testbed: kube-apiserver ready at %s after %v", b.URL, time.Since(begin).Round(time.Millisecond))
	if err := b.clients(); err != nil {
		return nil, err
	}
	if !opts.SkipCRDs {
		if err := b.InstallCRDs(ctx, opts.ServiceImportV1Alpha1Only); err != nil {
			return nil, err
		}
		if err := b.InstallCRDFiles(ctx, opts.CRDFiles...); err != nil {
			return nil, err
		}
		opts.Logf("testbed: MCS CRDs established after %v", time.Since(begin).Round(time.Millisecond))
	}
	return b, nil
}

// TB is the part of testing.TB that StartT needs.
type TB interface {
	Helper()
	Logf(format string, args ...any)
	Fatalf(format string, args ...any)
	Cleanup(func())
	Context() context.Context
}

// StartT starts a Bed for one test and stops it in t.Cleanup.
func StartT(t TB, opts Options) *Bed {
	t.Helper()
	if opts.Logf == nil {
		opts.Logf = t.Logf
	}
	b, err := Start(t.Context(), opts)
	if err != nil {
		t.Fatalf("testbed: %v", err)
	}
	t.Cleanup(b.Stop)
	return b
}

// Stop kills the API server and etcd (only those two processes, by PID) and
// removes the temporary directory. It is safe to call more than once.
func (b *Bed) Stop() {
	if b == nil || b.stopped {
		return
	}
	b.stopped = true
	b.api.stop()
	b.etcd.stop()
	if os.Getenv("TESTBED_KEEP") == "" {
		os.RemoveAll(b.Dir)
	} else {
		b.opts.Logf("testbed: kept %s (TESTBED_KEEP set)", b.Dir)
	}
}

// Kubeconfig returns the path of a kubeconfig file for user (AdminUser or one
// of Options.Users).
func (b *Bed) Kubeconfig(user string) string {
	return filepath.Join(b.Dir, "kubeconfig-"+user)
}

// ServiceAccountKeyFile is the key the API server signs and verifies
// service-account tokens with (kube-controller-manager's
// --service-account-private-key-file).
func (b *Bed) ServiceAccountKeyFile() string { return filepath.Join(b.Dir, serviceAccountKey) }

// Token returns the bearer token of user, or "" for an unknown user.
func (b *Bed) Token(user string) string { return b.tokens[user] }

// UserConfig returns a client configuration that authenticates as user.
func (b *Bed) UserConfig(user string) *rest.Config {
	c := rest.CopyConfig(b.Config)
	c.BearerToken = b.tokens[user]
	return c
}

// Logs returns the tails (at most n bytes each) of the servers' output, for
// failure messages.
func (b *Bed) Logs(n int) string {
	return b.etcd.tail(n) + b.api.tail(n)
}

// Binaries returns the kube-apiserver and etcd paths: the environment
// overrides, else the hack/testbins.sh cache directory.
func Binaries() (apiserver, etcd string, err error) {
	dir := os.Getenv(EnvDir)
	if dir == "" {
		dir = CacheDir()
	}
	apiserver = os.Getenv(EnvAPIServer)
	if apiserver == "" {
		apiserver = filepath.Join(dir, "kube-apiserver")
	}
	etcd = os.Getenv(EnvEtcd)
	if etcd == "" {
		etcd = filepath.Join(dir, "etcd")
	}
	for _, p := range []string{apiserver, etcd} {
		if fi, err := os.Stat(p); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			return "", "", fmt.Errorf("test binary %s is missing: run `make testbins` (hack/testbins.sh builds kube-apiserver and etcd %s into %s), or set %s / %s / %s", p, Version, dir, EnvDir, EnvAPIServer, EnvEtcd)
		}
	}
	return apiserver, etcd, nil
}

// CacheDir is where hack/testbins.sh puts the binaries.
func CacheDir() string {
	base := os.Getenv("XDG_CACHE_HOME")
	if base == "" {
		home, _ := os.UserHomeDir()
		base = filepath.Join(home, ".cache")
	}
	return filepath.Join(base, "clusterset", "testbins-"+Version)
}

func (b *Bed) startEtcd(ctx context.Context, bin string) error {
	data := filepath.Join(b.Dir, "etcd")
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		ports, err := FreePorts(2)
		if err != nil {
			return err
		}
		client := "http://127.0.0.1:" + strconv.Itoa(ports[0])
		peer := "http://127.0.0.1:" + strconv.Itoa(ports[1])
		os.RemoveAll(data)
		p, err := startProc(bin, filepath.Join(b.Dir, "etcd.log"),
			"--name=testbed",
			"--data-dir="+data,
			"--listen-client-urls="+client,
			"--advertise-client-urls="+client,
			"--listen-peer-urls="+peer,
			"--initial-advertise-peer-urls="+peer,
			"--initial-cluster=testbed="+peer,
			"--unsafe-no-fsync=true",
			"--log-level=warn",
		)
		if err != nil {
			return err
		}
		b.etcd = p
		err = waitHTTP(ctx, p, b.opts.StartTimeout, http.DefaultClient, client+"/health", "")
		if err == nil {
			b.EtcdURL = client
			return nil
		}
		lastErr = fmt.Errorf("etcd did not become healthy: %w\n%s", err, p.tail(4000))
		died := p.exited() // on its own: maybe a port taken meanwhile
		p.stop()
		if !died || !strings.Contains(p.tail(20000), "address already in use") {
			break
		}
	}
	return lastErr
}

func (b *Bed) startAPIServer(ctx context.Context, bin string) error {
	certDir := filepath.Join(b.Dir, "certs")
	if err := os.MkdirAll(certDir, 0o700); err != nil {
		return err
	}
	saKey := b.ServiceAccountKeyFile()
	var err error
	if err = writeRSAKey(saKey); err != nil {
		return fmt.Errorf("service-account key: %w", err)
	}
	caFile := filepath.Join(b.Dir, "client-ca.crt")
	if b.ca, err = newClientCA(caFile); err != nil {
		return fmt.Errorf("client CA: %w", err)
	}
	users := append([]User{{Name: AdminUser, Groups: []string{"system:masters"}}}, b.opts.Users...)
	var csv strings.Builder
	for i, u := range users {
		tok := randomToken()
		b.tokens[u.Name] = tok
		fmt.Fprintf(&csv, "%s,%s,uid-%d,%q\n", tok, u.Name, i, strings.Join(u.Groups, ","))
	}
	tokenFile := filepath.Join(b.Dir, "tokens.csv")
	if err := os.WriteFile(tokenFile, []byte(csv.String()), 0o600); err != nil {
		return err
	}

	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		ports, err := FreePorts(1)
		if err != nil {
			return err
		}
		port := strconv.Itoa(ports[0])
		// 1.37 refuses a loopback advertise address for the endpoint
		// reconciler; a real node address gets the default one.
		reconciler := "lease"
		if net.ParseIP(b.opts.Address).IsLoopback() {
			reconciler = "none"
		}
		args := []string{
			"--etcd-servers=" + b.EtcdURL,
			"--bind-address=" + b.opts.Address,
			"--advertise-address=" + b.opts.Address,
			"--secure-port=" + port,
			"--cert-dir=" + certDir,
			"--endpoint-reconciler-type=" + reconciler,
			"--token-auth-file=" + tokenFile,
			"--client-ca-file=" + caFile,
			"--authorization-mode=" + b.opts.Authorization,
			"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
			"--service-account-signing-key-file=" + saKey,
			"--service-account-key-file=" + saKey,
			"--service-cluster-ip-range=" + b.opts.ServiceClusterIPRange,
			"--allow-privileged=true",
			"--v=1",
		}
		p, err := startProc(bin, filepath.Join(b.Dir, "kube-apiserver.log"), append(args, b.opts.APIServerArgs...)...)
		if err != nil {
			return err
		}
		b.api = p
		url := "https://" + net.JoinHostPort(b.opts.Address, port)
		// The serving certificate does not exist until the server writes
		// it, so readiness is polled without verification; clients built
		// afterwards verify against CAFile.
		insecure := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
			TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // loopback readiness probe only
		}}
		err = waitHTTP(ctx, p, b.opts.StartTimeout, insecure, url+"/readyz", b.tokens[AdminUser])
		insecure.CloseIdleConnections()
		if err == nil {
			b.URL = url
			b.CAFile = filepath.Join(certDir, "apiserver.crt")
			return nil
		}
		lastErr = fmt.Errorf("kube-apiserver did not become ready: %w\n%s", err, p.tail(6000))
		died := p.exited() // on its own: maybe a port taken meanwhile
		p.stop()
		if !died || !strings.Contains(p.tail(20000), "address already in use") {
			break
		}
	}
	return lastErr
}

// clients writes a kubeconfig per user and builds the admin clients.
func (b *Bed) clients() error {
	ca, err := os.ReadFile(b.CAFile)
	if err != nil {
		return fmt.Errorf("reading the API server certificate: %w", err)
	}
	for user, tok := range b.tokens {
		cfg := clientcmdapi.NewConfig()
		cfg.Clusters["testbed"] = &clientcmdapi.Cluster{Server: b.URL, CertificateAuthorityData: ca}
		cfg.AuthInfos[user] = &clientcmdapi.AuthInfo{Token: tok}
		cfg.Contexts[user] = &clientcmdapi.Context{Cluster: "testbed", AuthInfo: user}
		cfg.CurrentContext = user
		if err := clientcmd.WriteToFile(*cfg, b.Kubeconfig(user)); err != nil {
			return fmt.Errorf("kubeconfig for %s: %w", user, err)
		}
	}
	b.Config, err = clientcmd.BuildConfigFromFlags("", b.Kubeconfig(AdminUser))
	if err != nil {
		return fmt.Errorf("admin config: %w", err)
	}
	b.Config.QPS, b.Config.Burst = 200, 400
	if b.Kube, err = kubernetes.NewForConfig(b.Config); err != nil {
		return err
	}
	if b.MCS, err = mcsclient.NewForConfig(b.Config); err != nil {
		return err
	}
	if b.Dynamic, err = dynamic.NewForConfig(b.Config); err != nil {
		return err
	}
	// The kubeconfig must verify the server: prove it once here.
	if _, err := b.Kube.Discovery().ServerVersion(); err != nil {
		return fmt.Errorf("admin client cannot reach the API server: %w", err)
	}
	return nil
}

// waitHTTP polls url until it answers 200, the process exits, or the
// timeout passes.
func waitHTTP(ctx context.Context, p *proc, timeout time.Duration, c *http.Client, url, token string) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last string
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := c.Do(req)
		if err == nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = fmt.Sprintf("%s: %s: %s", url, resp.Status, lastLines(string(body), 5))
		} else {
			last = err.Error()
		}
		select {
		case <-p.done:
			return fmt.Errorf("%s exited (%v); last probe: %s", filepath.Base(p.cmd.Path), p.waitErr, last)
		case <-ctx.Done():
			return fmt.Errorf("%w; last probe: %s", ctx.Err(), last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// FreePorts returns n distinct free TCP ports on 127.0.0.1 (also free for
// UDP at the time of the call).
func FreePorts(n int) ([]int, error) {
	var ports []int
	var ls []io.Closer
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for len(ports) < n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("free port: %w", err)
		}
		ls = append(ls, l)
		port := l.Addr().(*net.TCPAddr).Port
		u, err := net.ListenPacket("udp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			continue // UDP side taken: keep the TCP listener open and try another
		}
		ls = append(ls, u)
		ports = append(ports, port)
	}
	return ports, nil
}

func randomToken() string {
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b[:])
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
