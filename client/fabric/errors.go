package fabric

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/statledger/statledger/chaincode/ledger"
)

// Error is a failed transaction. Its cause is a *ledger.Error when the chaincode refused
// the transaction (so errors.Is(err, ledger.ErrForbidden) and the like hold), and the
// gateway's error otherwise, whose message lists every peer's own answer.
type Error struct {
	// TxID is the transaction's ID, when one was assigned.
	TxID string
	// Transient says whether trying again may succeed (MVCC conflict, orderer or peer
	// unavailable, discovery not ready yet).
	Transient bool
	cause     error
}

// Error returns the cause's message: "FORBIDDEN: ..." for chaincode refusals.
func (e *Error) Error() string { return e.cause.Error() }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.cause }

// IsTransient reports whether err is a failure that a retry may cure.
func IsTransient(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Transient
}

// transientMessages are fragments of the messages Fabric gives while it recovers from a
// restart (FABRIC-NOTES.md, "Faults seen").
var transientMessages = []string{
	"no combination of peers",
	"no orderers could successfully process",
	"no peers available",
	"failed to connect",
	"connection refused",
	"error in connection",
	"is not running",
	"could not launch chaincode",
	"timeout expired while executing transaction",
	// Endorsers at different block heights answer differently; once they catch up, a
	// fresh proposal agrees.
	"proposalresponsepayloads do not match",
}

// classify turns a gateway error into an *Error; nil stays nil.
func classify(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if already := (*Error)(nil); errors.As(err, &already) {
		return err
	}
	e := &Error{cause: err}
	var commitErr *client.CommitError
	if errors.As(err, &commitErr) {
		e.TxID = commitErr.TransactionID
		e.Transient = transientCommit(commitErr.Code)
		return e
	}
	var txErr *client.TransactionError
	if errors.As(err, &txErr) {
		e.TxID = txErr.TransactionID
	}
	if chaincodeErr, ok := chaincodeError(err); ok {
		e.cause = chaincodeErr
		return e
	}
	e.cause = withDetails(err)
	if st, ok := status.FromError(err); ok && (st.Code() == codes.Unavailable || st.Code() == codes.ResourceExhausted) {
		e.Transient = true
	}
	msg := strings.ToLower(e.cause.Error())
	for _, m := range transientMessages {
		if strings.Contains(msg, m) {
			e.Transient = true
		}
	}
	return e
}

// transientCommit reports whether a transaction invalidated with code may commit when
// proposed afresh: a read conflict with a concurrent transaction.
func transientCommit(code peer.TxValidationCode) bool {
	return code == peer.TxValidationCode_MVCC_READ_CONFLICT || code == peer.TxValidationCode_PHANTOM_READ_CONFLICT
}

// commitFailed is the error of a transaction the peers invalidated with code.
func commitFailed(txID string, code peer.TxValidationCode) *Error {
	return &Error{cause: fmt.Errorf("transaction %s failed to commit with status code %d (%s)", txID, int32(code), code),
		TxID: txID, Transient: transientCommit(code)}
}

// chaincodeError finds the chaincode's own error in a gateway error: first in the
// per-peer details, then in the message.
func chaincodeError(err error) (*ledger.Error, bool) {
	for _, d := range peerDetails(err) {
		if le, ok := ledger.ParseError(d.GetMessage()); ok {
			return le, true
		}
	}
	if st, ok := status.FromError(err); ok {
		if le, ok := ledger.ParseError(st.Message()); ok {
			return le, true
		}
	}
	return nil, false
}

// peerDetails returns the per-peer answers the gateway attaches to its gRPC status.
func peerDetails(err error) []*gateway.ErrorDetail {
	st, ok := status.FromError(err)
	if !ok {
		return nil
	}
	var out []*gateway.ErrorDetail
	for _, d := range st.Details() {
		if gd, ok := d.(*gateway.ErrorDetail); ok {
			out = append(out, gd)
		}
	}
	return out
}

// withDetails adds the peers' own answers to err's message, which otherwise may end in
// "see attached details", unless the message shows them already.
func withDetails(err error) error {
	msg := fmt.Sprintf("%v", err) // the gateway's errors print their details with %v

	var parts []string
	for _, d := range peerDetails(err) {
		if !strings.Contains(msg, d.GetMessage()) {
			parts = append(parts, fmt.Sprintf("%s (%s): %s", d.GetAddress(), d.GetMspId(), d.GetMessage()))
		}
	}
	if len(parts) == 0 {
		return err
	}
	return fmt.Errorf("%w [%s]", err, strings.Join(parts, "; "))
}
