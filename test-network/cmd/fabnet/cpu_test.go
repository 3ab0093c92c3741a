package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestStatTicksReadsUserAndSystemTimeAfterACommandNameWithSpaces(t *testing.T) {
	line := "4966 (statledger cc) S 1 4966 4966 0 -1 4194560 9301 0 0 0 1234 567 0 0 20 0 9 0 12345 1234567 6000 18446744073709551615\n"
	ticks, err := statTicks([]byte(line))
	require.NoError(t, err)
	require.Equal(t, int64(1234+567), ticks)

	for _, bad := range []string{"", "4966 statledger S 1", "4966 (x) S 1 2 3", "4966 (x) S 1 4966 4966 0 -1 4194560 9301 0 0 0 abc 567 0"} {
		_, err := statTicks([]byte(bad))
		require.Error(t, err, "%q", bad)
	}
}

func TestMachineTicksSumsTheStatesButNotTheGuestTimeTwice(t *testing.T) {
	data := "cpu  100 5 50 800 20 1 2 3 40 4\ncpu0 50 2 25 400 10 0 1 1 20 2\n"
	total, idle, err := machineTicks([]byte(data))
	require.NoError(t, err)
	require.Equal(t, int64(100+5+50+800+20+1+2+3), total)
	require.Equal(t, int64(800+20), idle)

	for _, bad := range []string{"", "intr 1 2 3 4 5 6", "cpu 1 2 x 4 5 6"} {
		_, _, err := machineTicks([]byte(bad))
		require.Error(t, err, "%q", bad)
	}
}

func TestCPUMeterReadsTheNetworksProcessesAndItself(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc on this system")
	}
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "pids"), 0o755))
	// This test process stands in for a peer.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "pids", "peer-A.pid"), []byte(strconv.Itoa(os.Getpid())), 0o644))
	m, err := newCPUMeter(dir)
	require.NoError(t, err)
	before, err := m.sample()
	require.NoError(t, err)
	spin := 0
	for i := range 50_000_000 {
		spin += i % 7
	}
	require.NotZero(t, spin)
	after, err := m.sample()
	require.NoError(t, err)
	require.Greater(t, after.total, before.total)

	u := useBetween(before, after, 10)
	client, orderers, peers, chaincode := u.groups()
	require.GreaterOrEqual(t, client, int64(0))
	require.Equal(t, client, peers, "the same process counted under both names")
	require.Zero(t, orderers)
	require.Zero(t, chaincode)
	require.Equal(t, []string{"bench", "peer-A"}, u.processNames())
	require.InDelta(t, float64(peers)*1000/clockTicks/10, u.perTx(peers), 1e-9)

	var sum cpuUse
	sum.add(u)
	sum.add(u)
	require.Equal(t, 2*u.procs["peer-A"], sum.procs["peer-A"])
	require.Equal(t, [3]int64{2 * u.total, 2 * u.idle, 20}, [3]int64{sum.total, sum.idle, sum.tx}, "measurements add up")

	require.NoError(t, os.WriteFile(filepath.Join(dir, "pids", "orderer0.pid"), []byte("not a pid"), 0o644))
	_, err = newCPUMeter(dir)
	require.Error(t, err)
	require.True(t, strings.Contains(err.Error(), "orderer0.pid"), err.Error())
}

func TestStepsReportMeanAndMaximum(t *testing.T) {
	s := newSteps("request", "wait")
	require.NoError(t, s.time(0, func() error { return nil }))
	require.Error(t, s.time(1, func() error { return os.ErrDeadlineExceeded }), "a failed step is passed on and timed")
	require.Equal(t, 1, s.count[0])
	require.Equal(t, 1, s.count[1])
	require.Regexp(t, `^request \d+ ms \(max \d+\) \| wait \d+ ms \(max \d+\)$`, s.String())
}
