package keyceremony

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"filippo.io/age"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/client/blobstore"
	"github.com/statledger/statledger/client/ledgerapi"
	"github.com/statledger/statledger/crypto/ceremony"
	"github.com/statledger/statledger/crypto/codec"
	"github.com/statledger/statledger/crypto/params"
)

// BlobReader is the blob store as Load and Finalize read it; *blobstore.Bucket implements
// it. Get must return the bytes stored under digest (this package checks them against the
// digest again).
type BlobReader interface {
	Get(ctx context.Context, digest string) ([]byte, error)
}

// Blobs is the blob store as the ceremony writes it; *blobstore.Bucket implements it.
type Blobs interface {
	BlobReader
	// Put stores data and returns its digest.
	Put(ctx context.Context, data []byte) (string, error)
	// URI is where the blob with digest lives, as recorded on the ledger.
	URI(digest string) string
}

// ConsortiumReader reads the consortium record; *ledgerapi.API implements it.
type ConsortiumReader interface {
	GetConsortium(ctx context.Context) (ledger.Consortium, error)
}

// KeyReader reads collective key records; *ledgerapi.API implements it.
type KeyReader interface {
	GetCollectiveKey(ctx context.Context, keyID string) (ledger.CollectiveKey, error)
}

// Ledger is what publishing a ceremony needs of the ledger; *ledgerapi.API implements it.
type Ledger interface {
	ConsortiumReader
	KeyReader
	RecordCollectiveKey(ctx context.Context, in ledger.CollectiveKeyInput) (ledger.CollectiveKey, error)
}

var (
	_ Ledger = (*ledgerapi.API)(nil)
	_ Blobs  = (*blobstore.Bucket)(nil)
)

// Errors of the steps, wrapped with what was being done.
var (
	// ErrHolders means the holders of a ceremony do not match the consortium's key
	// holders, or a step got the wrong number of holders or round messages.
	ErrHolders = errors.New("keyceremony: holders do not match")
	// ErrNotHolder means this holder's transport identity is not among the setup's
	// recipients, or an MSP ID is not a holder of the ceremony.
	ErrNotHolder = errors.New("keyceremony: not a holder of this ceremony")
	// ErrNoTransport means the holder has no transport identity (run the transport step
	// first, or Finalize already destroyed it).
	ErrNoTransport = errors.New("keyceremony: no transport identity")
	// ErrNoKeyShare means the holder's key share file does not exist.
	ErrNoKeyShare = errors.New("keyceremony: no key share")
	// ErrKeyShareExists means a key share already exists at the path, from another
	// ceremony.
	ErrKeyShareExists = errors.New("keyceremony: a key share already exists")
	// ErrMismatch means a blob or the ledger record disagrees with what the ceremony's
	// other objects say: a tampered or mixed-up transcript.
	ErrMismatch = errors.New("keyceremony: ceremony objects do not match")
)

// TransportPath returns the path of the sealed transport identity of the holder whose key
// share lives at keySharePath.
func TransportPath(keySharePath string) string { return keySharePath + ".transport" }

// RoundPath returns the path of the public record of the holder's contribution.
func RoundPath(keySharePath string) string { return keySharePath + ".round" }

// Transport is the outcome of NewTransport.
type Transport struct {
	// Recipient is the holder's age X25519 transport recipient, to hand to the
	// coordinator of the setup.
	Recipient string `json:"recipient"`
	// Path is the sealed transport identity's file.
	Path string `json:"path"`
	// Existing says the identity existed already and was reused.
	Existing bool `json:"existing"`
}

