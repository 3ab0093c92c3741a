package decrypt

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/statledger/statledger/crypto/ceremony"
)

// Journal durably records the decryption shares a key holder has produced, so that it
// never produces two for one ciphertext (Lattigo SECURITY.md: a second share, even for
// another active set, enables key recovery). NewShare consults it before computing and
// records the share in it before returning. Implementations must be safe for
// concurrent use.
type Journal interface {
	// Get returns the share recorded under key, and false if there is none.
	Get(key [32]byte) (share []byte, ok bool, err error)
	// Create records share under key durably before returning. If key already has a
	// share it records nothing and returns an error wrapping fs.ErrExist; of concurrent
	// calls for one key exactly one succeeds.
	Create(key [32]byte, share []byte) error
}

var (
	_ Journal = (*DirJournal)(nil)
	_ Journal = (*MemJournal)(nil)
)

// DirJournal is a Journal in a local directory: one file per share, named by the key
// in hex, mode 0600, created atomically and synced (ceremony.WriteNew). Safe for
// concurrent use, also by several processes sharing the directory.
type DirJournal struct {
	dir string
}

// NewDirJournal returns a journal in dir, creating it with mode 0700 if needed.
func NewDirJournal(dir string) (*DirJournal, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("share journal: %w", err)
	}
	return &DirJournal{dir: dir}, nil
}

func (j *DirJournal) path(key [32]byte) string {
	return filepath.Join(j.dir, hex.EncodeToString(key[:])+".share")
}

// Get returns the share recorded under key, and false if there is none.
func (j *DirJournal) Get(key [32]byte) ([]byte, bool, error) {
	b, err := os.ReadFile(j.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("share journal: %w", err)
	}
	return b, true, nil
}

// Create records share under key; see Journal.
func (j *DirJournal) Create(key [32]byte, share []byte) error {
	if err := ceremony.WriteNew(j.path(key), share); err != nil {
		return fmt.Errorf("share journal: %w", err)
	}
	return nil
}

// MemJournal is an in-memory Journal for tests and single-process demos: it forgets
// everything when the process ends, so it does not protect a real key holder. Safe
// for concurrent use; the zero value is not usable, use NewMemJournal.
type MemJournal struct {
	mu     sync.Mutex
	shares map[[32]byte][]byte
}

// NewMemJournal returns an empty in-memory journal.
func NewMemJournal() *MemJournal { return &MemJournal{shares: map[[32]byte][]byte{}} }

// Get returns the share recorded under key, and false if there is none.
func (j *MemJournal) Get(key [32]byte) ([]byte, bool, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	b, ok := j.shares[key]
	return append([]byte(nil), b...), ok, nil
}

// Create records share under key; see Journal.
func (j *MemJournal) Create(key [32]byte, share []byte) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if _, ok := j.shares[key]; ok {
		return fmt.Errorf("share journal: %w", fs.ErrExist)
	}
	j.shares[key] = append([]byte(nil), share...)
	return nil
}

// Len returns the number of recorded shares.
func (j *MemJournal) Len() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return len(j.shares)
}
