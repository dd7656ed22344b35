package testbed

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

const (
	dirPrefix = "clusterset-testbed-"
	ownerFile = "owner.pid"
)

// proc is one child process whose output goes to a log file.
type proc struct {
	cmd     *exec.Cmd
	logPath string
	// bin, env and args start it again (restart).
	bin     string
	env     []string
	args    []string
	done    chan struct{}
	waitErr error
	once    sync.Once
}

// Process starts bin with args in its own process group, output (stdout and
// stderr) appended to logPath. The child gets SIGKILL when this process dies.
// Stop it with Kill.
type Process struct{ p *proc }

// StartProcess starts bin as a managed child process; see Process.
func StartProcess(bin, logPath string, env []string, args ...string) (*Process, error) {
	p, err := startProcEnv(bin, logPath, env, args...)
	if err != nil {
		return nil, err
	}
	return &Process{p: p}, nil
}

// PID is the child's process ID.
func (p *Process) PID() int { return p.p.cmd.Process.Pid }

// Done is closed when the child has exited.
func (p *Process) Done() <-chan struct{} { return p.p.done }

// Exited reports whether the child has exited, and its wait error.
func (p *Process) Exited() (bool, error) {
	if p.p.exited() {
		return true, p.p.waitErr
	}
	return false, nil
}

// Signal sends sig to the child (by PID).
func (p *Process) Signal(sig os.Signal) error { return p.p.cmd.Process.Signal(sig) }

// Kill stops the child: SIGTERM, then SIGKILL to its process group after
// grace. It waits for the exit.
func (p *Process) Kill(grace time.Duration) { p.p.stopGrace(grace) }

// Tail returns the last n bytes of the child's output.
func (p *Process) Tail(n int) string { return p.p.tail(n) }

// Log returns the child's whole output so far.
func (p *Process) Log() string {
	b, _ := os.ReadFile(p.p.logPath)
	return string(b)
}

func startProc(bin, logPath string, args ...string) (*proc, error) {
	return startProcEnv(bin, logPath, nil, args...)
}

func startProcEnv(bin, logPath string, env []string, args ...string) (*proc, error) {
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fmt.Fprintf(f, "### %s %s\n", bin, strings.Join(args, " "))
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = f, f
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Setpgid:   true,
		Pdeathsig: syscall.SIGKILL,
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	p := &proc{cmd: cmd, logPath: logPath, bin: bin, env: env, args: args, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

func (p *proc) exited() bool {
	if p == nil {
		return true
	}
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func (p *proc) stop() { p.stopGrace(10 * time.Second) }

// kill sends SIGKILL to the child and its process group, as a crash or the
// OOM killer would, and waits for the exit.
func (p *proc) kill() {
	p.once.Do(func() {
		pid := p.cmd.Process.Pid
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		<-p.done
	})
}

// restart starts the same binary with the same arguments and environment,
// appending to the same log: the process that was p, started again.
func (p *proc) restart() (*proc, error) {
	return startProcEnv(p.bin, p.logPath, p.env, p.args...)
}

// stopGrace sends SIGTERM to the child, then SIGKILL to its process group
// (which it leads: Setpgid) if it has not exited after grace.
func (p *proc) stopGrace(grace time.Duration) {
	if p == nil {
		return
	}
	p.once.Do(func() {
		pid := p.cmd.Process.Pid
		if !p.exited() {
			_ = syscall.Kill(pid, syscall.SIGTERM)
			select {
			case <-p.done:
			case <-time.After(grace):
			}
		}
		// The group is ours: the child leads it. Kill what is left in it.
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		<-p.done
	})
}

func (p *proc) tail(n int) string {
	if p == nil {
		return ""
	}
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		return ""
	}
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return fmt.Sprintf("--- tail of %s ---\n%s\n", p.logPath, b)
}

// removeStaleDirs removes test-bed directories whose owner process is gone
// (a test binary killed by its timeout cannot clean up after itself).
func removeStaleDirs() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), dirPrefix+"*"))
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, ownerFile))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid <= 0 {
			continue
		}
		if err := syscall.Kill(pid, 0); err == syscall.ESRCH {
			os.RemoveAll(d)
		}
	}
}

// writeRSAKey writes a new 2048-bit RSA private key (PKCS#1 PEM), usable as
// both --service-account-signing-key-file and --service-account-key-file.
func writeRSAKey(path string) error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	data := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	return os.WriteFile(path, data, 0o600)
}
