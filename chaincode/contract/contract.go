// Package contract is statledger's chaincode: a thin fabric-contract-api-go contract over
// the domain rules of package ledger. Each transaction reads the records it needs from the
// world state, calls one ledger transition, writes the records it returns and emits
// exactly one chaincode event (ledger.Event). Nothing here decides a rule.
//
// Every call first passes one gate, run before the transaction: the caller's MSP ID and
// statledger.role certificate attribute are mapped to consortium roles and checked
// against ledger.Transactions, and the raw arguments are checked for number, size and
// shape. Transactions take JSON documents and IDs as strings and return JSON as a string,
// so that decoding, limits and errors stay under the chaincode's control: every error
// message starts with a ledger error code ("INVALID: ...", "CONFLICT: ...").
//
// A transaction that changes state answers with a ledger.Written reference to the record
// it is about, which is in its write set; the record is not repeated as the response,
// so the block holds it once. "Returns the ledger.Query" below means that record, which
// client/fabric's Submit reads from the transaction's write set.
//
// Each call to the peer is a round trip on the chaincode stream, which costs more than
// the record it carries, so the gate reads the consortium together with the records the
// arguments name (readsAhead), a transaction reads what it can in one call (readAhead),
// and all writes go to the peer in one batch when the transaction ends; statledger's
// patched peer serves these batched calls, another peer gets one call per key.
//
// The chaincode is deterministic: it uses the transaction timestamp, never the clock;
// no randomness, no goroutines, no map iteration feeding writes or responses, no floats
// in state. The one thing it keeps between transactions is the consortium and dataset
// records it decoded, by key and bytes, and every transaction gets a copy of its own
// (recordMemo). The chaincode-as-a-service main serves NewChaincode's result.
package contract

import (
	"strings"
	"time"
	"unicode"

	"github.com/hyperledger/fabric-chaincode-go/v2/pkg/cid"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/hyperledger/fabric-contract-api-go/v2/metadata"

	"github.com/statledger/statledger/chaincode/ledger"
)

// ContractName is the name of the contract in the chaincode; it is also the default
// contract, so clients may call transactions without the "statledger:" prefix.
const ContractName = "statledger"

// Version is the contract version reported in the chaincode metadata.
const Version = "1.0.0"

// NewChaincode returns the statledger chaincode, ready to be served by a
// shim.ChaincodeServer (chaincode as a service) or started with Start. It returns an
// error only if the contract does not fit the contract API, which the tests rule out.
func NewChaincode() (*contractapi.ContractChaincode, error) {
	c := &statsContract{}
	c.Name = ContractName
	c.Info = metadata.InfoMetadata{
		Title:       "statledger",
		Description: "Privacy-preserving official statistics: datasets, encrypted submissions, queries, approvals, privacy budgets, results, decryption shares and releases",
		Version:     Version,
		License:     &metadata.LicenseMetadata{Name: "Apache-2.0"},
	}
	c.TransactionContextHandler = new(txContext)
	c.BeforeTransaction = gate
	cc, err := contractapi.NewChaincode(c)
	if err != nil {
		return nil, err
	}
	cc.DefaultContract = ContractName
	cc.TransactionSerializer = new(stringSerializer)
	return cc, nil
}

// statsContract holds the transactions. Its exported methods are the chaincode's public
// transactions, one per entry of ledger.Transactions; helpers are functions, not methods.
type statsContract struct {
	contractapi.Contract
}

// GetEvaluateTransactions marks the read-only transactions as evaluate transactions in
// the metadata (it is part of the contract API, not a transaction).
func (c *statsContract) GetEvaluateTransactions() []string {
	return ledger.EvaluateTransactions()
}

// txContext is the transaction context: the stub and client identity, plus what the gate
// established about the call.
type txContext struct {
	contractapi.TransactionContext
	action        string
	caller        ledger.Caller
	roleAttr      string
	hasRoleAttr   bool
	consortium    ledger.Consortium
	hasConsortium bool
	txID          string
	at            time.Time
	// ahead holds the values of the keys read ahead (readAhead), by key.
	ahead map[string][]byte
}

