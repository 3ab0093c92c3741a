package main

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestSelectLoads(t *testing.T) {
	b := &bench{}
	names := func(ls []load) (out []string) {
		for _, l := range ls {
			out = append(out, l.name)
		}
		return out
	}
	all, err := b.selectLoads(nil)
	require.NoError(t, err)
	require.Equal(t, []string{"bare get+put (benchkv)", "SubmitData", "RequestQuery + ApproveQuery x2"}, names(all))
	require.True(t, all[0].baseline)

	some, err := b.selectLoads([]string{"query", "put"})
	require.NoError(t, err)
	require.Equal(t, []string{"bare get+put (benchkv)", "RequestQuery + ApproveQuery x2"}, names(some), "BenchLoads' order, baseline first")

	_, err = b.selectLoads([]string{"put", "approve"})
	require.EqualError(t, err, `unknown load "approve"; the loads are put, submit, query`)
}

func TestPrintCPUReportsTheBaselinesSumOverEachLoads(t *testing.T) {
	ticks := func(ms float64, tx int64) int64 { return int64(ms * clockTicks / 1000 * float64(tx)) }
	use := func(peerMS, ccMS float64, tx int64) cpuUse {
		return cpuUse{procs: map[string]int64{"peer-A": ticks(peerMS, tx), "chaincode": ticks(ccMS, tx)}, total: 1000, idle: 100, tx: tx}
	}
	loads := []load{{name: "base", baseline: true}, {name: "heavy"}}
	var out strings.Builder
	printCPU(&out, loads, []cpuUse{use(8, 2, 1000), use(10, 2.5, 1000)})
	lines := strings.Split(out.String(), "\n")
	require.Regexp(t, `^base .* 10\.00 .* 90% +1\.00$`, lines[3])
	require.Regexp(t, `^heavy .* 12\.50 .* 90% +0\.80$`, lines[4])

	out.Reset()
	printCPU(&out, loads[1:], []cpuUse{use(10, 2.5, 1000)})
	require.Regexp(t, `^heavy .* 90% +-$`, strings.Split(out.String(), "\n")[3], "no ratio without the baseline")
}

func TestRunBenchRefusesABadConfigurationBeforeTouchingTheNetwork(t *testing.T) {
	good := BenchConfig{Clients: 1, Rounds: 1, Duration: time.Second}
	for _, tc := range []struct {
		name string
		edit func(*BenchConfig)
		want string
	}{
		{"no clients", func(c *BenchConfig) { c.Clients = 0 }, "at least one client"},
		{"no rounds", func(c *BenchConfig) { c.Rounds = 0 }, "one round"},
		{"no duration", func(c *BenchConfig) { c.Duration = 0 }, "positive duration"},
		{"negative share", func(c *BenchConfig) { c.MaxOthers = -0.1 }, "--max-others is a share of the CPU"},
		{"whole CPU", func(c *BenchConfig) { c.MaxOthers = 1 }, "--max-others is a share of the CPU"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bc := good
			tc.edit(&bc)
			// The state directory does not exist: only a configuration error comes first.
			err := runBench(context.Background(), Config{StateDir: filepath.Join(t.TempDir(), "none")}, bc, io.Discard)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestOthersShareIsWhatNeitherTheMeasuredProcessesNorIdlingUsed(t *testing.T) {
	u := cpuUse{procs: map[string]int64{"peer-A": 500, "bench": 100}, total: 1000, idle: 300}
	require.InDelta(t, 0.1, u.othersShare(), 1e-9)
	require.Zero(t, cpuUse{}.othersShare(), "no sample, no share")
}
