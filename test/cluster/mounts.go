package cluster

import (
	"bufio"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// unmountUnder unmounts every mount point at or below dir, the deepest
// first: kubelet's volumes, containerd's snapshots and sandbox mounts, and
// the pods' network namespaces (containerd keeps them in its state
// directory: netns_mounts_under_state_dir).
func unmountUnder(dir string) {
	if dir == "" {
		return
	}
	for range 3 {
		points := mountsUnder(dir)
		if len(points) == 0 {
			return
		}
		for _, p := range points {
			_ = syscall.Unmount(p, syscall.MNT_DETACH)
		}
	}
}

// mountsUnder lists the mount points at or below dir, each below its
// parents.
func mountsUnder(dir string) []string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	defer f.Close()
	dir = filepath.Clean(dir)
	var points []string
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) < 5 {
			continue
		}
		p := unescapeMount(fields[4])
		if p == dir || strings.HasPrefix(p, dir+"/") {
			points = append(points, p)
		}
	}
	// Reverse order puts every path before its prefixes: children first.
	slices.Sort(points)
	slices.Reverse(points)
	return slices.Compact(points)
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// removeLogLinks removes the links kubelet makes in /var/log/containers
// (a fixed directory) to the container logs under dir.
func removeLogLinks(dir string) {
	const links = "/var/log/containers"
	entries, _ := os.ReadDir(links)
	for _, e := range entries {
		p := filepath.Join(links, e.Name())
		if target, err := os.Readlink(p); err == nil && strings.HasPrefix(target, dir+"/") {
			os.Remove(p)
		}
	}
}
