package testnetwork

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/network"
)

// helperEnv selects what the test binary does when it runs as a node (see
// TestHelperProcess): "sleep" lives until killed (at most a minute), "ignore-term" also
// ignores SIGTERM, "exit" exits at once.
const helperEnv = "TESTNETWORK_HELPER"

// TestHelperProcess is not a test: the other tests start the test binary itself as a
// stand-in for orderer, peer and chaincode processes.
func TestHelperProcess(t *testing.T) {
	switch os.Getenv(helperEnv) {
	case "sleep":
		time.Sleep(time.Minute)
	case "ignore-term":
		signal.Ignore(syscall.SIGTERM)
		time.Sleep(time.Minute)
	case "exit":
	default:
		return
	}
	os.Exit(0)
}

// selfExe is the test binary as /proc/<pid>/exe names it.
func selfExe(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	require.NoError(t, err)
	exe, err = filepath.EvalSymlinks(exe)
	require.NoError(t, err)
	return exe
}

// helperNode is a node that runs the test binary in the given helper mode.
func helperNode(t *testing.T, name, mode string) node {
	return node{
		name: name, bin: selfExe(t),
		args: []string{"-test.run=^TestHelperProcess$"},
		env:  []string{helperEnv + "=" + mode},
	}
}

// stateNetwork is a Network with only a state directory (logs and pids), enough for the
// process functions.
func stateNetwork(t *testing.T) *Network {
	t.Helper()
	n := &Network{opts: Options{StateDir: t.TempDir()}}
	for _, dir := range []string{"logs", "pids"} {
		require.NoError(t, os.MkdirAll(n.path(dir), 0o755))
	}
	return n
}

func writePID(t *testing.T, n *Network, name, content string) {
	t.Helper()
	require.NoError(t, os.WriteFile(n.pidFile(name), []byte(content), 0o644))
}

// deadPID returns the PID of a process that has exited and been reaped.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command(selfExe(t), "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), helperEnv+"=exit")
	require.NoError(t, cmd.Run())
	return cmd.Process.Pid
}

func TestRunning(t *testing.T) {
	self := selfExe(t)
	tests := []struct {
		name    string
		pidFile string // content; "-" for no file
		bin     string
		running bool
	}{
		{name: "a live process running the node's executable is running", pidFile: strconv.Itoa(os.Getpid()), bin: self, running: true},
		{name: "a PID file with a trailing newline is read", pidFile: strconv.Itoa(os.Getpid()) + "\n", bin: self, running: true},
		{name: "no PID file means not running", pidFile: "-", bin: self},
		{name: "an empty PID file means not running", pidFile: "", bin: self},
		{name: "a PID file that is not a number means not running", pidFile: "twelve", bin: self},
		{name: "PID zero is never signalled", pidFile: "0", bin: self},
		{name: "a negative PID (a process group) is never signalled", pidFile: "-1", bin: self},
		{name: "a dead process is not running", pidFile: strconv.Itoa(deadPID(t)), bin: self},
		{
			name:    "a recycled PID now running another program is not the node",
			pidFile: strconv.Itoa(os.Getpid()), bin: "/opt/fabric/bin/orderer",
		},
		{name: "PID 1 is not the node", pidFile: "1", bin: self},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := stateNetwork(t)
			if tc.pidFile != "-" {
				writePID(t, n, "orderer0", tc.pidFile)
			}
			pid, ok := n.running(node{name: "orderer0", bin: tc.bin})
			require.Equal(t, tc.running, ok)
			if tc.running {
				require.Equal(t, os.Getpid(), pid)
			} else {
				require.Zero(t, pid)
			}
		})
	}
}

func TestRunningIgnoresAZombie(t *testing.T) {
	cmd := exec.Command(selfExe(t), "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), helperEnv+"=exit")
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Wait() })
	pid := cmd.Process.Pid
	// Not reaped yet: the process stays a zombie until Wait.
	require.Eventually(t, func() bool {
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		return err == nil && strings.Contains(string(stat), ") Z ")
	}, 10*time.Second, 10*time.Millisecond)
	n := stateNetwork(t)
	writePID(t, n, "peer-HospitalA", strconv.Itoa(pid))
	_, ok := n.running(node{name: "peer-HospitalA", bin: selfExe(t)})
	require.False(t, ok)
}

