package contract

import (
	"github.com/statledger/statledger/chaincode/ledger"
)

// InitConsortium stores the consortium record (a ledger.Consortium as JSON) at version 1
// and returns it. It is the chaincode's init function; the caller must be a member of the
// consortium it defines. Errors: CONFLICT once a consortium exists, INVALID for a bad
// definition, FORBIDDEN for a caller that is not a member of it. Event: consortium.active.
func (c *statsContract) InitConsortium(ctx *txContext, consortium string) (string, error) {
	in, err := ledger.DecodeConsortium(consortium)
	if err != nil {
		return "", err
	}
	rec, err := ledger.InitConsortium(in, ctx.hasConsortium, ctx.caller.MSPID, ctx.roleAttr, ctx.hasRoleAttr)
	if err != nil {
		return "", err
	}
	ev := ctx.event(ledger.RecordConsortium, rec.Name, ledger.StatusActive)
	return commit(ctx, ev, write{ledger.ConsortiumKey(), rec})
}

// ProposeConsortiumChange records a member's proposal to replace the consortium (a
// ledger.ConsortiumChangeInput as JSON) and returns the ledger.ConsortiumChange. The
// proposal counts as the proposer's approval; it is applied at once when that is already
// a majority. Errors: CONFLICT for a change ID already used, INVALID, FORBIDDEN. Event:
// consortium-change.proposed or consortium-change.applied.
func (c *statsContract) ProposeConsortiumChange(ctx *txContext, change string) (string, error) {
	in, err := ledger.DecodeConsortiumChangeInput(change)
	if err != nil {
		return "", err
	}
	taken, err := exists(ctx, ledger.ConsortiumChangeKey(in.ID))
	if err != nil {
		return "", err
	}
	if taken {
		return "", ledger.Errorf(ledger.CodeConflict, "consortium change %s already exists; propose it under a new ID", in.ID)
	}
	ch, next, err := ledger.ProposeConsortiumChange(ctx.consortium, in, ctx.caller.MSPID, ctx.txID, ctx.at)
	if err != nil {
		return "", err
	}
	return commitChange(ctx, ch, next)
}

// ApproveConsortiumChange adds the calling member's approval to a proposed consortium
// change and returns the ledger.ConsortiumChange; with a majority of the members it is
// applied and the consortium replaced. Errors: NOT_FOUND, FORBIDDEN, CONFLICT for a
// second approval, BAD_STATE for a change that is closed or stale. Event:
// consortium-change.proposed or consortium-change.applied.
func (c *statsContract) ApproveConsortiumChange(ctx *txContext, changeID, reason string) (string, error) {
	var ch ledger.ConsortiumChange
	if err := mustGetJSON(ctx, ledger.ConsortiumChangeKey(changeID), "consortium change", changeID, &ch); err != nil {
		return "", err
	}
	ch, next, err := ledger.ApproveConsortiumChange(ctx.consortium, ch, ctx.caller.MSPID, reason, ctx.txID, ctx.at)
	if err != nil {
		return "", err
	}
	return commitChange(ctx, ch, next)
}

// commitChange stores a consortium change and, when it was applied, the new consortium.
func commitChange(ctx *txContext, ch ledger.ConsortiumChange, next ledger.Consortium) (string, error) {
	ws := []write{{ledger.ConsortiumChangeKey(ch.ID), ch}}
	if ch.Status == ledger.StatusApplied {
		ws = append(ws, write{ledger.ConsortiumKey(), next})
	}
	return commit(ctx, ctx.event(ledger.RecordConsortiumChange, ch.ID, ch.Status), ws...)
}

// RecordCollectiveKey records the outcome of a key ceremony (a ledger.CollectiveKeyInput
// as JSON) and returns the ledger.CollectiveKey. The caller must be one of its
// participants, all of them key holders. Errors: CONFLICT for a key ID already recorded,
// INVALID, FORBIDDEN. Event: key.recorded, with the public key's digest.
func (c *statsContract) RecordCollectiveKey(ctx *txContext, key string) (string, error) {
	in, err := ledger.DecodeCollectiveKeyInput(key)
	if err != nil {
		return "", err
	}
	taken, err := exists(ctx, ledger.CollectiveKeyKey(in.ID))
	if err != nil {
		return "", err
	}
	rec, err := ledger.NewCollectiveKey(ctx.consortium, in, taken, ctx.caller.MSPID, ctx.txID, ctx.at)
	if err != nil {
		return "", err
	}
	ev := ctx.event(ledger.RecordCollectiveKey, rec.ID, rec.Status)
	ev.Digests = []string{rec.PublicKeyDigest}
	return commit(ctx, ev, write{ledger.CollectiveKeyKey(rec.ID), rec})
}
