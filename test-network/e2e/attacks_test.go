package e2e

// The attack scenarios of `make test-attacks`: each one is refused with the right error
// (a ledger code, or Fabric's gRPC status when Fabric refuses before the chaincode runs),
// leaves every record it aimed at as it was (a snapshot before and after, read by the
// auditor), and adds a row to the report.

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"

	"github.com/statledger/statledger/chaincode/ledger"
	"github.com/statledger/statledger/client/fabric"
	"github.com/statledger/statledger/client/ledgerapi"
	"github.com/statledger/statledger/network"
	"github.com/statledger/statledger/policies"
)

// orgRoles are the demo consortium's roles (network/consortium.yaml), written out so that
// the test states its expectations instead of deriving them from the code under test.
var orgRoles = map[string][]ledger.Role{
	statOffice: {ledger.RoleMember, ledger.RoleAnalyst, ledger.RoleWorker, ledger.RoleKeyHolder},
	hospitalA:  {ledger.RoleMember, ledger.RoleProvider, ledger.RoleKeyHolder},
	hospitalB:  {ledger.RoleMember, ledger.RoleProvider, ledger.RoleWorker, ledger.RoleKeyHolder},
	regulator:  {ledger.RoleAuditor},
}

// mayCall says whether org has one of the roles tx needs.
func mayCall(org string, tx ledger.Transaction) bool {
	return slices.ContainsFunc(orgRoles[org], func(r ledger.Role) bool { return slices.Contains(tx.Roles, r) })
}

// placeholder is an argument of the right shape that names nothing on the ledger.
func placeholder(a ledger.Arg) string {
	switch a.Kind {
	case ledger.ArgJSON:
		return "{}"
	case ledger.ArgID:
		return "does-not-exist"
	case ledger.ArgText:
		return "authorization matrix"
	case ledger.ArgInt:
		return "60"
	default: // bookmarks and optional IDs
		return ""
	}
}

func placeholders(tx ledger.Transaction) []string {
	args := make([]string, len(tx.Args))
	for i, a := range tx.Args {
		args[i] = placeholder(a)
	}
	return args
}

// target is what a forbidden caller aims at: a dataset with both hospitals' submissions,
// a pending query and an approved one, and for every writing transaction well-formed
// arguments that name those records (a placeholder where the fixture has no such record,
// as for a consortium change). Many of them, such as a submission, a query request, an
// approval or a job claim, a caller with the role could use as they are.
type target struct {
	ds      ledger.Dataset
	pending ledger.Query
	args    map[string][]string
}

func newTarget(t *testing.T, ctx context.Context) target {
	t.Helper()
	ds, approvedQuery := approved(t, ctx, nil)
	pending, err := connect(t, statOffice).RequestQuery(ctx, countQuery(ds, "2026-Q3", unique("idem")))
	require.NoError(t, err)
	consortium, err := connect(t, regulator).GetConsortium(ctx)
	require.NoError(t, err)
	out := randomDigest()
	table := `{"cells":[]}`
	args := map[string]any{
		"InitConsortium":          consortium,
		"ProposeConsortiumChange": ledger.ConsortiumChangeInput{ID: unique("change"), Consortium: consortium, Reason: "attack"},
		"RecordCollectiveKey": ledger.CollectiveKeyInput{
			ID: unique("key"), ParamSetID: "N14T58", PublicKeyDigest: randomDigest(), TranscriptDigests: []string{randomDigest()},
			Participants: []string{mspID(statOffice), mspID(hospitalA), mspID(hospitalB)}, Threshold: env.Net.Definition().Threshold,
		},
		"RegisterDataset": ledger.DatasetInput{
			ID: unique("admissions"), Title: "attack", KeyID: ds.KeyID, ParamSetID: ds.ParamSetID, Schema: ds.Schema, Policy: ds.Policy,
		},
		"SubmitData":   submission(ds.ID, "2026-Q3"),
		"RequestQuery": countQuery(ds, "2026-Q3", unique("idem")),
		"PostResult": ledger.ResultInput{QueryID: approvedQuery.ID, InputDigests: approvedQuery.InputDigests,
			OutputDigest: out, OutputURI: "file:///blobs/" + out, OutputSize: 1},
		"PostDecryptionShare": ledger.ShareInput{QueryID: approvedQuery.ID, Digest: out, URI: "file:///blobs/" + out, Size: 1},
		"RecordRelease": ledger.ReleaseInput{QueryID: approvedQuery.ID, Format: "json", TableDigest: ledger.Digest([]byte(table)),
			Table: table, Suppressed: []int{}},
	}
	tg := target{ds: ds, pending: pending, args: map[string][]string{
		"ApproveConsortiumChange": {"does-not-exist", "attack"},
		"ApproveDataset":          {ds.ID, "attack"},
		"ApproveQuery":            {pending.ID, "attack"},
		"RejectQuery":             {pending.ID, "attack"},
		"CancelQuery":             {pending.ID, "attack"},
		"ClaimJob":                {approvedQuery.ID, "60"},
		"RenewLease":              {approvedQuery.ID, "60"},
	}}
	for fn, v := range args {
		b, err := json.Marshal(v)
		require.NoError(t, err)
		tg.args[fn] = []string{string(b)}
	}
	for _, tx := range ledger.Transactions {
		if !tx.Evaluate {
			require.Contains(t, tg.args, tx.Name, "the attack target has no arguments for %s", tx.Name)
			require.NoError(t, tx.CheckArgs(tg.args[tx.Name]), "arguments for %s", tx.Name)
		} else {
			tg.args[tx.Name] = placeholders(tx)
		}
	}
	return tg
}

