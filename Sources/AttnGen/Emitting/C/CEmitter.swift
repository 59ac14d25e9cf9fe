/// The C backend: one portable C11 file (plus a header) per variant, following the plan's Br × Bc tiling
/// with the FlashAttention-2 loop order. Templates live in `Templates/c/`; the fragments that differ
/// between variants come from the small functions in `CEmitter+Fragments.swift`.
///
/// ```swift
/// let files = try KernelGenerator(emitter: CEmitter()).generate([spec])
/// ```
public struct CEmitter: KernelEmitter {
    /// The name of the shared runtime header every generated `.c` file includes.
    public static let runtimeHeaderName = "attngen_runtime.h"

    public var templates: TemplateLibrary

    public init(templates: TemplateLibrary) {
        self.templates = templates
    }

    /// An emitter reading the templates shipped with the library (or `ATTNGEN_TEMPLATES`).
    public init() throws(SpecError) {
        self.init(templates: try TemplateLibrary.bundled())
    }

    public var target: Target { .c }

    /// `attngen_abi.h` and `attngen_runtime.h`.
    public func sharedFiles() throws(SpecError) -> [GeneratedFile] {
        let banner = GeneratedBanner.cComment([
            "Helpers shared by every attngen C kernel: fp16/bf16 conversions, Philox4x32-10 dropout, floor",
            "division, exp2. Static inline only, no state.",
            "Template: Templates/c/attngen_runtime.h",
        ])
        let runtime = try templates.template("c/attngen_runtime.h").render(["banner": banner])
        return [
            try ABIHeader.file(templates: templates),
            GeneratedFile(path: Self.runtimeHeaderName, contents: runtime),
        ]
    }

    /// `NAME.h` (the declaration and `#define`s describing the variant) and `NAME.c` (the kernel).
    public func emit(_ spec: AttentionSpec, plan: TilePlan) throws(SpecError) -> [GeneratedFile] {
        try spec.validate()
        try checkPlan(plan, for: spec)
        let description = describe(spec, plan: plan)
        let header = try templates.template("c/forward.h").render([
            "banner": GeneratedBanner.cComment(["Declaration of attngen_\(spec.name)_forward.",
                                                "Template: Templates/c/forward.h"]),
            "upper_name": spec.name.uppercased(),
            "name": spec.name,
            "description": description.map { $0.isEmpty ? " *" : " * \($0)" }.joined(separator: "\n"),
            "defines": defines(spec, plan: plan),
        ])
        let source = try templates.template("c/forward.c").render([
            "banner": GeneratedBanner.cComment(description + ["", "Template: Templates/c/forward.c"]),
            "name": spec.name,
            "head_dim": "\(spec.headDim)",
            "value_head_dim": "\(spec.valueHeadDim)",
            "tile_rows": "\(plan.blockRows)",
            "tile_columns": "\(plan.blockColumns)",
            "score_scale_log2e": try scoreScaleLiteral(spec),
            "storage": storageFragment(spec.storage),
            "mask_helpers": maskHelpersFragment(spec),
            "dropout_constants": dropoutConstantsFragment(spec),
            "heads_check": headsCheckFragment(spec),
            "pointer_checks": pointerChecksFragment(spec),
            "layout_checks": layoutChecksFragment(spec),
            "tile_key_range": tileKeyRangeFragment(spec),
            "tile_skip": tileSkipFragment(spec),
            "masks": masksFragment(spec),
            "dropout": dropoutFragment(spec),
            "lse_store": logSumExpFragment(spec),
        ])
        let forwardFiles = [
            GeneratedFile(path: "\(spec.name).h", contents: header),
            GeneratedFile(path: "\(spec.name).c", contents: source),
        ]
        // Specs built `.withBackward()` also get NAME_backward.{h,c}.
        return forwardFiles + (try CBackwardEmitter(forward: self).emit(spec, plan: plan))
    }

    /// Refuses a plan this emitter cannot follow (made for another target, or tiles the kernel cannot use).
    private func checkPlan(_ plan: TilePlan, for spec: AttentionSpec) throws(SpecError) {
        guard plan.target == .c else {
            throw SpecError(field: "plan.target", message: "the C emitter needs a plan for target c, got \(plan.target.rawValue)")
        }
        guard plan.blockRows >= 1, plan.blockColumns >= 4, plan.blockColumns % 4 == 0 else {
            throw SpecError(field: "plan", message: "the C kernel needs Br >= 1 and Bc a positive multiple of 4, "
                                + "got Br=\(plan.blockRows), Bc=\(plan.blockColumns)")
        }
        if let layout = spec.blockSparseLayout {
            guard layout.blockRows % plan.blockRows == 0, layout.blockColumns % plan.blockColumns == 0 else {
                throw SpecError(field: "plan", message: "tiles \(plan.blockRows)×\(plan.blockColumns) must divide the "
                                    + "sparse block \(layout.blockRows)×\(layout.blockColumns)")
            }
        }
    }
}
