/// What the PyTorch package says about one variant: its entry in `_variants.py`, its Python function, its line in
/// the package README and a call in the examples. All from the `VariantModel`, so the Python signature offers
/// exactly the run-time arguments the variant's kernels read.
struct TorchFunctionRendering {
    var variant: VariantModel
    /// The variant's source files in each kernel folder of the package ("c", "cuda/sm80", ...).
    var sources: [(folder: String, files: [String])]
    /// The kernel folders without the variant's kernels, and why (fp8 inputs on sm80).
    var unavailable: [(folder: String, reason: String)] = []

    var name: String { variant.name }

    var torchDType: String {
        switch variant.storage {
        case .fp32: "torch.float32"
        case .fp16: "torch.float16"
        case .bf16: "torch.bfloat16"
        }
    }

    /// The torch dtype of q, k and v: the output's, or that of the stored inputs (fp8).
    var inputTorchDType: String {
        switch variant.inputStorage {
        case nil: torchDType
        case .e4m3: "torch.float8_e4m3fn"
        }
    }

    /// The kind of each mask of the spec, in its order, as a Python tuple: "causal", "window", "block-sparse" or
    /// "predicate" (what `context_parallel` needs to know to split a variant's work between shards of a sequence).
    var maskKinds: String {
        let kinds = variant.masks.source.map { mask in
            switch mask {
            case .causal: "causal"
            case .slidingWindow: "window"
            case .blockSparse: "block-sparse"
            case .predicate: "predicate"
            }
        }
        return "(" + kinds.map(PythonLiterals.string).joined(separator: ", ") + (kinds.count == 1 ? ",)" : ")")
    }

    /// A tuple of Python strings.
    private func pythonTuple(_ items: [String]) -> String {
        "(" + items.map(PythonLiterals.string).joined(separator: ", ") + (items.count == 1 ? ",)" : ")")
    }

    /// The `unavailable` dictionary's items: kernel folder -> reason.
    private var unavailableItems: String {
        unavailable.map { "\(PythonLiterals.string($0.folder)): \(PythonLiterals.string($0.reason))" }.joined(separator: ", ")
    }

    /// `NAME: Variant(...)` in `VARIANTS`.
    var tableEntry: String {
        let (headsQ, headsKV): (Int?, Int?) = switch variant.heads {
        case .runtime: (nil, nil)
        case .fixed(let query, let keyValue): (query, keyValue)
        }
        let sourceItems = sources.map { folder, files in
            "\(PythonLiterals.string(folder)): (" + files.map(PythonLiterals.string).joined(separator: ", ")
                + (files.count == 1 ? ",)" : ")")
        }
        return """
            \(PythonLiterals.string(name)): Variant(
                name=\(PythonLiterals.string(name)),
                head_dim=\(variant.headDim),
                value_head_dim=\(variant.valueHeadDim),
                storage=\(PythonLiterals.string(variant.storage.rawValue)),
                heads_q=\(PythonLiterals.optionalInt(headsQ)),
                heads_kv=\(PythonLiterals.optionalInt(headsKV)),
                scale=\(PythonLiterals.float(variant.scale)),
                saves_lse=\(PythonLiterals.bool(variant.savesLogSumExp)),
                has_backward=\(PythonLiterals.bool(variant.includesBackward)),
                dropout_p=\(PythonLiterals.float(variant.dropout?.probability ?? 0)),
                block_rows=\(variant.blockSparse?.blockRows ?? 0),
                block_columns=\(variant.blockSparse?.blockColumns ?? 0),
                masks=\(maskKinds),
                page_size=\(variant.pageSize ?? 0),
                score_modifiers=\(pythonTuple(variant.scoreModifier.descriptions)),
                score_parameters=\(pythonTuple(variant.scoreModifier.parameters)),
                score_modifier_positions=\(PythonLiterals.bool(variant.scoreModifier.readsPositions)),
                sinks=\(PythonLiterals.bool(variant.hasSinks)),
                input_storage=\(PythonLiterals.string(variant.inputStorage?.rawValue ?? "")),
                unavailable={\(unavailableItems)},
                description=\(PythonLiterals.string(variant.descriptionLines.joined(separator: " "))),
                sources={
                    \(sourceItems.joined(separator: ",\n        ")),
                },
            ),
            """
    }

    /// The keyword parameters of the function beyond `layout`, with their defaults.
    private var options: [(parameter: String, argument: String)] {
        var options: [(String, String)] = []
        if variant.blockSparse != nil { options.append(("block_mask=None", "block_mask")) }
        if variant.dropout != nil {
            options.append(("dropout_seed=None", "dropout_seed"))
            options.append(("dropout_offset=0", "dropout_offset"))
        }
        if variant.savesLogSumExp { options.append(("return_lse=False", "return_lse")) }
        if variant.includesBackward { options.append(("deterministic=True", "deterministic")) }
        options.append(("seqlens_k=None", "seqlens_k"))
        if variant.pageSize != nil { options.append(("page_table=None", "page_table")) }
        if !variant.scoreModifier.parameters.isEmpty { options.append(("score_parameters=None", "score_parameters")) }
        if variant.hasSinks { options.append(("sinks=None", "sinks")) }
        if variant.inputStorage != nil {
            options += [("q_descale=None", "q_descale"), ("k_descale=None", "k_descale"), ("v_descale=None", "v_descale")]
        }
        return options
    }

