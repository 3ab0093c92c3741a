package contract

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/chaincode/ledger"
)

func TestARequestNamesTheAnalystKeyAndExactlyTheKeysThresholdOfItsHoldersAsDecryptors(t *testing.T) {
	f, c := setup(t, nil)
	tests := []struct {
		name string
		edit func(*ledger.QueryInput)
		msg  string
	}{
		{"a decryptor that is not a key holder", func(in *ledger.QueryInput) { in.Decryptors = []string{hospAMSP, labMSP} },
			"decryptor " + labMSP + " holds no share of collective key " + keyID},
		{"the auditor as a decryptor", func(in *ledger.QueryInput) { in.Decryptors = []string{regMSP, statMSP} },
			"decryptor " + regMSP + " holds no share of collective key " + keyID},
		{"an organisation outside the consortium", func(in *ledger.QueryInput) { in.Decryptors = []string{"OutsiderMSP", statMSP} },
			"decryptor OutsiderMSP holds no share"},
		{"fewer decryptors than the threshold", func(in *ledger.QueryInput) { in.Decryptors = []string{statMSP} },
			"needs exactly 2 decryptors, the threshold of collective key " + keyID + ", not 1"},
		{"more decryptors than the threshold", func(in *ledger.QueryInput) { in.Decryptors = []string{statMSP, hospAMSP, hospBMSP} },
			"needs exactly 2 decryptors, the threshold of collective key " + keyID + ", not 3"},
		{"no decryptors", func(in *ledger.QueryInput) { in.Decryptors = nil }, "a query needs 1 to 64 decryptors, not 0"},
		{"a decryptor named twice", func(in *ledger.QueryInput) { in.Decryptors = []string{hospAMSP, hospAMSP} },
			"decryptors must be distinct; " + hospAMSP + " is named twice"},
		{"no analyst key digest", func(in *ledger.QueryInput) { in.AnalystKeyDigest = "" }, "analyst key digest"},
		{"no analyst key URI", func(in *ledger.QueryInput) { in.AnalystKeyURI = "" }, "analyst key URI must not be empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := queryInput("bad-decryptors")
			tt.edit(&in)
			_, err := f.submit(c.stat, "RequestQuery", jsonString(t, in))
			requireCode(t, ledger.CodeInvalid, err)
			require.Contains(t, err.Error(), tt.msg)
		})
	}
	require.Empty(t, read[ledger.Page[ledger.Query]](f, c.reg, "ListQueries", datasetA, "").Items, "nothing was recorded")

	// The request checks the decryptors against the dataset's copy of its collective
	// key's shares, without reading the key record, and stores the three fields, the
	// decryptors sorted.
	in := queryInput("good")
	in.Decryptors = []string{statMSP, hospBMSP}
	s, resp := f.simulate(c.stat, "RequestQuery", jsonString(t, in))
	out, err := result(s, resp)
	require.NoError(t, err)
	require.NotContains(t, s.reads, ledger.CollectiveKeyKey(keyID))
	require.NoError(t, f.commit(s, "RequestQuery"))
	q := read[ledger.Query](f, c.reg, "GetQuery", ledger.QueryID(statMSP, "good"))
	require.Equal(t, jsonString(t, q), out)
	require.Equal(t, []string{hospBMSP, statMSP}, q.Decryptors)
	require.Equal(t, digest("analyst pk"), q.AnalystKeyDigest)
	require.Equal(t, "file:///blobs/"+digest("analyst pk"), q.AnalystKeyURI)
	require.Equal(t, in.Digest(), q.RequestDigest)

	// The idempotency digest covers the analyst key and the decryptors, as a set.
	reordered := in
	reordered.Decryptors = []string{hospBMSP, statMSP}
	require.Equal(t, q, must[ledger.Query](f, c.stat, "RequestQuery", jsonString(t, reordered)))
	for name, edit := range map[string]func(*ledger.QueryInput){
		"other decryptors":  func(in *ledger.QueryInput) { in.Decryptors = []string{statMSP, hospAMSP} },
		"another key":       func(in *ledger.QueryInput) { in.AnalystKeyDigest = digest("another analyst pk") },
		"another key's URI": func(in *ledger.QueryInput) { in.AnalystKeyURI = "s3://elsewhere/pk" },
	} {
		changed := in
		edit(&changed)
		_, err := f.submit(c.stat, "RequestQuery", jsonString(t, changed))
		requireCode(t, ledger.CodeConflict, err)
		require.Contains(t, err.Error(), "different content", name)
	}
}

