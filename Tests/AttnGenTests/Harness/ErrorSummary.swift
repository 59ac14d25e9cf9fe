import Foundation
@testable import AttnGen

/// The largest errors seen per storage type over the matrix, printed after every variant
/// (the last `HARNESS-MAX` line of a run holds the totals).
final class ErrorSummary: @unchecked Sendable {
    static let shared = ErrorSummary()

    private let lock = NSLock()
    private var largest: [StorageType: (relL2: Double, relMax: Double, lse: Double, hugeRelMax: Double, longRelMax: Double)] = [:]

    /// `huge`: logits around 1e4; `long`: more than 1537 keys (both have wider bounds, so they are kept apart).
    func record(_ storage: StorageType, relL2: Double, relMax: Double, lse: Double, huge: Bool, long: Bool) {
        lock.lock()
        defer { lock.unlock() }
        var entry = largest[storage] ?? (0, 0, 0, 0, 0)
        if huge {
            entry.hugeRelMax = max(entry.hugeRelMax, relMax)
        } else if long {
            entry.longRelMax = max(entry.longRelMax, relMax)
        } else {
            entry.relL2 = max(entry.relL2, relL2)
            entry.relMax = max(entry.relMax, relMax)
        }
        entry.lse = max(entry.lse, lse)
        largest[storage] = entry
    }

    func printTotals() {
        lock.lock()
        defer { lock.unlock() }
        for storage in StorageType.allCases {
            guard let entry = largest[storage] else { continue }
            print("HARNESS-MAX storage=\(storage.rawValue) rel_l2=\(scientific(entry.relL2)) "
                + "rel_max=\(scientific(entry.relMax)) lse_err=\(scientific(entry.lse)) "
                + "huge_rel_max=\(scientific(entry.hugeRelMax)) long_rel_max=\(scientific(entry.longRelMax))")
        }
    }
}

/// `x` as "1.234e-05".
func scientific(_ x: Double) -> String { String(format: "%.3e", x) }
