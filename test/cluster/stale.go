package cluster

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// removeStale removes what a dead run left of the cluster called name: its
// processes, cgroups, mounts, namespace and directory; then, with no
// cluster left, the host sysctls it changed. A cluster of that name whose
// owner still runs is an error: two runs cannot share the addresses.
func removeStale(name string, bins binaries, logf func(string, ...any)) error {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), dirPrefix+name+"-*"))
	var stale []string
	for _, d := range dirs {
		owner := ownerOf(d)
		if owner > 0 && syscall.Kill(owner, 0) == nil {
			return fmt.Errorf("cluster %s is in use by process %d (%s)", name, owner, d)
		}
		stale = append(stale, d)
	}
	ns := netnsName(name)
	_, nsErr := os.Stat(netnsPath(ns))
	if len(stale) == 0 && nsErr != nil {
		restoreHostSysctlsIfLast()
		return nil
	}
	logf("cluster %s: removing what a dead run left (%s)", name, strings.Join(stale, ", "))
	killNetns(ns)
	existingCgroupTree(cgroupName(name)).remove()
	for _, d := range stale {
		unmountUnder(d)
		removeLogLinks(d)
	}
	removeNetns(bins.ip, ns)
	for _, d := range stale {
		if err := os.RemoveAll(d); err != nil {
			return err
		}
	}
	restoreHostSysctlsIfLast()
	return nil
}

// ownerOf reads the PID that created a cluster directory, or 0.
func ownerOf(dir string) int {
	b, err := os.ReadFile(filepath.Join(dir, ownerFile))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}
