package ledger

import (
	"slices"
	"strings"
	"time"

	"github.com/statledger/statledger/policies"
)

// Ciphertext is one encrypted blob of a submission, stored off the ledger.
type Ciphertext struct {
	Digest string `json:"digest"`
	Size   int64  `json:"size"`
	URI    string `json:"uri"`
}

// Submission is a provider's encrypted contribution to one period of a dataset. Records is
// the number of records the provider declares it aggregated into the ciphertexts, at most
// the dataset policy's MaxRecordsPerSubmission; it is kept so that audits can check the
// bound the plaintext capacity relies on. Status is
// "live" until the provider submits again for the same period, then "superseded" (with
// SupersededBy naming the new one); records are never deleted.
type Submission struct {
	ID           string       `json:"id"`
	DatasetID    string       `json:"datasetID"`
	Period       string       `json:"period"`
	Provider     string       `json:"provider"`
	ParamSetID   string       `json:"paramSetID"`
	Records      int64        `json:"records"`
	Ciphertexts  []Ciphertext `json:"ciphertexts"`
	Supersedes   string       `json:"supersedes,omitempty"`
	SupersededBy string       `json:"supersededBy,omitempty"`
	Status       Status       `json:"status"`
	TxID         string       `json:"txID"`
	SubmittedAt  time.Time    `json:"submittedAt"`
	UpdatedAt    time.Time    `json:"updatedAt"`
}

// Digests returns the ciphertext digests of s, in submission order.
func (s Submission) Digests() []string {
	out := make([]string, len(s.Ciphertexts))
	for i, c := range s.Ciphertexts {
		out[i] = c.Digest
	}
	return out
}

// LiveSubmission is what a period's live index holds for a provider's live submission:
// its ID, provider, dataset, period and ciphertext digests, so that an approval freezes a
// query's inputs from the index alone, without reading every submission record.
type LiveSubmission struct {
	SubmissionID string   `json:"submissionID"`
	Provider     string   `json:"provider"`
	DatasetID    string   `json:"datasetID"`
	Period       string   `json:"period"`
	Digests      []string `json:"digests"`
}

// Live returns the live-index entry of s.
func (s Submission) Live() LiveSubmission {
	return LiveSubmission{SubmissionID: s.ID, Provider: s.Provider, DatasetID: s.DatasetID, Period: s.Period, Digests: s.Digests()}
}

// LiveIndex is what a dataset period's live-index key (LiveKey) holds: the live
// submission of every provider that has one, sorted by provider. One record per period,
// rather than one key per provider, lets a query of the period read its inputs together
// with the records it reads anyway, without a range read; providers submitting the same
// period at the same moment conflict on it (MVCC), and their clients try again.
type LiveIndex struct {
	DatasetID string           `json:"datasetID"`
	Period    string           `json:"period"`
	Entries   []LiveSubmission `json:"entries"`
}

// Of returns provider's entry.
func (x LiveIndex) Of(provider string) (LiveSubmission, bool) {
	i, ok := slices.BinarySearchFunc(x.Entries, provider, byProvider)
	if !ok {
		return LiveSubmission{}, false
	}
	return x.Entries[i], true
}

// With returns a copy of x in which e is its provider's entry.
func (x LiveIndex) With(e LiveSubmission) LiveIndex {
	entries := slices.Clone(x.Entries)
	if i, ok := slices.BinarySearchFunc(entries, e.Provider, byProvider); ok {
		entries[i] = e
	} else {
		entries = slices.Insert(entries, i, e)
	}
	return LiveIndex{DatasetID: e.DatasetID, Period: e.Period, Entries: entries}
}

// byProvider orders live-index entries by provider, for the searches of a LiveIndex.
func byProvider(e LiveSubmission, provider string) int { return strings.Compare(e.Provider, provider) }

// SubmissionInput is the argument of SubmitData. Records is the number of records
// aggregated into the ciphertexts: from 1 to the dataset policy's MaxRecordsPerSubmission.
type SubmissionInput struct {
	DatasetID   string       `json:"datasetID"`
	Period      string       `json:"period"`
	ParamSetID  string       `json:"paramSetID"`
	Records     int64        `json:"records"`
	Ciphertexts []Ciphertext `json:"ciphertexts"`
}