func (tg target) scope() scope {
	return scope{datasets: []string{tg.ds.ID}}
}

// call submits a writing transaction or evaluates a reading one.
func call(ctx context.Context, c *fabric.Client, tx ledger.Transaction, args []string) error {
	var err error
	if tx.Evaluate {
		_, err = c.Evaluate(ctx, tx.Name, args...)
	} else {
		_, err = c.Submit(ctx, tx.Name, args...)
	}
	return err
}

// reportAttack records an attack scenario's row in the report, with what the snapshot
// comparisons found.
func reportAttack(t *testing.T, name, expected, observed string, state stateCheck) {
	t.Helper()
	report(t, "attacks", name, expected, observed+"; "+state.String(), state.lost)
}

func clients(t *testing.T) map[string]*fabric.Client {
	t.Helper()
	out := map[string]*fabric.Client{}
	for _, org := range allOrgs {
		out[org] = connectRaw(t, org, fabric.WithRetry(fabric.Retry{Attempts: 3, Backoff: 200 * time.Millisecond, MaxBackoff: time.Second}))
	}
	return out
}

// TestAttackWithoutCertificate sends proposals and transactions that no member signed: a
// connection without TLS, a proposal without a creator or a signature, one signed by a
// key that is not the certificate's, and an endorsed transaction submitted unsigned or
// signed by the wrong key. Fabric refuses each before the chaincode runs or before the
// ordering service accepts it: no block, no record.
func TestAttackWithoutCertificate(t *testing.T) {
	watchScenario(t, "attacks")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ds := registerDataset(t, ctx, nil)
	sc := scope{datasets: []string{ds.ID}}
	args, err := json.Marshal(submission(ds.ID, "2026-Q3"))
	require.NoError(t, err)
	before, heights := takeSnapshot(t, ctx, sc), blockHeights(t, ctx)

	var observed []string
	plain := newAttacker(t, dialPeer(t, hospitalA, false), anonymous{}, noSignature)
	_, err = plain.contract.EvaluateTransaction("GetConsortium")
	observed = append(observed, "no TLS: "+requireRefusedByFabric(t, err, codes.Unavailable, "error reading server preface", "a plaintext connection"))

	tls := dialPeer(t, hospitalA, true)
	anon := newAttacker(t, tls, anonymous{}, noSignature)
	_, err = anon.contract.EvaluateTransaction("GetConsortium")
	observed = append(observed, "no identity: "+requireRefusedByFabric(t, err, codes.FailedPrecondition, "creator is empty", "evaluate without an identity"))
	_, err = anon.contract.Submit("SubmitData", client.WithArguments(string(args)))
	requireRefusedByFabric(t, err, codes.Aborted, "creator is empty", "submit without an identity")

	cert, sign := userSigner(t, hospitalA)
	unsigned := newAttacker(t, tls, cert, noSignature)
	_, err = unsigned.contract.Submit("SubmitData", client.WithArguments(string(args)))
	observed = append(observed, "unsigned proposal: "+requireRefusedByFabric(t, err, codes.Aborted, "empty signature bytes", "an unsigned proposal"))
	forged := newAttacker(t, tls, cert, foreignSigner(t))
	_, err = forged.contract.Submit("SubmitData", client.WithArguments(string(args)))
	observed = append(observed, "wrong key: "+requireRefusedByFabric(t, err, codes.Aborted, "access denied", "a proposal signed by another key"))

	// A transaction HospitalA endorsed but did not sign, submitted by someone else.
	owner := newAttacker(t, tls, cert, sign)
	proposal, err := owner.contract.NewProposal("SubmitData", client.WithArguments(string(args)))
	require.NoError(t, err)
	endorsed, err := proposal.EndorseWithContext(ctx)
	require.NoError(t, err)
	envelope, err := endorsed.Bytes()
	require.NoError(t, err)
	tx, err := anon.gw.NewTransaction(envelope)
	require.NoError(t, err)
	_, err = tx.SubmitWithContext(ctx)
	observed = append(observed, "unsigned transaction: "+requireRefusedByFabric(t, err, codes.InvalidArgument, "must be signed", "an unsigned transaction"))
	tx, err = forged.gw.NewTransaction(envelope)
	require.NoError(t, err)
	_, err = tx.SubmitWithContext(ctx)
	observed = append(observed, "transaction signed by another key: "+requireRefusedByFabric(t, err, codes.Aborted, "status=FORBIDDEN", "a transaction signed by another key"))

	var state stateCheck
	state.unchanged(t, ctx, sc, before)
	require.Equal(t, heights, blockHeights(t, ctx), "a refused call added a block")
	reportAttack(t, "no certificate / unsigned", "refused by Fabric (gRPC status), no block", strings.Join(observed, "; "), state)
}