    /// The arguments `_runtime.call` takes, with this variant's values for those it does not offer.
    private var callArguments: String {
        let offered = Set(options.map(\.argument))
        let all: [(String, String)] = [
            ("block_mask", "None"), ("dropout_seed", "None"), ("dropout_offset", "0"), ("return_lse", "False"),
            ("deterministic", "True"), ("seqlens_k", "None"), ("page_table", "None"), ("score_parameters", "None"),
            ("sinks", "None"),
        ]
        var items = all.map { name, fallback in "\(name)=\(offered.contains(name) ? name : fallback)" }
        var lines = [items[0..<3], items[3..<6], items[6...]]
        if offered.contains("q_descale") {  // only fp8 variants pass them (README.md, "fp8 inputs")
            items = ["q_descale=q_descale", "k_descale=k_descale", "v_descale=v_descale"]
            lines.append(items[0...])
        }
        // Aligned under the call's opening parenthesis.
        let indent = ",\n" + String(repeating: " ", count: 25)
        return lines.map { $0.joined(separator: ", ") }.joined(separator: indent)
    }

    private var shapes: String {
        let heads = switch variant.heads {
        case .runtime: ("Hq", "Hkv")
        case .fixed(let query, let keyValue): ("\(query)", "\(keyValue)")
        }
        if let pageSize = variant.pageSize {
            return "q [B, Nq, \(heads.0), \(variant.headDim)], k [pages, \(pageSize), \(heads.1), \(variant.headDim)], "
                + "v [pages, \(pageSize), \(heads.1), \(variant.valueHeadDim)] (page pools)"
        }
        return "q [B, Nq, \(heads.0), \(variant.headDim)], k [B, Nk, \(heads.1), \(variant.headDim)], "
            + "v [B, Nk, \(heads.1), \(variant.valueHeadDim)]"
    }

    /// The Python function.
    var function: String {
        let parameters = ["q", "k", "v", "*", "layout=\"bshd\""] + options.map(\.parameter)
        var doc = variant.descriptionLines.map(PythonLiterals.docstring)
        doc.append("")
        doc.append("\(shapes) (layout=\"bshd\";")
        if variant.inputStorage == nil {
            doc.append("\"bhsd\" swaps the sequence and head axes), \(torchDType), CPU or CUDA, last dimension contiguous.")
        } else {
            doc.append("\"bhsd\" swaps the sequence and head axes), \(inputTorchDType), CPU or CUDA"
                       + (unavailable.isEmpty ? "" : " (" + unavailable.map { $0.folder.replacingOccurrences(of: "cuda/", with: "") }
                            .joined(separator: ", ") + " GPUs excepted)") + ", last dimension contiguous.")
        }
        doc.append("Returns O [B, Nq, Hq, \(variant.valueHeadDim)] in the same layout"
                   + (variant.inputStorage == nil ? "" : ", \(torchDType)")
                   + (variant.savesLogSumExp ? "; with return_lse=True, (O, LSE [B, Hq, Nq] fp32)." : "."))
        if variant.inputStorage != nil {
            doc.append("q_descale, k_descale, v_descale: float32 factors the stored values are multiplied by, one per tensor")
            doc.append("(a single element) or one per (sequence, key/value head) [B, Hkv]; None: 1 (quantize_e4m3 makes them).")
        }
        if let blockSparse = variant.blockSparse {
            doc.append("block_mask (required): bool/uint8 [ceil(Nq/\(blockSparse.blockRows)), ceil(Nk/\(blockSparse.blockColumns))] "
                       + "or [B, Hq, ...] (broadcast), non-zero = computed.")
        }
        if variant.dropout != nil {
            doc.append("dropout_seed (required), dropout_offset: the Philox key and stream of the dropout mask.")
        }
        if let pageSize = variant.pageSize {
            doc.append("page_table (required): int32 [B, pages per sequence], the pool pages of each sequence's keys in order")
            doc.append("(key k of sequence b: row k % \(pageSize) of page page_table[b, k // \(pageSize)]; Nk = pages per sequence x \(pageSize)).")
        }
        doc.append("seqlens_k: int32 [B], the keys each sequence uses (cache lengths; inference only), or None for all.")
        let arrays = variant.scoreModifier.parameters
        if !arrays.isEmpty {
            doc.append("score_parameters (required): float32 [\(arrays.count), Hq], the score modifiers' run-time arrays, rows "
                       + arrays.joined(separator: ", ") + (variant.includesBackward ? "; differentiable." : "."))
        }
        if variant.hasSinks {
            doc.append("sinks (required): float32 [Hq], each query head's sink logit (natural-log units, -inf: none), a term of"
                       + " the softmax's denominator without a value row" + (variant.includesBackward ? "; differentiable." : "."))
        }
        doc.append(variant.includesBackward
                   ? "Differentiable in q, k, v\(differentiatedExtras) (the generated backward kernels; deterministic=False: the faster atomic dQ)."
                   : "Forward only (generated without --backward).")
        let docText = doc.map { $0.isEmpty ? "" : "    " + $0 }.joined(separator: "\n")
        return """
            def \(name)(\(parameters.joined(separator: ", "))):
                \"\"\"\(docText.dropFirst(4))
                \"\"\"
                return _runtime.call(VARIANTS[\(PythonLiterals.string(name))], OPS[\(PythonLiterals.string(name))][0], q, k, v,
                                     layout=layout, \(callArguments))
            """
    }

