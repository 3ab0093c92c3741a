package keyceremony

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/statledger/statledger/crypto/ceremony"
)

// The environment variables that name a key holder's at-rest protection. Exactly one must
// be set (ProtectionFromEnv).
const (
	// EnvIdentityFile names an age X25519 identity file that seals the holder's secrets.
	EnvIdentityFile = "STATLEDGER_KEY_SHARE_IDENTITY_FILE"
	// EnvPassphraseFile names a file holding a passphrase that seals the holder's
	// secrets with age's scrypt recipient.
	EnvPassphraseFile = "STATLEDGER_KEY_SHARE_PASSPHRASE_FILE"
)

// maxProtectionFile bounds an identity or passphrase file.
const maxProtectionFile = 64 << 10

// scryptWorkFactor is log2 of the scrypt cost of passphrase sealing (age's default).
var scryptWorkFactor = 18

// ErrProtection is wrapped by errors about a missing or unusable at-rest protection.
var ErrProtection = errors.New("keyceremony: no usable protection for the key share")

// Protection seals a key holder's secrets at rest (its transport identity and threshold
// key) with age, and opens them again. Obtain one with IdentityFile, NewIdentityFile,
// PassphraseFile or ProtectionFromEnv; the zero value seals nothing and every step refuses
// it. It is immutable and safe for concurrent use.
type Protection struct {
	recipient age.Recipient
	identity  age.Identity
	desc      string
}

// String says what the protection is, such as "age identity file /etc/statledger/id.txt",
// without any secret.
func (p Protection) String() string {
	if p.desc == "" {
		return "no protection"
	}
	return p.desc
}

func (p Protection) check() error {
	if p.recipient == nil || p.identity == nil {
		return fmt.Errorf("%w: set %s or %s", ErrProtection, EnvIdentityFile, EnvPassphraseFile)
	}
	return nil
}

// IdentityFile returns the protection of the age X25519 identity file at path (the format
// age-keygen writes: comments and one AGE-SECRET-KEY-1... line). The file must be readable
// by its owner only. Errors wrap ErrProtection, ceremony.ErrPermissions or the file's
// read error.
func IdentityFile(path string) (Protection, error) {
	data, err := readProtectionFile(path)
	if err != nil {
		return Protection{}, err
	}
	ids, err := age.ParseIdentities(strings.NewReader(string(data)))
	if err != nil || len(ids) != 1 {
		return Protection{}, fmt.Errorf("%w: %s must hold exactly one age identity", ErrProtection, path)
	}
	id, ok := ids[0].(*age.X25519Identity)
	if !ok {
		return Protection{}, fmt.Errorf("%w: %s must hold an age X25519 identity", ErrProtection, path)
	}
	return Protection{recipient: id.Recipient(), identity: id, desc: "age identity file " + path}, nil
}

// NewIdentityFile generates an age X25519 identity, writes it to a new file at path with
// mode 0600 (creating its directory, mode 0700, if needed) and returns its protection. It
// never overwrites: an existing path is an error wrapping fs.ErrExist.
func NewIdentityFile(path string) (Protection, error) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return Protection{}, fmt.Errorf("generate identity file %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return Protection{}, fmt.Errorf("create identity file %s: %w", path, err)
	}
	text := fmt.Sprintf("# statledger key-share protection, created %s\n# public key: %s\n%s\n",
		time.Now().UTC().Format(time.RFC3339), id.Recipient(), id)
	if err := ceremony.WriteNew(path, []byte(text)); err != nil {
		return Protection{}, fmt.Errorf("create identity file: %w", err)
	}
	return Protection{recipient: id.Recipient(), identity: id, desc: "age identity file " + path}, nil
}