// TestAttackCertificateFromUnknownCA calls the chaincode with certificates no channel
// member issued: the Outsider organisation's (its CA is not in the channel), and one from
// a freshly generated CA that claims HospitalA's MSP ID.
func TestAttackCertificateFromUnknownCA(t *testing.T) {
	watchScenario(t, "attacks")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ds := registerDataset(t, ctx, nil)
	sc := scope{datasets: []string{ds.ID}}
	before, heights := takeSnapshot(t, ctx, sc), blockHeights(t, ctx)
	sub := submission(ds.ID, "2026-Q3")

	var observed []string
	outsider, err := env.Connect(network.OutsiderOrg.Name, fabric.WithRetry(fabric.Retry{Attempts: 1}))
	require.NoError(t, err)
	defer outsider.Close()
	_, err = outsider.Evaluate(ctx, "GetConsortium")
	observed = append(observed, "Outsider CA: "+requireRefusedByFabric(t, err, codes.FailedPrecondition, "creator org unknown", "the Outsider organisation reads"))
	_, err = ledgerapi.New(outsider).SubmitData(ctx, sub)
	requireRefusedByFabric(t, err, codes.Aborted, "creator org unknown", "the Outsider organisation submits")

	forged, err := fabric.Connect(forgedIdentity(t, hospitalA), fabric.Target{Channel: env.Net.Layout().ChannelID, Chaincode: env.Net.Layout().ChaincodeName},
		fabric.WithRetry(fabric.Retry{Attempts: 1}))
	require.NoError(t, err)
	defer forged.Close()
	claim := "creator org unknown"
	_, err = forged.Evaluate(ctx, "GetConsortium")
	observed = append(observed, "self-signed CA as HospitalAMSP: "+requireRefusedByFabric(t, err, codes.FailedPrecondition, claim, "a forged HospitalA certificate reads"))
	_, err = ledgerapi.New(forged).SubmitData(ctx, sub)
	requireRefusedByFabric(t, err, codes.Aborted, claim, "a forged HospitalA certificate submits")

	_, err = connect(t, hospitalA).GetConsortium(ctx)
	require.NoError(t, err, "the real HospitalA reads the same record")
	var state stateCheck
	state.unchanged(t, ctx, sc, before)
	require.Equal(t, heights, blockHeights(t, ctx), "a refused call added a block")
	reportAttack(t, "certificate from an unknown CA", "refused by Fabric: access denied", strings.Join(observed, "; "), state)
}

