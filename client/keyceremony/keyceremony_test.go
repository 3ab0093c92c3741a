package keyceremony_test

import (
	"context"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tuneinsight/lattigo/v6/core/rlwe"
	"github.com/tuneinsight/lattigo/v6/multiparty"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/client/blobstore"
	"github.com/statledger/statledger/client/keyceremony"
	"github.com/statledger/statledger/crypto/ceremony"
	"github.com/statledger/statledger/crypto/codec"
	"github.com/statledger/statledger/crypto/params"
)

func TestLocalCeremonyGivesAKeySetEveryRoleCanLoad(t *testing.T) {
	ctx := context.Background()
	f := runLocal(t, "key-1")
	require.False(t, f.result.Existing)
	require.Equal(t, keyHolders, f.result.Setup.Holders)
	pub := f.result.Published
	require.Equal(t, []string{pub.ManifestDigest}, pub.Key.TranscriptDigests)
	require.Equal(t, pub.Manifest.PublicKeyDigest, pub.Key.PublicKeyDigest)
	require.Equal(t, f.store.URI(pub.Key.PublicKeyDigest), pub.Key.PublicKeyURI)
	require.Equal(t, statOffice, pub.Key.RecordedBy)

	// An auditor, who holds no key share, loads and verifies everything.
	ks, err := keyceremony.Load(ctx, f.ledger.as(regulator), f.store, "key-1")
	require.NoError(t, err)
	require.Equal(t, keyHolders, ks.Holders())
	require.Equal(t, 2, ks.Threshold())
	require.Equal(t, testSet, ks.Set().Name())
	for i, msp := range keyHolders {
		idx, ok := ks.HolderIndex(msp)
		require.True(t, ok)
		require.Equal(t, i+1, idx)
	}
	_, ok := ks.HolderIndex(regulator)
	require.False(t, ok)
	require.NotNil(t, ks.PublicKey())
	require.NotNil(t, ks.EvaluationKeys())
	require.Len(t, ks.EvaluationKeys().GetGaloisKeysList(), len(ks.Set().GaloisElements()))
	require.NoError(t, ks.VerifyTranscript(ctx, f.store))

	// Every holder's key share opens, is the holder's, and its transport identity is gone.
	keys := map[int]*ceremony.ThresholdKey{}
	for _, h := range f.holders {
		tk, err := ks.LoadThresholdKey(h.MSPID, h.KeySharePath, h.Protection)
		require.NoError(t, err, h.MSPID)
		idx, _ := ks.HolderIndex(h.MSPID)
		require.Equal(t, idx, tk.Holder())
		keys[idx] = tk
		st, err := os.Stat(h.KeySharePath)
		require.NoError(t, err)
		require.Equal(t, fs.FileMode(0o600), st.Mode().Perm())
		require.NoFileExists(t, keyceremony.TransportPath(h.KeySharePath))
		require.NoFileExists(t, keyceremony.RoundPath(h.KeySharePath))
	}

	// Any t = 2 holders' shares make the secret key of the collective public key.
	p := ks.Set().RLWE()
	bound := math.Log2(math.Sqrt(3)*p.NoiseFreshSK()) + 1
	for _, active := range [][]int{{1, 2}, {1, 3}, {2, 3}} {
		s := rlwe.NewSecretKey(p)
		for _, a := range active {
			sk, err := keys[a].AdditiveShare(active)
			require.NoError(t, err)
			p.RingQP().Add(s.Value, sk.Value, s.Value)
		}
		require.Less(t, rlwe.NoisePublicKey(ks.PublicKey(), s, p), bound, "active %v", active)
		for _, el := range ks.Set().GaloisElements()[:2] {
			gk, err := ks.EvaluationKeys().GetGaloisKey(el)
			require.NoError(t, err)
			require.Less(t, rlwe.NoiseGaloisKey(gk, s, p), math.Log2(multiparty.NoiseGaloisKey(p, 3))+1)
		}
	}

	// A provider needs only the public key.
	set, pk, err := keyceremony.PublicKeys{Ledger: f.ledger, Store: f.store}.PublicKey(ctx, "key-1")
	require.NoError(t, err)
	require.Equal(t, ks.Set(), set)
	require.True(t, pk.Equal(ks.PublicKey()))
	light, err := keyceremony.Load(ctx, f.ledger, f.store, "key-1", keyceremony.WithoutEvaluationKeys())
	require.NoError(t, err)
	require.Nil(t, light.EvaluationKeys())

	// Running the demo again changes nothing.
	again, err := keyceremony.RunLocal(ctx, f.ledger, f.store, keyceremony.LocalInput{KeyID: "key-1", ParamSet: testSet, Holders: f.holders})
	require.NoError(t, err)
	require.True(t, again.Existing)
	require.Equal(t, pub.ManifestDigest, again.Published.ManifestDigest)
}

