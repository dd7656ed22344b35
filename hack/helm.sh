#!/usr/bin/env bash
# Builds helm, which the chart tests run (test/helm_test.go), from the
# nested module hack/helm into a per-user cache directory keyed by its
# version. hack/helm is a module of its own so that helm's dependency graph
# cannot move the versions hack/testbins builds the Kubernetes binaries at.
# Idempotent: when the binary is in the cache, nothing is built. A cold
# build (empty Go build cache) takes about 10 CPU-minutes: 5 to 6 minutes on
# 2 idle cores, 15 on a busy machine.
#
# Usage: hack/helm.sh                    build helm when missing, print the directory
#        TESTBINS_FORCE=1 hack/helm.sh   rebuild it
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mod="$root/hack/helm"
export GOWORK=off
export GOFLAGS=${GOFLAGS:-}
# The version is the one hack/helm/go.mod requires, so that the cache
# directory follows go.mod and a version bump builds anew (read from the
# file: nothing to resolve or download when helm is already built).
version=$(awk '$1 == "helm.sh/helm/v4" { print $2 }' "$mod/go.mod")
[[ -n $version ]] || { echo "helm: hack/helm/go.mod requires no helm.sh/helm/v4" >&2; exit 1; }
cache="${CLUSTERSET_HELM_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/clusterset/helm-$version}"

log() { printf '%s helm: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

mkdir -p "$cache"
# One build at a time per cache directory (two `make` runs at once).
if command -v flock >/dev/null; then
	exec 9>"$cache/.lock"
	flock 9
fi
# A private build cache, removed after a successful build, as hack/testbins.sh does.
export GOCACHE="$cache/gocache"

if [[ -x "$cache/helm" && -z "${TESTBINS_FORCE:-}" ]]; then
	log "present in $cache"
else
	log "downloading modules"
	(cd "$mod" && go mod download)
	start=$SECONDS
	log "building helm $version (cold: a few minutes)"
	out="$cache/.build"
	rm -rf "$out" && mkdir -p "$out"
	# What helm's own Makefile stamps in, so that `helm version` says $version;
	# static, as helm's release binaries are.
	(cd "$mod" && CGO_ENABLED=0 go build -trimpath \
		-ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=$version -X helm.sh/helm/v4/internal/version.gitTreeState=clean" \
		-o "$out/helm" helm.sh/helm/v4/cmd/helm) >&2
	mv "$out/helm" "$cache/helm"
	rm -rf "$out" "$GOCACHE"
	log "built helm $version in $((SECONDS - start)) s"
fi
"$cache/helm" version --short 2>/dev/null | sed 's/^/helm: /' >&2 || true
echo "$cache"
