/// The renderer of the Hopper family (sm_90a): per variant `NAME` the public header `NAME.cuh`, the variant header
/// `NAME_variant.cuh` (the same as the mma family's), the Hopper forward kernel and launcher `NAME.cu`
/// (Templates/hopper/forward.cu), the mma.sync forward `NAME_mma.cu` its launcher runs for layouts TMA cannot
/// address, and with a backward pass the backward kernels `NAME_backward.{cuh,cu}` (the mma.sync ones, with the
/// Hopper key kernel beside them where `HopperBackwardPlanner` runs the variant). Every output folder
/// also gets the ABI headers and both runtime headers (attngen_runtime_cuda.cuh, attngen_runtime_hopper.cuh).
public struct HopperEmitter: KernelEmitter {
    public let templates: TemplateLibrary

    public static let runtimeHeaderName = "attngen_runtime_hopper.cuh"

    public init(templates: TemplateLibrary) {
        self.templates = templates
    }

    /// An emitter with the templates shipped with the library.
    public init() throws(SpecError) {
        self.init(templates: try TemplateLibrary.bundled())
    }

    public var target: Target { .hopperSM90 }

    public func sharedFiles() throws(SpecError) -> [GeneratedFile] {
        try CUDASharedFiles.files(templates: templates) + [try CUDASharedFiles.hopperRuntime(templates: templates)]
    }

    public func emit(_ variant: VariantModel, plan: VariantPlan) throws(SpecError) -> [GeneratedFile] {
        try checkTarget(of: plan)
        guard plan.fallbackForward != nil || variant.inputStorage != nil else {
            throw SpecError(field: "plan", message: "a hopper plan holds the mma.sync fallback of its forward kernel")
        }
        let names = variant.names
        var files = [
            GeneratedFile(path: names.forwardHeaderCUDA, contents: try header(variant, plan: plan.forward, quantize: plan.quantize)),
            GeneratedFile(path: names.hooksHeaderCUDA,
                          contents: try CUDAVariantHeader(variant: variant, device: .sm90, templates: templates).render()),
            GeneratedFile(path: names.forwardSourceCUDA, contents: try source(variant, plan: plan)),
        ]
        // The mma.sync forward for layouts TMA cannot address (none for fp8 inputs, which no mma.sync kernel reads).
        if let fallbackPlan = plan.fallbackForward {
            let fallback = MMAForwardKernel(variant: variant, plan: fallbackPlan, device: .sm90, templates: templates,
                                            decode: plan.decode, entry: "forward_mma_cuda")
            files.append(GeneratedFile(path: names.fallbackSourceCUDA, contents: try fallback.renderSource()))
        }
        if case .mma(let backwardPlan) = plan.backward {
            files += try MMABackwardKernel(variant: variant, plan: backwardPlan, device: .sm90, templates: templates,
                                           hopper: plan.hopperBackward).files()
        }
        return files
    }

    private func planLines(_ plan: TilePlan) -> [String] {
        ["Forward plan for sm_90 (H100/H200), Hopper family: Br = \(plan.blockRows), Bc = \(plan.blockColumns), "
            + "\(plan.warps) warps (a producer warpgroup and \(plan.consumerWarpgroups) consumer warpgroups), \(plan.stages) "
            + "K/V TMA stages, \(plan.queryBuffers) Q tile" + (plan.queryBuffers == 1 ? "" : "s") + ", \(plan.onChipBytes) "
            + "bytes of shared memory; persistent (one CTA per SM)."]
    }

    /// `NAME.cuh`: the launcher's declaration and the `#define`s describing the variant and the launch.
    func header(_ variant: VariantModel, plan: TilePlan, quantize: QuantizePlan?) throws(SpecError) -> String {
        let names = variant.names
        var defines: [(String, String)] = [("TARGET_SM", "90"), ("STORAGE_\(variant.storage.rawValue.uppercased())", "1")]
        defines += variant.describingMacros.map { ($0.key, $0.value) }
        if let quantize { defines.append(("ROTATION_BLOCK", "\(quantize.rotationBlock)")) }
        defines += [("TILE_ROWS", "\(plan.blockRows)"), ("TILE_COLUMNS", "\(plan.blockColumns)"),
                    ("THREADS", "\(plan.threadsPerBlock)"), ("SHARED_BYTES", "\(plan.onChipBytes)")]
        return try templates.template("cuda/forward.cuh").render([
            "banner": GeneratedBanner.cComment(Banner.lines(variant, file: planLines(plan) + ["Template: Templates/cuda/forward.cuh"])),
            "name": variant.name,
            "guard": VariantNames.guardName(of: names.forwardHeaderCUDA),
            "value_head_dim": "\(variant.valueHeadDim)",
            "quantize_declaration": quantize == nil ? "" : QuantizeRendering.declarationCUDA(variant.name),
            "variant_defines": DefineBlock.render(defines.map { (names.macro($0.0), $0.1) },
                                                  comment: "heads 0 = given at run time; TILE_* and SHARED_BYTES describe the launch."),
        ])
    }

