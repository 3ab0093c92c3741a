// Package keyceremony runs statledger's key ceremony (DESIGN.md step 1) between the
// consortium's key holders through the blob store and the ledger, one organisation's step
// at a time, and loads its outcome for the programs that use the collective key.
//
// The cryptography is package crypto/ceremony; this package moves its objects between the
// organisations: every public object is a content-addressed blob (package blobstore), every
// secret stays in files next to the holder's key share, and the outcome is recorded on the
// ledger with RecordCollectiveKey.
//
// # Steps
//
//  1. NewTransport (each key holder): generate an age X25519 transport identity, seal it at
//     rest next to the key share (TransportPath) and publish its recipient ("age1...").
//  2. NewSetup (a coordinator, any key holder): collect the holders' recipients, order them
//     as the consortium's key holders (ledger.Consortium.KeyHolders, sorted MSP IDs: holder
//     i of that list is Shamir point i), draw a random public seed, and upload the
//     crypto/ceremony Setup. The setup's blob digest names the ceremony.
//  3. Contribute (each key holder): upload its round message. A holder that runs the step
//     again for the same setup gets the digest of its first message back (RoundPath
//     remembers it): a message, once handed out, is never replaced.
//  4. Finalize (each key holder, after all messages are uploaded): open the Shamir shares
//     addressed to it, seal its threshold key at rest at its key-share path, and destroy its
//     transport identity, which would otherwise open its shares in the public transcript
//     forever.
//  5. Publish (anyone with the key-holder role): aggregate the collective public key and
//     rotation keys from the messages, upload them and the Manifest, and record the key on
//     the ledger. Aggregation is deterministic, so publishing twice gives the same blobs and
//     is harmless.
//
// RunLocal runs all five steps in one process for several holders, each with its own key
// share path: the demo's ceremony. If publishing fails there, the error gives the setup and
// message digests, so that Publish (`statledger consortium keygen publish`) can be retried.
//
// # What the ledger records
//
// RecordCollectiveKey gets the public-key blob's digest and URI and exactly one transcript
// digest: that of the Manifest, a small canonical JSON blob naming everything else (the
// parameter set, the threshold, the setup digest, every holder's MSP ID, transport
// recipient and round-message digest in Shamir order, and the public- and
// evaluation-key blob digests). Load starts from the ledger record, checks the manifest
// and every blob it fetches against it and returns a KeySet: what providers, workers, key
// holders and auditors need of a collective key. VerifyTranscript re-derives the public
// outputs from the round messages, for an auditor.
//
// # Secrets at rest
//
// A holder's secrets — its transport identity until Finalize, then its threshold key —
// are sealed with age and written with mode 0600 (ceremony.SaveSecret). What seals them is
// a Protection, chosen by the operator and never given on the command line:
//
//   - an age X25519 identity file (STATLEDGER_KEY_SHARE_IDENTITY_FILE, the recommended way:
//     keep that file on other storage than the key share, such as a hardware-backed or
//     separately mounted volume; the CLI creates it, mode 0600, when it does not exist yet),
//   - or a passphrase file (STATLEDGER_KEY_SHARE_PASSPHRASE_FILE), sealing with age's scrypt
//     recipient.
//
// Exactly one of the two variables must be set (ProtectionFromEnv); both files must be
// readable by their owner only. Losing the protection loses the key share; the other
// holders can still decrypt as long as t of them remain.
//
// # Files next to a key share at path P
//
//	P            the sealed threshold key (after Finalize)
//	P.transport  the sealed transport identity (from NewTransport until Finalize)
//	P.round      public: the setup and round-message digests of the holder's contribution
//
// Functions are safe for concurrent use on distinct key-share paths. They return errors
// and never log; errors name digests, MSP IDs and paths, never key material.
package keyceremony