// NewTransport generates the holder's age X25519 transport identity, seals it with prot
// and writes it with mode 0600 to TransportPath(keySharePath), creating the directory
// (mode 0700) if needed. If a transport identity exists there already it is opened and
// reused, so the step can be repeated. It refuses to start while a key share exists at
// keySharePath (error wrapping ErrKeyShareExists): a holder keeps one key share per
// path. Other errors wrap ErrProtection or are the file system's.
func NewTransport(keySharePath string, prot Protection) (Transport, error) {
	if err := prot.check(); err != nil {
		return Transport{}, err
	}
	if keySharePath == "" {
		return Transport{}, fmt.Errorf("transport identity: no key share path")
	}
	if _, err := os.Lstat(keySharePath); err == nil {
		return Transport{}, fmt.Errorf("transport identity: %w at %s; move it away or use another key share path for a new ceremony", ErrKeyShareExists, keySharePath)
	}
	path := TransportPath(keySharePath)
	if id, err := loadTransport(keySharePath, prot); err == nil {
		return Transport{Recipient: id.Recipient().String(), Path: path, Existing: true}, nil
	} else if !errors.Is(err, ErrNoTransport) {
		return Transport{}, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return Transport{}, fmt.Errorf("transport identity: %w", err)
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return Transport{}, fmt.Errorf("generate transport identity: %w", err)
	}
	if err := ceremony.SaveSecret(path, []byte(id.String()), prot.recipient); err != nil {
		return Transport{}, fmt.Errorf("save transport identity: %w", err)
	}
	return Transport{Recipient: id.Recipient().String(), Path: path}, nil
}

// loadTransport opens the holder's sealed transport identity.
func loadTransport(keySharePath string, prot Protection) (*age.X25519Identity, error) {
	path := TransportPath(keySharePath)
	if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w at %s: run the transport step first", ErrNoTransport, path)
	}
	data, err := ceremony.LoadSecret(path, prot.identity)
	if err != nil {
		return nil, fmt.Errorf("open transport identity with the %s: %w", prot, err)
	}
	id, err := age.ParseX25519Identity(strings.TrimSpace(string(data)))
	if err != nil {
		return nil, fmt.Errorf("transport identity %s is malformed", path)
	}
	return id, nil
}

// SetupResult is the outcome of NewSetup.
type SetupResult struct {
	// Digest is the setup blob's digest: the name of the ceremony.
	Digest string `json:"setupDigest"`
	// Setup is the ceremony's public description.
	Setup ceremony.Setup `json:"setup"`
	// Holders are the holders' MSP IDs in Shamir order (Setup.Holders' order).
	Holders []string `json:"holders"`
}

// NewSetup starts a ceremony for the consortium's key holders: recipients maps every key
// holder's MSP ID to its transport recipient (NewTransport). The holders are ordered as
// the consortium lists them (ledger.Consortium.KeyHolders), the threshold is the
// consortium's, the public seed is drawn from crypto/rand, and the setup is uploaded in
// its canonical encoding, so that its blob digest is ceremony.Setup.Digest. Errors wrap
// ErrHolders (a key holder missing, or an MSP ID that is not one), ceremony.ErrSetup,
// params.ErrUnknown, or are the ledger's or the store's.
func NewSetup(ctx context.Context, cons ConsortiumReader, store Blobs, paramSet string, recipients map[string]string) (SetupResult, error) {
	set, err := params.Named(paramSet)
	if err != nil {
		return SetupResult{}, fmt.Errorf("ceremony setup: %w", err)
	}
	c, err := cons.GetConsortium(ctx)
	if err != nil {
		return SetupResult{}, fmt.Errorf("ceremony setup: read the consortium: %w", err)
	}
	holders := c.KeyHolders()
	for msp := range recipients {
		if !slices.Contains(holders, msp) {
			return SetupResult{}, fmt.Errorf("ceremony setup: %w: %s is not a key holder of the consortium (key holders: %s)", ErrHolders, msp, strings.Join(holders, ", "))
		}
	}
	rs := make([]*age.X25519Recipient, len(holders))
	for i, msp := range holders {
		s, ok := recipients[msp]
		if !ok {
			return SetupResult{}, fmt.Errorf("ceremony setup: %w: no transport recipient for key holder %s (key holders: %s)", ErrHolders, msp, strings.Join(holders, ", "))
		}
		if rs[i], err = age.ParseX25519Recipient(s); err != nil {
			return SetupResult{}, fmt.Errorf("ceremony setup: transport recipient of %s is not an age X25519 recipient", msp)
		}
	}
	var seed [32]byte
	if _, err := rand.Read(seed[:]); err != nil {
		return SetupResult{}, fmt.Errorf("ceremony setup: draw the seed: %w", err)
	}
	setup, err := ceremony.NewSetup(set, c.Threshold, seed, rs)
	if err != nil {
		return SetupResult{}, fmt.Errorf("ceremony setup: %w", err)
	}
	data, err := setup.MarshalJSON()
	if err != nil {
		return SetupResult{}, fmt.Errorf("ceremony setup: encode: %w", err)
	}
	want := digestHex(setup.Digest())
	if err := putExpect(ctx, store, data, want); err != nil {
		return SetupResult{}, fmt.Errorf("ceremony setup: upload: %w", err)
	}
	return SetupResult{Digest: want, Setup: setup, Holders: holders}, nil
}

