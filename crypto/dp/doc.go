// Package dp draws the distributed differential-privacy noise that the decrypting
// key holders add to a query result before threshold decryption (DESIGN.md step 7).
//
// # Mechanism
//
// Every participating key holder adds, to each released value, an independent sample
// of the discrete Gaussian N_Z(0, σ²) (probability of x proportional to
// exp(-x²/(2σ²)) over the integers), with σ² a rational number. The released total
// therefore carries the sum of the holders' samples and no single holder knows it.
//
// Sampling is exact: the only randomness is uniform integers read from an io.Reader
// (crypto/rand.Reader in production), and every decision is made with integer or
// rational arithmetic (math/big), never with floating point. The samplers are those of
// Canonne, Kamath and Steinke, "The Discrete Gaussian for Differential Privacy"
// (NeurIPS 2020, arXiv:2004.00010): Bernoulli(exp(-γ)) for rational γ (their
// Algorithm 1), the discrete Laplace (Algorithm 2) and the discrete Gaussian by
// rejection from the discrete Laplace (Algorithm 3). Each runs in O(1) expected
// uniform draws whatever σ is.
//
// Why not Skellam noise: a sum of Skellam shares is exactly Skellam, which is elegant,
// but the known exact Poisson samplers (Duchon and Duvignau 2016, and Devroye's
// thinning) take time proportional to the Poisson mean. The mean grows with the square
// of the sensitivity, and sums of clipped measures have sensitivities of 10³ to 10⁶,
// so a per-party mean of 10⁷ to 10¹⁴ would make exact Skellam sampling take seconds
// to days per value. The discrete Gaussian costs the same at any scale, and the sum
// of discrete Gaussian shares has a published privacy analysis.
//
// # Guarantee
//
// The privacy analysis is Kairouz, Liu and Steinke, "The Distributed Discrete Gaussian
// Mechanism for Federated Learning with Secure Aggregation" (ICML 2021,
// arXiv:2102.06387), Proposition 14: the sum of n independent N_Z(0, σ²) vectors of
// dimension d added to a statistic with L1 sensitivity Δ1 and L2 sensitivity Δ2
// satisfies (α, ε(α))-Rényi DP for every α > 1 with
//
//	ε(α) = min{ α/2·s2² + τd,  α/2·(s2² + 2·s1·τ + τ²d),  α/2·(s2 + √d·τ)² }
//	s1 = Δ1/(√n·σ), s2 = Δ2/(√n·σ), τ = 10·Σ_{k=1}^{n-1} exp(-2π²σ²·k/(k+1)).
//
// For n = 1 (τ = 0) this is the exact Rényi divergence of the discrete Gaussian
// (Canonne, Kamath and Steinke, Proposition 5). Rényi DP converts to (ε, δ)-DP by
// Canonne, Kamath and Steinke, Proposition 12 (also Balle et al. 2020):
// ε = ε(α) + (ln(1/δ) − ln α)/(α−1) + ln(1 − 1/α), minimised over integer orders α.
// Calibrate searches for the smallest per-party σ² that reaches the requested
// (ε, δ) and rounds it up to a rational. The tests check the result against the
// exact (ε, δ) privacy profile computed from the probability mass functions.
//
// # Dishonest holders
//
// Holders that collude know their own noise and can subtract it, so only the noise of
// honest holders protects the data; a dishonest holder that adds nothing, or adds any
// value it chooses without seeing the plaintext, cannot weaken the guarantee further
// (post-processing). Calibration therefore takes MinHonest = h, the number of holders
// trusted to add their noise honestly and keep it secret, and gives each holder
// σ² large enough that the sum of any h honest shares alone meets (ε, δ)
// (n = h above). With Parties = t decrypting holders of which up to f may be
// dishonest, set MinHonest = t − f. If fewer than h holders are honest, the
// remaining noise has variance (honest/h) times the required one, and the guarantee
// degrades to the one computed for that smaller n; Noise.PrivacyLossWith reports it.
// With all t holders honest the released noise is larger than required by a factor
// t/h in variance: that is the price of tolerating dishonest holders.
//
// # Scope
//
// The guarantee covers one release of up to Noise.MaxValues values whose joint L1 and
// L2 sensitivities are those given to calibration (for a histogram of counts where
// each record falls in one cell, L1 = L2 = 1). Budget composition across queries is
// the ledger's business (policies). Noise is drawn off-chain, never in chaincode.
package dp
