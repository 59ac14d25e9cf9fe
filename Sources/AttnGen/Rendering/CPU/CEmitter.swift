/// The renderer of the CPU family: portable C11 following the plan's Br × Bc tiling with the FlashAttention-2 loop
/// order. Per variant `NAME` it writes the public header `NAME.h`, the variant's constants and mask hooks
/// `NAME_variant.h` (included by every kernel of the variant), the forward kernel `NAME.c`, and with a backward
/// pass `NAME_backward.{h,c}`. Templates live in `Templates/c/`; what differs between variants comes from the
/// variant model and the plan.
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

    /// `attngen_abi.h`, the argument checks `attngen_checks.h`, the Python mirror `attngen_abi.py`, and
    /// `attngen_runtime.h`.
    public func sharedFiles() throws(SpecError) -> [GeneratedFile] {
        let banner = GeneratedBanner.cComment([
            "Helpers shared by every attngen C kernel: fp16/bf16 conversions, Philox4x32-10 dropout, floor",
            "division, exp2. Static inline only, no state.",
            "Template: Templates/c/attngen_runtime.h",
        ])
        let runtime = try templates.template("c/attngen_runtime.h").render(["banner": banner])
        return [
            try ABIHeader.file(templates: templates),
            try ABIChecksHeader.file(templates: templates),
            PythonABIRendering.file(),
            GeneratedFile(path: Self.runtimeHeaderName, contents: runtime),
        ]
    }

    public func emit(_ variant: VariantModel, plan: VariantPlan) throws(SpecError) -> [GeneratedFile] {
        try checkTarget(of: plan)
        let names = variant.names
        var files = [
            GeneratedFile(path: names.forwardHeaderC, contents: try forwardHeader(variant, plan: plan)),
            GeneratedFile(path: names.hooksHeaderC, contents: try CVariantHeader(variant: variant, templates: templates).render()),
            GeneratedFile(path: names.forwardSourceC, contents: try CForwardKernel(variant: variant, plan: plan.forward,
                                                                                  decode: plan.cpuDecode,
                                                                                  quantize: plan.quantize,
                                                                                  templates: templates).render()),
        ]
        if case .cpu(let backward) = plan.backward {
            let kernel = CBackwardKernel(variant: variant, plan: backward, templates: templates)
            files.append(GeneratedFile(path: names.backwardHeaderC, contents: try kernel.renderHeader()))
            files.append(GeneratedFile(path: names.backwardSourceC, contents: try kernel.renderSource()))
        }
        return files
    }

    /// `NAME.h`: the forward declaration and the `#define`s describing the variant.
    func forwardHeader(_ variant: VariantModel, plan: VariantPlan) throws(SpecError) -> String {
        let names = variant.names
        let forward = plan.forward
        let description = variant.descriptionLines
            + [""] + ["Forward plan: Br = \(forward.blockRows) query rows x Bc = \(forward.blockColumns) keys per tile."]
            + Banner.account("On-chip bytes per thread", forward.accounts, budget: plan.budget)
        let values = variant.describingMacros + [("TILE_ROWS", "\(forward.blockRows)"), ("TILE_COLUMNS", "\(forward.blockColumns)")]
        return try templates.template("c/forward.h").render([
            "banner": GeneratedBanner.cComment(["Declaration of \(names.symbol("forward")).", "Template: Templates/c/forward.h"]),
            "guard": VariantNames.guardName(of: names.forwardHeaderC),
            "name": variant.name,
            "description": description.map(MaskHooksRendering.commentSafe).map { $0.isEmpty ? " *" : " * \($0)" }
                .joined(separator: "\n"),
            "defines": (values + (plan.quantize.map { [("ROTATION_BLOCK", "\($0.rotationBlock)")] } ?? []))
                .map { "#define \(names.macro($0.0)) \($0.1)" }.joined(separator: "\n"),
            "quantize_declaration": plan.quantize == nil ? "" : QuantizeRendering.declarationC(variant.name),
        ])
    }
}
