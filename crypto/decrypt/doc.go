// Package decrypt is statledger's threshold decryption with distributed differential-
// privacy noise (DESIGN.md steps 7 and 8).
//
// # Protocol
//
// A query's result is one or more BGV ciphertexts at the parameter set's ResultLevel,
// posted by digest on the ledger, together with the analyst's public key
// (AnalystKey.PublicBytes) and a fixed active set of exactly t key holders. Each active
// holder calls NewShare once: it converts its threshold key into an additive share of
// the collective secret for that active set (multiparty.Combiner), computes a
// public-key-switch share of every result ciphertext towards the analyst's key
// (multiparty.PublicKeySwitchProtocol), and adds to it
//
//   - smudging noise, a discrete Gaussian of σ = 2^params.SmudgingLog2Sigma bounded at
//     6σ, so that the share reveals nothing about its key share beyond the result
//     (the parameter sets' 60-bit primes keep the sum of up to params.MaxHolders such
//     noises far below the decryption bound: the result decrypts exactly), and
//   - when the query's policy has noise on, its share of the differential-privacy noise
//     (dp.Noise.SampleShare), encoded as a plaintext that is non-zero only in the
//     requested output slots, so the released total carries the sum of t independent
//     discrete Gaussians and no single holder knows it (see package dp for the
//     guarantee when some holders are dishonest).
//
// The analyst (or anyone) checks and sums the t shares with Combine, obtaining the
// result encrypted under the analyst's key, which only AnalystKey.Decrypt opens; it
// decodes every slot as a centred integer. Fewer than t shares, or shares for different
// active sets, analyst keys, noise settings or results, do not combine.
//
// # One share per ciphertext, ever
//
// A second share of the same ciphertext (even for another active set) leaks the
// holder's key share (Lattigo SECURITY.md, "On the insecurity of retries"). A share
// depends on a ciphertext only through its mask (second component), so NewShare keys a
// durable Journal by the ceremony, the holder and the SHA-256 of the result's masks: it
// returns the recorded bytes unchanged when asked again for the identical request, and
// refuses with ErrAlreadyShared any other request for the same masks. A share is
// recorded before it is returned.
//
// # Encoding
//
// Shares are crypto/codec KindDecryptionShare blobs binding the holder, the result
// digest, the active set, the analyst-key, noise, mask and ceremony digests. ParseShare
// checks the digest (when given), header and exact size before reading a coefficient;
// no untrusted byte reaches Lattigo's decoders. Analyst keys are KindAnalystPublic and
// KindAnalystSecret blobs; the secret one is sealed at rest with age (AnalystKey.Save).
//
// Functions are safe for concurrent use unless documented otherwise.
package decrypt
