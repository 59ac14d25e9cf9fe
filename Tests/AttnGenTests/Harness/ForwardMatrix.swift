import Testing
@testable import AttnGen

/// One entry of the forward matrix: a spec, the calls made with it, and how it is built.
struct MatrixVariant: Sendable, CustomTestStringConvertible {
    var spec: AttentionSpec
    var cases: [ShapeCase]
    /// A case run by several threads at once (the ABI promises thread safety).
    var concurrentCase: ShapeCase
    var openMP: Bool

    var testDescription: String { spec.name }
}

/// The matrix ForwardMatrixTests runs: every mask kind and the combinations, dropout on and off, MHA/GQA/MQA
/// with fixed and run-time heads, every storage type with every head dimension {16, 40, 64, 72, 128, 256},
/// two dv ≠ d variants, Nq and Nk in {0, 1, 17, 128, 1000, 1537} in mixed pairs, and four layouts.
enum ForwardMatrix {
    /// Per-run base of the input seeds: inputs differ from run to run; every case line names its seed.
    static let runSeed = UInt64.random(in: 1...(1 << 40))

    static func parse(_ text: String) -> MaskPredicate {
        do { return try MaskExpressionParser.parse(text) } catch { fatalError("bad test predicate \(text): \(error)") }
    }

    static func score(_ text: String) -> ScoreModifier {
        do { return .expression(try ScoreExpressionParser.parse(text)) } catch { fatalError("bad test score expression \(text): \(error)") }
    }