// TestAttackRoleMatrix calls every transaction as every organisation on the real
// network. An organisation without one of the transaction's roles gets FORBIDDEN, even
// with well-formed arguments that name real records (see target); one with a role gets
// past the gate (any other outcome, such as NOT_FOUND for
// placeholder arguments). Nothing is written.
func TestAttackRoleMatrix(t *testing.T) {
	watchScenario(t, "attacks")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	tg := newTarget(t, ctx)
	cs := clients(t)
	before, heights := takeSnapshot(t, ctx, tg.scope()), blockHeights(t, ctx)

	require.NotEmpty(t, ledger.Transactions)
	forbidden, passed := 0, 0
	for _, tx := range ledger.Transactions {
		for _, org := range allOrgs {
			if !mayCall(org, tx) {
				requireCode(t, call(ctx, cs[org], tx, tg.args[tx.Name]), ledger.CodeForbidden, tx.Name+" as "+org)
				forbidden++
				continue
			}
			if err := call(ctx, cs[org], tx, placeholders(tx)); err != nil {
				require.NotEqual(t, ledger.CodeForbidden, ledger.CodeOf(err), "%s as %s: %v", tx.Name, org, err)
				require.NotEqual(t, ledger.Code(""), ledger.CodeOf(err), "%s as %s: an error without a code: %v", tx.Name, org, err)
			}
			passed++
		}
	}
	var state stateCheck
	state.unchanged(t, ctx, tg.scope(), before)
	require.Equal(t, heights, blockHeights(t, ctx), "a refused call added a block")
	reportAttack(t, "role matrix (every role × every transaction)", "FORBIDDEN without the role",
		fmt.Sprintf("%d calls FORBIDDEN, %d with the role past the gate, %d transactions", forbidden, passed, len(ledger.Transactions)), state)
}

// TestAttackAuditorWrites has the Regulator, the auditor, try every writing transaction
// with well-formed arguments that name real records (see target), and functions that are
// not transactions of the contract.
func TestAttackAuditorWrites(t *testing.T) {
	watchScenario(t, "attacks")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	tg := newTarget(t, ctx)
	auditor := clients(t)[regulator]
	caller, err := ledgerapi.New(auditor).GetCaller(ctx)
	require.NoError(t, err)
	require.Equal(t, []ledger.Role{ledger.RoleAuditor}, caller.Roles)
	before, heights := takeSnapshot(t, ctx, tg.scope()), blockHeights(t, ctx)

	writes := 0
	for _, tx := range ledger.Transactions {
		if tx.Evaluate {
			continue
		}
		requireCode(t, call(ctx, auditor, tx, tg.args[tx.Name]), ledger.CodeForbidden, tx.Name+" as the auditor")
		writes++
	}
	unknown := []string{"PutState", "DeleteQuery", "statledger:DelState"}
	for _, fn := range unknown {
		_, err := auditor.Submit(ctx, fn, tg.pending.ID)
		requireCode(t, err, ledger.CodeInvalid, fn+" is not a transaction")
	}
	var state stateCheck
	state.unchanged(t, ctx, tg.scope(), before)
	require.Equal(t, heights, blockHeights(t, ctx), "a refused call added a block")
	reportAttack(t, "auditor tries every write", "FORBIDDEN (INVALID for functions that do not exist)",
		fmt.Sprintf("%d writing transactions FORBIDDEN, %d unknown functions INVALID", writes, len(unknown)), state)
}

// TestAttackApproveOwnQuery has StatOffice, a member, approve and reject the query it
// requested itself; the policy's approval rule excludes the requester.
func TestAttackApproveOwnQuery(t *testing.T) {
	watchScenario(t, "attacks")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ds := registerDataset(t, ctx, nil)
	submitBoth(t, ctx, ds, "2026-Q3")
	stat := connect(t, statOffice)
	q, err := stat.RequestQuery(ctx, countQuery(ds, "2026-Q3", unique("idem")))
	require.NoError(t, err)
	require.True(t, q.Rule.ExcludeRequester)
	sc := scope{datasets: []string{ds.ID}}
	before, heights := takeSnapshot(t, ctx, sc), blockHeights(t, ctx)

	_, err = stat.ApproveQuery(ctx, q.ID, "my own query")
	requireCode(t, err, ledger.CodeForbidden, "the requester approves its own query")
	_, err = stat.RejectQuery(ctx, q.ID, "my own query")
	requireCode(t, err, ledger.CodeForbidden, "the requester rejects its own query")

	var state stateCheck
	state.unchanged(t, ctx, sc, before)
	require.Equal(t, heights, blockHeights(t, ctx))
	reportAttack(t, "org approves its own query", "FORBIDDEN", "approve and reject by the requester: FORBIDDEN; query still pending", state)
}

