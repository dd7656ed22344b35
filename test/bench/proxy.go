package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"sync"
	"time"

	"github.com/clusterset-dns/clusterset/test/testbed"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// relistProxy is an HTTPS reverse proxy between one CoreDNS server and the
// API server. It passes everything through, and on forceRelist makes every
// watch of that server relist:
//
//  1. it ends every watch stream in flight, cleanly (the client sees the
//     stream end, as when the API server closes a watch at its timeout);
//  2. it answers each re-watch from a resource version with 410 Gone
//     ("Expired"), which is what an API server answers when its watch
//     cache no longer holds that version; client-go then lists again, as a
//     watch-list (sendInitialEvents=true) or a plain list;
//  3. it passes the relist through and stops interfering with that
//     resource.
//
// It watches the relist responses go by: a watch-list is complete when its
// initial-events-end bookmark passes, a list when its response ends.
type relistProxy struct {
	name string
	url  string // https://127.0.0.1:PORT
	ca   []byte // PEM of the proxy's self-signed certificate
	srv  *http.Server
	rp   *httputil.ReverseProxy

	mu       sync.Mutex
	watches  map[*watchStream]struct{}
	forcing  map[string]bool // resource path -> its re-watch gets 410 until it relists
	relists  map[string]*relistState
	lists    int       // list requests in flight while forcing
	lastList time.Time // when the last of them ended

	debug func(string, ...any) // with BENCH_PROXY_DEBUG set, every request
}

type watchStream struct {
	resource string
	cut      chan struct{}
	once     sync.Once
	mu       sync.Mutex
	body     io.ReadCloser
}

// end stops the stream: the body's reader sees EOF.
func (w *watchStream) end() {
	w.once.Do(func() {
		close(w.cut)
		w.mu.Lock()
		if w.body != nil {
			w.body.Close()
		}
		w.mu.Unlock()
	})
}

type relistState struct {
	watchList bool
	done      bool
}

type streamKey struct{}

// initialEventsEnd is the annotation of the bookmark that ends a
// watch-list's initial events; its bytes appear as such in JSON and in
// protobuf.
var initialEventsEnd = []byte("k8s.io/initial-events-end")

func newRelistProxy(name string, bed *testbed.Bed, logf func(string, ...any)) (*relistProxy, error) {
	target, err := url.Parse(bed.URL)
	if err != nil {
		return nil, err
	}
	caPEM, err := os.ReadFile(bed.CAFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("no certificate in %s", bed.CAFile)
	}
	cert, certPEM, err := selfSignedLoopbackCert()
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &relistProxy{
		name:    name,
		url:     "https://" + ln.Addr().String(),
		ca:      certPEM,
		watches: map[*watchStream]struct{}{},
		forcing: map[string]bool{},
		relists: map[string]*relistState{},
	}
	if os.Getenv("BENCH_PROXY_DEBUG") != "" {
		p.debug = logf
	}
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
		},
		Transport: &http.Transport{
			TLSClientConfig:     &tls.Config{RootCAs: pool},
			ForceAttemptHTTP2:   true,
			MaxIdleConnsPerHost: 100,
			// The client's Accept-Encoding goes upstream as it asked: by
			// default the transport would ask for gzip itself for a
			// client that asked for none (ours) and inflate every
			// response in this process, on the API server's CPU.
			DisableCompression: true,
		},
		FlushInterval: -1, // watches are streams: pass every write on at once
		ModifyResponse: func(resp *http.Response) error {
			if ws, ok := resp.Request.Context().Value(streamKey{}).(*watchStream); ok {
				ws.mu.Lock()
				ws.body = resp.Body
				ws.mu.Unlock()
				resp.Body = &cutBody{ReadCloser: resp.Body, ws: ws}
			}
			return nil
		},
		ErrorLog: log.New(io.Discard, "", 0),
	}
	p.srv = &http.Server{
		Handler:   p,
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}},
		ErrorLog:  log.New(io.Discard, "", 0),
	}
	go p.srv.ServeTLS(ln, "", "")
	return p, nil
}

