// Command ccaas-builder is statledger's external chaincode builder for chaincode run as a
// service. Installed under the names detect, build and release in a builder's bin/
// directory, it acts by the name it was called with (Fabric's external builder contract):
//
//	detect  SOURCE METADATA        exit 0 if metadata.json has type "ccaas"
//	build   SOURCE METADATA OUTPUT copy connection.json (and META-INF) to OUTPUT
//	release BUILD RELEASE          copy connection.json to RELEASE/chaincode/server
//
// There is no run step: the peer dials the chaincode server named in connection.json.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

func main() {
	if err := dispatch(filepath.Base(os.Args[0]), os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "ccaas-builder:", err)
		os.Exit(1)
	}
}

func dispatch(step string, args []string) error {
	switch {
	case step == "detect" && len(args) == 2:
		return detect(args[1])
	case step == "build" && len(args) == 3:
		return build(args[0], args[1], args[2])
	case step == "release" && len(args) == 2:
		return release(args[0], args[1])
	default:
		return fmt.Errorf("usage: detect SOURCE METADATA | build SOURCE METADATA OUTPUT | release BUILD RELEASE (called as %q with %d arguments)", step, len(args))
	}
}

func detect(metadataDir string) error {
	data, err := os.ReadFile(filepath.Join(metadataDir, "metadata.json"))
	if err != nil {
		return fmt.Errorf("read metadata: %w", err)
	}
	var md struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(data, &md); err != nil {
		return fmt.Errorf("decode metadata.json: %w", err)
	}
	if md.Type != "ccaas" {
		return fmt.Errorf("metadata type %q is not ccaas", md.Type)
	}
	return nil
}

func build(sourceDir, _, outputDir string) error {
	conn := filepath.Join(sourceDir, "connection.json")
	if err := checkConnection(conn); err != nil {
		return err
	}
	if err := copyFile(conn, filepath.Join(outputDir, "connection.json")); err != nil {
		return err
	}
	return copyTree(filepath.Join(sourceDir, "META-INF"), filepath.Join(outputDir, "META-INF"))
}

func release(buildDir, releaseDir string) error {
	if err := copyFile(filepath.Join(buildDir, "connection.json"), filepath.Join(releaseDir, "chaincode", "server", "connection.json")); err != nil {
		return err
	}
	return copyTree(filepath.Join(buildDir, "META-INF", "statedb"), filepath.Join(releaseDir, "statedb"))
}

// checkConnection refuses a connection.json without an address, so a broken package
// fails at install rather than at the first transaction.
func checkConnection(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read connection.json: %w", err)
	}
	var conn struct {
		Address string `json:"address"`
	}
	if err := json.Unmarshal(data, &conn); err != nil {
		return fmt.Errorf("decode connection.json: %w", err)
	}
	if conn.Address == "" {
		return errors.New("connection.json has no address")
	}
	return nil
}

func copyFile(src, dst string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("read %s: %w", src, err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(dst), err)
	}
	if err := os.WriteFile(dst, data, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", dst, err)
	}
	return nil
}

// copyTree copies a directory if it exists.
func copyTree(src, dst string) error {
	if _, err := os.Stat(src); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		return copyFile(path, filepath.Join(dst, rel))
	})
}