// TestAttackApproveTwice has HospitalA approve a query twice (and reject it after
// approving), before and after the approval rule is met.
func TestAttackApproveTwice(t *testing.T) {
	watchScenario(t, "attacks")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ds := registerDataset(t, ctx, nil)
	submitBoth(t, ctx, ds, "2026-Q3")
	q, err := connect(t, statOffice).RequestQuery(ctx, countQuery(ds, "2026-Q3", unique("idem")))
	require.NoError(t, err)
	settle(t, ctx)
	hospA := connect(t, hospitalA)
	_, err = hospA.ApproveQuery(ctx, q.ID, "fits the policy")
	require.NoError(t, err)
	sc := scope{datasets: []string{ds.ID}}
	before, heights := takeSnapshot(t, ctx, sc), blockHeights(t, ctx)

	_, err = hospA.ApproveQuery(ctx, q.ID, "again")
	requireCode(t, err, ledger.CodeConflict, "a second approval")
	_, err = hospA.RejectQuery(ctx, q.ID, "changed my mind")
	requireCode(t, err, ledger.CodeConflict, "a rejection after the approval")
	var state stateCheck
	state.unchanged(t, ctx, sc, before)
	require.Equal(t, heights, blockHeights(t, ctx))

	settle(t, ctx)
	q, err = connect(t, hospitalB).ApproveQuery(ctx, q.ID, "fits the policy")
	require.NoError(t, err)
	require.Equal(t, ledger.StatusApproved, q.Status)
	// The snapshot sees a legitimate change: the approved query and the debited budget.
	after := takeSnapshot(t, ctx, sc)
	_, changed := compare(before, after)
	require.Contains(t, changed, name("GetQuery", []string{q.ID}))
	require.Contains(t, changed, name("GetBudget", []string{ds.ID}))
	before, heights = after, blockHeights(t, ctx)
	_, err = hospA.ApproveQuery(ctx, q.ID, "again")
	requireCode(t, err, ledger.CodeBadState, "an approval after the rule was met")
	budget, err := connect(t, regulator).GetBudget(ctx, ds.ID)
	require.NoError(t, err)
	require.Equal(t, q.EpsilonMicro, budget.SpentMicroEpsilon, "the query's epsilon is spent once")
	state.unchanged(t, ctx, sc, before)
	require.Equal(t, heights, blockHeights(t, ctx))
	reportAttack(t, "org approves twice", "CONFLICT (BAD_STATE once approved)",
		"second approval and later rejection CONFLICT; approval after the rule was met BAD_STATE; epsilon spent once", state)
}

// TestAttackReplayedSignedTransaction sends HospitalA's signed proposal and its signed
// transaction envelope a second time, byte for byte, after the original committed: the
// peers refuse to endorse the proposal again, and the envelope, which the ordering
// service orders again (it does not look at transaction IDs), is invalidated by every
// peer as a duplicate transaction ID and changes nothing.
func TestAttackReplayedSignedTransaction(t *testing.T) {
	watchScenario(t, "attacks")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ds := registerDataset(t, ctx, nil)
	args, err := json.Marshal(submission(ds.ID, "2026-Q3"))
	require.NoError(t, err)

	cert, sign := userSigner(t, hospitalA)
	owner := newAttacker(t, dialPeer(t, hospitalA, true), cert, sign)
	proposal, err := owner.contract.NewProposal("SubmitData", client.WithArguments(string(args)))
	require.NoError(t, err)
	endorsed, err := proposal.EndorseWithContext(ctx)
	require.NoError(t, err)
	commit, err := endorsed.SubmitWithContext(ctx)
	require.NoError(t, err)
	st, err := commit.StatusWithContext(ctx)
	require.NoError(t, err)
	require.True(t, st.Successful, "the original transaction commits: %v", st.Code)
	signedProposal, err := proposal.Bytes()
	require.NoError(t, err)
	signedEnvelope, err := endorsed.Bytes()
	require.NoError(t, err)
	txID := endorsed.TransactionID()

	sc := scope{datasets: []string{ds.ID}}
	before, heights := takeSnapshot(t, ctx, sc), blockHeights(t, ctx)

	again, err := owner.gw.NewProposal(signedProposal)
	require.NoError(t, err)
	_, err = again.EndorseWithContext(ctx)
	proposalRefusal := requireRefusedByFabric(t, err, codes.Aborted, "duplicate transaction found", "the replayed proposal")
	require.ErrorContains(t, err, txID)
	require.Equal(t, heights, blockHeights(t, ctx), "the replayed proposal added a block")

	// Anyone who saw the envelope can send it to any peer's gateway: no credentials needed.
	replayer := newAttacker(t, dialPeer(t, statOffice, true), anonymous{}, noSignature)
	replay, err := replayer.gw.NewTransaction(signedEnvelope)
	require.NoError(t, err)
	events, err := owner.network.FilteredBlockEvents(ctx, client.WithStartBlock(heights[hospitalA]))
	require.NoError(t, err)
	_, err = replay.SubmitWithContext(ctx)
	require.NoError(t, err, "the ordering service accepts the copy; the peers judge it")
	code := peer.TxValidationCode(-1)
	for code < 0 {
		select {
		case b, ok := <-events:
			require.True(t, ok, "the block event stream ended")
			for _, ftx := range b.GetFilteredTransactions() {
				if ftx.GetTxid() == txID {
					code = ftx.GetTxValidationCode()
				}
			}
		case <-ctx.Done():
			t.Fatal("the replayed transaction never reached a block")
		}
	}
	require.Equal(t, peer.TxValidationCode_DUPLICATE_TXID, code)
	var state stateCheck
	state.unchanged(t, ctx, sc, before)
	reportAttack(t, "replayed signed transaction", "proposal refused; envelope invalid as DUPLICATE_TXID",
		"proposal: "+proposalRefusal+"; envelope: ordered, committed as "+code.String(), state)
}

