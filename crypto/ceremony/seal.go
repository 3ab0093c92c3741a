package ceremony

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"filippo.io/age"
)

// SecretFileMode is the permission of every secret file this package writes.
const SecretFileMode fs.FileMode = 0o600

// maxSecretFile bounds the size of a sealed secret file LoadSecret reads: far above any
// threshold key (a production key is about 512 KiB).
const maxSecretFile = 64 << 20

// ErrPermissions is returned by LoadSecret for a secret file readable or writable by
// anyone but its owner.
var ErrPermissions = errors.New("ceremony: secret file permissions are not 0600")

// SaveSecret encrypts data with age to r (an age.ScryptRecipient for a passphrase, an
// age.X25519Recipient for an identity file) and writes it to path with mode 0600. It
// never overwrites: an existing path is an error wrapping fs.ErrExist. The file is synced
// to disk before SaveSecret returns. Safe for concurrent use on distinct paths.
func SaveSecret(path string, data []byte, r age.Recipient) error {
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, r)
	if err != nil {
		return fmt.Errorf("seal secret: %w", err)
	}
	if _, err := w.Write(data); err != nil {
		return fmt.Errorf("seal secret: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("seal secret: %w", err)
	}
	return WriteNew(path, buf.Bytes())
}

// LoadSecret reads a file written by SaveSecret and decrypts it with ids. It returns an
// error wrapping ErrPermissions when the file's mode grants any access to group or
// others, and age's error when no identity matches or the file is corrupt. Safe for
// concurrent use.
func LoadSecret(path string, ids ...age.Identity) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load secret: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("load secret: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("load secret %s: mode %v: %w", filepath.Base(path), st.Mode().Perm(), ErrPermissions)
	}
	if st.Size() > maxSecretFile {
		return nil, fmt.Errorf("load secret %s: %d bytes is too large", filepath.Base(path), st.Size())
	}
	r, err := age.Decrypt(io.LimitReader(f, maxSecretFile), ids...)
	if err != nil {
		return nil, fmt.Errorf("load secret %s: %w", filepath.Base(path), err)
	}
	data, err := io.ReadAll(io.LimitReader(r, maxSecretFile))
	if err != nil {
		return nil, fmt.Errorf("load secret %s: %w", filepath.Base(path), err)
	}
	return data, nil
}

// WriteNew writes data (public, or already encrypted) to a new file at path with mode
// 0600 and syncs it and its directory. It never overwrites: it fails with an error
// wrapping fs.ErrExist if path exists, and of concurrent writers to one path exactly one
// succeeds. A crash leaves either no file at path or the complete one. Safe for
// concurrent use.
func WriteNew(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	tmpName := tmp.Name()
	defer os.Remove(tmpName)
	if err := tmp.Chmod(SecretFileMode); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	// A hard link never replaces an existing file: it is the atomic create-if-absent.
	if err := os.Link(tmpName, path); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	if d, err := os.Open(dir); err == nil {
		err = d.Sync()
		d.Close()
		if err != nil {
			return fmt.Errorf("write %s: sync directory: %w", filepath.Base(path), err)
		}
	}
	return nil
}

// NewTransportIdentity generates a holder's age X25519 transport identity, seals it at
// path with r (SaveSecret: mode 0600, never overwriting) and returns the recipient to
// publish in the Setup. Errors are SaveSecret's.
func NewTransportIdentity(path string, r age.Recipient) (*age.X25519Recipient, error) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return nil, fmt.Errorf("transport identity: %w", err)
	}
	if err := SaveSecret(path, []byte(id.String()), r); err != nil {
		return nil, err
	}
	return id.Recipient(), nil
}

// LoadTransportIdentity reads an identity written by NewTransportIdentity and decrypts
// it with ids. Errors are LoadSecret's, or a parse error for a file that does not hold
// an X25519 identity.
func LoadTransportIdentity(path string, ids ...age.Identity) (*age.X25519Identity, error) {
	b, err := LoadSecret(path, ids...)
	if err != nil {
		return nil, err
	}
	defer clear(b)
	id, err := age.ParseX25519Identity(string(b))
	if err != nil {
		return nil, fmt.Errorf("load transport identity %s: not an X25519 identity", filepath.Base(path))
	}
	return id, nil
}
