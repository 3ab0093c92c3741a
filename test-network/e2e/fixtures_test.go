package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/client/fabric"
	"github.com/statledger/statledger/client/ledgerapi"
	"github.com/statledger/statledger/policies"
)

// The demo consortium's organisations (network/consortium.yaml) and what they are:
// StatOffice is member, analyst, worker and key holder; the hospitals are members,
// providers and key holders; the Regulator is the auditor.
const (
	statOffice = "StatOffice"
	hospitalA  = "HospitalA"
	hospitalB  = "HospitalB"
	regulator  = "Regulator"
)

var allOrgs = []string{statOffice, hospitalA, hospitalB, regulator}

// connect returns the typed API of an organisation's user, closed when the test ends.
func connect(t testing.TB, org string, opts ...fabric.Option) *ledgerapi.API {
	t.Helper()
	return ledgerapi.New(connectRaw(t, org, opts...))
}

func connectRaw(t testing.TB, org string, opts ...fabric.Option) *fabric.Client {
	t.Helper()
	c, err := env.Connect(org, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// unique returns prefix followed by random hex, so tests can share a long-running network.
func unique(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}

// randomDigest stands in for the SHA-256 digest of a ciphertext blob.
func randomDigest() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return ledger.Digest(b)
}

func mspID(org string) string { return org + "MSP" }

// recordKey records a collective key for the three key holders, as StatOffice.
func recordKey(t testing.TB, ctx context.Context) ledger.CollectiveKey {
	t.Helper()
	key, err := connect(t, statOffice).RecordCollectiveKey(ctx, ledger.CollectiveKeyInput{
		ID: unique("key"), ParamSetID: "N14T58", PublicKeyDigest: randomDigest(),
		TranscriptDigests: []string{randomDigest(), randomDigest()},
		Participants:      []string{mspID(statOffice), mspID(hospitalA), mspID(hospitalB)},
		Threshold:         env.Net.Definition().Threshold,
	})
	require.NoError(t, err)
	settle(t, ctx) // every endorser of the dataset's registration must know the key
	return key
}

// shippedPolicy reads a file of the healthcare case in policies/.
func shippedSchema(t testing.TB) policies.Schema {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "policies", "healthcare", "schema.yaml"))
	require.NoError(t, err)
	s, err := policies.ParseSchema(data)
	require.NoError(t, err)
	return s
}

func shippedPolicy(t testing.TB) policies.Policy {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "policies", "healthcare", "policy.yaml"))
	require.NoError(t, err)
	p, err := policies.ParsePolicy(data)
	require.NoError(t, err)
	return p
}

// registerDataset registers a healthcare dataset as StatOffice, with the shipped policy
// changed by edit (nil for none).
func registerDataset(t testing.TB, ctx context.Context, edit func(*policies.Policy)) ledger.Dataset {
	t.Helper()
	key := recordKey(t, ctx)
	p := shippedPolicy(t)
	if edit != nil {
		edit(&p)
	}
	ds, err := connect(t, statOffice).RegisterDataset(ctx, ledger.DatasetInput{
		ID: unique("admissions"), Title: "Hospital admissions (e2e)", KeyID: key.ID,
		ParamSetID: key.ParamSetID, Schema: shippedSchema(t), Policy: p,
	})
	require.NoError(t, err)
	settle(t, ctx) // the providers' peers must know the dataset before they submit
	return ds
}

// submission is a provider's submission of two ciphertexts that were never uploaded:
// the ledger keeps only digests, sizes and URIs.
func submission(datasetID, period string) ledger.SubmissionInput {
	var cts []ledger.Ciphertext
	for range 2 {
		d := randomDigest()
		cts = append(cts, ledger.Ciphertext{Digest: d, Size: 786_432, URI: "file:///blobs/" + d})
	}
	return ledger.SubmissionInput{DatasetID: datasetID, Period: period, ParamSetID: "N14T58", Records: 1000, Ciphertexts: cts}
}

// submitBoth has both hospitals submit to the dataset's period.
func submitBoth(t testing.TB, ctx context.Context, ds ledger.Dataset, period string) {
	t.Helper()
	for _, org := range []string{hospitalA, hospitalB} {
		_, err := connect(t, org).SubmitData(ctx, submission(ds.ID, period))
		require.NoError(t, err, "submission of %s", org)
	}
	settle(t, ctx)
}

// countQuery asks for admissions by region, re-encrypted towards an analyst key that was
// never uploaded (a random digest) and decrypted by the first t key holders in
// consortium order (decryptors).
func countQuery(ds ledger.Dataset, period, idempotencyKey string) ledger.QueryInput {
	pk := randomDigest()
	return ledger.QueryInput{
		IdempotencyKey:   idempotencyKey,
		DatasetID:        ds.ID,
		Period:           period,
		Spec:             policies.Query{Statistic: policies.StatCount, GroupBy: []string{"region"}, Epsilon: ds.Policy.EpsilonPerQuery},
		AnalystKeyDigest: pk,
		AnalystKeyURI:    "file:///blobs/" + pk,
		Decryptors:       decryptors(),
	}
}

// decryptors returns the MSP IDs of the first t key holders of the network's consortium,
// in consortium order: StatOfficeMSP and HospitalAMSP on the demo network.
func decryptors() []string {
	def := env.Net.Definition()
	var out []string
	for _, o := range def.KeyHolders()[:def.Threshold] {
		out = append(out, o.MSPID)
	}
	return out
}

// requireCode asserts that err carries the ledger error code want.
func requireCode(t testing.TB, err error, want ledger.Code, msgAndArgs ...any) {
	t.Helper()
	require.Error(t, err, msgAndArgs...)
	require.Equal(t, want, ledger.CodeOf(err), "%s: %v", fmt.Sprint(msgAndArgs...), err)
}

// settle waits until every organisation's peer has committed every block that any peer
// had committed when settle was called, so that a read through one organisation's peer
// sees what another organisation just committed through its own (a submit returns once
// its gateway peer has committed). Other writers may add blocks meanwhile.
func settle(t testing.TB, ctx context.Context) {
	t.Helper()
	var target uint64
	for _, org := range allOrgs {
		h, err := env.Net.BlockHeight(ctx, org)
		require.NoError(t, err)
		target = max(target, h)
	}
	require.Eventually(t, func() bool {
		for _, org := range allOrgs {
			if h, err := env.Net.BlockHeight(ctx, org); err != nil || h < target {
				return false
			}
		}
		return true
	}, 20*time.Second, 50*time.Millisecond, "the peers do not reach block height %d", target)
}