// TestAttackResentQueryRequest re-sends a query request under new transaction IDs with
// the same idempotency key, before and after the query is approved: the existing query
// is answered, no second query is created and nothing is spent twice. The same key with
// different content is a CONFLICT.
func TestAttackResentQueryRequest(t *testing.T) {
	watchScenario(t, "attacks")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	stat, reg := connect(t, statOffice), connect(t, regulator)
	ds := registerDataset(t, ctx, nil)
	submitBoth(t, ctx, ds, "2026-Q3")
	req := countQuery(ds, "2026-Q3", unique("idem"))
	sc := scope{datasets: []string{ds.ID}}

	first, err := stat.RequestQuery(ctx, req)
	require.NoError(t, err)
	before := takeSnapshot(t, ctx, sc)
	again, err := stat.RequestQuery(ctx, req)
	require.NoError(t, err, "a resent request is answered, not refused")
	require.Equal(t, first.ID, again.ID)
	require.Equal(t, first.TxID, again.TxID, "the resent request created nothing")
	var state stateCheck
	state.unchanged(t, ctx, sc, before)

	for _, org := range []string{hospitalA, hospitalB} {
		_, err := connect(t, org).ApproveQuery(ctx, first.ID, "ok")
		require.NoError(t, err)
		settle(t, ctx)
	}
	before = takeSnapshot(t, ctx, sc)
	afterApproval, err := reg.GetBudget(ctx, ds.ID)
	require.NoError(t, err)
	require.Equal(t, first.EpsilonMicro, afterApproval.SpentMicroEpsilon)

	third, err := stat.RequestQuery(ctx, req)
	require.NoError(t, err)
	require.Equal(t, first.ID, third.ID)
	require.Equal(t, ledger.StatusApproved, third.Status)
	changed := req
	changed.Spec.GroupBy = []string{"sex"}
	heights := blockHeights(t, ctx)
	_, err = stat.RequestQuery(ctx, changed)
	requireCode(t, err, ledger.CodeConflict, "the same idempotency key with different content")
	require.Equal(t, heights, blockHeights(t, ctx), "the conflicting request added a block")
	page, err := reg.ListQueries(ctx, ds.ID, "")
	require.NoError(t, err)
	require.Len(t, page.Items, 1, "one query, however often it is requested")
	final, err := reg.GetBudget(ctx, ds.ID)
	require.NoError(t, err)
	require.Equal(t, afterApproval.SpentMicroEpsilon, final.SpentMicroEpsilon, "nothing is spent twice")
	state.unchanged(t, ctx, sc, before)
	reportAttack(t, "same idempotency key, new transaction ID", "same query answered, no second spend; other content CONFLICT",
		"resends returned the existing query (1 query, epsilon spent once); different content CONFLICT", state)
}