// Contribution is the outcome of Contribute.
type Contribution struct {
	// SetupDigest names the ceremony.
	SetupDigest string `json:"setupDigest"`
	// Holder is the holder's 1-based Shamir index.
	Holder int `json:"holder"`
	// MessageDigest is the digest of the holder's round message.
	MessageDigest string `json:"messageDigest"`
	// Resent says the message was made by an earlier run of the step and is handed out
	// again unchanged.
	Resent bool `json:"resent"`
}

// round is the content of the RoundPath file.
type round struct {
	SetupDigest   string `json:"setupDigest"`
	Holder        int    `json:"holder"`
	MessageDigest string `json:"messageDigest"`
}

// Contribute runs the holder's round of the ceremony setupDigest: it opens its transport
// identity with prot, finds its place among the setup's recipients, makes its round
// message (ceremony.Contribute) and uploads it. If the holder already contributed to this
// setup (RoundPath), the stored message's digest is returned again instead of a new one.
// Errors wrap ErrNoTransport, ErrNotHolder, ErrMismatch (a setup blob that does not match
// its digest), ceremony.ErrSetup, or are the store's.
func Contribute(ctx context.Context, store Blobs, setupDigest, keySharePath string, prot Protection) (Contribution, error) {
	if err := prot.check(); err != nil {
		return Contribution{}, err
	}
	setup, _, err := fetchSetup(ctx, store, setupDigest)
	if err != nil {
		return Contribution{}, fmt.Errorf("contribute: %w", err)
	}
	id, err := loadTransport(keySharePath, prot)
	if err != nil {
		return Contribution{}, fmt.Errorf("contribute: %w", err)
	}
	holder, err := holderOf(setup, id)
	if err != nil {
		return Contribution{}, fmt.Errorf("contribute to ceremony %s: %w", setupDigest, err)
	}
	if r, ok, err := readRound(keySharePath); err != nil {
		return Contribution{}, fmt.Errorf("contribute: %w", err)
	} else if ok && r.SetupDigest == setupDigest {
		if _, err := store.Get(ctx, r.MessageDigest); err != nil {
			return Contribution{}, fmt.Errorf("contribute: the round message %s made earlier for this ceremony is not in the blob store (%w); remove %s to make a new one, and tell the other holders", r.MessageDigest, err, RoundPath(keySharePath))
		}
		return Contribution{SetupDigest: setupDigest, Holder: holder, MessageDigest: r.MessageDigest, Resent: true}, nil
	}
	msg, err := ceremony.Contribute(setup, holder)
	if err != nil {
		return Contribution{}, fmt.Errorf("contribute to ceremony %s: %w", setupDigest, err)
	}
	d := digestHex(codec.Digest(msg))
	if err := putExpect(ctx, store, msg, d); err != nil {
		return Contribution{}, fmt.Errorf("contribute: upload the round message: %w", err)
	}
	if err := writeRound(keySharePath, round{SetupDigest: setupDigest, Holder: holder, MessageDigest: d}); err != nil {
		return Contribution{}, fmt.Errorf("contribute: %w", err)
	}
	return Contribution{SetupDigest: setupDigest, Holder: holder, MessageDigest: d}, nil
}

// Finalized is the outcome of Finalize.
type Finalized struct {
	// SetupDigest names the ceremony.
	SetupDigest string `json:"setupDigest"`
	// Holder is the holder's 1-based Shamir index.
	Holder int `json:"holder"`
	// KeySharePath is where the sealed threshold key is.
	KeySharePath string `json:"keySharePath"`
	// Existing says the key share had been written by an earlier run of the step.
	Existing bool `json:"existing"`
}

