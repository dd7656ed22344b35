package testbed

// Faults: a test stops and starts the servers of a running Bed as a crash
// and a restart would, on the same ports and data directory, and compacts
// etcd's history.

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// ErrRunning is returned when a server is started again that still runs.
var ErrRunning = errors.New("testbed: the server still runs")

// KillAPIServer kills kube-apiserver with SIGKILL (no graceful shutdown:
// watches end with a broken connection, as in a crash) and waits until it
// has exited. StartAPIServer starts it again.
func (b *Bed) KillAPIServer() { b.api.kill() }

// StartAPIServer starts kube-apiserver again after KillAPIServer: the same
// binary, flags, port, certificates and etcd, and waits until /readyz
// answers 200.
func (b *Bed) StartAPIServer(ctx context.Context) error {
	if !b.api.exited() {
		return ErrRunning
	}
	p, err := b.api.restart()
	if err != nil {
		return err
	}
	b.api = p
	insecure := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // loopback readiness probe only
	}}
	defer insecure.CloseIdleConnections()
	if err := waitHTTP(ctx, p, b.opts.StartTimeout, insecure, b.URL+"/readyz", b.tokens[AdminUser]); err != nil {
		return fmt.Errorf("kube-apiserver did not become ready again: %w\n%s", err, p.tail(6000))
	}
	return nil
}

// KillEtcd kills etcd with SIGKILL and waits until it has exited; the API
// server keeps running without its storage. StartEtcd starts it again.
func (b *Bed) KillEtcd() { b.etcd.kill() }

// StartEtcd starts etcd again after KillEtcd, on the same ports and data
// directory, and waits until /health answers 200.
func (b *Bed) StartEtcd(ctx context.Context) error {
	if !b.etcd.exited() {
		return ErrRunning
	}
	p, err := b.etcd.restart()
	if err != nil {
		return err
	}
	b.etcd = p
	if err := waitHTTP(ctx, p, b.opts.StartTimeout, http.DefaultClient, b.EtcdURL+"/health", ""); err != nil {
		return fmt.Errorf("etcd did not become healthy again: %w\n%s", err, p.tail(4000))
	}
	return nil
}

// CompactEtcd writes n keys outside the API server's prefix, which moves
// etcd's revision past every resource version handed out so far, then
// compacts (physically) at the new revision: a watch or list from an older
// resource version can no longer be served. It returns that revision.
func (b *Bed) CompactEtcd(ctx context.Context, n int) (int64, error) {
	var rev int64
	for i := 0; i < max(n, 1); i++ {
		var out struct {
			Header struct {
				Revision string `json:"revision"`
			} `json:"header"`
		}
		key := base64.StdEncoding.EncodeToString([]byte("/testbed-compaction/" + strconv.Itoa(i)))
		val := base64.StdEncoding.EncodeToString([]byte(time.Now().String()))
		if err := b.etcdCall(ctx, "/v3/kv/put", map[string]any{"key": key, "value": val}, &out); err != nil {
			return 0, err
		}
		r, err := strconv.ParseInt(out.Header.Revision, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("etcd put: revision %q: %w", out.Header.Revision, err)
		}
		rev = r
	}
	if err := b.etcdCall(ctx, "/v3/kv/compaction", map[string]any{"revision": strconv.FormatInt(rev, 10), "physical": true}, nil); err != nil {
		return 0, err
	}
	return rev, nil
}

// etcdCall posts a JSON request to etcd's gRPC gateway.
func (b *Bed) etcdCall(ctx context.Context, path string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.EtcdURL+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("etcd %s: %w", path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("etcd %s: %s: %s", path, resp.Status, data)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("etcd %s: %w: %s", path, err, data)
	}
	return nil
}