// PassphraseFile returns the protection of the passphrase in the file at path (its first
// line; a final newline is ignored), sealing with age's scrypt recipient. The file must be
// readable by its owner only and the passphrase must not be empty. Errors wrap
// ErrProtection, ceremony.ErrPermissions or the file's read error.
func PassphraseFile(path string) (Protection, error) {
	data, err := readProtectionFile(path)
	if err != nil {
		return Protection{}, err
	}
	pass := strings.TrimRight(string(data), "\r\n")
	if pass == "" || strings.ContainsAny(pass, "\r\n") {
		return Protection{}, fmt.Errorf("%w: %s must hold one non-empty line", ErrProtection, path)
	}
	r, err := age.NewScryptRecipient(pass)
	if err != nil {
		return Protection{}, fmt.Errorf("%w: passphrase of %s: %w", ErrProtection, path, err)
	}
	r.SetWorkFactor(scryptWorkFactor)
	id, err := age.NewScryptIdentity(pass)
	if err != nil {
		return Protection{}, fmt.Errorf("%w: passphrase of %s: %w", ErrProtection, path, err)
	}
	return Protection{recipient: r, identity: id, desc: "passphrase file " + path}, nil
}

// ProtectionFromEnv returns the protection the environment names, read through lookup
// (pass os.LookupEnv): the identity file of EnvIdentityFile or the passphrase file of
// EnvPassphraseFile; exactly one must be set. When create is true and the identity file
// does not exist, it is generated (NewIdentityFile) and created reports so: the steps
// that start a ceremony pass true, the later ones false. Errors wrap ErrProtection or
// those of IdentityFile, NewIdentityFile and PassphraseFile.
func ProtectionFromEnv(lookup func(string) (string, bool), create bool) (p Protection, created bool, err error) {
	idFile, _ := lookup(EnvIdentityFile)
	passFile, _ := lookup(EnvPassphraseFile)
	switch {
	case idFile != "" && passFile != "":
		return Protection{}, false, fmt.Errorf("%w: set only one of %s and %s", ErrProtection, EnvIdentityFile, EnvPassphraseFile)
	case passFile != "":
		p, err := PassphraseFile(passFile)
		return p, false, err
	case idFile != "":
		p, err := IdentityFile(idFile)
		switch {
		case create && errors.Is(err, fs.ErrNotExist):
			p, err = NewIdentityFile(idFile)
			return p, err == nil, err
		case errors.Is(err, fs.ErrNotExist):
			return Protection{}, false, fmt.Errorf("%w: the identity file %s of %s does not exist (the transport step creates it): %w", ErrProtection, idFile, EnvIdentityFile, fs.ErrNotExist)
		}
		return p, false, err
	}
	return Protection{}, false, fmt.Errorf("%w: set %s (an age identity file) or %s", ErrProtection, EnvIdentityFile, EnvPassphraseFile)
}

// readProtectionFile reads a small secret file readable by its owner only.
func readProtectionFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read protection: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read protection %s: %w", path, err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s is not a regular file", ErrProtection, path)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("read protection %s: mode %v: %w", path, st.Mode().Perm(), ceremony.ErrPermissions)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxProtectionFile+1))
	if err != nil {
		return nil, fmt.Errorf("read protection %s: %w", path, err)
	}
	if len(data) > maxProtectionFile {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrProtection, path, maxProtectionFile)
	}
	return data, nil
}

// Seal writes data to a new file at path, mode 0600, sealed with age to this protection
// (ceremony.SaveSecret); it never overwrites. Other secrets of the same organisation,
// such as an analyst's key pair, are kept this way too. Errors wrap ErrProtection for
// the zero Protection, or are SaveSecret's.
func (p Protection) Seal(path string, data []byte) error {
	if err := p.check(); err != nil {
		return err
	}
	return ceremony.SaveSecret(path, data, p.recipient)
}

// Open reads and opens a file that Seal wrote. Errors wrap ErrProtection for the zero
// Protection, or are ceremony.LoadSecret's (a missing file wraps fs.ErrNotExist).
func (p Protection) Open(path string) ([]byte, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	return ceremony.LoadSecret(path, p.identity)
}