// writeKubeconfig writes a kubeconfig for the proxy with the admin token.
func (p *relistProxy) writeKubeconfig(path, token string) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["bench"] = &clientcmdapi.Cluster{Server: p.url, CertificateAuthorityData: p.ca}
	cfg.AuthInfos["admin"] = &clientcmdapi.AuthInfo{Token: token}
	cfg.Contexts["bench"] = &clientcmdapi.Context{Cluster: "bench", AuthInfo: "admin"}
	cfg.CurrentContext = "bench"
	return clientcmd.WriteToFile(*cfg, path)
}

func (p *relistProxy) close() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	p.mu.Lock()
	for ws := range p.watches {
		ws.end()
	}
	p.mu.Unlock()
	_ = p.srv.Shutdown(ctx)
	p.srv.Close()
}

// ServeHTTP implements http.Handler.
func (p *relistProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	res := resourceKey(r.URL.Path, q)
	if p.debug != nil {
		start := time.Now()
		p.debug("proxy %s: > %s %s", p.name, r.Method, r.URL.RequestURI())
		defer func() {
			p.debug("proxy %s: < %s %s after %v", p.name, r.Method, r.URL.RequestURI(), time.Since(start).Round(time.Millisecond))
		}()
	}
	if r.Method != http.MethodGet {
		p.rp.ServeHTTP(w, r)
		return
	}
	if q.Get("watch") == "true" || q.Get("watch") == "1" {
		initial := q.Get("sendInitialEvents") == "true"
		rv := q.Get("resourceVersion")
		p.mu.Lock()
		var rs *relistState
		if p.forcing[res] {
			if !initial && rv != "" && rv != "0" {
				p.mu.Unlock()
				gone(w)
				return
			}
			delete(p.forcing, res)
			// A watch from "" or "0" without initial events is not how
			// client-go relists; count it as done at once.
			rs = &relistState{watchList: initial, done: !initial}
			p.relists[res] = rs
		}
		ws := &watchStream{resource: res, cut: make(chan struct{})}
		p.watches[ws] = struct{}{}
		p.mu.Unlock()
		defer func() {
			p.mu.Lock()
			delete(p.watches, ws)
			if rs != nil {
				rs.done = true // the stream ended, whatever it held
			}
			p.mu.Unlock()
		}()
		if rs != nil && rs.watchList {
			mw := &markWriter{ResponseWriter: w, p: p, rs: rs}
			defer mw.close()
			w = mw
		}
		p.rp.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), streamKey{}, ws)))
		return
	}
	p.mu.Lock()
	counted := len(p.forcing) > 0 || p.pendingLocked()
	if p.forcing[res] {
		delete(p.forcing, res)
		p.relists[res] = &relistState{done: true} // done for this resource once lists are quiet
	}
	if counted {
		p.lists++
	}
	p.mu.Unlock()
	p.rp.ServeHTTP(w, r)
	if counted {
		p.mu.Lock()
		p.lists--
		p.lastList = time.Now()
		p.mu.Unlock()
	}
}

// resourceKey names what one informer watches: the in-tree plugin has two
// EndpointSlice informers, all slices and the MCS-labelled ones.
func resourceKey(path string, q url.Values) string {
	key := path
	if l := q.Get("labelSelector"); l != "" {
		key += "?labelSelector=" + l
	}
	if f := q.Get("fieldSelector"); f != "" {
		key += "?fieldSelector=" + f
	}
	return key
}

func (p *relistProxy) pendingLocked() bool {
	for _, rs := range p.relists {
		if !rs.done {
			return true
		}
	}
	return false
}

// forceRelist ends every watch and arms the 410 answers. It returns the
// resources whose watches were ended.
func (p *relistProxy) forceRelist() []string {
	p.mu.Lock()
	p.relists = map[string]*relistState{}
	var streams []*watchStream
	for ws := range p.watches {
		p.forcing[ws.resource] = true
		streams = append(streams, ws)
	}
	var resources []string
	for r := range p.forcing {
		resources = append(resources, r)
	}
	p.mu.Unlock()
	for _, ws := range streams {
		ws.end()
	}
	return resources
}