func TestStepByStepCeremonyOneOrganisationAtATime(t *testing.T) {
	ctx := context.Background()
	defer keyceremony.SetScryptWorkFactor(10)()
	l := newFakeLedger(hospitalA)
	store, _ := openStore(t)
	type org struct {
		path string
		prot keyceremony.Protection
	}
	orgs := map[string]org{}
	recipients := map[string]string{}
	for i, msp := range keyHolders {
		dir := t.TempDir()
		var prot keyceremony.Protection
		var err error
		if i == 0 { // one holder seals with a passphrase, the others with identity files
			pass := filepath.Join(dir, "passphrase")
			require.NoError(t, os.WriteFile(pass, []byte("correct horse battery staple\n"), 0o600))
			prot, err = keyceremony.PassphraseFile(pass)
		} else {
			prot, err = keyceremony.NewIdentityFile(filepath.Join(dir, "id.txt"))
		}
		require.NoError(t, err)
		o := org{path: filepath.Join(dir, "share"), prot: prot}
		orgs[msp] = o
		// (a) transport, twice: the second run reuses the identity.
		tr, err := keyceremony.NewTransport(o.path, o.prot)
		require.NoError(t, err)
		require.False(t, tr.Existing)
		st, err := os.Stat(tr.Path)
		require.NoError(t, err)
		require.Equal(t, fs.FileMode(0o600), st.Mode().Perm())
		tr2, err := keyceremony.NewTransport(o.path, o.prot)
		require.NoError(t, err)
		require.True(t, tr2.Existing)
		require.Equal(t, tr.Recipient, tr2.Recipient)
		recipients[msp] = tr.Recipient
	}

	// (b) setup by a coordinator.
	setup, err := keyceremony.NewSetup(ctx, l.as(statOffice), store, testSet, recipients)
	require.NoError(t, err)
	require.Equal(t, keyHolders, setup.Holders)
	for i, msp := range keyHolders {
		require.Equal(t, recipients[msp], setup.Setup.Holders[i])
	}

	// (c) contribute, in any order; a repeated run hands out the same message.
	var digests []string
	for _, msp := range []string{statOffice, hospitalA, hospitalB} {
		c, err := keyceremony.Contribute(ctx, store, setup.Digest, orgs[msp].path, orgs[msp].prot)
		require.NoError(t, err, msp)
		again, err := keyceremony.Contribute(ctx, store, setup.Digest, orgs[msp].path, orgs[msp].prot)
		require.NoError(t, err)
		require.True(t, again.Resent)
		require.Equal(t, c.MessageDigest, again.MessageDigest)
		idx := map[string]int{hospitalA: 1, hospitalB: 2, statOffice: 3}[msp]
		require.Equal(t, idx, c.Holder)
		digests = append(digests, c.MessageDigest)
	}

	// (d) finalize, each holder; a repeated run only cleans up.
	for _, msp := range keyHolders {
		fin, err := keyceremony.Finalize(ctx, store, setup.Digest, digests, orgs[msp].path, orgs[msp].prot)
		require.NoError(t, err, msp)
		require.False(t, fin.Existing)
		require.NoFileExists(t, keyceremony.TransportPath(orgs[msp].path))
		again, err := keyceremony.Finalize(ctx, store, setup.Digest, digests, orgs[msp].path, orgs[msp].prot)
		require.NoError(t, err)
		require.True(t, again.Existing)
		require.Equal(t, fin.Holder, again.Holder)
	}

	// (e) publish: a holder that is not the caller of the ledger may not; a key holder
	// may, twice.
	in := keyceremony.PublishInput{KeyID: "key-steps", SetupDigest: setup.Digest, MessageDigests: digests}
	_, err = keyceremony.Publish(ctx, l.as(regulator), store, in)
	require.ErrorIs(t, err, ledger.ErrForbidden)
	pub, err := keyceremony.Publish(ctx, l, store, in)
	require.NoError(t, err)
	require.False(t, pub.AlreadyRecorded)
	require.Equal(t, hospitalA, pub.Key.RecordedBy)
	again, err := keyceremony.Publish(ctx, l.as(hospitalB), store, in)
	require.NoError(t, err)
	require.True(t, again.AlreadyRecorded)
	require.Equal(t, pub.ManifestDigest, again.ManifestDigest)

	ks, err := keyceremony.Load(ctx, l, store, "key-steps")
	require.NoError(t, err)
	for _, msp := range keyHolders {
		_, err := ks.LoadThresholdKey(msp, orgs[msp].path, orgs[msp].prot)
		require.NoError(t, err, msp)
	}
	require.NoError(t, ks.VerifyTranscript(ctx, store))
}