// Finalize ends the holder's part of the ceremony setupDigest once every holder's round
// message is uploaded (messageDigests, one per holder, in any order): it opens the Shamir
// shares addressed to it with its transport identity, sums them into its threshold key,
// seals the key with prot at keySharePath (mode 0600; never overwriting), checks that it
// opens again, and then destroys the transport identity and the round record. If the key
// share of this ceremony exists already (a repeated run), only the clean-up is done.
// Errors wrap ErrHolders (wrong number of messages), ErrNotHolder, ErrNoTransport,
// ErrKeyShareExists (a key share of another ceremony), ErrMismatch (the holder's own
// message is not among messageDigests), ceremony.ErrTranscript, ceremony.ErrShare, or are
// the store's and the file system's.
func Finalize(ctx context.Context, store BlobReader, setupDigest string, messageDigests []string, keySharePath string, prot Protection) (Finalized, error) {
	if err := prot.check(); err != nil {
		return Finalized{}, err
	}
	setup, set, err := fetchSetup(ctx, store, setupDigest)
	if err != nil {
		return Finalized{}, fmt.Errorf("finalize: %w", err)
	}
	out := Finalized{SetupDigest: setupDigest, KeySharePath: keySharePath}
	if _, err := os.Lstat(keySharePath); err == nil {
		tk, err := ceremony.LoadThresholdKey(set, keySharePath, prot.identity)
		if err != nil {
			return Finalized{}, fmt.Errorf("finalize: %w at %s and it does not open with the %s: %w", ErrKeyShareExists, keySharePath, prot, err)
		}
		if digestHex(tk.Setup()) != setupDigest {
			return Finalized{}, fmt.Errorf("finalize: %w at %s, from ceremony %s", ErrKeyShareExists, keySharePath, digestHex(tk.Setup()))
		}
		out.Holder, out.Existing = tk.Holder(), true
		return out, destroyTransport(keySharePath)
	}
	msgs, err := fetchMessages(ctx, store, setup, messageDigests)
	if err != nil {
		return Finalized{}, fmt.Errorf("finalize: %w", err)
	}
	id, err := loadTransport(keySharePath, prot)
	if err != nil {
		return Finalized{}, fmt.Errorf("finalize: %w", err)
	}
	if out.Holder, err = holderOf(setup, id); err != nil {
		return Finalized{}, fmt.Errorf("finalize ceremony %s: %w", setupDigest, err)
	}
	if r, ok, err := readRound(keySharePath); err != nil {
		return Finalized{}, fmt.Errorf("finalize: %w", err)
	} else if ok && r.SetupDigest == setupDigest && messageDigests[holderPos(msgs, out.Holder)] != r.MessageDigest {
		return Finalized{}, fmt.Errorf("finalize: %w: the round message given for holder %d is not the one this holder contributed (%s)", ErrMismatch, out.Holder, r.MessageDigest)
	}
	tk, err := ceremony.Finalize(setup, out.Holder, msgs, id)
	if err != nil {
		return Finalized{}, fmt.Errorf("finalize ceremony %s: %w", setupDigest, err)
	}
	if err := os.MkdirAll(filepath.Dir(keySharePath), 0o700); err != nil {
		return Finalized{}, fmt.Errorf("finalize: %w", err)
	}
	if err := tk.Save(keySharePath, prot.recipient); err != nil {
		return Finalized{}, fmt.Errorf("finalize: save the key share: %w", err)
	}
	if err := checkSaved(set, tk, keySharePath, prot); err != nil {
		return Finalized{}, fmt.Errorf("finalize: %w", err)
	}
	return out, destroyTransport(keySharePath)
}

