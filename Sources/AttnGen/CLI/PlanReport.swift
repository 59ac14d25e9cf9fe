import Foundation

/// The text `attngen plan` prints: the tile plan, its byte account against the budget and, when sequence
/// lengths are given, the IO estimate against standard attention.
public enum PlanReport {
    /// `blockDensity`, when given, is the fraction of sparse blocks the estimate assumed computed.
    public static func text(spec: AttentionSpec, plan: TilePlan, estimate: TrafficEstimate?,
                            blockDensity: Double? = nil) -> String {
        var lines: [String] = []
        lines.append("variant \(spec.name): headDim \(spec.headDim), valueHeadDim \(spec.valueHeadDim), "
                     + "\(spec.storage.rawValue), heads \(headsText(spec.heads)), masks \(masksText(spec.masks))")
        lines.append("target   \(plan.target.rawValue)")
        lines.append("tile     Br = \(plan.blockRows) query rows, Bc = \(plan.blockColumns) key columns")
        if plan.target.isCUDA {
            lines.append("warps    \(plan.warps) (\(plan.threadsPerBlock) threads), \(plan.stages) K/V pipeline stage"
                         + (plan.stages == 1 ? "" : "s"))
            lines.append("regs     ~\(plan.accumulatorRegistersPerThread) fp32 accumulator registers per thread "
                         + "(limit \(TilePlanner.accumulatorRegisterLimit))")
        } else {
            lines.append("warps    \(plan.warps), stages \(plan.stages) (C: one tile at a time per thread)")
        }
        lines.append("on-chip byte account:")
        let width = plan.accounts.map(\.item.count).max() ?? 0
        for account in plan.accounts {
            lines.append("  \(pad(account.item, width))  \(leftPad(grouped(account.bytes), 11)) B")
        }
        lines.append("  \(pad("total", width))  \(leftPad(grouped(plan.onChipBytes), 11)) B of "
                     + "\(grouped(plan.budget)) B budget (\(percent(Double(plan.onChipBytes) / Double(plan.budget))))")
        if let estimate {
            let density = blockDensity.map { ", block density \($0)" } ?? ""
            lines.append("IO estimate for Nq = \(estimate.queryLength), Nk = \(estimate.keyLength) (one batch·head\(density)):")
            lines.append("  standard attention  \(leftPad(grouped(estimate.standardBytes), 15)) B")
            lines.append("  tiled kernel        \(leftPad(grouped(estimate.tiledBytes), 15)) B")
            let ratio = estimate.tiledBytes == 0 ? 0 : Double(estimate.standardBytes) / Double(estimate.tiledBytes)
            lines.append("  ratio               \(fixed(ratio, 2))x less traffic")
            lines.append("  tiles visited       \(estimate.visitedTiles) of \(estimate.totalTiles)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func headsText(_ heads: HeadCount) -> String {
        switch heads {
        case .runtime: "run-time"
        case .fixed(let query, let keyValue): "\(query):\(keyValue)"
        }
    }

    static func masksText(_ masks: [Mask]) -> String {
        guard !masks.isEmpty else { return "none" }
        return masks.map { mask in
            switch mask {
            case .causal(let alignment): "causal(\(alignment.rawValue))"
            case .slidingWindow(let left, let right, let alignment):
                "window(\(left.map(String.init) ?? ""):\(right.map(String.init) ?? ""), \(alignment.rawValue))"
            case .blockSparse(let layout): "block-sparse(\(layout.blockRows)x\(layout.blockColumns))"
            case .predicate(let predicate): "predicate(\(predicate))"
            }
        }.joined(separator: " && ")
    }

    static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var result = ""
        for (index, character) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { result += "," }
            result.append(character)
        }
        return (value < 0 ? "-" : "") + result
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text + String(repeating: " ", count: max(0, width - text.count))
    }

    static func leftPad(_ text: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - text.count)) + text
    }

    static func fixed(_ value: Double, _ digits: Int) -> String {
        String(format: "%.\(digits)f", value)
    }

    static func percent(_ fraction: Double) -> String {
        fixed(fraction * 100, 1) + "%"
    }
}
