package keyceremony

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"

	"filippo.io/age"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/crypto/params"
)

// ManifestVersion is the version of the manifest format this package writes and reads.
const ManifestVersion = 1

// MaxManifestSize is the largest manifest, in bytes, that DecodeManifest accepts: far
// above a manifest of params.MaxHolders holders (about 250 bytes each).
const MaxManifestSize = 64 << 10

// ErrManifest is wrapped by every error about a malformed or invalid manifest.
var ErrManifest = errors.New("keyceremony: invalid manifest")

// Manifest names every public object of one completed key ceremony. It is stored as a
// blob in its canonical JSON encoding (Encode) and its digest is the only transcript
// digest of the collective key's ledger record. It is a plain value.
type Manifest struct {
	// Version is ManifestVersion.
	Version int `json:"version"`
	// KeyID is the ID of the collective key on the ledger.
	KeyID string `json:"keyID"`
	// ParamSet is the name of the parameter set (params.Named).
	ParamSet string `json:"paramSet"`
	// Threshold is t of t-of-n decryption.
	Threshold int `json:"threshold"`
	// SetupDigest is the digest of the crypto/ceremony Setup blob: the ceremony's name,
	// written into the header of every key blob.
	SetupDigest string `json:"setupDigest"`
	// Holders are the key holders in Shamir order: Holders[i-1] is holder i.
	Holders []Holder `json:"holders"`
	// PublicKeyDigest is the digest of the collective public key blob.
	PublicKeyDigest string `json:"publicKeyDigest"`
	// EvaluationKeysDigest is the digest of the collective rotation (Galois) keys blob.
	EvaluationKeysDigest string `json:"evaluationKeysDigest"`
}

// Holder is one key holder of a ceremony.
type Holder struct {
	// MSPID is the holder organisation's MSP ID.
	MSPID string `json:"mspID"`
	// Recipient is the holder's age X25519 transport recipient ("age1...") in the setup.
	Recipient string `json:"recipient"`
	// MessageDigest is the digest of the holder's round-message blob.
	MessageDigest string `json:"messageDigest"`
}

// Validate checks the manifest on its own: the version, a valid key ID, a known parameter
// set, 1 to params.MaxHolders holders with distinct valid MSP IDs and recipients, a
// threshold between 1 and the number of holders, and well-formed digests, all distinct.
// Errors wrap ErrManifest. Safe for concurrent use.
func (m Manifest) Validate() error {
	if m.Version != ManifestVersion {
		return fmt.Errorf("%w: version %d, want %d", ErrManifest, m.Version, ManifestVersion)
	}
	if err := validID("key ID", m.KeyID); err != nil {
		return fmt.Errorf("%w: %w", ErrManifest, err)
	}
	if !slices.Contains(params.Names(), m.ParamSet) {
		return fmt.Errorf("%w: unknown parameter set %q", ErrManifest, m.ParamSet)
	}
	n := len(m.Holders)
	if n < 1 || n > params.MaxHolders {
		return fmt.Errorf("%w: %d holders, want 1 to %d", ErrManifest, n, params.MaxHolders)
	}
	if m.Threshold < 1 || m.Threshold > n {
		return fmt.Errorf("%w: threshold %d of %d holders", ErrManifest, m.Threshold, n)
	}
	digests := map[string]bool{}
	addDigest := func(what, d string) error {
		if err := validDigest(what, d); err != nil {
			return fmt.Errorf("%w: %w", ErrManifest, err)
		}
		if digests[d] {
			return fmt.Errorf("%w: %s repeats another digest of the manifest", ErrManifest, what)
		}
		digests[d] = true
		return nil
	}
	if err := addDigest("setup digest", m.SetupDigest); err != nil {
		return err
	}
	if err := addDigest("public key digest", m.PublicKeyDigest); err != nil {
		return err
	}
	if err := addDigest("evaluation keys digest", m.EvaluationKeysDigest); err != nil {
		return err
	}
	msps, recipients := map[string]bool{}, map[string]bool{}
	for i, h := range m.Holders {
		if err := validID(fmt.Sprintf("holder %d MSP ID", i+1), h.MSPID); err != nil {
			return fmt.Errorf("%w: %w", ErrManifest, err)
		}
		if msps[h.MSPID] {
			return fmt.Errorf("%w: holder %s appears twice", ErrManifest, h.MSPID)
		}
		msps[h.MSPID] = true
		if _, err := age.ParseX25519Recipient(h.Recipient); err != nil {
			return fmt.Errorf("%w: holder %s: transport recipient is not an age X25519 recipient", ErrManifest, h.MSPID)
		}
		if recipients[h.Recipient] {
			return fmt.Errorf("%w: holder %s repeats another holder's transport recipient", ErrManifest, h.MSPID)
		}
		recipients[h.Recipient] = true
		if err := addDigest("round-message digest of "+h.MSPID, h.MessageDigest); err != nil {
			return err
		}
	}
	return nil
}

// Encode validates m and returns its canonical JSON encoding, the bytes stored in the
// blob store. Errors wrap ErrManifest.
func (m Manifest) Encode() ([]byte, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	data, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("%w: encode: %w", ErrManifest, err)
	}
	return data, nil
}

// HolderIndex returns the 1-based Shamir index of the holder mspID, and false if mspID is
// not a holder.
func (m Manifest) HolderIndex(mspID string) (int, bool) {
	for i, h := range m.Holders {
		if h.MSPID == mspID {
			return i + 1, true
		}
	}
	return 0, false
}

// DecodeManifest decodes a manifest blob strictly: at most MaxManifestSize bytes, one JSON
// object of known fields and nothing after it, valid (Validate), and in the canonical
// encoding Encode writes, so that one manifest has exactly one digest. Errors wrap
// ErrManifest. Safe for concurrent use.
func DecodeManifest(data []byte) (Manifest, error) {
	if len(data) > MaxManifestSize {
		return Manifest{}, fmt.Errorf("%w: %d bytes, the limit is %d", ErrManifest, len(data), MaxManifestSize)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return Manifest{}, fmt.Errorf("%w: %w", ErrManifest, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Manifest{}, fmt.Errorf("%w: data after the manifest", ErrManifest)
	}
	canonical, err := m.Encode()
	if err != nil {
		return Manifest{}, err
	}
	if !bytes.Equal(canonical, data) {
		return Manifest{}, fmt.Errorf("%w: not in canonical encoding", ErrManifest)
	}
	return m, nil
}

// validID checks a ledger ID and returns a plain error naming kind.
func validID(kind, id string) error {
	return plain(ledger.ValidateID(kind, id))
}

// validDigest checks a SHA-256 digest in lowercase hex and returns a plain error naming
// what.
func validDigest(what, d string) error {
	return plain(ledger.ValidateDigest(what, d))
}

// plain drops the chaincode error code of a *ledger.Error, keeping its sentence.
func plain(err error) error {
	var le *ledger.Error
	if errors.As(err, &le) {
		return errors.New(le.Msg)
	}
	return err
}