    /// (name, spec) of every variant; dims and storage are spread so that each (storage, dim) pair occurs.
    static let specs: [AttentionSpec] = [
        // No mask.
        AttentionSpec(name: "plain_fp32_d16", headDim: 16).storage(.fp32).savingLogSumExp(),
        AttentionSpec(name: "plain_fp16_d256", headDim: 256).storage(.fp16).savingLogSumExp(),
        AttentionSpec(name: "plain_bf16_d72", headDim: 72).storage(.bf16).savingLogSumExp(),
        // Causal, both alignments.
        AttentionSpec(name: "causal_tl_fp16_d64", headDim: 64).storage(.fp16).masked(by: .causal(.topLeft)).savingLogSumExp(),
        AttentionSpec(name: "causal_br_bf16_d40", headDim: 40).storage(.bf16).masked(by: .causal(.bottomRight)).savingLogSumExp(),
        AttentionSpec(name: "causal_br_mha_fp32_d128", headDim: 128).storage(.fp32).heads(2)
            .masked(by: .causal(.bottomRight)).savingLogSumExp(),
        // Sliding windows: both sides, one side, either alignment.
        AttentionSpec(name: "window_tl_fp32_d72", headDim: 72).storage(.fp32)
            .masked(by: .slidingWindow(left: 100, right: 20, alignment: .topLeft)).savingLogSumExp(),
        AttentionSpec(name: "window_br_right_fp16_d40", headDim: 40).storage(.fp16)
            .masked(by: .slidingWindow(left: nil, right: 7, alignment: .bottomRight)).savingLogSumExp(),
        AttentionSpec(name: "window_tl_left_bf16_d16", headDim: 16).storage(.bf16)
            .masked(by: .slidingWindow(left: 64, right: nil, alignment: .topLeft)).savingLogSumExp(),
        // Causal + window.
        AttentionSpec(name: "causal_window_br_bf16_d128", headDim: 128).storage(.bf16)
            .masked(by: .causal(.bottomRight))
            .masked(by: .slidingWindow(left: 255, right: 0, alignment: .bottomRight)).savingLogSumExp(),
        // Block-sparse (cases alternate per-head and shared layouts), alone and with causal.
        AttentionSpec(name: "block_fp32_d64", headDim: 64).storage(.fp32)
            .masked(by: .blockSparse(blockRows: 32, blockColumns: 64)).savingLogSumExp(),
        AttentionSpec(name: "block_odd_fp16_d16", headDim: 16).storage(.fp16)
            .masked(by: .blockSparse(blockRows: 8, blockColumns: 20)).savingLogSumExp(),
        AttentionSpec(name: "block_causal_bf16_d256", headDim: 256).storage(.bf16)
            .masked(by: .blockSparse(blockRows: 16, blockColumns: 32)).masked(by: .causal(.topLeft)).savingLogSumExp(),
        // Predicates, alone and with a window.
        AttentionSpec(name: "predicate_fp16_d72", headDim: 72).storage(.fp16)
            .masked(by: .predicate(parse("q % 7 != 3 && ((k - q) / 64 <= 0 || h % 2 == 1)"))).savingLogSumExp(),
        AttentionSpec(name: "predicate_window_fp32_d256", headDim: 256).storage(.fp32)
            .masked(by: .predicate(parse("abs(q - k) % 5 != 0 || b == 1")))
            .masked(by: .slidingWindow(left: 300, right: 300, alignment: .topLeft)).savingLogSumExp(),
        AttentionSpec(name: "predicate_lengths_bf16_d64", headDim: 64).storage(.bf16)
            .masked(by: .predicate(parse("k >= nk / 3 && (k < nk - 5 || q >= nq - 10)"))).savingLogSumExp(),
        // Dropout, alone and with masks.
        AttentionSpec(name: "dropout_scaled_fp32_d64", headDim: 64).storage(.fp32).scale(0.3).dropout(0.1).savingLogSumExp(),
        AttentionSpec(name: "dropout_causal_fp16_d128", headDim: 128).storage(.fp16)
            .masked(by: .causal(.topLeft)).dropout(0.5).savingLogSumExp(),
        AttentionSpec(name: "dropout_block_window_bf16_d72", headDim: 72).storage(.bf16)
            .masked(by: .blockSparse(blockRows: 16, blockColumns: 32))
            .masked(by: .slidingWindow(left: 40, right: 40, alignment: .bottomRight)).dropout(0.2).savingLogSumExp(),
        // Fixed heads: MHA, GQA, MQA.
        AttentionSpec(name: "mha_fixed_fp16_d128", headDim: 128).storage(.fp16).heads(4).savingLogSumExp(),
        AttentionSpec(name: "gqa_fixed_bf16_d40", headDim: 40).storage(.bf16).heads(query: 6, keyValue: 2)
            .masked(by: .causal(.bottomRight)).savingLogSumExp(),
        AttentionSpec(name: "mqa_fixed_fp32_d40", headDim: 40).storage(.fp32).heads(query: 4, keyValue: 1).savingLogSumExp(),
        // dv ≠ d.
        AttentionSpec(name: "dv_fp16_d192_dv128", headDim: 192).valueHeadDim(128).storage(.fp16)
            .masked(by: .causal(.bottomRight)).savingLogSumExp(),
        // Dropout at the ends of its range: p = 0 drops nothing, p = 0.95 almost everything.
        AttentionSpec(name: "dropout_zero_fp32_d16", headDim: 16).storage(.fp32).dropout(0.0).savingLogSumExp(),
        AttentionSpec(name: "dropout_high_fp16_d40", headDim: 40).storage(.fp16).dropout(0.95)
            .masked(by: .causal(.bottomRight)).savingLogSumExp(),
        // More combinations and shapes of blocks and windows.
        AttentionSpec(name: "dropout_predicate_fp16_d256", headDim: 256).storage(.fp16)
            .masked(by: .predicate(parse("(q - k) % 64 < 48 && q + 3 >= k"))).dropout(0.3).savingLogSumExp(),
        AttentionSpec(name: "window_br_narrow_fp32_d16", headDim: 16).storage(.fp32)
            .masked(by: .slidingWindow(left: 3, right: 3, alignment: .bottomRight)).savingLogSumExp(),
        AttentionSpec(name: "block_large_gqa_fp32_d40", headDim: 40).storage(.fp32).heads(query: 4, keyValue: 2)
            .masked(by: .blockSparse(blockRows: 128, blockColumns: 256)).savingLogSumExp(),
        AttentionSpec(name: "dv_wide_bf16_d40_dv72", headDim: 40).valueHeadDim(72).storage(.bf16).scale(0.05)
            .masked(by: .causal(.topLeft)).savingLogSumExp(),
        // No LSE output.
        AttentionSpec(name: "nolse_fp32_d64", headDim: 64).storage(.fp32)
            .masked(by: .slidingWindow(left: 16, right: 16, alignment: .topLeft)),
        // Score modifiers (README.md, "Score modifiers"): ALiBi with standard and run-time slopes, soft caps, general
        // expressions with run-time arrays, compositions, with masks and dropout.
        AttentionSpec(name: "alibi_causal_bf16_d64", headDim: 64).storage(.bf16).modified(by: .alibi)
            .masked(by: .causal(.bottomRight)).savingLogSumExp(),
        AttentionSpec(name: "alibi_runtime_br_gqa_fp32_d40", headDim: 40).storage(.fp32).heads(query: 4, keyValue: 2)
            .modified(by: .alibi(slopes: .runtime, alignment: .bottomRight)).savingLogSumExp(),
        AttentionSpec(name: "softcap_fp16_d128", headDim: 128).storage(.fp16).scale(0.5).modified(by: .softcap(2.5))
            .savingLogSumExp(),
        AttentionSpec(name: "scoremod_window_fp32_d72", headDim: 72).storage(.fp32)
            .modified(by: score("where(q >= k, s - 0.1 * abs(q - k) / (1 + h), 0.5 * s) + log(1 + exp(-abs(s)))"))
            .masked(by: .slidingWindow(left: 200, right: 50, alignment: .topLeft)).savingLogSumExp(),
        AttentionSpec(name: "scoremod_params_dropout_sparse_bf16_d64", headDim: 64).storage(.bf16)
            .modified(by: score("s * gain[h] - bias[h] * abs(q - k) / 64"))
            .masked(by: .blockSparse(blockRows: 32, blockColumns: 64)).dropout(0.2).savingLogSumExp(),
        AttentionSpec(name: "alibi_softcap_predicate_fp32_d16", headDim: 16).storage(.fp32).scale(2.0)
            .modified(by: .alibi).modified(by: .softcap(4)).modified(by: score("max(s, -3) - min(k, 5) / 8"))
            .masked(by: .predicate(parse("q % 3 != 1 || k < 4"))).savingLogSumExp(),
        // Paged K/V caches: pages of 1, of 16 (smaller than a key tile) and of 48 (neither divides the other).
        AttentionSpec(name: "paged1_bf16_d64_causal", headDim: 64).storage(.bf16).pagedKV(pageSize: 1)
            .masked(by: .causal(.bottomRight)).savingLogSumExp(),
        AttentionSpec(name: "paged16_fp16_d128", headDim: 128).storage(.fp16).pagedKV(pageSize: 16).savingLogSumExp(),
        AttentionSpec(name: "paged48_fp32_d40_window", headDim: 40).storage(.fp32).pagedKV(pageSize: 48)
            .masked(by: .slidingWindow(left: 30, right: 0, alignment: .bottomRight)).savingLogSumExp(),
        // Attention sinks (README.md, "Attention sinks"): alone, with masks, dropout, a modifier, a paged cache (the
        // decode path's splits), without the LSE; every fourth head's sink is -inf (no sink).
        AttentionSpec(name: "sinks_causal_bf16_d64", headDim: 64).storage(.bf16).withSinks()
            .masked(by: .causal(.bottomRight)).savingLogSumExp(),
        AttentionSpec(name: "sinks_window_dropout_fp32_d40", headDim: 40).storage(.fp32).withSinks().dropout(0.2)
            .masked(by: .slidingWindow(left: 24, right: 8, alignment: .topLeft)).savingLogSumExp(),
        // (ALiBi aligned bottom-right, as decoding uses it: with top-left biases, rows 70000 past their keys weigh them
        // below fp16's range against the sink, and O is 0 in storage where the float64 reference is 1e-119.)
        AttentionSpec(name: "sinks_paged16_alibi_fp16_d128", headDim: 128).storage(.fp16).withSinks().pagedKV(pageSize: 16)
            .modified(by: .alibi(slopes: .standard, alignment: .bottomRight)).masked(by: .causal(.bottomRight))
            .savingLogSumExp(),
        AttentionSpec(name: "sinks_sparse_nolse_fp16_d16", headDim: 16).storage(.fp16).withSinks()
            .masked(by: .blockSparse(blockRows: 16, blockColumns: 32)),
        // fp8 e4m3 inputs times descale factors (README.md, "fp8 inputs"; by the seed per (sequence, key/value head)
        // or per tensor, V's sometimes absent), O in each storage type, with masks, GQA, dropout, a modifier, sinks.
        AttentionSpec(name: "fp8_causal_gqa_bf16_d128", headDim: 128).storage(.bf16).inputs(.e4m3)
            .heads(query: 4, keyValue: 2).masked(by: .causal(.bottomRight)).savingLogSumExp(),
        AttentionSpec(name: "fp8_window_dropout_fp32_d64", headDim: 64).storage(.fp32).inputs(.e4m3).dropout(0.2)
            .masked(by: .slidingWindow(left: 50, right: 10, alignment: .topLeft)).savingLogSumExp(),
        AttentionSpec(name: "fp8_softcap_sinks_fp16_d40", headDim: 40).storage(.fp16).inputs(.e4m3).withSinks()
            .modified(by: .softcap(3)),
    ]