func TestRunningThroughASymlink(t *testing.T) {
	// The Fabric directory may be reached through a symbolic link (a link to the build
	// cache, say): /proc/PID/exe names the resolved file, the node its unresolved path.
	dir := t.TempDir()
	require.NoError(t, os.Symlink(filepath.Dir(selfExe(t)), filepath.Join(dir, "bin")))
	linked := filepath.Join(dir, "bin", filepath.Base(selfExe(t)))
	require.NotEqual(t, selfExe(t), linked)

	n := stateNetwork(t)
	nd := helperNode(t, "orderer0", "sleep")
	nd.bin = linked
	require.NoError(t, n.start(nd))
	pid, ok := n.running(nd)
	require.True(t, ok, "a node started through a symlinked path is running")
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })

	// waitReady checks liveness first; a listener stands in for the node's gRPC port.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	nd.port = l.Addr().(*net.TCPAddr).Port
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, n.waitReady(ctx, nd), "not reported as exited during start-up")
	require.NoError(t, n.stop(nd, 10*time.Second))
	require.Eventually(t, func() bool {
		return syscall.Kill(pid, 0) == syscall.ESRCH
	}, 5*time.Second, 20*time.Millisecond, "stopped through the symlinked path too")
}

func TestRunningWithARemovedExecutable(t *testing.T) {
	// When the node's path no longer resolves, the raw path is compared: a PID running
	// another program is still not the node.
	n := stateNetwork(t)
	writePID(t, n, "orderer0", strconv.Itoa(os.Getpid()))
	_, ok := n.running(node{name: "orderer0", bin: filepath.Join(t.TempDir(), "missing", "orderer")})
	require.False(t, ok)
}

func TestStopNeverSignalsAnotherProgram(t *testing.T) {
	// The PID file names this very test process, but the node is an orderer: stopping
	// the node must not signal it (or this test would die) and must clear the stale file.
	n := stateNetwork(t)
	writePID(t, n, "orderer0", strconv.Itoa(os.Getpid()))
	require.NoError(t, n.stop(node{name: "orderer0", bin: "/opt/fabric/bin/orderer"}, time.Second))
	_, err := os.Stat(n.pidFile("orderer0"))
	require.ErrorIs(t, err, os.ErrNotExist, "a stale PID file is removed")
}

func TestStopWithoutPIDFile(t *testing.T) {
	n := stateNetwork(t)
	require.NoError(t, n.stop(node{name: "chaincode", bin: selfExe(t)}, time.Second))
}

func TestStartAndStop(t *testing.T) {
	tests := []struct {
		name  string
		mode  string
		grace time.Duration
	}{
		{name: "a node that honours SIGTERM stops within the grace period", mode: "sleep", grace: 10 * time.Second},
		{name: "a node that ignores SIGTERM is killed after the grace period", mode: "ignore-term", grace: 300 * time.Millisecond},
		{name: "a zero grace period kills at once, as a crash would", mode: "ignore-term", grace: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := stateNetwork(t)
			nd := helperNode(t, "peer-HospitalA", tc.mode)
			require.NoError(t, n.start(nd))
			pid, ok := n.running(nd)
			require.True(t, ok, "the started node is running")
			t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
			data, err := os.ReadFile(n.pidFile(nd.name))
			require.NoError(t, err)
			require.Equal(t, strconv.Itoa(pid), string(data))
			_, err = os.Stat(n.LogFile(nd.name))
			require.NoError(t, err, "the node logs to its log file")

			if tc.mode == "ignore-term" {
				// Let the helper install its handler before it is signalled.
				time.Sleep(200 * time.Millisecond)
			}
			start := time.Now()
			require.NoError(t, n.stop(nd, tc.grace))
			require.Less(t, time.Since(start), tc.grace+5*time.Second)
			if tc.grace == 0 {
				require.Less(t, time.Since(start), time.Second, "SIGKILL at once")
			}
			require.Eventually(t, func() bool {
				return syscall.Kill(pid, 0) == syscall.ESRCH
			}, 5*time.Second, 20*time.Millisecond, "the process is gone")
			_, ok = n.running(nd)
			require.False(t, ok)
			_, err = os.Stat(n.pidFile(nd.name))
			require.ErrorIs(t, err, os.ErrNotExist, "the PID file is removed")
		})
	}
}

