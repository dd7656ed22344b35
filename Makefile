# Build, test and demo the clusterset CoreDNS plugin.
#
#   make build     bin/coredns with the clusterset plugin
#   make test      unit tests (-race), integration tests against a real
#                  kube-apiserver + etcd, then the real-cluster tests;
#                  builds and installs what is missing first
#   make e2e       the real-cluster tests alone: two clusters with kubelets,
#                  our image as their cluster DNS, lookups from pods (root)
#   make run       demo: a local API server with a small ClusterSet and
#                  bin/coredns on 127.0.0.1:1053 (Ctrl-C stops everything)
#   make testbins  kube-apiserver, etcd, kubectl, kubelet, kube-proxy,
#                  kube-controller-manager and kube-scheduler for the tests
#                  (cached; the first build takes about 20 minutes), and
#                  helm for the chart tests (hack/helm.sh, its own module)
#   make deps      dig (Debian package bind9-dnsutils) and musl-gcc
#                  (musl-tools, for the static musl stub resolver of the
#                  rotate test)
#   make nodedeps  what the real-cluster tests' nodes and images need, from
#                  Debian: containerd, runc, CNI plugins, iptables, busybox,
#                  nslookup, buildah (NODE_PACKAGES)
#   make faults    the fault tests' long variants (API server, etcd and
#                  watch outages of 60 s and 5 min, 5 runs each, beside the
#                  in-tree plugin); make test runs the short ones
#   make lint      go vet and staticcheck (built once from the module proxy)
#   make fuzz      each fuzz target of the plugin's packages for FUZZTIME (10m)
#   make image     the container image (Dockerfile), built offline with
#                  buildah on a scratch base (IMAGE_BASE to change it)
#   make clean     remove bin/ (the test binaries cache stays)

GO ?= go
BIN := bin/coredns
# A cold integration run needs a few minutes; the timeout only stops a hang.
INTEGRATION_TIMEOUT ?= 20m
E2E_TIMEOUT ?= 30m
# The real-cluster tests run one package at a time: their clusters share
# the host's addresses, and each wants the machine's cores.
E2E_PKGS := ./test/nodeimage/ ./test/cluster/ ./test/e2e/
UNIT_TIMEOUT ?= 10m

.PHONY: all build test unit integration e2e testbins deps nodedeps run clean image bench lint

all: build

build:
	$(GO) build -o $(BIN) ./cmd/coredns

testbins:
	hack/testbins.sh >/dev/null
	hack/helm.sh >/dev/null

deps:
	@if ! command -v dig >/dev/null 2>&1; then \
		echo "installing dig (bind9-dnsutils)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends bind9-dnsutils >/dev/null; \
	fi
	@command -v dig >/dev/null || { echo "dig is still missing: install bind9-dnsutils" >&2; exit 1; }
	@if ! dpkg-query -W -f='$${Status}\n' musl-tools 2>/dev/null | grep -q 'ok installed$$'; then \
		echo "installing musl-tools"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends musl-tools >/dev/null; \
	fi
	@command -v musl-gcc >/dev/null || { echo "musl-gcc is still missing: install musl-tools" >&2; exit 1; }

# The real-cluster tests' nodes (containerd with runc, the bridge,
# host-local and loopback CNI plugins, iptables and conntrack for
# kube-proxy, ip) and the packages test/nodeimage copies into the client
# image (busybox-static, bind9-dnsutils for nslookup, libc-bin for getent
# and ldd) or needs to archive ours (buildah, libcap2-bin for setcap).
# Checked with dpkg, so that a dynamic busybox or a stray containerd binary
# does not pass for the package; apt-get update runs once, only when one is
# missing.
NODE_PACKAGES ?= containerd runc containernetworking-plugins iptables conntrack \
	iproute2 busybox-static bind9-dnsutils libc-bin buildah libcap2-bin
