package testnetwork

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// node is one process the network runs.
type node struct {
	name    string   // e.g. orderer0, peer-HospitalA, chaincode
	bin     string   // executable
	args    []string // arguments
	env     []string // environment additions
	healthz string   // operations /healthz URL, empty if none
	port    int      // gRPC port that must accept connections when ready
}

func (n *Network) nodes() ([]node, error) {
	var nodes []node
	for _, o := range n.layout.Orderers {
		nodes = append(nodes, node{
			name: o.Name, bin: n.fabricBin("orderer"),
			env:     []string{"FABRIC_CFG_PATH=" + n.ordererConfigDir(o)},
			healthz: fmt.Sprintf("http://127.0.0.1:%d/healthz", o.OpsPort), port: o.ListenPort,
		})
	}
	for _, p := range n.layout.Peers {
		nodes = append(nodes, node{
			name: peerNodeName(p.Org.Name), bin: n.fabricBin("peer"), args: []string{"node", "start"},
			env:     []string{"FABRIC_CFG_PATH=" + n.peerConfigDir(p)},
			healthz: fmt.Sprintf("http://127.0.0.1:%d/healthz", p.OpsPort), port: p.ListenPort,
		})
	}
	cc, err := n.chaincodeNode(n.statledgerChaincode())
	if err != nil {
		return nil, err
	}
	nodes = append(nodes, cc)
	// The bench chaincode runs only on networks it was deployed to.
	if bench := n.benchChaincode(); fileExists(n.chaincodePackage(bench)) {
		bn, err := n.chaincodeNode(bench)
		if err != nil {
			return nil, err
		}
		nodes = append(nodes, bn)
	}
	return nodes, nil
}

func (n *Network) chaincodeNode(c chaincode) (node, error) {
	id, err := n.packageID(c)
	if err != nil {
		return node{}, err
	}
	tls := filepath.Join(n.chaincodeDir(c), "tls")
	return node{
		name: c.nodeName(), bin: filepath.Join(n.opts.BinDir, c.binary),
		env: []string{
			"CHAINCODE_ID=" + id,
			"CHAINCODE_SERVER_ADDRESS=127.0.0.1:" + strconv.Itoa(c.port),
			"CHAINCODE_TLS_CERT_FILE=" + filepath.Join(tls, "server.crt"),
			"CHAINCODE_TLS_KEY_FILE=" + filepath.Join(tls, "server.key"),
			"CHAINCODE_TLS_CLIENT_CA_FILE=" + filepath.Join(tls, "ca.crt"),
		},
		port: c.port,
	}, nil
}

func peerNodeName(org string) string { return "peer-" + org }

func (n *Network) pidFile(name string) string { return n.path("pids", name+".pid") }

// LogFile is where a node's output goes; name is e.g. orderer0, peer-HospitalA or chaincode.
func (n *Network) LogFile(name string) string { return n.path("logs", name+".log") }

// start launches a node in its own session, appending its output to its log file and
// recording its PID. It does not wait for readiness.
func (n *Network) start(nd node) error {
	logf, err := os.OpenFile(n.LogFile(nd.name), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open log of %s: %w", nd.name, err)
	}
	defer logf.Close()
	cmd := exec.Command(nd.bin, nd.args...)
	cmd.Env = append(os.Environ(), nd.env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", nd.name, err)
	}
	pid := cmd.Process.Pid
	// Reap the child if it exits while this process lives; it is stopped by PID otherwise.
	go func() { _ = cmd.Wait() }()
	if err := os.WriteFile(n.pidFile(nd.name), []byte(strconv.Itoa(pid)), 0o644); err != nil {
		return fmt.Errorf("record PID of %s: %w", nd.name, err)
	}
	return nil
}

// running returns the PID of a node this network started if that process is alive and is
// still the node's executable (so a recycled PID is never mistaken for it).
func (n *Network) running(nd node) (int, bool) {
	data, err := os.ReadFile(n.pidFile(nd.name))
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 0 {
		return 0, false
	}
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	if err != nil || strings.TrimSuffix(exe, " (deleted)") != resolvedPath(nd.bin) {
		return 0, false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err == nil && bytes.Contains(stat, []byte(") Z ")) {
		return 0, false
	}
	return pid, true
}

// resolvedPath is path with its symbolic links resolved, as /proc/PID/exe names a running
// executable; it is path itself when that fails (for example, the file has been removed).
func resolvedPath(path string) string {
	resolved, err := filepath.EvalSymlinks(path)
	if err != nil {
		return path
	}
	return resolved
}

// stop sends SIGTERM to a running node, then SIGKILL if it has not exited within the
// grace period (at once for a zero grace period), and removes its PID file once the
// process is gone.
func (n *Network) stop(nd node, grace time.Duration) error {
	pid, ok := n.running(nd)
	if !ok {
		_ = os.Remove(n.pidFile(nd.name))
		return nil
	}
	sig := syscall.SIGTERM
	if grace == 0 {
		sig = syscall.SIGKILL
	}
	if err := syscall.Kill(pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("stop %s (pid %d): %w", nd.name, pid, err)
	}
	deadline := time.Now().Add(grace)
	for time.Now().Before(deadline) {
		if _, alive := n.running(nd); !alive {
			return os.Remove(n.pidFile(nd.name))
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
	for range 100 {
		if _, alive := n.running(nd); !alive {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	return os.Remove(n.pidFile(nd.name))
}

// waitReady waits until a node's health endpoint answers 200 and its gRPC port accepts
// connections (the health endpoint answers first), or the process dies.
func (n *Network) waitReady(ctx context.Context, nd node) error {
	client := &http.Client{Timeout: time.Second}
	for {
		if _, alive := n.running(nd); !alive {
			return fmt.Errorf("%s exited during start-up; see %s", nd.name, n.LogFile(nd.name))
		}
		if healthy(client, nd.healthz) && portOpen(nd.port) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready: %w; see %s", nd.name, ctx.Err(), n.LogFile(nd.name))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func healthy(client *http.Client, url string) bool {
	if url == "" {
		return true
	}
	resp, err := client.Get(url)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func portOpen(port int) bool {
	conn, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), 200*time.Millisecond)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}

// portsTaken lists the network's ports that something already listens on.
func (n *Network) portsTaken() []int {
	var taken []int
	for _, p := range n.layout.Ports() {
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			taken = append(taken, p)
			continue
		}
		l.Close()
	}
	return taken
}

// run executes a Fabric command and returns its combined output; on failure the error
// carries the output's last lines.
func (n *Network) run(ctx context.Context, env []string, bin string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("%s %s: %w: %s", filepath.Base(bin), strings.Join(args[:min(2, len(args))], " "), err, tail(out, 12))
	}
	return out, nil
}

func tail(out []byte, lines int) string {
	parts := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(parts) > lines {
		parts = parts[len(parts)-lines:]
	}
	return strings.Join(parts, "\n")
}
