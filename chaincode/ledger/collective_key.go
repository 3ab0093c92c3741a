package ledger

import "time"

// CollectiveKey records the outcome of a key ceremony: the collective public key (by
// digest), the digests of the public ceremony transcripts, the key holders that took part
// and the threshold t of t-of-n decryption. Its status is always "recorded"; a key ID is
// recorded once.
type CollectiveKey struct {
	ID                string    `json:"id"`
	ParamSetID        string    `json:"paramSetID"`
	PublicKeyDigest   string    `json:"publicKeyDigest"`
	PublicKeyURI      string    `json:"publicKeyURI,omitempty"`
	TranscriptDigests []string  `json:"transcriptDigests"`
	Participants      []string  `json:"participants"`
	Threshold         int       `json:"threshold"`
	RecordedBy        string    `json:"recordedBy"`
	Status            Status    `json:"status"`
	TxID              string    `json:"txID"`
	RecordedAt        time.Time `json:"recordedAt"`
}

// CollectiveKeyInput is the argument of RecordCollectiveKey.
type CollectiveKeyInput struct {
	ID                string   `json:"id"`
	ParamSetID        string   `json:"paramSetID"`
	PublicKeyDigest   string   `json:"publicKeyDigest"`
	PublicKeyURI      string   `json:"publicKeyURI,omitempty"`
	TranscriptDigests []string `json:"transcriptDigests"`
	Participants      []string `json:"participants"`
	Threshold         int      `json:"threshold"`
}

// Validate checks the fields of the input on their own. It returns an INVALID *Error.
func (in CollectiveKeyInput) Validate() error {
	if err := ValidateID("key ID", in.ID); err != nil {
		return err
	}
	if err := ValidateID("parameter-set ID", in.ParamSetID); err != nil {
		return err
	}
	if err := ValidateDigest("public key digest", in.PublicKeyDigest); err != nil {
		return err
	}
	if in.PublicKeyURI != "" {
		if err := ValidateURI("public key URI", in.PublicKeyURI); err != nil {
			return err
		}
	}
	if len(in.TranscriptDigests) == 0 || len(in.TranscriptDigests) > MaxTranscripts {
		return invalid("a collective key needs 1 to %d transcript digests, not %d", MaxTranscripts, len(in.TranscriptDigests))
	}
	for _, d := range in.TranscriptDigests {
		if err := ValidateDigest("transcript digest", d); err != nil {
			return err
		}
	}
	if _, ok := sortedUnique(in.TranscriptDigests); !ok {
		return invalid("transcript digests must be distinct")
	}
	if len(in.Participants) == 0 || len(in.Participants) > MaxOrgs {
		return invalid("a collective key needs 1 to %d participants, not %d", MaxOrgs, len(in.Participants))
	}
	for _, p := range in.Participants {
		if err := ValidateID("participant MSP ID", p); err != nil {
			return err
		}
	}
	if _, ok := sortedUnique(in.Participants); !ok {
		return invalid("participants must be distinct")
	}
	return nil
}

// NewCollectiveKey checks a key recorded by caller against the consortium c and returns
// the record. The caller must be a participant; every participant must be a key holder of
// c; the threshold must be c's threshold and at most the number of participants. exists
// says whether the key ID is already recorded (CONFLICT).
func NewCollectiveKey(c Consortium, in CollectiveKeyInput, exists bool, caller, txID string, at time.Time) (CollectiveKey, error) {
	if err := in.Validate(); err != nil {
		return CollectiveKey{}, err
	}
	if exists {
		return CollectiveKey{}, conflict("collective key %s is already recorded; a key is recorded once", in.ID)
	}
	participants, _ := sortedUnique(in.Participants)
	holders := c.KeyHolders()
	for _, p := range participants {
		if !contains(holders, p) {
			return CollectiveKey{}, invalid("participant %s is not a key holder of the consortium", p)
		}
	}
	if !contains(participants, caller) {
		return CollectiveKey{}, forbidden("only a participant of the key ceremony may record its key; %s is not one", caller)
	}
	if in.Threshold != c.Threshold {
		return CollectiveKey{}, invalid("threshold %d differs from the consortium's threshold %d", in.Threshold, c.Threshold)
	}
	if in.Threshold < 1 || in.Threshold > len(participants) {
		return CollectiveKey{}, invalid("threshold must be between 1 and the number of participants (%d), not %d", len(participants), in.Threshold)
	}
	transcripts, _ := sortedUnique(in.TranscriptDigests)
	return CollectiveKey{
		ID:                in.ID,
		ParamSetID:        in.ParamSetID,
		PublicKeyDigest:   in.PublicKeyDigest,
		PublicKeyURI:      in.PublicKeyURI,
		TranscriptDigests: transcripts,
		Participants:      participants,
		Threshold:         in.Threshold,
		RecordedBy:        caller,
		Status:            StatusRecorded,
		TxID:              txID,
		RecordedAt:        at,
	}, nil
}

// KeyShares is who holds shares of a collective key and how many of them must take part
// in a decryption: the part of the key a query's decryptors are checked against.
type KeyShares struct {
	Participants []string `json:"participants"`
	Threshold    int      `json:"threshold"`
}

// Shares returns the key's participants and threshold, in a copy of its own.
func (k CollectiveKey) Shares() KeyShares {
	return KeyShares{Participants: append([]string{}, k.Participants...), Threshold: k.Threshold}
}
