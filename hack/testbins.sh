#!/usr/bin/env bash
# Builds the Kubernetes parts the tests run, from the nested module
# hack/testbins, into a per-user cache directory:
#   etcd, kube-apiserver, kubectl    the API-server test bed and deploy tests
#   kubelet, kube-controller-manager,
#   kube-scheduler, kube-proxy       the real-cluster tests (test/cluster)
# Everything missing is built in one `go build` with one build cache, so the
# packages the binaries share are compiled once. Idempotent: when every
# binary is in the cache, nothing is built. A cold build (empty Go caches)
# takes about 20 minutes on 2 cores and ~3 GB of memory.
#
# Usage: hack/testbins.sh                    build what is missing, print the directory
#        TESTBINS_FORCE=1 hack/testbins.sh   rebuild all of them
set -euo pipefail

version=v1.37.2
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mod="$root/hack/testbins"
cache="${CLUSTERSET_TESTBINS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/clusterset/testbins-$version}"

# NAME=PACKAGE, built into $cache/NAME.
binaries=(
	etcd=./cmd/etcd
	kube-apiserver=k8s.io/kubernetes/cmd/kube-apiserver
	kubectl=k8s.io/kubernetes/cmd/kubectl
	kubelet=k8s.io/kubernetes/cmd/kubelet
	kube-controller-manager=k8s.io/kubernetes/cmd/kube-controller-manager
	kube-scheduler=k8s.io/kubernetes/cmd/kube-scheduler
	kube-proxy=k8s.io/kubernetes/cmd/kube-proxy
)

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
# ~4 GB of compiled packages are removed after a successful build, and a
# concurrent `go clean -cache` elsewhere on the machine cannot break the build.
export GOCACHE="$cache/gocache"
export GOFLAGS=${GOFLAGS:-}

missing_names=()
missing_pkgs=()
for entry in "${binaries[@]}"; do
	name=${entry%%=*}
	if [[ -x "$cache/$name" && -z "${TESTBINS_FORCE:-}" ]]; then
		continue
	fi
	missing_names+=("$name")
	missing_pkgs+=("${entry#*=}")
done

if ((${#missing_names[@]} == 0)); then
	log "all ${#binaries[@]} binaries present in $cache"
else
	if [[ ! -s "$mod/go.sum" ]]; then
		log "go.sum missing: resolving the module graph (go mod tidy)"
		(cd "$mod" && go mod tidy)
	fi
	log "downloading modules"
	(cd "$mod" && go mod download)
	start=$SECONDS
	total=$(cd "$mod" && go list -deps "${missing_pkgs[@]}" 2>/dev/null | sort -u | wc -l) || total='?'
	log "building ${missing_names[*]}: $total packages (cold: many minutes; progress every 200)"
	out="$cache/.build"
	rm -rf "$out" && mkdir -p "$out"
	(
		cd "$mod"
		# -v lists each package as it is compiled; count them instead of
		# flooding the log. With several main packages, -o names a directory
		# and each binary is written there under its package's last element.
		go build -v -ldflags "$ldflags" -o "$out/" "${missing_pkgs[@]}" 2>&1 | {
			c=0
			while IFS= read -r line; do
				if [[ $line =~ ^[A-Za-z0-9._/~-]+$ ]]; then
					c=$((c + 1))
					((c % 200 == 0)) && log "$c/$total packages compiled"
				else
					printf '%s\n' "$line"
				fi
			done
			log "$c/$total packages compiled"
		}
		exit "${PIPESTATUS[0]}"
	) >&2
	for name in "${missing_names[@]}"; do
		mv "$out/$name" "$cache/$name"
	done
	rm -rf "$out" "$GOCACHE"
	log "built ${missing_names[*]} in $((SECONDS - start)) s"
fi
"$cache/etcd" --version 2>/dev/null | head -1 | sed 's/^/testbins: /' >&2 || true
echo "$cache"