func TestLoadRefusesTamperedRecordsManifestsAndBlobs(t *testing.T) {
	ctx := context.Background()
	f := runLocal(t, "key-t")
	good := f.result.Published.Manifest

	// upload stores a manifest changed by edit and returns its digest.
	upload := func(edit func(*keyceremony.Manifest)) string {
		m := good
		m.Holders = append([]keyceremony.Holder(nil), good.Holders...)
		edit(&m)
		data, err := m.Encode()
		require.NoError(t, err)
		d, err := f.store.Put(ctx, data)
		require.NoError(t, err)
		return d
	}
	otherDigest := ledger.Digest([]byte("something else"))
	cases := []struct {
		name string
		edit func(*ledger.CollectiveKey)
		want error
	}{
		{"a record whose public key digest was changed", func(k *ledger.CollectiveKey) { k.PublicKeyDigest = otherDigest }, keyceremony.ErrMismatch},
		{"a record of another parameter set", func(k *ledger.CollectiveKey) { k.ParamSetID = "N14T58" }, keyceremony.ErrMismatch},
		{"a record of another threshold", func(k *ledger.CollectiveKey) { k.Threshold = 3 }, keyceremony.ErrMismatch},
		{"a record with a participant missing", func(k *ledger.CollectiveKey) { k.Participants = k.Participants[:2] }, keyceremony.ErrMismatch},
		{"a record with two transcript digests", func(k *ledger.CollectiveKey) { k.TranscriptDigests = append(k.TranscriptDigests, otherDigest) }, keyceremony.ErrMismatch},
		{"a record whose manifest is not stored", func(k *ledger.CollectiveKey) { k.TranscriptDigests = []string{otherDigest} }, errNotFound},
		{"a manifest of another key", func(k *ledger.CollectiveKey) {
			k.TranscriptDigests = []string{upload(func(m *keyceremony.Manifest) { m.KeyID = "key-other" })}
		}, keyceremony.ErrMismatch},
		{"a manifest whose public key digest was changed along with the record's", func(k *ledger.CollectiveKey) {
			d := upload(func(m *keyceremony.Manifest) {
				m.PublicKeyDigest = good.EvaluationKeysDigest
				m.EvaluationKeysDigest = good.PublicKeyDigest
			})
			k.TranscriptDigests, k.PublicKeyDigest = []string{d}, good.EvaluationKeysDigest
		}, errFormat},
		{"a manifest of the wrong parameter set along with the record's", func(k *ledger.CollectiveKey) {
			k.TranscriptDigests = []string{upload(func(m *keyceremony.Manifest) { m.ParamSet = "N14T58" })}
			k.ParamSetID = "N14T58"
		}, keyceremony.ErrMismatch},
		{"a manifest with the holders' recipients swapped", func(k *ledger.CollectiveKey) {
			k.TranscriptDigests = []string{upload(func(m *keyceremony.Manifest) {
				m.Holders[0].Recipient, m.Holders[1].Recipient = m.Holders[1].Recipient, m.Holders[0].Recipient
			})}
		}, keyceremony.ErrMismatch},
		{"a manifest naming a setup that is not stored", func(k *ledger.CollectiveKey) {
			k.TranscriptDigests = []string{upload(func(m *keyceremony.Manifest) { m.SetupDigest = otherDigest })}
		}, errNotFound},
		{"a manifest naming a round message as its setup", func(k *ledger.CollectiveKey) {
			k.TranscriptDigests = []string{upload(func(m *keyceremony.Manifest) {
				m.SetupDigest, m.Holders[0].MessageDigest = m.Holders[0].MessageDigest, m.SetupDigest
			})}
		}, nil},
		{"a manifest that is not a manifest", func(k *ledger.CollectiveKey) {
			k.TranscriptDigests = []string{good.SetupDigest}
		}, keyceremony.ErrManifest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := f.ledger.as(regulator)
			l.keys = map[string]ledger.CollectiveKey{"key-t": f.ledger.keys["key-t"]}
			l.edit("key-t", tc.edit)
			_, err := keyceremony.Load(ctx, l, f.store, "key-t")
			require.Error(t, err)
			require.True(t, matches(err, tc.want), "got %v", err)
		})
	}

	t.Run("a corrupted public key blob", func(t *testing.T) {
		d := good.PublicKeyDigest
		path := filepath.Join(f.dir, "sha256", d[:2], d)
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		data[len(data)-1] ^= 1
		require.NoError(t, os.WriteFile(path, data, 0o600))
		_, err = keyceremony.Load(ctx, f.ledger, f.store, "key-t")
		require.ErrorIs(t, err, errCorrupt)
	})
	t.Run("an unknown key", func(t *testing.T) {
		_, err := keyceremony.Load(ctx, f.ledger, f.store, "key-none")
		require.ErrorIs(t, err, ledger.ErrNotFound)
	})
}

