package ledger

import "time"

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

// ApplyShare records key holder caller's decryption share for query q, whose dataset is
// encrypted under key. exists says whether caller already posted a share for q. When the
// shares reach key.Threshold the query becomes ready. It returns CONFLICT for a second
// share (threshold protocols are never re-run), FORBIDDEN for a caller that is not a
// participant of the key, and BAD_STATE when the query is not decrypting.
func ApplyShare(q Query, key CollectiveKey, in ShareInput, exists bool, caller, txID string, at time.Time) (Query, DecryptionShare, error) {
	if err := in.Validate(); err != nil {
		return q, DecryptionShare{}, err
	}
	if exists || contains(q.ShareOrgs, caller) {
		return q, DecryptionShare{}, conflict("%s has already posted its decryption share for query %s; a share is posted once", caller, q.ID)
	}
	if !contains(key.Participants, caller) {
		return q, DecryptionShare{}, forbidden("%s holds no share of collective key %s", caller, key.ID)
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
	if len(q.ShareOrgs) >= key.Threshold {
		q.Status = StatusReady
	}
	return q, s, nil
}