// checkSaved opens the saved key share and compares it with tk.
func checkSaved(set *params.Set, tk *ceremony.ThresholdKey, path string, prot Protection) error {
	back, err := ceremony.LoadThresholdKey(set, path, prot.identity)
	if err != nil {
		return fmt.Errorf("reopen the saved key share: %w", err)
	}
	a, err := tk.MarshalBinary()
	if err != nil {
		return fmt.Errorf("check the saved key share: %w", err)
	}
	b, err := back.MarshalBinary()
	if err != nil {
		return fmt.Errorf("check the saved key share: %w", err)
	}
	if !bytes.Equal(a, b) {
		return fmt.Errorf("the saved key share at %s differs from the computed one", path)
	}
	return nil
}

// destroyTransport removes the transport identity and the round record.
func destroyTransport(keySharePath string) error {
	for _, p := range []string{TransportPath(keySharePath), RoundPath(keySharePath)} {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("destroy the transport identity: %w", err)
		}
	}
	if d, err := os.Open(filepath.Dir(keySharePath)); err == nil {
		err = d.Sync()
		d.Close()
		if err != nil {
			return fmt.Errorf("destroy the transport identity: sync directory: %w", err)
		}
	}
	return nil
}

// PublishInput names the ceremony to publish and the collective key's ID.
type PublishInput struct {
	// KeyID is the ID the collective key gets on the ledger.
	KeyID string
	// SetupDigest names the ceremony.
	SetupDigest string
	// MessageDigests are the holders' round-message digests, one per holder, in any
	// order.
	MessageDigests []string
}

// Published is the outcome of Publish.
type Published struct {
	// Manifest names the ceremony's public objects.
	Manifest Manifest `json:"manifest"`
	// ManifestDigest is the manifest blob's digest, the key's only transcript digest.
	ManifestDigest string `json:"manifestDigest"`
	// Key is the ledger record.
	Key ledger.CollectiveKey `json:"key"`
	// AlreadyRecorded says the identical key had been recorded before.
	AlreadyRecorded bool `json:"alreadyRecorded"`
}

