// What the generated files say about their variant: the comment lines of the banner and header,
// and the `#define`s of the header.

extension CEmitter {
    /// Lines describing the spec and the plan (no dates, so regenerating gives identical bytes).
    func describe(_ spec: AttentionSpec, plan: TilePlan) -> [String] {
        var lines = ["Variant \(spec.name): exact attention forward pass (FlashAttention-2 tiling) for the C backend."]
        lines.append("Head dimensions: d = \(spec.headDim) (Q, K), dv = \(spec.valueHeadDim) (V, O).")
        switch spec.heads {
        case .runtime:
            lines.append("Heads: chosen at run time (heads_q a multiple of heads_kv).")
        case .fixed(let query, let keyValue):
            let kind = query == keyValue ? "MHA" : (keyValue == 1 ? "MQA" : "GQA")
            lines.append("Heads: \(query) query, \(keyValue) key/value (\(kind)).")
        }
        lines.append("Storage: \(spec.storage.rawValue) (\(spec.storage.cStorageType)); fp32 arithmetic; scale = \(spec.scale).")
        let masks = spec.masks.map(maskDescription)
        lines.append("Masks: " + (masks.isEmpty ? "none." : masks.joined(separator: "; ") + "."))
        if let dropout = spec.dropout {
            lines.append("Dropout: p = \(dropout.probability) (16-bit threshold \(dropout.dropThreshold), "
                         + "keep scale \(Float(dropout.keepScale))), Philox4x32-10 as in README.md.")
        } else {
            lines.append("Dropout: none.")
        }
        lines.append("Log-sum-exp: " + (spec.savesLogSumExp ? "saved (fp32, natural log)." : "not saved."))
        lines.append("")
        lines.append("Plan: Br = \(plan.blockRows) query rows x Bc = \(plan.blockColumns) keys per tile; "
                     + "\(plan.onChipBytes) of \(plan.budget) budget bytes per thread:")
        for account in plan.accounts {
            lines.append("  \(account.item): \(account.bytes) B")
        }
        return lines.map(Self.commentSafe)
    }

    func maskDescription(_ mask: Mask) -> String {
        switch mask {
        case .causal(let alignment):
            return "causal (\(alignment.rawValue))"
        case .slidingWindow(let left, let right, let alignment):
            let text: (Int?) -> String = { $0.map(String.init) ?? "unbounded" }
            return "sliding window (\(alignment.rawValue), left \(text(left)), right \(text(right)))"
        case .blockSparse(let layout):
            return "block-sparse (\(layout.blockRows) x \(layout.blockColumns) blocks)"
        case .predicate(let predicate):
            return "predicate \(predicate)"
        }
    }

    /// `#define ATTNGEN_<NAME>_...` lines.
    func defines(_ spec: AttentionSpec, plan: TilePlan) -> String {
        let prefix = "ATTNGEN_\(spec.name.uppercased())_"
        let values: [(String, String)] = [
            ("HEAD_DIM", "\(spec.headDim)"),
            ("VALUE_HEAD_DIM", "\(spec.valueHeadDim)"),
            ("HEADS_Q", "\(spec.heads.queryHeads ?? 0)"),
            ("HEADS_KV", "\(spec.heads.keyValueHeads ?? 0)"),
            ("ELEMENT_BYTES", "\(spec.storage.byteSize)"),
            ("SCALE", "\(spec.scale)"),
            ("SAVES_LSE", spec.savesLogSumExp ? "1" : "0"),
            ("DROPOUT_P", "\(spec.dropout?.probability ?? 0.0)"),
            ("BLOCK_ROWS", "\(spec.blockSparseLayout?.blockRows ?? 0)"),
            ("BLOCK_COLUMNS", "\(spec.blockSparseLayout?.blockColumns ?? 0)"),
            ("TILE_ROWS", "\(plan.blockRows)"),
            ("TILE_COLUMNS", "\(plan.blockColumns)"),
        ]
        return values.map { "#define \(prefix)\($0.0) \($0.1)" }.joined(separator: "\n")
    }
}
