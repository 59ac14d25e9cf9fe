/// Dropout on the attention probabilities.
///
/// The probability is fixed in the spec; the Philox4x32-10 seed and offset are run-time parameters.
/// A kept probability is scaled by `1 / (1 - probability)`. README.md ("Dropout") gives the exact mapping
/// from (seed, offset, batch, head, query, key) to the element's 16-bit random value and to keep/drop.
public struct Dropout: Sendable, Hashable {
    public var probability: Double

    public init(probability: Double) {
        self.probability = probability
    }

    /// The 16-bit threshold: an element is dropped when its 16-bit random value (one halfword of a Philox
    /// output) is below it. `floor(p · 65536)`, computed exactly in double precision, so the effective drop
    /// probability `dropThreshold / 65536` lies within 2^-16 below `probability`.
    public var dropThreshold: UInt16 {
        let scaled = (probability * 65536.0).rounded(.down)
        return UInt16(max(0, min(scaled, 65535.0)))
    }

    /// The factor applied to kept probabilities.
    public var keepScale: Double { 1.0 / (1.0 - probability) }
}