func TestStepsRefuseWrongHoldersMessagesAndParameters(t *testing.T) {
	ctx := context.Background()
	l := newFakeLedger(statOffice)
	store, _ := openStore(t)
	hs := localHolders(t)
	recipients := map[string]string{}
	for _, h := range hs {
		tr, err := keyceremony.NewTransport(h.KeySharePath, h.Protection)
		require.NoError(t, err)
		recipients[h.MSPID] = tr.Recipient
	}
	without := func(msp string) map[string]string {
		out := map[string]string{}
		for k, v := range recipients {
			if k != msp {
				out[k] = v
			}
		}
		return out
	}
	with := func(msp, r string) map[string]string {
		out := without("")
		out[msp] = r
		return out
	}

	_, err := keyceremony.NewSetup(ctx, l, store, testSet, without(hospitalB))
	require.ErrorIs(t, err, keyceremony.ErrHolders, "a key holder missing")
	_, err = keyceremony.NewSetup(ctx, l, store, testSet, with(regulator, recipients[hospitalA]))
	require.ErrorIs(t, err, keyceremony.ErrHolders, "an organisation that holds no key")
	_, err = keyceremony.NewSetup(ctx, l, store, testSet, with(hospitalA, "age1notarecipient"))
	require.Error(t, err, "a malformed recipient")
	_, err = keyceremony.NewSetup(ctx, l, store, testSet, with(hospitalA, recipients[hospitalB]))
	require.ErrorIs(t, err, ceremony.ErrSetup, "a repeated recipient")
	_, err = keyceremony.NewSetup(ctx, l, store, "N99", recipients)
	require.ErrorIs(t, err, errUnknownParams, "an unknown parameter set")

	setup, err := keyceremony.NewSetup(ctx, l, store, testSet, recipients)
	require.NoError(t, err)

	// A stranger (no transport recipient in the setup) cannot contribute or finalize.
	stranger := localHolders(t)[0]
	_, err = keyceremony.NewTransport(stranger.KeySharePath, stranger.Protection)
	require.NoError(t, err)
	_, err = keyceremony.Contribute(ctx, store, setup.Digest, stranger.KeySharePath, stranger.Protection)
	require.ErrorIs(t, err, keyceremony.ErrNotHolder)
	// Without a transport identity.
	_, err = keyceremony.Contribute(ctx, store, setup.Digest, filepath.Join(t.TempDir(), "share"), stranger.Protection)
	require.ErrorIs(t, err, keyceremony.ErrNoTransport)
	// With the wrong protection.
	_, err = keyceremony.Contribute(ctx, store, setup.Digest, hs[0].KeySharePath, stranger.Protection)
	require.Error(t, err)
	require.NotErrorIs(t, err, keyceremony.ErrNoTransport)
	// Without any protection.
	_, err = keyceremony.Contribute(ctx, store, setup.Digest, hs[0].KeySharePath, keyceremony.Protection{})
	require.ErrorIs(t, err, keyceremony.ErrProtection)
	// An unknown or malformed setup digest.
	_, err = keyceremony.Contribute(ctx, store, ledger.Digest([]byte("x")), hs[0].KeySharePath, hs[0].Protection)
	require.ErrorIs(t, err, errNotFound)
	_, err = keyceremony.Contribute(ctx, store, "abc", hs[0].KeySharePath, hs[0].Protection)
	require.Error(t, err)

	digests := make([]string, 3)
	for _, h := range hs {
		c, err := keyceremony.Contribute(ctx, store, setup.Digest, h.KeySharePath, h.Protection)
		require.NoError(t, err)
		digests[c.Holder-1] = c.MessageDigest
	}
	a := holderOf(hs, hospitalA)
	_, err = keyceremony.Finalize(ctx, store, setup.Digest, digests[:2], a.KeySharePath, a.Protection)
	require.ErrorIs(t, err, keyceremony.ErrHolders, "a message missing")
	_, err = keyceremony.Finalize(ctx, store, setup.Digest, []string{digests[0], digests[1], digests[1]}, a.KeySharePath, a.Protection)
	require.ErrorIs(t, err, ceremony.ErrTranscript, "a message repeated")
	_, err = keyceremony.Finalize(ctx, store, setup.Digest, []string{digests[0], digests[1], setup.Digest}, a.KeySharePath, a.Protection)
	require.Error(t, err, "the setup in place of a message")

	// Another ceremony's message in place of a holder's own is refused.
	other := runLocal(t, "key-x")
	foreign, err := other.store.Get(ctx, other.result.Contributions[0].MessageDigest)
	require.NoError(t, err)
	_, err = store.Put(ctx, foreign)
	require.NoError(t, err)
	_, err = keyceremony.Finalize(ctx, store, setup.Digest, []string{other.result.Contributions[0].MessageDigest, digests[1], digests[2]}, a.KeySharePath, a.Protection)
	require.Error(t, err, "a message of another ceremony")

	// Publishing with the wrong number of messages, or when the consortium has other key
	// holders than the setup, is refused before anything is recorded.
	_, err = keyceremony.Publish(ctx, l, store, keyceremony.PublishInput{KeyID: "k", SetupDigest: setup.Digest, MessageDigests: digests[:2]})
	require.ErrorIs(t, err, keyceremony.ErrHolders)
	bigger := l.as(statOffice)
	bigger.cons.Orgs[3].KeyHolder = true
	_, err = keyceremony.Publish(ctx, bigger, store, keyceremony.PublishInput{KeyID: "k", SetupDigest: setup.Digest, MessageDigests: digests})
	require.ErrorIs(t, err, keyceremony.ErrHolders)
	stricter := l.as(statOffice)
	stricter.cons.Threshold = 3
	_, err = keyceremony.Publish(ctx, stricter, store, keyceremony.PublishInput{KeyID: "k", SetupDigest: setup.Digest, MessageDigests: digests})
	require.ErrorIs(t, err, keyceremony.ErrHolders)
	_, err = keyceremony.Publish(ctx, l, store, keyceremony.PublishInput{KeyID: "bad id", SetupDigest: setup.Digest, MessageDigests: digests})
	require.Error(t, err)
	require.Empty(t, l.keys)

	// A key ID recorded for another ceremony is not overwritten.
	for _, h := range hs {
		_, err := keyceremony.Finalize(ctx, store, setup.Digest, digests, h.KeySharePath, h.Protection)
		require.NoError(t, err)
	}
	l.keys["key-x"] = other.ledger.keys["key-x"]
	_, err = keyceremony.Publish(ctx, l, store, keyceremony.PublishInput{KeyID: "key-x", SetupDigest: setup.Digest, MessageDigests: digests})
	require.ErrorIs(t, err, keyceremony.ErrMismatch)
	_, err = keyceremony.Publish(ctx, l, store, keyceremony.PublishInput{KeyID: "key-y", SetupDigest: setup.Digest, MessageDigests: digests})
	require.NoError(t, err)

	// A holder with a key share does not start another ceremony on the same path.
	_, err = keyceremony.NewTransport(a.KeySharePath, a.Protection)
	require.ErrorIs(t, err, keyceremony.ErrKeyShareExists)
	// A second local ceremony over the same key share paths is refused.
	_, err = keyceremony.RunLocal(ctx, l, store, keyceremony.LocalInput{KeyID: "key-z", ParamSet: testSet, Holders: hs})
	require.ErrorIs(t, err, keyceremony.ErrKeyShareExists)
}