// Validate checks the input on its own: IDs, 1 to policies.MaxMaxRecordsPerSubmission
// records (NewSubmission checks the dataset's own limit), 1 to MaxCiphertexts ciphertexts
// with distinct valid digests, sizes from 1 to MaxCiphertextSize and valid URIs. It
// returns an INVALID *Error.
func (in SubmissionInput) Validate() error {
	if err := ValidateID("dataset ID", in.DatasetID); err != nil {
		return err
	}
	if err := ValidateID("period", in.Period); err != nil {
		return err
	}
	if err := ValidateID("parameter-set ID", in.ParamSetID); err != nil {
		return err
	}
	if in.Records < 1 || in.Records > policies.MaxMaxRecordsPerSubmission {
		return invalid("a submission must declare between 1 and %d records, not %d", int64(policies.MaxMaxRecordsPerSubmission), in.Records)
	}
	if len(in.Ciphertexts) == 0 || len(in.Ciphertexts) > MaxCiphertexts {
		return invalid("a submission needs 1 to %d ciphertexts, not %d", MaxCiphertexts, len(in.Ciphertexts))
	}
	seen := map[string]bool{}
	for i, c := range in.Ciphertexts {
		what := "ciphertext " + itoa(i)
		if err := ValidateDigest(what+" digest", c.Digest); err != nil {
			return err
		}
		if seen[c.Digest] {
			return invalid("%s repeats the digest of an earlier ciphertext", what)
		}
		seen[c.Digest] = true
		if c.Size < 1 || c.Size > MaxCiphertextSize {
			return invalid("%s size must be between 1 and %d bytes", what, int64(MaxCiphertextSize))
		}
		if err := ValidateURI(what+" URI", c.URI); err != nil {
			return err
		}
	}
	return nil
}

// NewSubmission checks a submission by provider caller for the active dataset ds and
// returns the new record and, when prev (the provider's live submission for the period,
// or nil) exists, prev superseded by it. usedDigest reports, for a digest, the submission
// that already used it or "". It returns BAD_STATE for a dataset that is not active,
// INVALID for a parameter-set mismatch or more records than the dataset's policy allows
// in one submission (maxRecordsPerSubmission), and CONFLICT for a reused digest.
func NewSubmission(c Consortium, ds Dataset, in SubmissionInput, prev *Submission, usedDigest func(string) string, caller, id, txID string, at time.Time) (Submission, *Submission, error) {
	if err := in.Validate(); err != nil {
		return Submission{}, nil, err
	}
	if in.DatasetID != ds.ID {
		return Submission{}, nil, invalid("submission names dataset %s, not %s", in.DatasetID, ds.ID)
	}
	if err := RequireActive(ds); err != nil {
		return Submission{}, nil, err
	}
	if !c.HasRole(caller, RoleProvider) {
		return Submission{}, nil, forbidden("only a provider may submit data; %s is not one", caller)
	}
	if in.ParamSetID != ds.ParamSetID {
		return Submission{}, nil, invalid("submission uses parameter set %s, but dataset %s uses %s", in.ParamSetID, ds.ID, ds.ParamSetID)
	}
	if in.Records > ds.Policy.MaxRecordsPerSubmission {
		return Submission{}, nil, invalid("submission declares %d records, but the policy of dataset %s allows at most %d per submission (maxRecordsPerSubmission)", in.Records, ds.ID, ds.Policy.MaxRecordsPerSubmission)
	}
	for i, ct := range in.Ciphertexts {
		if by := usedDigest(ct.Digest); by != "" {
			return Submission{}, nil, conflict("ciphertext %d digest %s was already used by submission %s; every ciphertext is submitted once", i, ct.Digest, by)
		}
	}
	s := Submission{
		ID:          id,
		DatasetID:   ds.ID,
		Period:      in.Period,
		Provider:    caller,
		ParamSetID:  in.ParamSetID,
		Records:     in.Records,
		Ciphertexts: append([]Ciphertext(nil), in.Ciphertexts...),
		Status:      StatusLive,
		TxID:        txID,
		SubmittedAt: at,
		UpdatedAt:   at,
	}
	if prev == nil {
		return s, nil, nil
	}
	if prev.Provider != caller || prev.DatasetID != ds.ID || prev.Period != in.Period || prev.Status != StatusLive {
		return Submission{}, nil, Errorf(CodeInternal, "the live index of dataset %s period %s names submission %s, which is not live for %s", ds.ID, in.Period, prev.ID, caller)
	}
	old := *prev
	old.Status = StatusSuperseded
	old.SupersededBy = id
	old.UpdatedAt = at
	s.Supersedes = old.ID
	return s, &old, nil
}
