/// `NAME.cuh` and `NAME.cu`: the mma.sync forward kernel and its launcher (Templates/cuda/forward.{cuh,cu}), with
/// the tensor-core products of the storage type and the pieces its variant needs (dropout, the LSE store).
struct MMAForwardKernel {
    var variant: VariantModel
    var plan: TilePlan
    var device: Device
    var templates: TemplateLibrary
    /// The decode kernel rendered beside the forward kernel, when it runs the variant.
    var decode: DecodePlan?
    /// The launcher's name after `attngen_NAME_`: `forward_cuda`, or `forward_mma_cuda` for the Hopper family's
    /// fallback.
    var entry = "forward_cuda"

    private var layout: MMAForwardLayout { MMAForwardLayout(spec: variant.spec, plan: plan) }

    private var planLines: [String] {
        ["Forward plan for \(device.displayName): Br = \(plan.blockRows), Bc = \(plan.blockColumns), \(plan.warps) warps, "
            + "\(plan.stages) K/V stages, \(layout.sharedBytes) bytes of shared memory."]
    }

    func renderHeader() throws(SpecError) -> String {
        let names = variant.names
        var defines: [(String, String)] = [("TARGET_SM", "\(device.computeCapability)"),
                                            ("STORAGE_\(variant.storage.rawValue.uppercased())", "1")]
        defines += variant.describingMacros.map { ($0.key, $0.value) }
        defines += [
            ("TILE_ROWS", "\(plan.blockRows)"),
            ("TILE_COLUMNS", "\(plan.blockColumns)"),
            ("THREADS", "\(plan.threadsPerBlock)"),
            ("SHARED_BYTES", "\(layout.sharedBytes)"),
        ]
        return try templates.template("cuda/forward.cuh").render([
            "banner": GeneratedBanner.cComment(Banner.lines(variant, file: planLines + ["Template: Templates/cuda/forward.cuh"])),
            "name": variant.name,
            "guard": VariantNames.guardName(of: names.forwardHeaderCUDA),
            "value_head_dim": "\(variant.valueHeadDim)",
            "quantize_declaration": "",  // fp8 inputs never reach the mma.sync family
            "variant_defines": DefineBlock.render(defines.map { (names.macro($0.0), $0.1) },
                                                  comment: "heads 0 = given at run time; TILE_* and SHARED_BYTES describe the launch."),
        ])
    }

    func renderSource() throws(SpecError) -> String {
        let products = variant.storage == .fp32 ? "cuda/products_tf32.cuh" : "cuda/products_f16.cuh"
        let name = ["name": variant.name]
        // With a decode kernel: its source, the launcher's hand-over to it and its workspace size; without one: no
        // split (a workspace of 0) and seqlens_k refused.
        let kernel = decode.map { MMADecodeKernel(variant: variant, plan: $0, templates: templates) }
        let decodeLines = kernel.map {
            ["Decode kernel: \($0.planLine) Templates: Templates/cuda/decode.cu, Templates/cuda/combine.cu."]
        } ?? ["Combine kernel: Templates/cuda/combine.cu."]
        let workspaceSize = kernel == nil ? "return 0;  /* no decode kernel: calls never split */"
            : "return attngen_\(variant.name)_decode::workspace_size(*params);"
        let decodeValues = [
            "decode": try kernel?.render(products: products) ?? "",
            "decode_dispatch": kernel == nil
                ? try templates.template("cuda/pieces/forward_seqlens_unsupported.cu").render([:])
                : try templates.template("cuda/pieces/forward_decode_dispatch.cu").render(name),
            "workspace_size": try templates.template("cuda/pieces/forward_workspace_size.cu")
                .render(name.merging(["size": workspaceSize, "rules_namespace": "attngen_\(variant.name)_detail"]) { $1 }),
        ]
        return try templates.template("cuda/forward.cu").render([
            "includes": kernel?.includes ?? "",
            "banner": GeneratedBanner.cComment(Banner.lines(variant, file: planLines + decodeLines + [
                "Templates: Templates/cuda/forward.cu, Templates/\(products)",
            ])),
            "name": variant.name,
            "entry": entry,
            "constants": constants,
            "products": try templates.template(products).render([:]),
            "dropout": variant.dropout == nil ? "" : try templates.template("cuda/pieces/forward_dropout.cu").render([:]),
            "score_modifier": variant.scoreModifier.isEmpty ? ""
                : try templates.template("cuda/pieces/forward_score_modifier.cu").render([:]),
            "score_modifier_state": variant.scoreModifier.isEmpty ? "" : try templates.template("cuda/pieces/score_modifier_state.cu").render([:]),
            "sink": variant.hasSinks ? try templates.template("cuda/pieces/forward_sink.cu").render([:]) : "",
            "save_lse": variant.savesLogSumExp ? try templates.template("cuda/pieces/forward_lse_store.cu").render([:]) : "",
            "combine": try templates.template("cuda/combine.cu").render(name),
        ].merging(decodeValues) { $1 })
    }

    /// The plan's `constexpr` block: tile sizes, warps, stages and the shared-memory layout.
    var constants: String {
        let layout = self.layout
        return [
            "constexpr int kHeadDimPadded = \(layout.headDimPadded);",
            "constexpr int kValueHeadDimPadded = \(layout.valueHeadDimPadded);",
            "constexpr int kRowPad = \(layout.rowPad);",
            "constexpr int kBlockRows = \(plan.blockRows);  /* Br */",
            "constexpr int kBlockColumns = \(plan.blockColumns);  /* Bc */",
            "constexpr int kWarps = \(plan.warps);",
            "constexpr int kStages = \(plan.stages);  /* K/V tiles in the cp.async ring */",
            "constexpr bool kRowSumsInShared = \(layout.rowSumsInShared);  /* else in registers */",
            "/* Shared memory, as the plan accounts it: the Q tile, kStages K and V tiles, and the row sums. */",
            "constexpr int kQTileElements = \(layout.queryTileElements);",
            "constexpr int kKTileElements = \(layout.keyTileElements);",
            "constexpr int kVTileElements = \(layout.valueTileElements);",
            "constexpr int kSharedBytes = \(layout.sharedBytes);",
        ].joined(separator: "\n")
    }
}