func TestStartReportsAMissingExecutable(t *testing.T) {
	n := stateNetwork(t)
	err := n.start(node{name: "orderer0", bin: filepath.Join(t.TempDir(), "orderer")})
	require.ErrorContains(t, err, "start orderer0")
	_, statErr := os.Stat(n.pidFile("orderer0"))
	require.ErrorIs(t, statErr, os.ErrNotExist, "no PID file for a process that never started")
}

func TestStartWithoutStateDirectory(t *testing.T) {
	n := &Network{opts: Options{StateDir: filepath.Join(t.TempDir(), "missing")}}
	err := n.start(helperNode(t, "orderer0", "exit"))
	require.ErrorContains(t, err, "open log of orderer0")
}

func TestWaitReady(t *testing.T) {
	okServer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	t.Cleanup(okServer.Close)
	unavailable := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(unavailable.Close)
	open, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { open.Close() })
	openPort := open.Addr().(*net.TCPAddr).Port
	closedPort := freePort(t)

	tests := []struct {
		name    string
		pid     string
		healthz string
		port    int
		want    []string
	}{
		{name: "a live node with a healthy endpoint and an open port is ready", pid: strconv.Itoa(os.Getpid()), healthz: okServer.URL + "/healthz", port: openPort},
		{name: "a node without a health endpoint needs only its port", pid: strconv.Itoa(os.Getpid()), port: openPort},
		{
			name: "a healthy endpoint is not enough while the gRPC port is closed",
			pid:  strconv.Itoa(os.Getpid()), healthz: okServer.URL + "/healthz", port: closedPort,
			want: []string{"peer-HospitalA not ready", "context deadline exceeded", "peer-HospitalA.log"},
		},
		{
			name: "an unhealthy node is not ready",
			pid:  strconv.Itoa(os.Getpid()), healthz: unavailable.URL + "/healthz", port: openPort,
			want: []string{"not ready"},
		},
		{
			name: "a node that died says so and points at its log",
			pid:  strconv.Itoa(deadPID(t)), healthz: okServer.URL + "/healthz", port: openPort,
			want: []string{"peer-HospitalA exited during start-up; see", filepath.Join("logs", "peer-HospitalA.log")},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := stateNetwork(t)
			writePID(t, n, "peer-HospitalA", tc.pid)
			ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
			defer cancel()
			err := n.waitReady(ctx, node{name: "peer-HospitalA", bin: selfExe(t), healthz: tc.healthz, port: tc.port})
			if len(tc.want) == 0 {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			for _, w := range tc.want {
				require.Contains(t, err.Error(), w)
			}
		})
	}
}

// freePort returns a loopback port nothing listens on (at the time of the call).
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	return port
}

func TestPortsTaken(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { busy.Close() })
	busyPort := busy.Addr().(*net.TCPAddr).Port
	free1, free2 := freePort(t), freePort(t)

	tests := []struct {
		name   string
		layout network.Layout
		want   []int
	}{
		{
			name:   "free ports are not reported",
			layout: network.Layout{ChaincodePort: free1, Peers: []network.Peer{{ListenPort: free2}}},
		},
		{
			name:   "a port another program listens on is reported",
			layout: network.Layout{ChaincodePort: free1, Peers: []network.Peer{{ListenPort: busyPort}}},
			want:   []int{busyPort},
		},
		{
			name:   "an orderer's admin port in use is reported",
			layout: network.Layout{ChaincodePort: free1, Orderers: []network.Orderer{{ListenPort: free2, AdminPort: busyPort}}},
			want:   []int{busyPort},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := &Network{layout: tc.layout}
			require.Equal(t, tc.want, n.portsTaken())
		})
	}
	require.True(t, portOpen(busyPort))
	require.False(t, portOpen(freePort(t)))
}

