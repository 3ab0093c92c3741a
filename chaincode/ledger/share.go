package ledger

import (
	"strings"
	"time"
)

// DecryptionShare is a key holder's share of the threshold decryption of a query's
// output, stored off the ledger by digest and URI. Its status is always "recorded"; one
// per key holder per query, ever.
type DecryptionShare struct {
	QueryID   string    `json:"queryID"`
	KeyHolder string    `json:"keyHolder"`
	Digest    string    `json:"digest"`
	URI       string    `json:"uri"`
	Size      int64     `json:"size"`
	Status    Status    `json:"status"`
	TxID      string    `json:"txID"`
	PostedAt  time.Time `json:"postedAt"`
}

// ShareInput is the argument of PostDecryptionShare.
type ShareInput struct {
	QueryID string `json:"queryID"`
	Digest  string `json:"digest"`
	URI     string `json:"uri"`
	Size    int64  `json:"size"`
}

// Validate checks the input on its own. It returns an INVALID *Error.
func (in ShareInput) Validate() error {
	if err := ValidateID("query ID", in.QueryID); err != nil {
		return err
	}
	if err := ValidateDigest("share digest", in.Digest); err != nil {
		return err
	}
	if err := ValidateURI("share URI", in.URI); err != nil {
		return err
	}
	if in.Size < 1 || in.Size > MaxCiphertextSize {
		return invalid("share size must be between 1 and %d bytes", int64(MaxCiphertextSize))
	}
	return nil
}

// ApplyShare records key holder caller's decryption share for query q. exists says
// whether caller already posted a share for q. Only the query's Decryptors, fixed when it
// was requested, may post, and the query becomes ready when every one of them has. It
// returns CONFLICT for a second share (threshold protocols are never re-run), FORBIDDEN
// for a caller that is not one of the decryptors, and BAD_STATE when the query is not
// decrypting.
func ApplyShare(q Query, in ShareInput, exists bool, caller, txID string, at time.Time) (Query, DecryptionShare, error) {
	if err := in.Validate(); err != nil {
		return q, DecryptionShare{}, err
	}
	if in.QueryID != q.ID {
		return q, DecryptionShare{}, invalid("the share names query %s, not %s", in.QueryID, q.ID)
	}
	if exists || contains(q.ShareOrgs, caller) {
		return q, DecryptionShare{}, conflict("%s has already posted its decryption share for query %s; a share is posted once", caller, q.ID)
	}
	if len(q.Decryptors) == 0 {
		return q, DecryptionShare{}, forbidden("query %s names no decryptors (it was requested before the ledger recorded them), so nobody may decrypt it; request it again", q.ID)
	}
	if !contains(q.Decryptors, caller) {
		return q, DecryptionShare{}, forbidden("query %s is decrypted by %s only, as named when it was requested; %s is not one of its decryptors", q.ID, strings.Join(q.Decryptors, ", "), caller)
	}
	if q.Status != StatusDecrypting {
		if q.Status == StatusApproved {
			return q, DecryptionShare{}, badState("%s; decryption may start only after that", QueryProgress(q))
		}
		return q, DecryptionShare{}, badState("query %s is %s and takes no decryption shares", q.ID, q.Status)
	}
	s := DecryptionShare{QueryID: q.ID, KeyHolder: caller, Digest: in.Digest, URI: in.URI, Size: in.Size, Status: StatusRecorded, TxID: txID, PostedAt: at}
	q.ShareOrgs = insertSorted(q.ShareOrgs, caller)
	q.UpdatedAt = at
	if len(missingShares(q)) == 0 {
		q.Status = StatusReady
	}
	return q, s, nil
}

// missingShares returns the decryptors of q that have not posted their share, sorted.
func missingShares(q Query) []string {
	var out []string
	for _, d := range q.Decryptors {
		if !contains(q.ShareOrgs, d) {
			out = append(out, d)
		}
	}
	return out
}