    /// `NAME.cu`: the Hopper kernel (one per key-tile width the plan holds) and the launcher.
    func source(_ variant: VariantModel, plan: VariantPlan) throws(SpecError) -> String {
        let dispatch = plan.decode != nil ? try templates.template("cuda/pieces/hopper_decode_dispatch.cu").render([
            "name": variant.name, "max_query_rows": "\(DecodePlan.maximumQueryRows)",
        ]) : ""
        var kernels = try kernel(variant, plan: plan, tile: plan.forward, suffix: "")
        var tileDispatch = ""
        var lines = planLines(plan.forward)
        if let long = plan.longForward {
            kernels += "\n" + (try kernel(variant, plan: plan, tile: long, suffix: "_long"))
            tileDispatch = try templates.template("hopper/pieces/forward_long_dispatch.cu").render([
                "name": variant.name, "minimum_keys": "\(HopperForwardPlanner.longMinimumKeys)",
                "long_tile": Self.tileText(long), "short_tile": Self.tileText(plan.forward),
            ])
            lines.append("From \(HopperForwardPlanner.longMinimumKeys) keys on: Br = \(long.blockRows), Bc = \(long.blockColumns), "
                         + "\(long.consumerWarpgroups) consumer warpgroups, \(long.stages) K/V stages, \(long.queryBuffers) Q tile"
                         + (long.queryBuffers == 1 ? "" : "s") + ", \(long.onChipBytes) bytes of shared memory.")
        }
        let fallback = fallbackValues(variant, plan: plan)
        // The workspace query of the ABI: the mma.sync fallback file defines it; without one (fp8 inputs, no decode
        // kernel either) it is defined here, and no call splits.
        let workspaceSize = plan.fallbackForward != nil ? "" : "\n" + (try templates.template("cuda/pieces/forward_workspace_size.cu")
            .render(["name": variant.name, "rules_namespace": "attngen_\(variant.name)_variant",
                     "size": "return 0;  /* fp8 inputs: no decode kernel, so calls never split */"]))
        // Likewise the public merge of partial results (Templates/cuda/combine.cu), which the header declares.
        let combine = plan.fallbackForward != nil ? "" : "\n" + (try templates.template("cuda/combine.cu").render(["name": variant.name]))
        let quantize = try plan.quantize.map { quantize throws(SpecError) in
            "\n" + (try templates.template("hopper/pieces/quantize.cu").render(QuantizeRendering.values(variant.name, plan: quantize, cuda: true)))
        } ?? ""
        return try templates.template("hopper/forward.cu").render([
            "workspace_size": workspaceSize,
            "combine": combine,
            "quantize": quantize,
            "fallback_declaration": fallback.declaration,
            "fallback_call_params": fallback.call("params"),
            "decode_dispatch": dispatch,
            "banner": GeneratedBanner.cComment(Banner.lines(variant, file: lines + ["Template: Templates/hopper/forward.cu"])),
            "name": variant.name,
            "kernels": kernels,
            "tile_dispatch": tileDispatch,
        ])
    }

    /// A kernel's tile for the launcher's comments: "192 x 128, 3 consumer warpgroups".
    static func tileText(_ tile: TilePlan) -> String {
        "\(tile.blockRows) x \(tile.blockColumns), \(tile.consumerWarpgroups) consumer warpgroups"
    }

    /// What the launcher does with a call the TMA kernel cannot take: run the mma.sync forward (`NAME_mma.cu`), or
    /// without one (fp8 inputs) refuse it.
    private func fallbackValues(_ variant: VariantModel, plan: VariantPlan)
        -> (declaration: String, call: (String) -> String) {
        let name = variant.name
        guard plan.fallbackForward != nil else {
            return ("/* fp8 inputs: no mma.sync kernel reads them, so such calls return ATTNGEN_ERROR_UNSUPPORTED. */",
                    { _ in "ATTNGEN_ERROR_UNSUPPORTED" })
        }
        return ("extern \"C\" attngen_status attngen_\(name)_forward_mma_cuda(const attngen_forward_params *params, "
                    + "cudaStream_t stream);",
                { params in "attngen_\(name)_forward_mma_cuda(\(params), stream)" })
    }

    /// One kernel (Templates/hopper/pieces/forward_kernel.cu) in the namespace `attngen_NAME_hopper<suffix>_detail`,
    /// with `plan`'s tile.
    func kernel(_ variant: VariantModel, plan: VariantPlan, tile: TilePlan, suffix: String) throws(SpecError) -> String {
        let consumers = tile.consumerWarpgroups
        let registers = HopperForwardPlanner.registerSplit(consumerWarpgroups: consumers, fp8: variant.inputStorage == .e4m3)
        return try templates.template("hopper/pieces/forward_kernel.cu").render([
            "fallback_call": fallbackValues(variant, plan: plan).call("&p"),
            "name": variant.name,
            "suffix": suffix,
            "tile_rows": "\(tile.blockRows)",
            "consumer_warpgroups": "\(consumers)",
            "producer_registers": "\(registers.producer)",
            "consumer_registers": "\(registers.consumer)",
            "accumulator_register_limit": "\(HopperForwardPlanner.accumulatorRegisterLimit(variant, consumerWarpgroups: consumers))",
            "tile_columns": "\(tile.blockColumns)",
            "stages": "\(tile.stages)",
            "query_stages": "\(tile.queryBuffers)",
            // Every query tile visits the same key tiles unless a causal mask, a window or a block-sparse layout
            // limits them (the persistent kernel then orders its work items longest first).
            "uniform_items": HopperForwardPlanner.hasUniformItems(variant) ? "true" : "false",
            // A per-element predicate's verdicts are gathered in a rolled loop (registers); bounds alone unroll.
            "mask_loop_unroll": variant.masks.hasPredicates ? "#pragma unroll 1" : "#pragma unroll",
            "dropout": variant.dropout == nil ? "" : try templates.template("hopper/pieces/forward_dropout.cu").render([:]),
            "sink": variant.hasSinks ? try templates.template("hopper/pieces/forward_sink.cu").render([:]) : "",
        ])
    }
}