func TestUpRefusesWhenAPortIsTaken(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { busy.Close() })
	busyPort := busy.Addr().(*net.TCPAddr).Port

	// Place the network so that its chaincode server would need the busy port.
	d := demoDefinition(t)
	d.BasePort = busyPort - 290
	require.NoError(t, d.Validate())
	require.Equal(t, busyPort, d.Layout().ChaincodePort)
	n := newTestNetwork(t, d)

	started, err := n.Up(context.Background())
	require.False(t, started)
	require.ErrorContains(t, err, strconv.Itoa(busyPort))
	require.ErrorContains(t, err, "already in use by another program; free them or change basePort")
	_, statErr := os.Stat(n.path("crypto"))
	require.ErrorIs(t, statErr, os.ErrNotExist, "nothing is generated when the network cannot start")
}

func TestStatusOfANetworkNeverGenerated(t *testing.T) {
	n := newTestNetwork(t, demoDefinition(t))
	s, err := n.Status()
	require.NoError(t, err)
	require.Equal(t, Status{}, s)
	require.False(t, s.Up())
}

func TestStatusUp(t *testing.T) {
	tests := []struct {
		name   string
		status Status
		up     bool
	}{
		{name: "every node running is up", status: Status{Running: []string{"orderer0", "chaincode"}}, up: true},
		{name: "one node stopped is not up", status: Status{Running: []string{"orderer0"}, Stopped: []string{"chaincode"}}},
		{name: "nothing at all is not up", status: Status{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.up, tc.status.Up())
		})
	}
}

func TestDown(t *testing.T) {
	t.Run("down of a network never generated does nothing and succeeds", func(t *testing.T) {
		n := newTestNetwork(t, demoDefinition(t))
		require.NoError(t, n.Down(false))
	})
	t.Run("down with purge removes the state directory", func(t *testing.T) {
		n := newTestNetwork(t, demoDefinition(t))
		require.NoError(t, os.MkdirAll(n.path("logs"), 0o755))
		require.NoError(t, os.WriteFile(n.LogFile("orderer0"), []byte("log"), 0o644))
		require.NoError(t, n.Down(true))
		_, err := os.Stat(n.StateDir())
		require.ErrorIs(t, err, os.ErrNotExist)
	})
}

func TestRun(t *testing.T) {
	n := stateNetwork(t)
	out, err := n.run(context.Background(), []string{"GREETING=hello"}, "/bin/sh", "-c", `echo "$GREETING"`)
	require.NoError(t, err)
	require.Equal(t, "hello\n", string(out), "the extra environment reaches the command")

	script := `for i in $(seq 1 20); do echo line$i; done; exit 3`
	_, err = n.run(context.Background(), nil, "/bin/sh", "-c", script)
	require.Error(t, err)
	msg := err.Error()
	require.True(t, strings.HasPrefix(msg, "sh -c "+script+": exit status 3"), msg)
	require.Contains(t, msg, "line20")
	require.Contains(t, msg, "line9")
	require.NotContains(t, msg, "line8\n", "only the last twelve lines")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = n.run(ctx, nil, "/bin/sh", "-c", "sleep 5")
	require.Error(t, err, "a cancelled context stops the command")
}

func TestTail(t *testing.T) {
	tests := []struct {
		name  string
		out   string
		lines int
		want  string
	}{
		{name: "short output is kept whole", out: "a\nb\n", lines: 3, want: "a\nb"},
		{name: "long output keeps its last lines", out: "a\nb\nc\nd\n", lines: 2, want: "c\nd"},
		{name: "empty output stays empty", out: "", lines: 2, want: ""},
		{name: "surrounding blank lines are trimmed", out: "\n\na\n\n", lines: 1, want: "a"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, tail([]byte(tc.out), tc.lines))
		})
	}
}