// Publish computes the public outputs of a complete ceremony from its round messages
// (ceremony.Aggregate), uploads the collective public key, the rotation keys and the
// Manifest, and records the collective key on the ledger as the caller of l, which must
// be one of the key holders. The ceremony's holders are the consortium's key holders in
// order (as NewSetup fixed them) and its threshold the consortium's. Publishing the same
// ceremony under the same key ID again gives the same blobs and returns the recorded key
// (AlreadyRecorded). Errors wrap ErrHolders, ErrMismatch (the key ID is recorded for
// other objects), ceremony.ErrTranscript, or are the store's and the ledger's (such as
// ledger.ErrForbidden for a caller that is not a key holder).
func Publish(ctx context.Context, l Ledger, store Blobs, in PublishInput) (Published, error) {
	if err := validID("key ID", in.KeyID); err != nil {
		return Published{}, fmt.Errorf("publish: %w", err)
	}
	setup, set, err := fetchSetup(ctx, store, in.SetupDigest)
	if err != nil {
		return Published{}, fmt.Errorf("publish: %w", err)
	}
	c, err := l.GetConsortium(ctx)
	if err != nil {
		return Published{}, fmt.Errorf("publish: read the consortium: %w", err)
	}
	holders := c.KeyHolders()
	if len(holders) != len(setup.Holders) {
		return Published{}, fmt.Errorf("publish: %w: the setup has %d holders but the consortium has %d key holders", ErrHolders, len(setup.Holders), len(holders))
	}
	if setup.Threshold != c.Threshold {
		return Published{}, fmt.Errorf("publish: %w: the setup's threshold %d differs from the consortium's %d", ErrHolders, setup.Threshold, c.Threshold)
	}
	msgs, err := fetchMessages(ctx, store, setup, in.MessageDigests)
	if err != nil {
		return Published{}, fmt.Errorf("publish: %w", err)
	}
	keys, err := ceremony.Aggregate(setup, msgs)
	if err != nil {
		return Published{}, fmt.Errorf("publish: aggregate: %w", err)
	}
	ref := setup.Digest()
	pk, err := ceremony.EncodePublicKey(set, codec.KindPublicKey, ref, keys.PublicKey)
	if err != nil {
		return Published{}, fmt.Errorf("publish: encode the public key: %w", err)
	}
	gk, err := ceremony.EncodeGaloisKeys(set, ref, keys.EvaluationKeys)
	if err != nil {
		return Published{}, fmt.Errorf("publish: encode the rotation keys: %w", err)
	}
	m := Manifest{Version: ManifestVersion, KeyID: in.KeyID, ParamSet: set.Name(), Threshold: setup.Threshold,
		SetupDigest: in.SetupDigest, PublicKeyDigest: digestHex(codec.Digest(pk)), EvaluationKeysDigest: digestHex(codec.Digest(gk))}
	for i, msp := range holders {
		m.Holders = append(m.Holders, Holder{MSPID: msp, Recipient: setup.Holders[i], MessageDigest: in.MessageDigests[holderPos(msgs, i+1)]})
	}
	md, err := m.Encode()
	if err != nil {
		return Published{}, fmt.Errorf("publish: %w", err)
	}
	out := Published{Manifest: m, ManifestDigest: digestHex(codec.Digest(md))}
	if err := putExpect(ctx, store, pk, m.PublicKeyDigest); err != nil {
		return Published{}, fmt.Errorf("publish: upload the public key: %w", err)
	}
	if err := putExpect(ctx, store, gk, m.EvaluationKeysDigest); err != nil {
		return Published{}, fmt.Errorf("publish: upload the rotation keys: %w", err)
	}
	if err := putExpect(ctx, store, md, out.ManifestDigest); err != nil {
		return Published{}, fmt.Errorf("publish: upload the manifest: %w", err)
	}
	rec := ledger.CollectiveKeyInput{ID: in.KeyID, ParamSetID: set.Name(), PublicKeyDigest: m.PublicKeyDigest,
		PublicKeyURI: store.URI(m.PublicKeyDigest), TranscriptDigests: []string{out.ManifestDigest},
		Participants: slices.Clone(holders), Threshold: m.Threshold}
	out.Key, err = l.RecordCollectiveKey(ctx, rec)
	if errors.Is(err, ledger.ErrConflict) {
		got, gerr := l.GetCollectiveKey(ctx, in.KeyID)
		if gerr != nil {
			return Published{}, fmt.Errorf("publish: record collective key %s: %w", in.KeyID, err)
		}
		if got.PublicKeyDigest != rec.PublicKeyDigest || !slices.Equal(got.TranscriptDigests, rec.TranscriptDigests) {
			return Published{}, fmt.Errorf("publish: %w: collective key %s is already recorded for another ceremony", ErrMismatch, in.KeyID)
		}
		out.Key, out.AlreadyRecorded, err = got, true, nil
	}
	if err != nil {
		return Published{}, fmt.Errorf("publish: record collective key %s: %w", in.KeyID, err)
	}
	return out, nil
}

// fetchSetup gets, checks and decodes the setup blob setupDigest.
func fetchSetup(ctx context.Context, store BlobReader, setupDigest string) (ceremony.Setup, *params.Set, error) {
	if err := validDigest("setup digest", setupDigest); err != nil {
		return ceremony.Setup{}, nil, err
	}
	data, err := getExpect(ctx, store, setupDigest)
	if err != nil {
		return ceremony.Setup{}, nil, fmt.Errorf("fetch setup: %w", err)
	}
	setup, err := ceremony.ParseSetup(data)
	if err != nil {
		return ceremony.Setup{}, nil, fmt.Errorf("setup %s: %w", setupDigest, err)
	}
	if digestHex(setup.Digest()) != setupDigest {
		return ceremony.Setup{}, nil, fmt.Errorf("%w: setup %s is not in canonical encoding", ErrMismatch, setupDigest)
	}
	set, err := setup.Validate()
	if err != nil {
		return ceremony.Setup{}, nil, fmt.Errorf("setup %s: %w", setupDigest, err)
	}
	return setup, set, nil
}