func TestLoadThresholdKeyRefusesMissingForeignAndExposedKeyShares(t *testing.T) {
	ctx := context.Background()
	f := runLocal(t, "key-s")
	ks, err := keyceremony.Load(ctx, f.ledger, f.store, "key-s", keyceremony.WithoutEvaluationKeys())
	require.NoError(t, err)
	a, b := holderOf(f.holders, hospitalA), holderOf(f.holders, hospitalB)

	_, err = ks.LoadThresholdKey(hospitalA, filepath.Join(t.TempDir(), "none"), a.Protection)
	require.ErrorIs(t, err, keyceremony.ErrNoKeyShare)
	require.ErrorIs(t, err, fs.ErrNotExist)
	_, err = ks.LoadThresholdKey(hospitalA, "", a.Protection)
	require.ErrorIs(t, err, keyceremony.ErrNoKeyShare)
	_, err = ks.LoadThresholdKey(regulator, a.KeySharePath, a.Protection)
	require.ErrorIs(t, err, keyceremony.ErrNotHolder)
	_, err = ks.LoadThresholdKey(hospitalA, b.KeySharePath, b.Protection)
	require.ErrorIs(t, err, keyceremony.ErrMismatch, "another holder's share")
	_, err = ks.LoadThresholdKey(hospitalA, a.KeySharePath, b.Protection)
	require.Error(t, err, "the wrong protection")
	_, err = ks.LoadThresholdKey(hospitalA, a.KeySharePath, keyceremony.Protection{})
	require.ErrorIs(t, err, keyceremony.ErrProtection)

	// A share of another ceremony.
	other := runLocal(t, "key-o")
	oa := holderOf(other.holders, hospitalA)
	_, err = ks.LoadThresholdKey(hospitalA, oa.KeySharePath, oa.Protection)
	require.ErrorIs(t, err, keyceremony.ErrMismatch)

	require.NoError(t, os.Chmod(a.KeySharePath, 0o644))
	_, err = ks.LoadThresholdKey(hospitalA, a.KeySharePath, a.Protection)
	require.ErrorIs(t, err, ceremony.ErrPermissions)
}