    /// (Nq, Nk) pairs: each length on both sides, Nq ≠ Nk mostly.
    static let lengthPairs: [(Int, Int)] = [
        (1, 1537), (1537, 17), (17, 1000), (1000, 128), (128, 1537), (1537, 1), (1, 17), (17, 128),
        (128, 1000), (1000, 1), (1537, 1000), (128, 17), (17, 1), (1000, 1537), (1, 1), (128, 128),
    ]

    /// Run-time head counts, cycling MHA, GQA, MQA and a wider GQA group.
    static let runtimeHeads: [(Int, Int)] = [(2, 2), (4, 2), (3, 1), (8, 2)]

    static let variants: [MatrixVariant] = specs.enumerated().map { index, spec in
        let openMP = index % 4 == 1
        var cases: [ShapeCase] = []
        for slot in 0..<6 {
            let (nq, nk) = lengthPairs[(3 * index + slot) % lengthPairs.count]
            let large = nq * nk > 200_000
            var shape = ShapeCase(queryLength: nq, keyLength: nk)
            shape.batch = large ? 1 : 2
            if spec.heads == .runtime {
                let heads = runtimeHeads[(index + slot) % runtimeHeads.count]
                shape.heads = large ? (heads.0 / heads.1 == 1 ? (1, 1) : (2, 1)) : heads
            }
            shape.layout = ShapeCase.Layout.allCases[(index + slot) % ShapeCase.Layout.allCases.count]
            shape.seed = runSeed &+ UInt64(index * 16 + slot)
            shape.hugeLogits = slot == 2
            shape.sharedBlockMask = slot % 2 == 1
            shape.threads = openMP ? (slot % 2 == 0 ? 2 : 1) : 0
            cases.append(shape)
        }
        if index % 3 == 0 {
            // Nk = 0: every row fully masked (O = 0, LSE = -inf).
            var empty = ShapeCase(queryLength: 17, keyLength: 0)
            empty.batch = 2
            empty.seed = runSeed &+ UInt64(index * 16 + 15)
            cases.append(empty)
        }
        // Per-sequence key counts (seqlens_k): a few query rows against a cache of a different length per sequence.
        var used = index % 2 == 0 ? ShapeCase(queryLength: 5, keyLength: 300) : ShapeCase(queryLength: 40, keyLength: 129)
        used.batch = 4
        if spec.heads == .runtime { used.heads = runtimeHeads[index % runtimeHeads.count] }
        used.layout = ShapeCase.Layout.allCases[(index + 1) % ShapeCase.Layout.allCases.count]
        used.seed = runSeed &+ UInt64(index * 16 + 12)
        used.usedKeys = true
        used.threads = openMP ? 2 : 0
        cases.append(used)
        // A variable-length batch: packed query rows, keys or both (paged caches pack queries only, their keys come
        // from the page table), with an empty sequence and one of length 1; every fourth variant caps the packed keys
        // with seqlens_k too; decode-sized rows (the decode path) on odd variants.
        var packed = index % 2 == 0 ? ShapeCase(queryLength: 70, keyLength: 129) : ShapeCase(queryLength: 3, keyLength: 300)
        packed.batch = 5
        if spec.heads == .runtime { packed.heads = runtimeHeads[(index + 2) % runtimeHeads.count] }
        packed.layout = ShapeCase.Layout.allCases[(index + 2) % ShapeCase.Layout.allCases.count]
        packed.seed = runSeed &+ UInt64(index * 16 + 11)
        packed.packing = spec.pageSize != nil ? 1 : [3, 1, 2][index % 3]
        packed.usedKeys = index % 4 == 3
        packed.threads = openMP ? 2 : 0
        cases.append(packed)
        // A long row (many key tiles, a long fp32 sum) or many query tiles, cheap because the other side is short.
        var long = index % 2 == 0 ? ShapeCase(queryLength: 3, keyLength: 70_001) : ShapeCase(queryLength: 70_001, keyLength: 5)
        if spec.heads == .runtime { long.heads = (2, 1) }
        long.layout = ShapeCase.Layout.allCases[index % ShapeCase.Layout.allCases.count]
        long.seed = runSeed &+ UInt64(index * 16 + 13)
        long.sharedBlockMask = index % 4 < 2
        long.threads = openMP ? 2 : 0
        cases.append(long)
        var concurrent = ShapeCase(queryLength: 200, keyLength: 333)
        concurrent.batch = 2
        concurrent.layout = .mixed
        concurrent.seed = runSeed &+ UInt64(index * 16 + 14)
        concurrent.threads = openMP ? 2 : 0
        return MatrixVariant(spec: spec, cases: cases, concurrentCase: concurrent, openMP: openMP)
    }
}