func TestDecryptorsAreCheckedAgainstTheDatasetsOwnKeyNotTheConsortium(t *testing.T) {
	f, c := setup(t, nil)
	// A second ceremony with StatOffice and HospitalA only, and a dataset under its key.
	small := keyInput()
	small.ID, small.PublicKeyDigest = "ck-2", digest("public key 2")
	small.Participants = []string{statMSP, hospAMSP}
	must[ledger.CollectiveKey](f, c.stat, "RecordCollectiveKey", jsonString(t, small))
	ds := datasetInput(t, false, nil)
	ds.ID, ds.KeyID = "admissions-2", "ck-2"
	must[ledger.Dataset](f, c.stat, "RegisterDataset", jsonString(t, ds))
	for _, id := range []identity{c.hospA, c.hospB} {
		sub := submissionInput("2025", "ds2-"+id.mspID)
		sub.DatasetID = ds.ID
		must[ledger.Submission](f, id, "SubmitData", jsonString(t, sub))
	}

	in := queryInput("small-key")
	in.DatasetID = ds.ID
	in.Decryptors = []string{hospAMSP, hospBMSP} // HospitalB holds a share of ck-1, not of ck-2
	_, err := f.submit(c.stat, "RequestQuery", jsonString(t, in))
	requireCode(t, ledger.CodeInvalid, err)
	require.Contains(t, err.Error(), "decryptor "+hospBMSP+" holds no share of collective key ck-2; its key holders are "+hospAMSP+", "+statMSP)
	in.Decryptors = []string{hospAMSP, statMSP}
	q := must[ledger.Query](f, c.stat, "RequestQuery", jsonString(t, in))
	require.Equal(t, []string{hospAMSP, statMSP}, q.Decryptors)
}

func TestOnlyTheQuerysDecryptorsPostSharesAndTheQueryIsReadyWhenAllOfThemHave(t *testing.T) {
	f, c := setup(t, nil)
	in := queryInput("decryptors")
	in.Decryptors = []string{hospBMSP, hospAMSP}
	q := must[ledger.Query](f, c.stat, "RequestQuery", jsonString(t, in))
	must[ledger.Query](f, c.hospA, "ApproveQuery", q.ID, "fine")
	q = must[ledger.Query](f, c.hospB, "ApproveQuery", q.ID, "fine")
	share := func(id identity) (string, error) {
		tag := "share-" + id.name
		return f.submit(id, "PostDecryptionShare", jsonString(t, ledger.ShareInput{QueryID: q.ID, Digest: digest(tag), URI: "file:///blobs/" + tag, Size: 100}))
	}

	_, err := share(c.hospA)
	requireCode(t, ledger.CodeBadState, err) // a decryptor, but the results are not in yet
	must[ledger.Job](f, c.stat2, "ClaimJob", q.ID, "60")
	must[ledger.Result](f, c.stat2, "PostResult", resultInput(t, q, "out"))

	// StatOffice holds a share of the key and is the first key holder of the consortium,
	// but this query's requester named the hospitals.
	_, err = share(c.stat)
	requireCode(t, ledger.CodeForbidden, err)
	require.Equal(t, "FORBIDDEN: query "+q.ID+" is decrypted by "+hospAMSP+", "+hospBMSP+" only, as named when it was requested; "+statMSP+" is not one of its decryptors", err.Error())
	keyholder := roleIdentities(t)[ledger.RoleKeyHolder] // HospitalB with the keyholder role only
	_, err = share(c.lab)
	requireCode(t, ledger.CodeForbidden, err)

	_, err = share(c.hospA)
	require.NoError(t, err)
	q = read[ledger.Query](f, c.reg, "GetQuery", q.ID)
	require.Equal(t, ledger.StatusDecrypting, q.Status, "a threshold's worth of key holders is not enough: every decryptor must post")
	require.Equal(t, "query "+q.ID+" is decrypting and has 1 decryption share; it waits for "+hospBMSP, ledger.QueryProgress(q))
	_, err = share(c.stat)
	requireCode(t, ledger.CodeForbidden, err)
	require.Equal(t, ledger.StatusDecrypting, read[ledger.Query](f, c.reg, "GetQuery", q.ID).Status)
	_, err = share(c.hospA)
	requireCode(t, ledger.CodeConflict, err)

	_, err = share(keyholder)
	require.NoError(t, err)
	q = read[ledger.Query](f, c.reg, "GetQuery", q.ID)
	require.Equal(t, ledger.StatusReady, q.Status)
	require.Equal(t, []string{hospAMSP, hospBMSP}, q.ShareOrgs)
	last := f.events[len(f.events)-1]
	require.Equal(t, "share.recorded", last.Name)
	require.Equal(t, ledger.StatusReady, last.QueryStatus)
	_, err = share(c.hospB)
	requireCode(t, ledger.CodeConflict, err) // one share per organisation, ever
	_, err = share(c.stat)
	requireCode(t, ledger.CodeForbidden, err)
	require.Len(t, read[[]ledger.DecryptionShare](f, c.reg, "ListDecryptionShares", q.ID), 2)
}
