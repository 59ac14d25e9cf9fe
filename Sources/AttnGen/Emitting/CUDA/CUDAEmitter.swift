/// Emits CUDA C++ forward kernels (FlashAttention-2 on mma.sync tensor cores) for `.cudaSM80` and `.cudaSM90`.
///
/// Per variant `NAME` it writes `NAME.cuh` (the launcher's declaration and `#define`s describing the variant)
/// and `NAME.cu` (kernel and launcher). Every output folder also gets `attngen_abi.h` and
/// `attngen_runtime_cuda.cuh` (Philox, conversions, inline PTX, argument checks).
///
/// fp16 and bf16 run on `mma.sync.m16n8k16` with fp32 accumulators. fp32 storage runs on tf32
/// `mma.sync.m16n8k8` (operands rounded to tf32, accumulation in fp32): fp32's range is kept (fp16 would
/// overflow past 65504) and the tensor cores are used; the price is a relative error near 1e-3, against
/// float64, instead of fp32's 1e-6.
public struct CUDAEmitter: KernelEmitter {
    public let target: Target
    public let templates: TemplateLibrary

    /// The name of the runtime header every CUDA kernel includes.
    public static let runtimeHeaderName = "attngen_runtime_cuda.cuh"

    public init(target: Target, templates: TemplateLibrary) {
        precondition(target.isCUDA, "CUDAEmitter emits for CUDA targets only, not \(target.rawValue)")
        self.target = target
        self.templates = templates
    }

    /// An emitter with the templates shipped with the library.
    public init(target: Target) throws(SpecError) {
        guard target.isCUDA else {
            throw SpecError(field: "target", message: "CUDAEmitter emits for sm80 or sm90, got \(target.rawValue)")
        }
        self.init(target: target, templates: try TemplateLibrary.bundled())
    }

    public func sharedFiles() throws(SpecError) -> [GeneratedFile] {
        let banner = GeneratedBanner.cComment([
            "Runtime helpers shared by every attngen CUDA kernel.",
            "Template: Templates/cuda/\(Self.runtimeHeaderName)",
        ])
        let runtime = try templates.template("cuda/\(Self.runtimeHeaderName)").render(["banner": banner])
        return [try ABIHeader.file(templates: templates),
                GeneratedFile(path: Self.runtimeHeaderName, contents: runtime)]
    }

    public func emit(_ spec: AttentionSpec, plan: TilePlan) throws(SpecError) -> [GeneratedFile] {
        guard plan.target == target else {
            throw SpecError(field: "plan.target", message: "the plan is for \(plan.target.rawValue), the emitter for \(target.rawValue)")
        }
        let layout = CUDATileLayout(spec: spec, plan: plan)
        guard layout.sharedBytes == plan.onChipBytes else {
            throw SpecError(field: "plan", message: "the CUDA kernel needs \(layout.sharedBytes) bytes of shared memory "
                            + "but the plan accounts \(plan.onChipBytes)")
        }
        let description = variantDescription(spec, plan: plan)
        let header = try templates.template("cuda/forward.cuh").render([
            "banner": GeneratedBanner.cComment(description + ["Template: Templates/cuda/forward.cuh"]),
            "name": spec.name,
            "upper_name": spec.name.uppercased(),
            "variant_defines": variantDefines(spec, plan: plan, layout: layout),
        ])
        let productsTemplate = spec.storage == .fp32 ? "cuda/products_tf32.cuh" : "cuda/products_f16.cuh"
        let products = try templates.template(productsTemplate).render([:])
        let source = try templates.template("cuda/forward.cu").render([
            "banner": GeneratedBanner.cComment(description + ["Templates: Templates/cuda/forward.cu, \(productsTemplate.replacingPrefix("cuda/", with: "Templates/cuda/"))"]),
            "name": spec.name,
            "constants": constants(spec, plan: plan, layout: layout),
            "key_range": keyRangeSource(spec),
            "tile_interior": tileInteriorSource(spec),
            "row_bounds": rowKeyBoundsSource(spec),
            "element_predicate": elementPredicateSource(spec),
            "tile_skipped": tileSkippedSource(spec),
            "products": products,
            "dropout": dropoutSource(spec),
            "save_lse": saveLogSumExpSource(spec),
        ])
        let forwardFiles = [GeneratedFile(path: "\(spec.name).cuh", contents: header),
                            GeneratedFile(path: "\(spec.name).cu", contents: source)]
        // Specs built `.withBackward()` also get NAME_backward.{cuh,cu}.
        return forwardFiles + (try CUDABackwardEmitter(forward: self).emit(spec, plan: plan))
    }
}

extension String {
    fileprivate func replacingPrefix(_ prefix: String, with replacement: String) -> String {
        hasPrefix(prefix) ? replacement + dropFirst(prefix.count) : self
    }
}