// TestAttackReusedCiphertextDigest has HospitalB register HospitalA's ciphertext as its
// own, HospitalA submit its own ciphertext a second time, and a submission name one
// ciphertext twice.
func TestAttackReusedCiphertextDigest(t *testing.T) {
	watchScenario(t, "attacks")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ds := registerDataset(t, ctx, nil)
	theirs, err := connect(t, hospitalA).SubmitData(ctx, submission(ds.ID, "2026-Q3"))
	require.NoError(t, err)
	sc := scope{datasets: []string{ds.ID}}
	before, heights := takeSnapshot(t, ctx, sc), blockHeights(t, ctx)

	copied := submission(ds.ID, "2026-Q3")
	copied.Ciphertexts[1] = theirs.Ciphertexts[0]
	_, err = connect(t, hospitalB).SubmitData(ctx, copied)
	requireCode(t, err, ledger.CodeConflict, "another provider's ciphertext")
	resubmitted := submission(ds.ID, "2026-Q4")
	resubmitted.Ciphertexts[0] = theirs.Ciphertexts[1]
	_, err = connect(t, hospitalA).SubmitData(ctx, resubmitted)
	requireCode(t, err, ledger.CodeConflict, "the provider's own ciphertext in a new submission")
	doubled := submission(ds.ID, "2026-Q3")
	doubled.Ciphertexts[1] = doubled.Ciphertexts[0]
	_, err = connect(t, hospitalB).SubmitData(ctx, doubled)
	requireCode(t, err, ledger.CodeInvalid, "one ciphertext twice in a submission")

	var state stateCheck
	state.unchanged(t, ctx, sc, before)
	require.Equal(t, heights, blockHeights(t, ctx))
	reportAttack(t, "provider re-uses another's ciphertext digest", "CONFLICT",
		"another's digest CONFLICT; own digest again CONFLICT; digest twice in one submission INVALID", state)
}

// TestAttackQueryBeyondPolicy asks for what the dataset's policy refuses: a dimension
// the policy does not allow (grouped by and filtered on), one the schema does not have,
// a statistic it does not allow, more output cells than it allows, more epsilon than
// one query may spend, and more epsilon than remains of the budget.
func TestAttackQueryBeyondPolicy(t *testing.T) {
	watchScenario(t, "attacks")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ds, q := approved(t, ctx, func(p *policies.Policy) {
		p.AllowedDimensions = []string{"region", "ageBand", "sex"}
		p.AllowedStatistics = []policies.Statistic{policies.StatCount, policies.StatSum, policies.StatMean}
		p.MaxOutputCells = 100 // region × ageBand × sex is 120
		p.EpsilonPerQuery = policies.Epsilon(500_000)
		p.EpsilonTotal = policies.Epsilon(700_000)
	})
	stat, reg := connect(t, statOffice), connect(t, regulator)
	budget, err := reg.GetBudget(ctx, ds.ID)
	require.NoError(t, err)
	require.Equal(t, int64(200_000), budget.Remaining(), "0.2 of the budget remains after the first query")
	sc := scope{datasets: []string{ds.ID}, queries: []string{q.ID}}
	before, heights := takeSnapshot(t, ctx, sc), blockHeights(t, ctx)

	ask := func(edit func(*policies.Query)) error {
		in := countQuery(ds, "2026-Q3", unique("idem"))
		in.Spec.Epsilon = policies.Epsilon(100_000)
		edit(&in.Spec)
		_, err := stat.RequestQuery(ctx, in)
		return err
	}
	cases := []struct {
		name string
		edit func(*policies.Query)
		want ledger.Code
		text string
	}{
		{"a dimension the policy does not allow", func(s *policies.Query) { s.GroupBy = []string{"diagnosisGroup"} }, ledger.CodeInvalid, "not allowed by the policy"},
		{"a filter on a dimension the policy does not allow", func(s *policies.Query) {
			s.Filters = []policies.Filter{{Dimension: "diagnosisGroup", Codes: []string{"J"}}}
		}, ledger.CodeInvalid, "not allowed by the policy"},
		{"a dimension the schema does not have", func(s *policies.Query) { s.GroupBy = []string{"postcode"} }, ledger.CodeInvalid, "not in the schema"},
		{"a statistic the policy does not allow", func(s *policies.Query) { s.Statistic, s.Measure = policies.StatVariance, "age" }, ledger.CodeInvalid, "not allowed by the policy"},
		{"too many cells", func(s *policies.Query) { s.GroupBy = []string{"region", "ageBand", "sex"} }, ledger.CodeInvalid, "more than maxOutputCells"},
		{"more epsilon than a query may spend", func(s *policies.Query) { s.Epsilon = policies.Epsilon(600_000) }, ledger.CodeInvalid, "epsilonPerQuery"},
		{"more epsilon than remains", func(s *policies.Query) { s.Epsilon = policies.Epsilon(300_000) }, ledger.CodeBudgetExceeded, "epsilon left"},
	}
	var observed []string
	for _, c := range cases {
		err := ask(c.edit)
		requireCode(t, err, c.want, c.name)
		require.Contains(t, err.Error(), c.text, c.name)
		observed = append(observed, c.name+": "+string(c.want))
	}
	var state stateCheck
	state.unchanged(t, ctx, sc, before)
	require.Equal(t, heights, blockHeights(t, ctx))
	reportAttack(t, "query beyond the policy", "INVALID (BUDGET_EXCEEDED for the budget)", strings.Join(observed, "; "), state)
}

