package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBuilderSteps(t *testing.T) {
	src, md, out, rel := t.TempDir(), t.TempDir(), t.TempDir(), t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(md, "metadata.json"), []byte(`{"type":"ccaas","label":"x"}`), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(src, "connection.json"), []byte(`{"address":"127.0.0.1:1"}`), 0o644))

	require.NoError(t, dispatch("detect", []string{src, md}))
	require.NoError(t, dispatch("build", []string{src, md, out}))
	require.NoError(t, dispatch("release", []string{out, rel}))
	got, err := os.ReadFile(filepath.Join(rel, "chaincode", "server", "connection.json"))
	require.NoError(t, err)
	require.JSONEq(t, `{"address":"127.0.0.1:1"}`, string(got))
}

func TestBuilderRefusesBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		d := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(d, name), []byte(body), 0o644))
		return d
	}
	cases := []struct {
		name string
		step string
		args []string
	}{
		{"detect refuses another metadata type", "detect", []string{dir, write("metadata.json", `{"type":"golang"}`)}},
		{"detect refuses malformed metadata", "detect", []string{dir, write("metadata.json", `{`)}},
		{"detect refuses missing metadata", "detect", []string{dir, t.TempDir()}},
		{"build refuses a connection without address", "build", []string{write("connection.json", `{}`), dir, t.TempDir()}},
		{"build refuses a missing connection", "build", []string{t.TempDir(), dir, t.TempDir()}},
		{"release refuses a build without connection", "release", []string{t.TempDir(), t.TempDir()}},
		{"an unknown step is a usage error", "run", []string{dir}},
		{"a wrong argument count is a usage error", "build", []string{dir}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.Error(t, dispatch(tc.step, tc.args))
		})
	}
}