nodedeps:
	@missing=; for p in $(NODE_PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed$$' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
	@missing=; for p in $(NODE_PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed$$' || missing="$$missing $$p"; \
	done; \
	[ -z "$$missing" ] || { echo "still missing:$$missing (Debian packages; install them with apt-get)" >&2; exit 1; }

test: build testbins deps nodedeps
	$(MAKE) lint
	$(MAKE) unit
	$(MAKE) fuzz-smoke
	$(MAKE) integration
	$(MAKE) e2e

# staticcheck at a fixed version, installed from the module proxy (checked
# against the checksum database like any module) into a cache of its own.
STATICCHECK_VERSION ?= v0.8.2
STATICCHECK_DIR ?= $(HOME)/.cache/clusterset/staticcheck-$(STATICCHECK_VERSION)
STATICCHECK := $(STATICCHECK_DIR)/staticcheck
$(STATICCHECK):
	GOBIN=$(STATICCHECK_DIR) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

lint: $(STATICCHECK)
	$(GO) vet ./...
	$(STATICCHECK) ./...

unit:
	$(GO) test -race -timeout $(UNIT_TIMEOUT) ./plugin/... ./cmd/...

integration:
	$(GO) test -count=1 -timeout $(INTEGRATION_TIMEOUT) $$($(GO) list ./test/... | grep -v -e /test/nodeimage -e /test/cluster -e /test/e2e)

# Root and network namespaces are needed; elsewhere the tests skip and say so.
# -v: the log carries each cluster's start time and the load figures.
e2e: build testbins nodedeps
	$(GO) test -count=1 -p 1 -v -timeout $(E2E_TIMEOUT) $(E2E_PKGS)

# The fault tests of test/faults_test.go with long outages; FAULT_OUTAGES
# and FAULT_RUNS choose the variants, FAULT_QPS the load per server.
FAULT_OUTAGES ?= 60s,5m
FAULT_RUNS ?= 5
FAULT_QPS ?= 1000
FAULTS_TIMEOUT ?= 6h
.PHONY: faults
faults: build testbins deps
	FAULT_OUTAGES=$(FAULT_OUTAGES) FAULT_RUNS=$(FAULT_RUNS) FAULT_QPS=$(FAULT_QPS) \
		$(GO) test -count=1 -v -timeout $(FAULTS_TIMEOUT) -run '^(TestFault|TestReloadUnderLoad)' ./test/

# The image packages a static build of ./cmd/coredns (bin/coredns links libc
# through cgo), staged with the CA bundle in IMAGE_CONTEXT, the build context.
# setcap gives the binary port 53 as a non-root user, as CoreDNS's own image
# does. vfs storage and chroot isolation need no daemon, no fuse and, with
# the scratch base, no network.
IMAGE ?= clusterset-coredns:dev
IMAGE_BASE ?= scratch
IMAGE_CONTEXT ?= bin/image
BUILDAH ?= buildah --storage-driver vfs
image:
	@command -v buildah >/dev/null 2>&1 || { \
		echo "installing buildah"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq buildah >/dev/null; }
	rm -rf $(IMAGE_CONTEXT) && mkdir -p $(IMAGE_CONTEXT)
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '-s -w' -o $(IMAGE_CONTEXT)/coredns ./cmd/coredns
	setcap cap_net_bind_service=+ep $(IMAGE_CONTEXT)/coredns
	cp /etc/ssl/certs/ca-certificates.crt $(IMAGE_CONTEXT)/
	$(BUILDAH) bud --isolation chroot --build-arg BASE=$(IMAGE_BASE) -f Dockerfile -t $(IMAGE) $(IMAGE_CONTEXT)

# Go fuzzes one target per run: each target of FUZZ_PKGS, one after
# another, for FUZZTIME each. make test runs them for FUZZ_SMOKE_TIME each,
# so that new code meets the seeds and some mutations in CI; findings land
# in the package's testdata/fuzz/ as new seeds. The smoke budget is a
# count of executions, not a duration: Go 1.26's fuzzing coordinator can
# fail a duration run at its deadline with "context deadline exceeded" and
# no finding (golang/go#75804, fixed in Go 1.27), which would redden CI.
FUZZ_PKGS ?= ./plugin/clusterset ./plugin/clusterset/object/importdecode ./plugin/clusterset/object/slicedecode
FUZZTIME ?= 10m
FUZZ_SMOKE_TIME ?= 5000x
.PHONY: fuzz fuzz-smoke
fuzz:
	@set -e; for p in $(FUZZ_PKGS); do \
		for t in $$($(GO) test -list '^Fuzz' $$p | grep '^Fuzz'); do \
			echo "fuzzing $$p $$t for $(FUZZTIME)"; \
			$(GO) test $$p -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME); \
		done; \
	done

fuzz-smoke:
	$(MAKE) fuzz FUZZTIME=$(FUZZ_SMOKE_TIME)

run: build testbins deps
	$(GO) run ./hack/demo

clean:
	rm -rf bin

# The side-by-side benchmark (test/bench): ours, the in-tree kubernetes
# multicluster plugin and a do-nothing CoreDNS on the same data; installs
# dnsperf when missing. BENCH_FLAGS passes flags, e.g.
# BENCH_FLAGS="--services 10000 --skip qps,latency".
BENCH_FLAGS ?=
bench: build testbins
	@if ! command -v dnsperf >/dev/null 2>&1; then \
		echo "installing dnsperf"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends dnsperf >/dev/null; \
	fi
	@command -v dnsperf >/dev/null || { echo "dnsperf is still missing: install the Debian package dnsperf" >&2; exit 1; }
	$(GO) run ./test/bench $(BENCH_FLAGS)
