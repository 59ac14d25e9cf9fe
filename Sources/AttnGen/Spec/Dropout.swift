/// Dropout on the attention probabilities.
///
/// The probability is fixed in the spec; the Philox4x32-10 seed and offset are run-time parameters.
/// A kept probability is scaled by `1 / (1 - probability)`. README.md ("Dropout") gives the exact mapping
/// from (seed, offset, batch, head, query, key) to the random word and to keep/drop.
public struct Dropout: Sendable, Hashable {
    public var probability: Double

    public init(probability: Double) {
        self.probability = probability
    }

    /// The 32-bit threshold: an element is dropped when its random word is below it.
    /// `floor(p · 2^32)`, computed exactly in double precision.
    public var dropThreshold: UInt32 {
        let scaled = (probability * 4294967296.0).rounded(.down)
        return UInt32(max(0, min(scaled, 4294967295.0)))
    }

    /// The factor applied to kept probabilities.
    public var keepScale: Double { 1.0 / (1.0 - probability) }
}
