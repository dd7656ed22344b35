# Build, test and demo the clusterset CoreDNS plugin.
#
#   make build     bin/coredns with the clusterset plugin
#   make test      unit tests (-race) and integration tests against a real
#                  kube-apiserver + etcd; builds what is missing first
#   make run       demo: a local API server with a small ClusterSet and
#                  bin/coredns on 127.0.0.1:1053 (Ctrl-C stops everything)
#   make testbins  kube-apiserver and etcd for the tests (cached; the first
#                  build takes about 10 minutes)
#   make deps      dig (Debian package bind9-dnsutils)
#   make clean     remove bin/ (the test binaries cache stays)

GO ?= go
BIN := bin/coredns
# A cold integration run needs a few minutes; the timeout only stops a hang.
INTEGRATION_TIMEOUT ?= 20m
UNIT_TIMEOUT ?= 10m

.PHONY: all build test unit integration testbins deps run clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/coredns

testbins:
	hack/testbins.sh >/dev/null

deps:
	@if ! command -v dig >/dev/null 2>&1; then \
		echo "installing dig (bind9-dnsutils)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends bind9-dnsutils >/dev/null; \
	fi
	@command -v dig >/dev/null || { echo "dig is still missing: install bind9-dnsutils" >&2; exit 1; }

test: build testbins deps
	$(MAKE) unit
	$(MAKE) integration

unit:
	$(GO) test -race -timeout $(UNIT_TIMEOUT) ./plugin/... ./cmd/...

integration:
	$(GO) test -count=1 -timeout $(INTEGRATION_TIMEOUT) ./test/...

run: build testbins deps
	$(GO) run ./hack/demo

clean:
	rm -rf bin
