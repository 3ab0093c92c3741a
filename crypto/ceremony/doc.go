// Package ceremony runs statledger's t-of-n key ceremony without a trusted dealer
// (DESIGN.md step 1), with Lattigo's multiparty protocols (Mouchet et al. 2020 and 2022).
//
// # Protocol
//
// Before the ceremony each key holder generates an age X25519 transport identity and
// publishes its recipient. The consortium fixes a Setup (parameter set, threshold t,
// the holders' recipients in order, and a public 32-byte seed) and records its digest on
// the ledger. Then each holder, on its own machine and in any order, calls Contribute
// once: it draws a fresh secret key share s_i, and publishes one round message holding
//
//   - its share of the collective public key (PublicKeyGenProtocol),
//   - its shares of the collective rotation keys, one per element of the parameter
//     set's GaloisElements (GaloisKeyGenProtocol),
//   - the t-of-n Shamir shares of s_i (Thresholdizer), each encrypted with age to the
//     recipient holder's transport key.
//
// The common random polynomials of both key-generation protocols come from the common
// reference string: sampling.NewKeyedPRNG keyed by the setup digest (which contains the
// seed). s_i is wiped when Contribute returns, so no secret survives between rounds.
// Because every holder contributes in this one round, the rotation keys are generated
// by all n holders with their own s_i and need no threshold step.
//
// When all n messages are published, anyone computes the public outputs with Aggregate,
// or an Aggregator fed one message at a time (the collective public key for s = Σ s_i as
// *rlwe.PublicKey and the rotation keys as *rlwe.MemEvaluationKeySet), and each holder
// calls Finalize (or a Finalizer) to decrypt the Shamir shares addressed to it and sum
// them into its ThresholdKey: a Shamir share of s at its point (its 1-based index). Any t holders convert their threshold keys into additive shares of
// s for a fixed active set (ThresholdKey.AdditiveShare) and decrypt together
// (crypto/decrypt); t−1 learn nothing about s.
//
// # Security
//
// Passive security (Lattigo SECURITY.md): the protocols have no proofs that a share is
// well formed, so a holder that deviates can make the keys unusable; accountability comes
// from the digests on the ledger. Transport shares are encrypted with age (X25519,
// ChaCha20-Poly1305) but age does not authenticate the sender: the sender's round-message
// digest on the ledger, recorded in its signed transaction, does. A holder's secret
// material at rest (its threshold key; its transport identity until Finalize) is sealed
// with age to a passphrase or an identity file and written with mode 0600 (SaveSecret,
// ThresholdKey.Save). Destroy the transport identity after Finalize: with the public
// transcript it opens the holder's shares. A protocol must never be re-run with the same
// secret; Contribute draws a new secret on every call, so a holder may redo its round
// only until its message's digest is recorded.
//
// # Encoding
//
// Every object is a crypto/codec blob: round messages (KindRound1), sealed Shamir shares
// (KindShamirShare inside the age ciphertext), threshold keys (KindThresholdKey), the
// public key (KindPublicKey) and rotation keys (KindGaloisKeys), each carrying the setup
// digest in its header. Decoders check the SHA-256 digest (when given), the header and
// the exact size before reading any coefficient, and every coefficient against its
// prime: no untrusted byte reaches Lattigo's decoders.
//
// Functions are safe for concurrent use unless documented otherwise.
package ceremony