// relisted reports whether every forced resource relisted completely, and
// the resources still waiting.
func (p *relistProxy) relisted() (bool, []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var waiting []string
	for r := range p.forcing {
		waiting = append(waiting, r)
	}
	for r, rs := range p.relists {
		if !rs.done {
			waiting = append(waiting, r+" (initial events)")
		}
	}
	quiet := p.lists == 0 && time.Since(p.lastList) > 300*time.Millisecond
	return len(waiting) == 0 && quiet, waiting
}

// gone answers 410 Gone with the Status an API server sends for a resource
// version its watch cache no longer holds.
func gone(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusGone)
	io.WriteString(w, `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",`+
		`"message":"too old resource version (the benchmark's proxy forces a relist)","reason":"Expired","code":410}`)
}

// cutBody turns the error of a body closed by watchStream.end into EOF, so
// that the reverse proxy ends the client's stream cleanly.
type cutBody struct {
	io.ReadCloser
	ws *watchStream
}

func (b *cutBody) Read(buf []byte) (int, error) {
	select {
	case <-b.ws.cut:
		return 0, io.EOF
	default:
	}
	n, err := b.ReadCloser.Read(buf)
	if err != nil {
		select {
		case <-b.ws.cut:
			return n, io.EOF
		default:
		}
	}
	return n, err
}

// markWriter watches a watch-list response for its initial-events-end
// bookmark. The API server may gzip a watch stream; the client gets the
// bytes as sent, and a copy is decompressed to look for the bookmark.
type markWriter struct {
	http.ResponseWriter
	p       *relistProxy
	rs      *relistState
	started bool
	pw      *io.PipeWriter // gzip: the copy goes to scanGzip
	m       marker
}

func (m *markWriter) Write(b []byte) (int, error) {
	if !m.started {
		m.started = true
		if m.Header().Get("Content-Encoding") == "gzip" {
			pr, pw := io.Pipe()
			m.pw = pw
			go m.scanGzip(pr)
		}
	}
	if m.pw != nil {
		m.pw.Write(b)
	} else if m.m.feed(b) {
		m.found()
	}
	return m.ResponseWriter.Write(b)
}

func (m *markWriter) scanGzip(pr *io.PipeReader) {
	defer io.Copy(io.Discard, pr) // never block the writer
	zr, err := gzip.NewReader(pr)
	if err != nil {
		return
	}
	buf := make([]byte, 32*1024)
	for {
		n, err := zr.Read(buf)
		if m.m.feed(buf[:n]) {
			m.found()
			return
		}
		if err != nil {
			return
		}
	}
}

func (m *markWriter) found() {
	m.p.mu.Lock()
	m.rs.done = true
	m.p.mu.Unlock()
}

// close ends the decompressed copy.
func (m *markWriter) close() {
	if m.pw != nil {
		m.pw.Close()
	}
}

// marker finds initialEventsEnd in a stream fed in pieces.
type marker struct{ tail []byte }

func (s *marker) feed(b []byte) bool {
	buf := append(s.tail, b...)
	if bytes.Contains(buf, initialEventsEnd) {
		s.tail = nil
		return true
	}
	keep := len(initialEventsEnd) - 1
	if len(buf) > keep {
		buf = buf[len(buf)-keep:]
	}
	s.tail = append([]byte(nil), buf...)
	return false
}

// Unwrap lets http.ResponseController reach Flush.
func (m *markWriter) Unwrap() http.ResponseWriter { return m.ResponseWriter }

// selfSignedLoopbackCert returns a certificate for 127.0.0.1 and its PEM.
func selfSignedLoopbackCert() (tls.Certificate, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "clusterset-bench-proxy"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	cert, err := tls.X509KeyPair(certPEM, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}))
	if err != nil {
		return tls.Certificate{}, nil, errors.Join(errors.New("proxy certificate"), err)
	}
	return cert, certPEM, nil
}
