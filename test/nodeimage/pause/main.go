// Command pause is the sandbox process of the test clusters' pods: PID 1 of
// each pod's namespaces, holding them while the pod's containers come and
// go. It sleeps until SIGTERM or SIGINT, then exits 0, and reaps whatever
// child ends up parented to it in the meantime (processes orphaned in a
// shared PID namespace), as the Kubernetes pause container does.
//
// It is built with CGO_ENABLED=0 so that the image needs no libc.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signals := make(chan os.Signal, 8)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT, syscall.SIGCHLD)
	for sig := range signals {
		if sig == syscall.SIGCHLD {
			reap()
			continue
		}
		os.Exit(0)
	}
}

// reap collects every exited child without blocking; signals coalesce, so
// one SIGCHLD may stand for several children.
func reap() {
	for {
		var status syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &status, syscall.WNOHANG, nil)
		if err == syscall.EINTR {
			continue
		}
		if pid <= 0 || err != nil {
			return
		}
	}
}
