// The parts of a CUDA kernel that describe the variant: banner lines, `#define`s and compile-time constants.

extension CUDAEmitter {
    /// Banner lines: the variant in words and the plan it follows.
    func variantDescription(_ spec: AttentionSpec, plan: TilePlan) -> [String] {
        var lines = ["Variant \(spec.name) for \(target == .cudaSM90 ? "sm_90 (H100/H200)" : "sm_80 and later (A100)")."]
        lines.append("headDim \(spec.headDim), valueHeadDim \(spec.valueHeadDim), storage \(spec.storage.rawValue), "
                     + "scale \(spec.scale), heads \(headsDescription(spec.heads)).")
        lines.append("Masks: \(spec.masks.isEmpty ? "none" : spec.masks.map(maskDescription).joined(separator: " AND ")).")
        if let dropout = spec.dropout {
            lines.append("Dropout p = \(dropout.probability) (16-bit threshold \(dropout.dropThreshold)); "
                         + (spec.savesLogSumExp ? "saves the log-sum-exp." : "no log-sum-exp."))
        } else {
            lines.append(spec.savesLogSumExp ? "No dropout; saves the log-sum-exp." : "No dropout; no log-sum-exp.")
        }
        lines.append("Plan: Br = \(plan.blockRows), Bc = \(plan.blockColumns), \(plan.warps) warps, "
                     + "\(plan.stages) K/V stages, \(plan.onChipBytes) bytes of shared memory.")
        return lines
    }

    func headsDescription(_ heads: HeadCount) -> String {
        switch heads {
        case .runtime: "run time"
        case .fixed(let query, let keyValue): "\(query) query / \(keyValue) key-value"
        }
    }

    func maskDescription(_ mask: Mask) -> String {
        switch mask {
        case .causal(let alignment):
            "causal (\(alignment.rawValue))"
        case .slidingWindow(let left, let right, let alignment):
            "sliding window (left \(left.map(String.init) ?? "unbounded"), right \(right.map(String.init) ?? "unbounded"), \(alignment.rawValue))"
        case .blockSparse(let layout):
            "block-sparse (\(layout.blockRows) x \(layout.blockColumns) blocks)"
        case .predicate(let predicate):
            "predicate \(predicate)"
        }
    }

    /// `#define ATTNGEN_<NAME>_...` lines for the header.
    func variantDefines(_ spec: AttentionSpec, plan: TilePlan, layout: CUDATileLayout) -> String {
        let prefix = "ATTNGEN_\(spec.name.uppercased())_"
        var defines: [(String, String)] = [
            ("TARGET_SM", target == .cudaSM90 ? "90" : "80"),
            ("HEAD_DIM", "\(spec.headDim)"),
            ("VALUE_HEAD_DIM", "\(spec.valueHeadDim)"),
            ("STORAGE_\(spec.storage.rawValue.uppercased())", "1"),
            ("HEADS_Q", "\(spec.heads.queryHeads ?? 0)"),
            ("HEADS_KV", "\(spec.heads.keyValueHeads ?? 0)"),
            ("SCALE", "\(spec.scale)"),
            ("SAVES_LSE", spec.savesLogSumExp ? "1" : "0"),
            ("DROPOUT_PROBABILITY", "\(spec.dropout?.probability ?? 0)"),
        ]
        if let sparse = spec.blockSparseLayout {
            defines.append(("SPARSE_BLOCK_ROWS", "\(sparse.blockRows)"))
            defines.append(("SPARSE_BLOCK_COLUMNS", "\(sparse.blockColumns)"))
        }
        defines += [
            ("TILE_ROWS", "\(plan.blockRows)"),
            ("TILE_COLUMNS", "\(plan.blockColumns)"),
            ("THREADS", "\(plan.threadsPerBlock)"),
            ("SHARED_BYTES", "\(layout.sharedBytes)"),
        ]
        var lines = ["/* heads 0 = given at run time; TILE_* and SHARED_BYTES describe the launch. */"]
        let width = defines.map { prefix.count + $0.0.count }.max() ?? 0
        for (key, value) in defines {
            let name = prefix + key
            lines.append("#define \(name)\(String(repeating: " ", count: width - name.count + 1))\(value)")
        }
        return lines.joined(separator: "\n")
    }

    /// The `constexpr` block at the top of the kernel's namespace.
    func constants(_ spec: AttentionSpec, plan: TilePlan, layout: CUDATileLayout) -> String {
        let (element, raw): (String, String) = switch spec.storage {
        case .fp16: ("__half", "uint16_t")
        case .bf16: ("__nv_bfloat16", "uint16_t")
        case .fp32: ("float", "float")
        }
        let log2e = 1.4426950408889634
        let threshold = spec.dropout?.dropThreshold ?? 0
        let keepScale = spec.dropout?.keepScale ?? 1
        var lines: [String] = []
        lines.append("using Element = \(element);  /* how Q, K, V and O are stored */")
        lines.append("using Raw = \(raw);  /* the same bits, as shared memory holds them */")
        lines.append("constexpr int kHeadDim = \(spec.headDim);")
        lines.append("constexpr int kHeadDimPadded = \(layout.headDimPadded);")
        lines.append("constexpr int kValueHeadDim = \(spec.valueHeadDim);")
        lines.append("constexpr int kValueHeadDimPadded = \(layout.valueHeadDimPadded);")
        lines.append("constexpr int kRowPad = \(layout.rowPad);")
        lines.append("constexpr int kBlockRows = \(plan.blockRows);  /* Br */")
        lines.append("constexpr int kBlockColumns = \(plan.blockColumns);  /* Bc */")
        lines.append("constexpr int kWarps = \(plan.warps);")
        lines.append("constexpr int kStages = \(plan.stages);  /* K/V tiles in the cp.async ring */")
        lines.append("constexpr int kPlannedSharedBytes = \(plan.onChipBytes);")
        lines.append("constexpr bool kRowSumsInShared = \(layout.rowSumsInShared);  /* else in registers */")
        if spec.savesLogSumExp {
            lines.append("constexpr float kScale = \(floatLiteral(spec.scale));")
        }
        lines.append("constexpr float kScaleLog2 = \(floatLiteral(spec.scale * log2e));  /* scale · log2(e) */")
        lines.append("constexpr float kKeepScale = \(floatLiteral(keepScale));  /* 1 / (1 - p) */")
        if spec.dropout != nil {
            lines.append("constexpr uint32_t kDropThreshold = \(threshold)u;  /* floor(p · 2^16): a 16-bit value below it drops */")
        }
        lines.append("constexpr bool kSavesLogSumExp = \(spec.savesLogSumExp);")
        lines.append("constexpr bool kBlockSparse = \(spec.blockSparseLayout != nil);")
        let sparse = spec.blockSparseLayout
        lines.append("constexpr int kSparseBlockRows = \(sparse?.blockRows ?? 1);  /* the block mask's block (1 x 1: none) */")
        lines.append("constexpr int kSparseBlockColumns = \(sparse?.blockColumns ?? 1);")
        lines.append("constexpr int kFixedHeadsQ = \(spec.heads.queryHeads ?? 0);  /* 0: given at run time */")
        lines.append("constexpr int kFixedHeadsKV = \(spec.heads.keyValueHeads ?? 0);")
        return lines.joined(separator: "\n")
    }

    /// A C++ float literal holding `value` rounded once to fp32.
    func floatLiteral(_ value: Double) -> String {
        var text = "\(Float(value))"
        if !text.contains(".") && !text.contains("e") { text += ".0" }
        return text + "f"
    }
}
