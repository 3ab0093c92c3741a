package ledger

// The world-state key layout. Every key is a Fabric composite key (the format of
// shim.CreateCompositeKey: U+0000, the object type, U+0000, then each attribute followed
// by U+0000), so that records of one type can be listed with a partial-key range query and
// no key collides with another type's. Attributes are IDs checked by ValidateID or digests
// checked by ValidateDigest, so they never hold U+0000 or U+10FFFF. A dataset's
// submissions, live and superseded, are found from the live index: each entry names its
// provider's live submission, and every submission names the one it superseded.
//
//	consortium                          → Consortium
//	consortium-change / changeID        → ConsortiumChange
//	key / keyID                         → CollectiveKey
//	dataset / datasetID                 → Dataset
//	budget / datasetID                  → Budget (the one key every approval of the dataset writes)
//	submission / submissionID           → Submission
//	live / datasetID / period           → LiveIndex (each provider's live submission: ID and digests)
//	digest / ciphertextDigest           → submission ID (every ciphertext digest ever used)
//	query / queryID                     → Query
//	dataset-query / datasetID / queryID → query ID (index)
//	job / queryID                       → Job
//	result / queryID / workerMSPID      → Result
//	share / queryID / keyHolderMSPID    → DecryptionShare
//	release / queryID                   → Release
const (
	ObjConsortium       = "consortium"
	ObjConsortiumChange = "consortium-change"
	ObjCollectiveKey    = "key"
	ObjDataset          = "dataset"
	ObjBudget           = "budget"
	ObjSubmission       = "submission"
	ObjLive             = "live"
	ObjDigest           = "digest"
	ObjQuery            = "query"
	ObjDatasetQuery     = "dataset-query"
	ObjJob              = "job"
	ObjResult           = "result"
	ObjShare            = "share"
	ObjRelease          = "release"
)

// CompositeKey returns the composite key of objectType and attrs, exactly as
// shim.CreateCompositeKey builds it.
func CompositeKey(objectType string, attrs ...string) string {
	n := 2 + len(objectType)
	for _, a := range attrs {
		n += len(a) + 1
	}
	b := make([]byte, 0, n)
	b = append(b, 0)
	b = append(b, objectType...)
	b = append(b, 0)
	for _, a := range attrs {
		b = append(b, a...)
		b = append(b, 0)
	}
	return string(b)
}

// ConsortiumKey is the key of the consortium record.
func ConsortiumKey() string { return CompositeKey(ObjConsortium) }

// ConsortiumChangeKey is the key of a proposed consortium change.
func ConsortiumChangeKey(id string) string { return CompositeKey(ObjConsortiumChange, id) }

// CollectiveKeyKey is the key of a collective key record.
func CollectiveKeyKey(id string) string { return CompositeKey(ObjCollectiveKey, id) }

// DatasetKey is the key of a dataset.
func DatasetKey(id string) string { return CompositeKey(ObjDataset, id) }

// BudgetKey is the key of a dataset's privacy budget.
func BudgetKey(datasetID string) string { return CompositeKey(ObjBudget, datasetID) }

// SubmissionKey is the key of a submission.
func SubmissionKey(id string) string { return CompositeKey(ObjSubmission, id) }

// LiveKey is the key of a dataset period's live index (its LiveIndex record).
func LiveKey(datasetID, period string) string {
	return CompositeKey(ObjLive, datasetID, period)
}

// DigestKey is the key recording that a ciphertext digest has been used.
func DigestKey(digest string) string { return CompositeKey(ObjDigest, digest) }

// QueryKey is the key of a query.
func QueryKey(id string) string { return CompositeKey(ObjQuery, id) }

// DatasetQueryKey is the index entry of a query under its dataset.
func DatasetQueryKey(datasetID, queryID string) string {
	return CompositeKey(ObjDatasetQuery, datasetID, queryID)
}

// JobKey is the key of a query's job.
func JobKey(queryID string) string { return CompositeKey(ObjJob, queryID) }

// ResultKey is the key of a worker organisation's result for a query.
func ResultKey(queryID, workerMSPID string) string {
	return CompositeKey(ObjResult, queryID, workerMSPID)
}

// ShareKey is the key of a key holder's decryption share for a query.
func ShareKey(queryID, keyHolderMSPID string) string {
	return CompositeKey(ObjShare, queryID, keyHolderMSPID)
}

// ReleaseKey is the key of a query's release.
func ReleaseKey(queryID string) string { return CompositeKey(ObjRelease, queryID) }
