/// The variants attngen ships pre-generated in `generated/` (`attngen emit ... --catalogue`).
///
/// The list covers the shapes most models use and at least one variant of every DSL feature, so that a
/// consumer who only needs a common kernel can link it without running attngen, and so that the committed
/// output exercises every code path of every backend:
///
/// | group            | why |
/// |------------------|-----|
/// | MHA d64 / d128   | the two most common head sizes (GPT-2/BERT, Llama), fp16 and bf16, dense and causal |
/// | bottom-right     | causal attention of a chunk of new queries against a longer KV cache (prefill/decoding) |
/// | GQA / MQA        | fixed head counts 32:8 (Llama-3) and 16:1 (multi-query), checked at run time |
/// | sliding window   | Mistral-style causal window, and a symmetric local window (Longformer) |
/// | block-sparse     | 64×64 blocks (BigBird-style layouts given at run time), and 128×128 with causal |
/// | predicate        | chunked local attention with attention sinks, and a prefix-LM mask |
/// | training         | forward and backward passes (dQ, dK, dV) with dropout p = 0.1, and a GQA one without |
/// | LSE              | forward passes that save the log-sum-exp for a backward pass, without dropout |
/// | fp32             | full-precision references and CPUs without fast half types |
/// | d = 256, d = 96  | the largest supported head size (Gemma) and a non-power-of-two one (Phi) |
/// | d 192 / dv 128   | different Q/K and V head sizes (DeepSeek's MLA) |
/// | custom scale     | 1/d scaling (μP) instead of 1/√d |
/// | score modifiers  | ALiBi with the standard slopes (BLOOM, MPT), causal |
/// | attention sinks  | gpt-oss's layer: GQA 64:8, d = 64, a 128-key causal window, learned sinks, training |
///
/// Every variant leaves batch, sequence lengths and strides to run time; heads are run-time unless fixed.
/// Every variant plans on every target (`c`, `sm80`, `sm90`) with the default budgets.
public enum DefaultCatalogue {
    public static let variants: [AttentionSpec] = [
        // Multi-head attention, the dense and causal baselines.
        AttentionSpec(name: "mha_d64_fp16", headDim: 64).storage(.fp16),
        AttentionSpec(name: "mha_d64_fp16_causal", headDim: 64).storage(.fp16).masked(by: .causal),
        AttentionSpec(name: "mha_d64_bf16", headDim: 64).storage(.bf16),
        AttentionSpec(name: "mha_d64_bf16_causal", headDim: 64).storage(.bf16).masked(by: .causal),
        AttentionSpec(name: "mha_d128_fp16", headDim: 128).storage(.fp16),
        AttentionSpec(name: "mha_d128_fp16_causal", headDim: 128).storage(.fp16).masked(by: .causal),
        AttentionSpec(name: "mha_d128_bf16", headDim: 128).storage(.bf16),
        AttentionSpec(name: "mha_d128_bf16_causal", headDim: 128).storage(.bf16).masked(by: .causal),
        // A chunk of queries against a longer KV cache: the diagonal ends at the last key.
        AttentionSpec(name: "mha_d128_bf16_causal_bottom_right", headDim: 128).storage(.bf16)
            .masked(by: .causal(.bottomRight)),

        // Grouped-query and multi-query attention with fixed head counts.
        AttentionSpec(name: "gqa_32x8_d128_bf16_causal", headDim: 128).heads(query: 32, keyValue: 8)
            .storage(.bf16).masked(by: .causal),
        AttentionSpec(name: "mqa_16x1_d128_fp16_causal", headDim: 128).heads(query: 16, keyValue: 1)
            .storage(.fp16).masked(by: .causal),

        // Sliding windows: causal with 256 keys of history, and a symmetric local window.
        AttentionSpec(name: "swa_w256_d128_bf16_causal", headDim: 128).storage(.bf16)
            .masked(by: .causal(.bottomRight)).masked(by: .slidingWindow(left: 255, right: 0, alignment: .bottomRight)),
        AttentionSpec(name: "local_w64_d64_fp16", headDim: 64).storage(.fp16)
            .masked(by: .slidingWindow(left: 64, right: 64)),
        AttentionSpec(name: "gqa_32x8_swa_w512_d128_bf16", headDim: 128).heads(query: 32, keyValue: 8).storage(.bf16)
            .masked(by: .slidingWindow(left: 511, right: 0, alignment: .bottomRight)),

        // Block-sparse layouts supplied at run time.
        AttentionSpec(name: "blocksparse_b64_d64_fp16", headDim: 64).storage(.fp16)
            .masked(by: .blockSparse(blockSize: 64)),
        AttentionSpec(name: "blocksparse_b128_d128_bf16_causal", headDim: 128).storage(.bf16)
            .masked(by: .causal).masked(by: .blockSparse(blockSize: 128)),

        // Predicates: chunks of 128 queries see their own chunk plus 4 "sink" keys; a 64-key prefix-LM.
        AttentionSpec(name: "chunked_sinks_d64_fp16", headDim: 64).storage(.fp16)
            .masked(by: .predicate { q, k in (q / 128 == k / 128 && k <= q) || k < 4 }),
        AttentionSpec(name: "prefix_lm_d128_bf16", headDim: 128).storage(.bf16)
            .masked(by: .predicate { q, k in k < 64 || k <= q }),

        // Training: forward and backward passes (the forward saves the log-sum-exp the backward reads).
        AttentionSpec(name: "train_d64_fp16_dropout", headDim: 64).storage(.fp16)
            .dropout(0.1).withBackward(),
        AttentionSpec(name: "train_d128_bf16_causal_dropout", headDim: 128).storage(.bf16)
            .masked(by: .causal).dropout(0.1).withBackward(),
        AttentionSpec(name: "train_gqa_32x8_d128_bf16_causal", headDim: 128).heads(query: 32, keyValue: 8)
            .storage(.bf16).masked(by: .causal).withBackward(),

        // Forward passes that keep the log-sum-exp for a backward pass.
        AttentionSpec(name: "lse_d64_fp16_causal", headDim: 64).storage(.fp16).masked(by: .causal).savingLogSumExp(),
        AttentionSpec(name: "lse_d128_bf16_causal", headDim: 128).storage(.bf16).masked(by: .causal).savingLogSumExp(),

        // Full precision.
        AttentionSpec(name: "fp32_d64", headDim: 64).storage(.fp32),
        AttentionSpec(name: "fp32_d64_causal_lse", headDim: 64).storage(.fp32).masked(by: .causal).savingLogSumExp(),

        // Other head sizes.
        AttentionSpec(name: "mha_d256_bf16_causal", headDim: 256).storage(.bf16).masked(by: .causal),
        AttentionSpec(name: "mha_d96_fp16_causal", headDim: 96).storage(.fp16).masked(by: .causal),
        AttentionSpec(name: "mla_d192_v128_bf16_causal", headDim: 192).valueHeadDim(128).storage(.bf16)
            .masked(by: .causal),

        // 1/d scaling instead of 1/sqrt(d).
        AttentionSpec(name: "mup_d128_bf16", headDim: 128).storage(.bf16).scale(1.0 / 128.0),

        // Score modifiers and attention sinks.
        AttentionSpec(name: "alibi_d128_bf16_causal", headDim: 128).storage(.bf16).modified(by: .alibi)
            .masked(by: .causal),
        AttentionSpec(name: "gpt_oss_swa_w128_d64_bf16_sinks", headDim: 64).heads(query: 64, keyValue: 8).storage(.bf16)
            .masked(by: .causal(.bottomRight)).masked(by: .slidingWindow(left: 127, right: 0, alignment: .bottomRight))
            .withSinks().withBackward(),
    ]
}
