#!/usr/bin/env bash
# Builds the kube-apiserver and etcd binaries the integration test bed runs,
# and the kubectl the deploy tests drive it with (kustomize, server-side dry
# runs, tokens), from the nested module hack/testbins, into a per-user cache
# directory. Idempotent: a binary that is already in the cache is not rebuilt.
# A cold build (empty Go caches) takes about 10 minutes on 2 cores; kubectl
# alone, after the other two, a few more.
#
# Usage: hack/testbins.sh          build what is missing, print the directory
#        TESTBINS_FORCE=1 hack/testbins.sh   rebuild all three
set -euo pipefail

version=v1.37.2
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mod="$root/hack/testbins"
cache="${CLUSTERSET_TESTBINS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/clusterset/testbins-$version}"

# What Kubernetes' own build stamps in, so that /version says v1.37.2.
v=k8s.io/component-base/version
major=${version#v}
minor=${major#*.}
ldflags="-X $v.gitVersion=$version -X $v.gitMajor=${major%%.*} -X $v.gitMinor=${minor%%.*} -X $v.gitTreeState=clean"

log() { printf '%s testbins: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

mkdir -p "$cache"
# One build at a time per cache directory (two `make` runs at once).
if command -v flock >/dev/null; then
	exec 9>"$cache/.lock"
	flock 9
fi
export GOWORK=off
# A private build cache: the binaries are built once and kept, so their
# ~3.5 GB of compiled packages are removed after a successful build, and a
# concurrent `go clean -cache` elsewhere on the machine cannot break the build.
export GOCACHE="$cache/gocache"
export GOFLAGS=${GOFLAGS:-}

# build NAME PACKAGE: builds PACKAGE into $cache/NAME unless it is there.
build() {
	local name=$1 pkg=$2 start
	if [[ -x "$cache/$name" && -z "${TESTBINS_FORCE:-}" ]]; then
		log "$name: present in $cache"
		return
	fi
	start=$SECONDS
	local total
	total=$(cd "$mod" && go list -deps "$pkg" 2>/dev/null | wc -l) || total='?'
	log "$name: building $pkg: $total packages (cold: minutes; progress every 100)"
	(
		cd "$mod"
		# -v lists each package as it is compiled; count them instead of
		# flooding the log.
		go build -v -ldflags "$ldflags" -o "$cache/$name.tmp" "$pkg" 2>&1 | {
			c=0
			while IFS= read -r line; do
				if [[ $line =~ ^[A-Za-z0-9._/~-]+$ ]]; then
					c=$((c + 1))
					((c % 100 == 0)) && log "$name: $c/$total packages compiled"
				else
					printf '%s\n' "$line"
				fi
			done
			log "$name: $c/$total packages compiled"
		}
		exit "${PIPESTATUS[0]}"
	) >&2
	mv "$cache/$name.tmp" "$cache/$name"
	log "$name: built in $((SECONDS - start)) s"
}

if [[ ! -s "$mod/go.sum" ]]; then
	log "go.sum missing: resolving the module graph (go mod tidy)"
	(cd "$mod" && go mod tidy)
fi
if [[ -z "${TESTBINS_FORCE:-}" && -x "$cache/kube-apiserver" && -x "$cache/etcd" && -x "$cache/kubectl" ]]; then
	log "kube-apiserver, etcd and kubectl present in $cache"
else
	log "downloading modules"
	(cd "$mod" && go mod download)
	build etcd ./cmd/etcd
	build kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver
	build kubectl k8s.io/kubernetes/cmd/kubectl
	rm -rf "$GOCACHE"
fi
"$cache/etcd" --version 2>/dev/null | head -1 | sed 's/^/testbins: /' >&2 || true
echo "$cache"
