package cluster

import (
	"bufio"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// cgroupTree is a cluster's kubelet cgroupRoot, /NAME, in every mounted
// cgroup hierarchy: kubelet puts its pods below it, so two clusters' pods
// never share a cgroup, and what is left in it after a stop is the
// cluster's.
type cgroupTree struct {
	dirs []string // /sys/fs/cgroup/<hierarchy>/NAME
}

func cgroupName(cluster string) string { return "clusterset-" + cluster }

// newCgroupTree creates /name in every hierarchy. kubelet with the cgroupfs
// driver does not create its cgroupRoot, and a cpuset cgroup takes no task
// until it has cpus and mems: they are copied from the parent.
func newCgroupTree(name string) (*cgroupTree, error) {
	t := &cgroupTree{}
	for _, root := range cgroupMounts() {
		dir := filepath.Join(root, name)
		if err := os.Mkdir(dir, 0o755); err != nil && !os.IsExist(err) {
			t.remove()
			return nil, err
		}
		t.dirs = append(t.dirs, dir)
		for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
			if v, err := os.ReadFile(filepath.Join(root, f)); err == nil {
				if err := os.WriteFile(filepath.Join(dir, f), v, 0o644); err != nil {
					t.remove()
					return nil, err
				}
			}
		}
	}
	return t, nil
}

// existingCgroupTree is the tree of name as a dead run left it.
func existingCgroupTree(name string) *cgroupTree {
	t := &cgroupTree{}
	for _, root := range cgroupMounts() {
		if dir := filepath.Join(root, name); isDir(dir) {
			t.dirs = append(t.dirs, dir)
		}
	}
	return t
}

// remove kills every process left in the tree and removes its cgroups,
// the deepest first.
func (t *cgroupTree) remove() {
	if t == nil {
		return
	}
	for range 3 {
		var pids []int
		for _, d := range t.dirs {
			pids = append(pids, cgroupProcs(d)...)
		}
		if len(pids) == 0 {
			break
		}
		for _, pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		waitGone(pids, 5*time.Second)
	}
	for _, d := range t.dirs {
		var sub []string
		_ = filepath.WalkDir(d, func(p string, e fs.DirEntry, err error) error {
			if err == nil && e.IsDir() {
				sub = append(sub, p)
			}
			return nil
		})
		slices.Reverse(sub)
		for _, s := range sub {
			for range 20 {
				if err := syscall.Rmdir(s); err == nil || os.IsNotExist(err) {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
		}
	}
}

// cgroupProcs lists the processes in dir and every cgroup below it.
func cgroupProcs(dir string) []int {
	var pids []int
	_ = filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || e.Name() != "cgroup.procs" {
			return nil
		}
		b, _ := os.ReadFile(p)
		for _, f := range strings.Fields(string(b)) {
			if pid, err := strconv.Atoi(f); err == nil {
				pids = append(pids, pid)
			}
		}
		return nil
	})
	return pids
}

// cgroupMounts lists the mount points of every cgroup hierarchy, v1 and v2.
func cgroupMounts() []string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	defer f.Close()
	var roots []string
	s := bufio.NewScanner(f)
	for s.Scan() {
		// ID parent major:minor root mountpoint options... - fstype source superoptions
		fields := strings.Fields(s.Text())
		sep := slices.Index(fields, "-")
		if sep < 0 || sep+1 >= len(fields) || len(fields) < 5 {
			continue
		}
		if fs := fields[sep+1]; fs == "cgroup" || fs == "cgroup2" {
			roots = append(roots, unescapeMount(fields[4]))
		}
	}
	return roots
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}
