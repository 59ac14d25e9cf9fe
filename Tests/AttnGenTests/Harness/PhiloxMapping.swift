/// A third, Swift, statement of README "Dropout" (after the C reference and the kernels), used to check
/// the reference's mapping from (seed, offset, b, h, q, k) to keep/drop.
enum PhiloxMapping {
    /// Philox4x32-10 (Random123's philox4x32_10).
    static func philox(counter: (UInt32, UInt32, UInt32, UInt32), key: (UInt32, UInt32)) -> [UInt32] {
        var (c0, c1, c2, c3) = counter
        var (k0, k1) = key
        for round in 0..<10 {
            let product0 = UInt64(0xD251_1F53) * UInt64(c0)
            let product1 = UInt64(0xCD9E_8D57) * UInt64(c2)
            (c0, c1, c2, c3) = (UInt32(truncatingIfNeeded: product1 >> 32) ^ c1 ^ k0, UInt32(truncatingIfNeeded: product1),
                                UInt32(truncatingIfNeeded: product0 >> 32) ^ c3 ^ k1, UInt32(truncatingIfNeeded: product0))
            if round < 9 {
                k0 &+= 0x9E37_79B9
                k1 &+= 0xBB67_AE85
            }
        }
        return [c0, c1, c2, c3]
    }

    /// The 16-bit dropout value of element (b, h, q, k): halfword k mod 8 of the Philox call of key group k / 8.
    static func value(seed: UInt64, offset: UInt64, headsQ: Int, queryLength: Int, keyLength: Int,
                      b: Int, h: Int, q: Int, k: Int) -> UInt16 {
        let row = (UInt64(b) &* UInt64(headsQ) &+ UInt64(h)) &* UInt64(queryLength) &+ UInt64(q)
        let element = row &* ((UInt64(keyLength) + 7) / 8) &+ UInt64(k / 8)
        let words = philox(counter: (UInt32(truncatingIfNeeded: element), UInt32(truncatingIfNeeded: element >> 32),
                                     UInt32(truncatingIfNeeded: offset), UInt32(truncatingIfNeeded: offset >> 32)),
                           key: (UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: seed >> 32)))
        let word = words[(k % 8) / 2]
        return UInt16(truncatingIfNeeded: k % 2 == 0 ? word : word >> 16)
    }

    /// Whether dropout keeps element (b, h, q, k): its 16-bit value is not below the threshold.
    static func keeps(seed: UInt64, offset: UInt64, headsQ: Int, queryLength: Int, keyLength: Int,
                      b: Int, h: Int, q: Int, k: Int, threshold: UInt16) -> Bool {
        value(seed: seed, offset: offset, headsQ: headsQ, queryLength: queryLength, keyLength: keyLength,
              b: b, h: h, q: q, k: k) >= threshold
    }
}