func TestLocalCeremonyRefusesHoldersThatAreNotTheConsortiums(t *testing.T) {
	ctx := context.Background()
	store, _ := openStore(t)
	hs := localHolders(t)
	dup := append(append([]keyceremony.LocalHolder(nil), hs...), hs[0])
	sharedPath := append([]keyceremony.LocalHolder(nil), hs...)
	sharedPath[1].KeySharePath = sharedPath[0].KeySharePath
	stranger := append([]keyceremony.LocalHolder(nil), hs...)
	stranger[0].MSPID = regulator
	noProt := append([]keyceremony.LocalHolder(nil), hs...)
	noProt[2].Protection = keyceremony.Protection{}
	for _, tc := range []struct {
		name    string
		holders []keyceremony.LocalHolder
		want    error
	}{
		{"a key holder missing", hs[:2], keyceremony.ErrHolders},
		{"a holder given twice", dup, keyceremony.ErrHolders},
		{"two holders on one key share path", sharedPath, keyceremony.ErrHolders},
		{"an organisation that holds no key", stranger, keyceremony.ErrHolders},
		{"a holder without protection", noProt, keyceremony.ErrProtection},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := keyceremony.RunLocal(ctx, newFakeLedger(statOffice), store, keyceremony.LocalInput{KeyID: "k", ParamSet: testSet, Holders: tc.holders})
			require.ErrorIs(t, err, tc.want)
		})
	}
	_, err := keyceremony.RunLocal(ctx, newFakeLedger(statOffice), store, keyceremony.LocalInput{KeyID: "k", ParamSet: "N99", Holders: hs})
	require.ErrorIs(t, err, errUnknownParams)
	// Recorded as an organisation that is not a key holder: refused by the ledger.
	_, err = keyceremony.RunLocal(ctx, newFakeLedger(regulator), store, keyceremony.LocalInput{KeyID: "k2", ParamSet: testSet, Holders: localHolders(t)})
	require.ErrorIs(t, err, ledger.ErrForbidden)
	require.Contains(t, err.Error(), "every key share is written but publishing failed (retry with setup ")
}

// matches reports whether err matches want; a nil want matches any error.
func matches(err, want error) bool {
	if want == nil {
		return err != nil
	}
	return errors.Is(err, want)
}

var (
	errNotFound      = blobstore.ErrNotFound
	errCorrupt       = blobstore.ErrCorrupt
	errFormat        = codec.ErrFormat
	errUnknownParams = params.ErrUnknown
)
