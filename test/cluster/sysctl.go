package cluster

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// hostSysctls are the host-wide kernel settings kubelet changes at start
// (its kernel defaults); the network ones it and kube-proxy set are per
// network namespace and go with the cluster's.
var hostSysctls = []string{"vm/overcommit_memory", "kernel/panic", "kernel/panic_on_oops"}

// sysctlMu orders the save and the restore between clusters of this process.
var sysctlMu sync.Mutex

// sysctlFile holds the values from before the first cluster started. It
// outlives a test binary that dies, so the next run restores them.
func sysctlFile() string { return filepath.Join(os.TempDir(), dirPrefix+"host-sysctls.json") }

// saveHostSysctls records the host's values unless a record exists: then
// a cluster is running, or one died, and the record holds the values from
// before it.
func saveHostSysctls() error {
	sysctlMu.Lock()
	defer sysctlMu.Unlock()
	if _, err := os.Stat(sysctlFile()); err == nil {
		return nil
	}
	values := map[string]string{}
	for _, k := range hostSysctls {
		b, err := os.ReadFile(filepath.Join("/proc/sys", k))
		if err != nil {
			return fmt.Errorf("reading sysctl %s: %w", k, err)
		}
		values[k] = strings.TrimSpace(string(b))
	}
	b, _ := json.Marshal(values)
	f, err := os.OpenFile(sysctlFile(), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if errors.Is(err, os.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	return errors.Join(err, f.Close())
}

// restoreHostSysctlsIfLast writes the recorded values back and removes the
// record once no cluster's network namespace is left.
func restoreHostSysctlsIfLast() {
	sysctlMu.Lock()
	defer sysctlMu.Unlock()
	if live, _ := filepath.Glob(netnsPath(netnsName("*"))); len(live) > 0 {
		return
	}
	b, err := os.ReadFile(sysctlFile())
	if err != nil {
		return
	}
	var values map[string]string
	if json.Unmarshal(b, &values) == nil {
		for k, v := range values {
			_ = os.WriteFile(filepath.Join("/proc/sys", k), []byte(v), 0o644)
		}
	}
	os.Remove(sysctlFile())
}
