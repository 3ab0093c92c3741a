package testnetwork

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// copyExecutable copies the test binary to path, so that a process started from the copy
// has path as its /proc/<pid>/exe, as a real orderer or peer would.
func copyExecutable(t *testing.T, path string) {
	t.Helper()
	src, err := os.Open(selfExe(t))
	require.NoError(t, err)
	defer src.Close()
	dst, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o755)
	require.NoError(t, err)
	_, err = io.Copy(dst, src)
	require.NoError(t, err)
	require.NoError(t, dst.Close())
}

// startStandIn starts a sleeping stand-in from bin and returns its PID; the test kills it
// at the end whatever happens.
func startStandIn(t *testing.T, bin string) int {
	t.Helper()
	cmd := exec.Command(bin, "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), helperEnv+"=sleep")
	require.NoError(t, cmd.Start())
	pid := cmd.Process.Pid
	go func() { _ = cmd.Wait() }()
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
	return pid
}

// runningNetwork is a generated network (genesis block and chaincode package present)
// whose every node is a live stand-in process started from the node's own executable
// path, with its PID file written as start writes it.
func runningNetwork(t *testing.T) (*Network, map[string]int) {
	t.Helper()
	n := newTestNetwork(t, demoDefinition(t))
	for _, bin := range []string{n.fabricBin("orderer"), n.fabricBin("peer"), filepath.Join(n.opts.BinDir, chaincodeServerBinary)} {
		copyExecutable(t, bin)
	}
	require.NoError(t, n.writeChaincodePackage(n.statledgerChaincode()))
	require.NoError(t, os.MkdirAll(filepath.Dir(n.genesisBlock()), 0o755))
	require.NoError(t, os.WriteFile(n.genesisBlock(), []byte("block"), 0o644))
	require.NoError(t, os.MkdirAll(n.path("pids"), 0o755))
	nodes, err := n.nodes()
	require.NoError(t, err)
	pids := map[string]int{}
	for _, nd := range nodes {
		pid := startStandIn(t, nd.bin)
		pids[nd.name] = pid
		writePID(t, n, nd.name, strconv.Itoa(pid))
	}
	for _, nd := range nodes {
		require.Eventually(t, func() bool { _, ok := n.running(nd); return ok }, 10*time.Second, 10*time.Millisecond, nd.name)
	}
	return n, pids
}

func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	return err == nil && !bytes.Contains(stat, []byte(") Z "))
}

func TestUpOfARunningNetworkChangesNothing(t *testing.T) {
	n, pids := runningNetwork(t)
	s, err := n.Status()
	require.NoError(t, err)
	require.True(t, s.Up())
	require.Len(t, s.Running, len(pids))

	started, err := n.Up(context.Background())
	require.NoError(t, err)
	require.False(t, started, "a second up reports the running network")
	for name, pid := range pids {
		require.True(t, alive(pid), "%s keeps running", name)
		data, err := os.ReadFile(n.pidFile(name))
		require.NoError(t, err)
		require.Equal(t, strconv.Itoa(pid), string(data), "%s's PID file is unchanged", name)
	}
}

func TestUpOfAPartlyRunningNetworkIsRefused(t *testing.T) {
	n, pids := runningNetwork(t)
	require.NoError(t, n.StopNode("peer-HospitalB"))
	require.Eventually(t, func() bool { return !alive(pids["peer-HospitalB"]) }, 10*time.Second, 20*time.Millisecond)

	s, err := n.Status()
	require.NoError(t, err)
	require.Equal(t, []string{"peer-HospitalB"}, s.Stopped)
	_, err = n.Up(context.Background())
	require.ErrorIs(t, err, ErrPartlyRunning)
	require.ErrorContains(t, err, "peer-HospitalB")
	require.ErrorContains(t, err, "make network-down")
}

func TestDownStopsOnlyWhatTheNetworkStarted(t *testing.T) {
	n, pids := runningNetwork(t)
	// Another process from the very same peer executable that the network did not start.
	bystander := startStandIn(t, n.fabricBin("peer"))

	require.NoError(t, n.Down(false))
	for name, pid := range pids {
		require.Eventually(t, func() bool { return !alive(pid) }, 10*time.Second, 20*time.Millisecond, "%s is stopped", name)
		_, err := os.Stat(n.pidFile(name))
		require.ErrorIs(t, err, os.ErrNotExist, "%s's PID file is removed", name)
	}
	require.True(t, alive(bystander), "a process the network did not start is left alone")
	require.True(t, n.generated(), "down without purge keeps the generated state")

	s, err := n.Status()
	require.NoError(t, err)
	require.Empty(t, s.Running)
	require.NoError(t, n.Down(false), "a second down is harmless")
}

func TestStopNodeAndStartNode(t *testing.T) {
	n, pids := runningNetwork(t)
	require.NoError(t, n.StopNode("chaincode"))
	require.Eventually(t, func() bool { return !alive(pids["chaincode"]) }, 10*time.Second, 20*time.Millisecond)
	require.True(t, alive(pids["orderer0"]), "other nodes keep running")
	require.ErrorContains(t, n.StopNode("peer-Nobody"), `no node "peer-Nobody"`)

	// A running node is not started twice.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, n.StartNode(ctx, "orderer0"))
	data, err := os.ReadFile(n.pidFile("orderer0"))
	require.NoError(t, err)
	require.Equal(t, strconv.Itoa(pids["orderer0"]), string(data))
	require.ErrorContains(t, n.StartNode(ctx, "peer-Nobody"), `no node "peer-Nobody"`)
}
