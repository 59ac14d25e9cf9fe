/// The decode kernel of the mma family (Templates/cuda/decode.cu), rendered into the forward kernel's source: its
/// plan's constants and the tensor-core products of the storage type (the same template as the forward kernel's,
/// instantiated for one 16-row fragment against each warp's keys).
struct MMADecodeKernel {
    var variant: VariantModel
    var plan: DecodePlan
    var templates: TemplateLibrary

    /// The plan in one line, for the banner.
    var planLine: String {
        "\(DecodePlan.rows) packed rows x \(plan.tileColumns) keys per tile, \(DecodePlan.warps) warps, "
            + "\(plan.stages) K/V stages, \(plan.sharedBytes) bytes of shared memory, \(plan.blocksPerMultiprocessor) "
            + "block" + (plan.blocksPerMultiprocessor == 1 ? "" : "s") + " per SM; "
            + (plan.wide.map { "\($0.rows) packed rows for more, \($0.stages) stages, \($0.sharedBytes) bytes; " }
                ?? "no wide blocks; ")
            + "up to \(DecodePlan.maximumQueryRows) query rows per call"
            + (plan.tensorMapTiles == nil ? "." : "; K and V by TMA for whole batches.")
    }

    func render(products: String) throws(SpecError) -> String {
        try templates.template("cuda/decode.cu").render([
            "name": variant.name,
            "constants": constants,
            "products": try templates.template(products).render([:]),
            "sink": variant.hasSinks ? try templates.template("cuda/pieces/decode_sink.cu").render([:]) : "",
            "score_modifier_state": variant.scoreModifier.isEmpty ? ""
                : try templates.template("cuda/pieces/decode_score_modifier_state.cu").render([:]),
            "score_modifier": variant.scoreModifier.isEmpty ? ""
                : try templates.template("cuda/pieces/decode_score_modifier.cu").render([:]),
            "tensor_map_tiles": try templates.template(plan.tensorMapTiles == nil
                ? "cuda/pieces/decode_copied_tiles_only.cu" : "cuda/pieces/decode_tensor_map_tiles.cu").render([:]),
            "tensor_map_launch": try templates.template(plan.tensorMapTiles == nil
                ? "cuda/pieces/decode_copied_tiles_launch.cu" : "cuda/pieces/decode_tensor_map_launch.cu").render([:]),
        ])
    }

    /// The header the kernel needs besides the forward kernel's: the Hopper runtime (mbarriers, TMA, tensor maps)
    /// when the plan has TMA tiles.
    var includes: String {
        plan.tensorMapTiles == nil ? ""
            : "#include \"\(HopperEmitter.runtimeHeaderName)\"  /* the decode kernel's TMA tiles: mbarriers, tensor maps */\n"
    }

    /// The plan's `constexpr` block: the tiles both block shapes share, then each shape's own constants.
    var constants: String {
        let layout = plan.layout
        var lines = [
            "constexpr int kHeadDimPadded = \(layout.headDimPadded);",
            "constexpr int kValueHeadDimPadded = \(layout.valueHeadDimPadded);",
            "constexpr int kRowPad = \(layout.rowPad);",
            "constexpr int kWarps = \(DecodePlan.warps);",
            "constexpr int kWarpColumns = \(plan.warpColumns);  /* keys of each warp per K/V tile in 16-row blocks */",
            "constexpr int kMaxQueryRows = \(DecodePlan.maximumQueryRows);  /* calls with more take the forward kernel */",
            "constexpr int kMaxSplits = \(DecodePlan.maximumSplits);",
            "constexpr bool kDependentCombine = \(plan.dependentCombine);  /* the combine kernel: a programmatic dependent launch */",
            "/* One K and one V tile, as the plan accounts them. */",
            "constexpr int kKTileElements = \(layout.keyTileElements);",
            "constexpr int kVTileElements = \(layout.valueTileElements);",
        ]
        if let tiles = plan.tensorMapTiles {
            lines += [
                "/* TMA tiles (whole batches): panels of kTileKeys keys x 64 columns, 128-byte swizzle, boxes of kBoxRows keys. */",
                "constexpr int kKeyPanels = \(tiles.keyPanels);",
                "constexpr int kValuePanels = \(tiles.valuePanels);",
                "constexpr int kPanelRowBytes = \(DecodePlan.TensorMapTiles.panelRowBytes);",
                "constexpr int kPanelBytes = \(tiles.panelBytes);",
                "constexpr int kBoxRows = \(tiles.boxRows);  /* keys per TMA box: the tile's, or a page's */",
            ]
        }
        lines += [
            "/* The block shapes (BlockShape below derives the rest): shared memory holds the Q tile and kStages K and V",
            "   tiles, later the merge buffer; kTensorMapSharedBytes, the same with TMA tiles (0: none in this shape). */",
        ]
        lines += shapeLines("NarrowBlock", plan.narrow, comment: "16 packed rows, the warps sharing each tile's keys")
        if let wide = plan.wide {
            lines += shapeLines("WideBlock", wide, comment: "\(wide.rows) packed rows, each warp 16 of them")
            lines.append("constexpr bool kHasWideBlock = true;")
        } else {
            lines.append("/* No wide shape (head dims above \(DecodePlan.maximumWideHeadDim), or no room for two K/V stages "
                         + "beside a \(DecodePlan.wideRows)-row Q tile). */")
            lines.append("using WideBlock = NarrowBlock;")
            lines.append("constexpr bool kHasWideBlock = false;")
        }
        return lines.joined(separator: "\n")
    }

    private func shapeLines(_ name: String, _ shape: DecodePlan.BlockShape, comment: String) -> [String] {
        [
            "struct \(name) {  /* \(comment) */",
            "    static constexpr int kRowGroups = \(shape.rowGroups);",
            "    static constexpr int kStages = \(shape.stages);  /* K/V tiles in the cp.async ring */",
            "    static constexpr int kBlocksPerMultiprocessor = \(shape.blocksPerMultiprocessor);",
            "    static constexpr int kQTileElements = \(shape.layout.queryTileElements);",
            "    static constexpr int kSharedBytes = \(shape.sharedBytes);",
            "    static constexpr int kTensorMapStages = \(shape.tensorMapStages ?? 0);  /* TMA tiles: 0 = none in this shape */",
            "    static constexpr int kTensorMapSharedBytes = \(shape.tensorMapSharedBytes ?? 0);",
            "};",
        ]
    }
}
