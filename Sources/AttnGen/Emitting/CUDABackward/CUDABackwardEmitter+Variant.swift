// The parts of a CUDA backward kernel that describe the variant: banner lines, `#define`s and constants.

extension CUDABackwardEmitter {
    /// Banner lines: the variant in words and the backward plan it follows.
    func variantDescription(_ spec: AttentionSpec, plan: CUDABackwardPlan) -> [String] {
        var lines = ["Backward pass of variant \(spec.name) for "
                     + "\(target == .cudaSM90 ? "sm_90 (H100/H200)" : "sm_80 and later (A100)")."]
        lines.append("headDim \(spec.headDim), valueHeadDim \(spec.valueHeadDim), storage \(spec.storage.rawValue), "
                     + "scale \(spec.scale), heads \(forward.headsDescription(spec.heads)).")
        lines.append("Masks: \(spec.masks.isEmpty ? "none" : spec.masks.map(forward.maskDescription).joined(separator: " AND ")).")
        if let dropout = spec.dropout {
            lines.append("Dropout p = \(dropout.probability) (16-bit threshold \(dropout.dropThreshold)), regenerated from seed and offset.")
        } else {
            lines.append("No dropout.")
        }
        lines.append("Key kernel: \(plan.keyRows) keys x \(plan.queryRows) queries per step (\(Self.buffers(plan.queryStages))), \(plan.keyWarps) warps, "
                     + "\(plan.keySharedBytes) bytes of shared memory.")
        lines.append("dQ kernel (deterministic mode): \(plan.dqRows) queries x \(plan.dqColumns) keys per step (\(Self.buffers(plan.dqStages))), "
                     + "\(plan.dqWarps) warps, \(plan.dqSharedBytes) bytes of shared memory.")
        return lines
    }

    /// "1 buffer", "2 buffers".
    static func buffers(_ count: Int) -> String {
        count == 1 ? "1 buffer" : "\(count) buffers"
    }

    /// `#define ATTNGEN_<NAME>_BACKWARD_...` lines for the header.
    func variantDefines(_ spec: AttentionSpec, plan: CUDABackwardPlan) -> String {
        let prefix = "ATTNGEN_\(spec.name.uppercased())_BACKWARD_"
        let defines: [(String, String)] = [
            ("KEY_TILE", "\(plan.keyRows)"),
            ("QUERY_TILE", "\(plan.queryRows)"),
            ("KEY_THREADS", "\(plan.keyWarps * 32)"),
            ("KEY_SHARED_BYTES", "\(plan.keySharedBytes)"),
            ("DQ_QUERY_TILE", "\(plan.dqRows)"),
            ("DQ_KEY_TILE", "\(plan.dqColumns)"),
            ("DQ_THREADS", "\(plan.dqWarps * 32)"),
            ("DQ_SHARED_BYTES", "\(plan.dqSharedBytes)"),
        ]
        var lines = ["/* Fixed when generated: the launch shapes of the key kernel and of the deterministic dQ kernel. */"]
        let width = defines.map { prefix.count + $0.0.count }.max() ?? 0
        for (key, value) in defines {
            let name = prefix + key
            lines.append("#define \(name)\(String(repeating: " ", count: width - name.count + 1))\(value)")
        }
        return lines.joined(separator: "\n")
    }

    /// The `constexpr` block at the top of the kernels' namespace.
    func constants(_ spec: AttentionSpec, plan: CUDABackwardPlan) -> String {
        let (element, raw): (String, String) = switch spec.storage {
        case .fp16: ("__half", "uint16_t")
        case .bf16: ("__nv_bfloat16", "uint16_t")
        case .fp32: ("float", "float")
        }
        let log2e = 1.4426950408889634
        var lines: [String] = []
        lines.append("using Element = \(element);  /* how Q, K, V, O and the gradients are stored */")
        lines.append("using Raw = \(raw);  /* the same bits, as shared memory holds them */")
        lines.append("constexpr int kHeadDim = \(spec.headDim);")
        lines.append("constexpr int kHeadDimPadded = \(plan.headDimPadded);")
        lines.append("constexpr int kValueHeadDim = \(spec.valueHeadDim);")
        lines.append("constexpr int kValueHeadDimPadded = \(plan.valueHeadDimPadded);")
        lines.append("constexpr int kRowPad = \(plan.rowPad);")
        lines.append("constexpr int kKeyRows = \(plan.keyRows);  /* keys per block of the key kernel (Bc) */")
        lines.append("constexpr int kQueryRows = \(plan.queryRows);  /* query rows per step of the key kernel (Br) */")
        lines.append("constexpr int kQueryStages = \(plan.queryStages);  /* query-tile buffers of the key kernel */")
        lines.append("constexpr int kParts = \(plan.parts);  /* warps sharing each 16 keys, splitting the dK/dV columns */")
        lines.append("constexpr int kWarps = \(plan.keyWarps);")
        lines.append("constexpr int kDqPieceColumns = \(plan.dqPieceColumns);  /* dQ columns per atomic piece (fast mode) */")
        lines.append("constexpr int kDqRows = \(plan.dqRows);  /* query rows per block of the dQ kernel */")
        lines.append("constexpr int kDqColumns = \(plan.dqColumns);  /* keys per step of the dQ kernel */")
        lines.append("constexpr int kDqStages = \(plan.dqStages);  /* key-tile buffers of the dQ kernel */")
        lines.append("constexpr int kDqWarps = \(plan.dqWarps);")
        lines.append("constexpr int kPlannedKeySharedBytes = \(plan.keySharedBytes);")
        lines.append("constexpr int kPlannedDqSharedBytes = \(plan.dqSharedBytes);")
        lines.append("constexpr float kScale = \(forward.floatLiteral(spec.scale));")
        lines.append("constexpr float kScaleLog2 = \(forward.floatLiteral(spec.scale * log2e));  /* scale · log2(e) */")
        lines.append("constexpr float kLog2e = \(forward.floatLiteral(log2e));")
        lines.append("constexpr bool kDropout = \(spec.dropout != nil);")
        lines.append("constexpr float kKeepScale = \(forward.floatLiteral(spec.dropout?.keepScale ?? 1));  /* 1 / (1 - p) */")
        if let dropout = spec.dropout {
            lines.append("constexpr uint32_t kDropThreshold = \(dropout.dropThreshold)u;  /* floor(p · 2^16): a 16-bit value below it drops */")
        }
        lines.append("constexpr bool kBlockSparse = \(spec.blockSparseLayout != nil);")
        let sparse = spec.blockSparseLayout
        lines.append("constexpr int kSparseBlockRows = \(sparse?.blockRows ?? 1);  /* the block mask's block (1 x 1: none) */")
        lines.append("constexpr int kSparseBlockColumns = \(sparse?.blockColumns ?? 1);")
        lines.append("constexpr int kFixedHeadsQ = \(spec.heads.queryHeads ?? 0);  /* 0: given at run time */")
        lines.append("constexpr int kFixedHeadsKV = \(spec.heads.keyValueHeads ?? 0);")
        return lines.joined(separator: "\n")
    }
}