    /// ", score_parameters and sinks" or what of them the variant reads: its differentiable run-time arrays.
    private var differentiatedExtras: String {
        let extras = (variant.scoreModifier.parameters.isEmpty ? [] : ["score_parameters"]) + (variant.hasSinks ? ["sinks"] : [])
        switch extras.count {
        case 0: return ""
        case 1: return " and " + extras[0]
        default: return ", " + extras.dropLast().joined(separator: ", ") + " and " + extras.last!
        }
    }

        /// Lines that build inputs for the variant and call it (the README's and the docstring's example).
    var example: [String] {
        let (hq, hkv) = switch variant.heads {
        case .runtime: (8, 8)
        case .fixed(let query, let keyValue): (query, keyValue)
        }
        var lines = [
            "q = torch.randn(2, 1024, \(hq), \(variant.headDim), dtype=\(torchDType), requires_grad=\(PythonLiterals.bool(variant.includesBackward)))",
            "k = torch.randn(2, 1024, \(hkv), \(variant.headDim), dtype=\(torchDType), requires_grad=\(PythonLiterals.bool(variant.includesBackward)))",
            "v = torch.randn(2, 1024, \(hkv), \(variant.valueHeadDim), dtype=\(torchDType), requires_grad=\(PythonLiterals.bool(variant.includesBackward)))",
        ]
        var arguments = ["q", "k", "v"]
        if variant.inputStorage != nil {
            // fp8: quantized per (sequence, key/value head) by the package's quantize_e4m3.
            lines = lines.map { $0.replacingOccurrences(of: "dtype=\(torchDType), requires_grad=False)", with: "dtype=\(torchDType))") }
            lines.append("(q8, qd), (k8, kd), (v8, vd) = (quantize_e4m3(t, heads_kv=\(hkv)) for t in (q, k, v))   # e4m3, descales [2, \(hkv)]")
            lines.append("o = \(name)(q8, k8, v8, q_descale=qd, k_descale=kd, v_descale=vd)   # [2, 1024, \(hq), \(variant.valueHeadDim)] \(torchDType)")
            return lines
        }
        let sinks = "sinks = torch.zeros(\(hq), requires_grad=\(PythonLiterals.bool(variant.includesBackward && variant.pageSize == nil)))"
            + "   # one sink logit per query head"
        if let pageSize = variant.pageSize {
            lines = [
                "q = torch.randn(2, 1, \(hq), \(variant.headDim), dtype=\(torchDType))   # one query row per sequence",
                "k = torch.randn(64, \(pageSize), \(hkv), \(variant.headDim), dtype=\(torchDType))   # a pool of 64 pages",
                "v = torch.randn(64, \(pageSize), \(hkv), \(variant.valueHeadDim), dtype=\(torchDType))",
                "page_table = torch.randperm(64, dtype=torch.int32).view(2, 32)   # 32 pages per sequence",
                "seqlens_k = torch.tensor([\(pageSize * 32), \(pageSize * 20 + 1)], dtype=torch.int32)   # keys in use",
            ]
            if variant.hasSinks { lines.append(sinks) }
            lines.append("o = \(name)(q, k, v, page_table=page_table, seqlens_k=seqlens_k\(variant.hasSinks ? ", sinks=sinks" : ""))"
                         + "   # [2, 1, \(hq), \(variant.valueHeadDim)]")
            return lines
        }
        if let blockSparse = variant.blockSparse {
            lines.append("block_mask = torch.rand(-(-1024 // \(blockSparse.blockRows)), -(-1024 // \(blockSparse.blockColumns))) < 0.5")
            arguments.append("block_mask=block_mask")
        }
        if variant.dropout != nil { arguments.append("dropout_seed=1234, dropout_offset=0") }
        if variant.hasSinks {
            lines.append(sinks)
            arguments.append("sinks=sinks")
        }
        lines.append("o = \(name)(\(arguments.joined(separator: ", ")))   # [2, 1024, \(hq), \(variant.valueHeadDim)]")
        if variant.includesBackward {
            lines.append("o.float().square().mean().backward()   # q.grad, k.grad, v.grad" + (variant.hasSinks ? ", sinks.grad" : ""))
        }
        return lines
    }

    /// The variant's row in the package README.
    var readmeRow: String {
        "| `\(name)` | " + variant.descriptionLines.joined(separator: " ").replacingOccurrences(of: "|", with: "\\|") + " |"
    }
}