// fetchMessages gets and strictly parses the round messages of every holder of setup.
// msgs[i] is the message of digests[i].
func fetchMessages(ctx context.Context, store BlobReader, setup ceremony.Setup, digests []string) ([]*ceremony.Message, error) {
	if len(digests) != len(setup.Holders) {
		return nil, fmt.Errorf("%w: %d round messages given for a ceremony of %d holders", ErrHolders, len(digests), len(setup.Holders))
	}
	msgs := make([]*ceremony.Message, len(digests))
	seen := make(map[int]bool, len(digests))
	for i, d := range digests {
		if err := validDigest("round-message digest", d); err != nil {
			return nil, err
		}
		data, err := getExpect(ctx, store, d)
		if err != nil {
			return nil, fmt.Errorf("fetch round message: %w", err)
		}
		sum := codec.Digest(data)
		if msgs[i], err = ceremony.ParseMessage(setup, data, &sum); err != nil {
			return nil, fmt.Errorf("round message %s: %w", d, err)
		}
		if h := msgs[i].Holder; h < 1 || h > len(digests) || seen[h] {
			return nil, fmt.Errorf("%w: round message %s: holder %d repeated or out of range", ceremony.ErrTranscript, d, h)
		}
		seen[msgs[i].Holder] = true
	}
	return msgs, nil
}

// holderPos returns the position in msgs of holder's message; msgs holds one per holder.
func holderPos(msgs []*ceremony.Message, holder int) int {
	for i, m := range msgs {
		if m.Holder == holder {
			return i
		}
	}
	return -1
}

// holderOf returns the 1-based index of id's recipient among setup's holders.
func holderOf(setup ceremony.Setup, id *age.X25519Identity) (int, error) {
	r := id.Recipient().String()
	for i, h := range setup.Holders {
		if h == r {
			return i + 1, nil
		}
	}
	return 0, fmt.Errorf("%w: this holder's transport recipient %s is not in the setup", ErrNotHolder, r)
}

// getExpect gets a blob and checks its digest, whatever the store does.
func getExpect(ctx context.Context, store BlobReader, digest string) ([]byte, error) {
	data, err := store.Get(ctx, digest)
	if err != nil {
		return nil, err
	}
	if got := digestHex(codec.Digest(data)); got != digest {
		return nil, fmt.Errorf("%w: blob %s has digest %s", ErrMismatch, digest, got)
	}
	return data, nil
}

// putExpect stores data and checks the digest the store reports.
func putExpect(ctx context.Context, store Blobs, data []byte, digest string) error {
	got, err := store.Put(ctx, data)
	if err != nil {
		return err
	}
	if got != digest {
		return fmt.Errorf("%w: the blob store stored %s under %s", ErrMismatch, digest, got)
	}
	return nil
}

func digestHex(d [32]byte) string { return hex.EncodeToString(d[:]) }

// readRound reads the holder's round record, if any.
func readRound(keySharePath string) (round, bool, error) {
	data, err := os.ReadFile(RoundPath(keySharePath))
	if errors.Is(err, fs.ErrNotExist) {
		return round{}, false, nil
	}
	if err != nil {
		return round{}, false, fmt.Errorf("read the round record: %w", err)
	}
	r, err := decodeRound(data)
	if err != nil {
		return round{}, false, fmt.Errorf("round record %s is malformed; remove it to contribute anew", RoundPath(keySharePath))
	}
	return r, true, nil
}

// decodeRound decodes a round record: one JSON object with the fields of round and
// nothing after it, both digests valid and the holder's index not negative.
func decodeRound(data []byte) (round, error) {
	var r round
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return round{}, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return round{}, errors.New("data after the round record")
	}
	if err := validDigest("setup", r.SetupDigest); err != nil {
		return round{}, err
	}
	if err := validDigest("message", r.MessageDigest); err != nil {
		return round{}, err
	}
	if r.Holder < 0 {
		return round{}, fmt.Errorf("holder %d is negative", r.Holder)
	}
	return r, nil
}

// writeRound replaces the holder's round record atomically.
func writeRound(keySharePath string, r round) error {
	data, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode the round record: %w", err)
	}
	path := RoundPath(keySharePath)
	tmp := fmt.Sprintf("%s.tmp-%d", path, os.Getpid())
	_ = os.Remove(tmp)
	if err := ceremony.WriteNew(tmp, data); err != nil {
		return fmt.Errorf("write the round record: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write the round record: %w", err)
	}
	return nil
}