// TestAttackSecondDecryptionShare has a decryptor post a second, different share of a
// query and the same share again.
func TestAttackSecondDecryptionShare(t *testing.T) {
	watchScenario(t, "attacks")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	stat, hospA := connect(t, statOffice), connect(t, hospitalA)
	ds, q := approved(t, ctx, nil)
	_, err := stat.ClaimJob(ctx, q.ID, 60)
	require.NoError(t, err)
	out := randomDigest()
	_, err = stat.PostResult(ctx, ledger.ResultInput{QueryID: q.ID, InputDigests: q.InputDigests, OutputDigest: out, OutputURI: "file:///blobs/" + out, OutputSize: 1})
	require.NoError(t, err)
	settle(t, ctx)
	d := randomDigest()
	_, err = hospA.PostDecryptionShare(ctx, ledger.ShareInput{QueryID: q.ID, Digest: d, URI: "file:///blobs/" + d, Size: 1})
	require.NoError(t, err)
	sc := scope{datasets: []string{ds.ID}}
	before, heights := takeSnapshot(t, ctx, sc), blockHeights(t, ctx)

	other := randomDigest()
	_, err = hospA.PostDecryptionShare(ctx, ledger.ShareInput{QueryID: q.ID, Digest: other, URI: "file:///blobs/" + other, Size: 1})
	requireCode(t, err, ledger.CodeConflict, "a second, different share")
	_, err = hospA.PostDecryptionShare(ctx, ledger.ShareInput{QueryID: q.ID, Digest: d, URI: "file:///blobs/" + d, Size: 1})
	requireCode(t, err, ledger.CodeConflict, "the same share again")

	shares, err := connect(t, regulator).ListDecryptionShares(ctx, q.ID)
	require.NoError(t, err)
	require.Len(t, shares, 1)
	require.Equal(t, d, shares[0].Digest)
	var state stateCheck
	state.unchanged(t, ctx, sc, before)
	require.Equal(t, heights, blockHeights(t, ctx))
	reportAttack(t, "second decryption share", "CONFLICT", "a different share and the same share again: CONFLICT; 1 share on the ledger", state)
}

// oversized returns a value one byte or one unit over the limit of argument a.
func oversized(a ledger.Arg) string {
	switch a.Kind {
	case ledger.ArgJSON:
		return `{"pad":"` + strings.Repeat("x", a.Max) + `"}`
	case ledger.ArgText:
		return strings.Repeat("x", a.Max+1)
	case ledger.ArgInt:
		return fmt.Sprint(a.Max + 1)
	case ledger.ArgBookmark:
		return strings.Repeat("ab", ledger.MaxBookmarkLength/2+1)
	default: // IDs
		return strings.Repeat("x", ledger.MaxIDLength+1)
	}
}

// TestAttackOversizedArguments sends every argument of every transaction one byte (or
// one unit) over its limit, as an organisation with the transaction's role.
func TestAttackOversizedArguments(t *testing.T) {
	watchScenario(t, "attacks")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	tg := newTarget(t, ctx)
	cs := clients(t)
	before, heights := takeSnapshot(t, ctx, tg.scope()), blockHeights(t, ctx)

	n, largest := 0, 0
	for _, tx := range ledger.Transactions {
		i := slices.IndexFunc(allOrgs, func(org string) bool { return mayCall(org, tx) })
		require.GreaterOrEqual(t, i, 0, "nobody may call %s", tx.Name)
		for j, a := range tx.Args {
			args := slices.Clone(tg.args[tx.Name])
			args[j] = oversized(a)
			err := call(ctx, cs[allOrgs[i]], tx, args)
			requireCode(t, err, ledger.CodeInvalid, fmt.Sprintf("%s with an oversized %s", tx.Name, a.Name))
			n++
			largest = max(largest, len(args[j]))
		}
	}
	var state stateCheck
	state.unchanged(t, ctx, tg.scope(), before)
	require.Equal(t, heights, blockHeights(t, ctx))
	reportAttack(t, "oversized arguments", "INVALID",
		fmt.Sprintf("%d arguments over their limit (largest %d bytes): INVALID", n, largest), state)
}
