package main

import (
	"testing"

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
