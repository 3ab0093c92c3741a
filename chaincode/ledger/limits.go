package ledger

// Size limits on every argument of every transaction. The chaincode checks the raw
// argument sizes before decoding (see Transactions) and the decoders check the fields.
const (
	// MaxIDLength is the longest record ID, MSP ID, period or parameter-set ID, in bytes.
	MaxIDLength = 64
	// MaxIdempotencyKeyLength is the longest idempotency key of a query request.
	MaxIdempotencyKeyLength = 128
	// MaxReasonLength is the longest reason of an approval, rejection or cancellation.
	MaxReasonLength = 1024
	// MaxTitleLength is the longest title of a dataset or consortium name.
	MaxTitleLength = 256
	// MaxURILength is the longest URI of a blob.
	MaxURILength = 2048
	// MaxOrgs is the largest number of organisations in a consortium.
	MaxOrgs = 64
	// MaxCiphertexts is the largest number of ciphertexts in one submission.
	MaxCiphertexts = 256
	// MaxTranscripts is the largest number of transcript digests of a collective key.
	MaxTranscripts = 64
	// MaxCiphertextSize is the largest declared size of one blob, in bytes (64 GiB).
	MaxCiphertextSize = 64 << 30
	// MaxFrozenSubmissions is the largest number of submissions a query may run on.
	MaxFrozenSubmissions = 1024
	// MaxLeaseSeconds is the longest lease a worker may take on a job.
	MaxLeaseSeconds = 24 * 60 * 60
	// MaxReleaseTableSize is the largest table stored on the ledger with a public
	// release, in bytes.
	MaxReleaseTableSize = 1 << 20
	// MaxRoleAttributeLength is the longest value of the statledger.role certificate
	// attribute that is honoured.
	MaxRoleAttributeLength = 256
	// ListPageSize is the number of records a List transaction returns per page.
	ListPageSize = 100
)

// Limits on the JSON arguments, in bytes.
const (
	// MaxConsortiumJSON limits InitConsortium's argument.
	MaxConsortiumJSON = 64 << 10
	// MaxConsortiumChangeJSON limits ProposeConsortiumChange's argument.
	MaxConsortiumChangeJSON = 72 << 10
	// MaxCollectiveKeyJSON limits RecordCollectiveKey's argument.
	MaxCollectiveKeyJSON = 32 << 10
	// MaxDatasetJSON limits RegisterDataset's argument: a schema and a policy of at most
	// policies.MaxDocumentSize each, and a little more.
	MaxDatasetJSON = 640 << 10
	// MaxSubmissionJSON limits SubmitData's argument.
	MaxSubmissionJSON = 1 << 20
	// MaxQueryJSON limits RequestQuery's argument.
	MaxQueryJSON = 64 << 10
	// MaxResultJSON limits PostResult's argument.
	MaxResultJSON = 512 << 10
	// MaxShareJSON limits PostDecryptionShare's argument.
	MaxShareJSON = 8 << 10
	// MaxReleaseJSON limits RecordRelease's argument: a table of MaxReleaseTableSize
	// bytes, escaped, and its flags.
	MaxReleaseJSON = 3 << 20
	// MaxBookmarkLength limits the bookmark argument of List transactions.
	MaxBookmarkLength = 1024
)
