/// A JSON file describing several variants at once, read by `attngen --spec FILE.json`:
///
/// ```json
/// {"variants": [{"name": "gqa_window", "headDim": 128, "valueHeadDim": 128,
///                "heads": {"query": 32, "keyValue": 8}, "dtype": "bf16", "scale": 0.088,
///                "masks": [{"causal": "bottom-right"},
///                          {"window": {"left": 256, "right": 0, "alignment": "bottom-right"}},
///                          {"blockSparse": {"blockRows": 64, "blockColumns": 64}},
///                          {"predicate": "q >= k"}],
///                "dropout": 0.1, "lse": true, "backward": false}]}
/// ```
///
/// Only `name` and `headDim` are required. A missing `heads` leaves both head counts to run time, a missing
/// `dtype` is fp16, a missing `scale` is 1/sqrt(headDim). A window side that is missing or `null` is unbounded.
/// Unknown keys are refused, and every error names the variant and the field (`SpecFileError`).
public struct SpecFile: Sendable, Hashable, Codable {
    /// The variants, in the file's order: the same values the DSL and the command-line flags build.
    public var variants: [AttentionSpec]

    public init(variants: [AttentionSpec]) {
        self.variants = variants
    }
}
