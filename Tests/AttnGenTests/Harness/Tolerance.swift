@testable import AttnGen

/// How far a kernel's output may be from the float64 reference.
///
/// The reference reads the very same stored (already rounded) inputs, so the error is only the kernel's
/// fp32 arithmetic and the rounding of O to the storage type:
/// - fp32: the unit roundoff is 2^-24 ≈ 6e-8; the sums over up to 1537 keys and 256 dims, the online
///   rescaling and exp() add a few hundred ulps at worst, well under 1e-5 relative.
/// - fp16: rounding O costs up to half an ulp, 2^-11 ≈ 4.9e-4 relative; 2e-3 leaves room for a kernel that
///   also rounds P to fp16 before P·V (as tensor-core kernels do).
/// - bf16: half an ulp is 2^-8 ≈ 3.9e-3; 1.5e-2 leaves the same kind of room.
/// - LSE is fp32 whatever the storage; its error is measured relative to max(1, Σ|q_i k_i|·scale) of the row,
///   the size of the terms the logits are summed from.
/// With huge logits (|S| ~ 1e4) every fp32 kernel carries an absolute logit error of a few ulps of
/// Σ|q_i k_i|·scale, which moves probabilities by that much relatively: the O bounds grow by
/// 4 · 2^-24 · (largest such sum), reported per case as `logit_max`.
struct Tolerance: CustomStringConvertible {
    var relativeL2: Double
    var relativeMax: Double
    var logSumExp: Double

    static func forStorage(_ storage: StorageType) -> Tolerance {
        switch storage {
        case .fp32: Tolerance(relativeL2: 1e-5, relativeMax: 1e-5, logSumExp: 5e-6)
        case .fp16: Tolerance(relativeL2: 2e-3, relativeMax: 2e-3, logSumExp: 5e-6)
        case .bf16: Tolerance(relativeL2: 1.5e-2, relativeMax: 1.5e-2, logSumExp: 5e-6)
        }
    }

    /// The bounds for rows of `keyLength` keys: rounding errors of the fp32 sums grow like a random walk, so
    /// beyond the 1537 keys the base bounds were set for they grow with √(Nk / 1537).
    func forKeys(_ keyLength: Int) -> Tolerance {
        let factor = (Double(Swift.max(keyLength, 1537)) / 1537).squareRoot()
        return Tolerance(relativeL2: relativeL2 * factor, relativeMax: relativeMax * factor, logSumExp: logSumExp)
    }

    /// The bounds for a case whose largest logit term sum is `logitMax`.
    func withLogits(_ logitMax: Double) -> Tolerance {
        let slack = 4 * 0x1p-24 * Swift.max(0, logitMax)
        return Tolerance(relativeL2: relativeL2 + slack, relativeMax: relativeMax + slack, logSumExp: logSumExp)
    }

    var description: String { "rel_l2 ≤ \(relativeL2), rel_max ≤ \(relativeMax), lse_err ≤ \(logSumExp)" }
}
