import Foundation

/// The text `attngen plan` prints: the tile plan, its byte account against the budget and, when sequence
/// lengths are given, the IO estimate against standard attention.
public enum PlanReport {
    /// Every kernel of the variant: its tile, launch shape and on-chip byte account; then the IO estimate.
    /// `blockDensity`, when given, is the fraction of sparse blocks the estimate assumed computed.
    public static func text(variant: VariantModel, plan: VariantPlan, estimate: TrafficEstimate?,
                            blockDensity: Double? = nil) -> String {
        var lines: [String] = []
        lines.append("variant \(variant.name): headDim \(variant.headDim), valueHeadDim \(variant.valueHeadDim), "
                     + (variant.inputStorage.map { "\($0.rawValue) inputs, \(variant.storage.rawValue) output" }
                        ?? variant.storage.rawValue)
                     + ", heads \(variant.headsSummary), masks \(variant.masks.summary)"
                     + (variant.scoreModifier.isEmpty ? "" : ", score modifiers "
                        + variant.scoreModifier.descriptions.joined(separator: "; "))
                     + (variant.scoreModifier.parameters.isEmpty ? "" : " (run-time arrays, in score_parameters' order: "
                        + variant.scoreModifier.parameters.joined(separator: ", ") + ")")
                     + (variant.hasSinks ? ", attention sinks (run-time logits per query head)" : ""))
        lines.append("target   \(plan.target.rawValue) (\(plan.target.family.rawValue) kernels on \(plan.target.device.displayName))")
        for kernel in plan.kernels {
            lines.append("kernel   \(kernel.kernel)")
            lines += kernel.shape.map { "  " + $0 }
            guard !kernel.accounts.isEmpty else { continue }
            lines.append("  on-chip byte account:")
            let width = kernel.accounts.map(\.item.count).max() ?? 0
            for account in kernel.accounts {
                lines.append("    \(pad(account.item, width))  \(leftPad(grouped(account.bytes), 11)) B")
            }
            lines.append("    \(pad("total", width))  \(leftPad(grouped(kernel.onChipBytes), 11)) B of "
                         + "\(grouped(plan.budget)) B budget (\(percent(Double(kernel.onChipBytes) / Double(plan.budget))))")
        }
        if let estimate {
            let density = blockDensity.map { ", block density \($0)" } ?? ""
            lines.append("IO estimate of the forward pass for Nq = \(estimate.queryLength), Nk = \(estimate.keyLength) "
                         + "(one batch·head\(density)):")
            lines.append("  standard attention  \(leftPad(grouped(estimate.standardBytes), 15)) B")
            lines.append("  tiled kernel        \(leftPad(grouped(estimate.tiledBytes), 15)) B")
            let ratio = estimate.tiledBytes == 0 ? 0 : Double(estimate.standardBytes) / Double(estimate.tiledBytes)
            lines.append("  ratio               \(fixed(ratio, 2))x less traffic")
            lines.append("  tiles visited       \(estimate.visitedTiles) of \(estimate.totalTiles)")
        }
        return lines.joined(separator: "\n") + "\n"
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