// event returns the event of the current transaction on the record kind record with ID
// id, which now has status status.
func (ctx *txContext) event(record, id string, status ledger.Status) ledger.Event {
	return ledger.NewEvent(ctx.action, record, id, status, ctx.caller.MSPID, ctx.txID)
}

// gate runs before every transaction of the contract: it finds the transaction in
// ledger.Transactions (INVALID if it is not there), reads the caller's identity and the
// consortium, checks the caller's roles (FORBIDDEN) and the raw arguments (INVALID), and
// records the transaction ID and time for the transaction.
func gate(ctx *txContext) error {
	stub := ctx.GetStub()
	fn, args := stub.GetFunctionAndParameters()
	if i := strings.LastIndex(fn, ":"); i >= 0 {
		fn = fn[i+1:]
	}
	fn = upperFirst(fn)
	tx, ok := ledger.LookupTransaction(fn)
	if !ok {
		return ledger.Errorf(ledger.CodeInvalid, "there is no transaction %q", clip(fn))
	}
	// The contract API parsed the creator's certificate once for this call; a nil
	// identity means it could not.
	ci, ok := ctx.GetClientIdentity().(*cid.ClientID)
	if !ok || ci == nil {
		return ledger.Errorf(ledger.CodeForbidden, "the caller's identity cannot be read")
	}
	msp, err := ci.GetMSPID()
	if err != nil {
		return ledger.Errorf(ledger.CodeForbidden, "the caller's identity cannot be read")
	}
	id, err := ci.GetID()
	if err != nil {
		return ledger.Errorf(ledger.CodeForbidden, "the caller's certificate cannot be read")
	}
	attr, hasAttr, err := ci.GetAttributeValue(ledger.RoleAttribute)
	if err != nil {
		return ledger.Errorf(ledger.CodeForbidden, "the caller's certificate attributes cannot be read")
	}
	ts, err := stub.GetTxTimestamp()
	if err != nil {
		return ledger.Prefix("read the transaction timestamp", err)
	}
	ctx.action = tx.Name
	ctx.txID = stub.GetTxID()
	ctx.at = ts.AsTime().UTC()
	ctx.roleAttr, ctx.hasRoleAttr = attr, hasAttr
	// The transaction's writes go to the peer in one message when it ends, and the
	// consortium is read together with the records the arguments name (readsAhead);
	// arguments are checked first so that only well-formed ones name keys, but their
	// error is returned after the access check.
	stub.StartWriteBatch()
	argsErr := tx.CheckArgs(args)
	keys := []string{ledger.ConsortiumKey()}
	if ahead := readsAhead[tx.Name]; ahead != nil && argsErr == nil {
		keys = append(keys, ahead(msp, args)...)
	}
	if err := readAhead(ctx, keys...); err != nil {
		return ledger.Prefix("read the consortium", err)
	}
	data, err := getState(ctx, ledger.ConsortiumKey())
	if err != nil {
		return ledger.Prefix("read the consortium", err)
	}
	if ctx.hasConsortium = len(data) > 0; ctx.hasConsortium {
		if ctx.consortium, err = consortiums.decode(stub.GetChannelID(), ledger.ConsortiumKey(), data); err != nil {
			return ledger.Prefix("read the consortium", err)
		}
	}
	ctx.caller = ledger.Caller{MSPID: msp, ID: id}
	switch {
	case ctx.hasConsortium:
		ctx.caller.Roles = ctx.consortium.CallerRoles(msp, attr, hasAttr)
		if err := tx.Authorize(msp, ctx.caller.Roles); err != nil {
			return err
		}
	case tx.Name != "InitConsortium":
		return ledger.Errorf(ledger.CodeBadState, "the consortium is not initialised; call InitConsortium first")
	}
	return argsErr
}

// upperFirst upper-cases the first letter of a transaction name, as the contract API does
// when it routes a call.
func upperFirst(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}

// clip shortens a caller-supplied name for an error message.
func clip(s string) string {
	if len(s) > ledger.MaxIDLength {
		return s[:ledger.MaxIDLength] + "..."
	}
	return s
}
