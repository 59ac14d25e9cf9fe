/// The renderer of the mma family: CUDA C++ forward and backward kernels (FlashAttention-2 on `mma.sync` tensor
/// cores with cp.async pipelines) for sm_80 and sm_90.
///
/// Per variant `NAME` it writes `NAME.cuh` (the launcher's declaration and `#define`s), `NAME_variant.cuh` (the
/// variant's constants and mask hooks, included by each of its kernels), `NAME.cu` (forward kernel and launcher)
/// and with a backward pass `NAME_backward.{cuh,cu}`. Every output folder also gets `attngen_abi.h` and
/// `attngen_runtime_cuda.cuh` (Philox, conversions, inline PTX, argument checks), sm_90 folders also
/// `attngen_runtime_hopper.cuh` (the decode kernel's TMA tiles).
///
/// fp16 and bf16 run on `mma.sync.m16n8k16` with fp32 accumulators. fp32 storage runs on tf32
/// `mma.sync.m16n8k8` (operands rounded to tf32, accumulation in fp32): fp32's range is kept (fp16 would
/// overflow past 65504) and the tensor cores are used; the price is a relative error near 1e-3, against
/// float64, instead of fp32's 1e-6.
public struct CUDAEmitter: KernelEmitter {
    public let target: Target
    public let templates: TemplateLibrary

    /// The name of the runtime header every CUDA kernel includes.
    public static let runtimeHeaderName = CUDASharedFiles.runtimeHeaderName

    public init(target: Target, templates: TemplateLibrary) {
        precondition(target.family == .mma, "CUDAEmitter renders the mma family, not \(target.rawValue)")
        self.target = target
        self.templates = templates
    }

    /// An emitter with the templates shipped with the library.
    public init(target: Target) throws(SpecError) {
        guard target.family == .mma else {
            throw SpecError(field: "target", message: "CUDAEmitter emits for sm80 or sm90, got \(target.rawValue)")
        }
        self.init(target: target, templates: try TemplateLibrary.bundled())
    }

    public func sharedFiles() throws(SpecError) -> [GeneratedFile] {
        // sm_90: the decode kernel's TMA tiles include the Hopper runtime header.
        try CUDASharedFiles.files(templates: templates)
            + (target.device == .sm90 ? [try CUDASharedFiles.hopperRuntime(templates: templates)] : [])
    }

    public func emit(_ variant: VariantModel, plan: VariantPlan) throws(SpecError) -> [GeneratedFile] {
        try checkTarget(of: plan)
        let names = variant.names
        let forward = MMAForwardKernel(variant: variant, plan: plan.forward, device: target.device, templates: templates,
                                       decode: plan.decode)
        var files = [
            GeneratedFile(path: names.forwardHeaderCUDA, contents: try forward.renderHeader()),
            GeneratedFile(path: names.hooksHeaderCUDA,
                          contents: try CUDAVariantHeader(variant: variant, device: target.device, templates: templates).render()),
            GeneratedFile(path: names.forwardSourceCUDA, contents: try forward.renderSource()),
        ]
        if case .mma(let backwardPlan) = plan.backward {
            files += try MMABackwardKernel(variant: variant, plan: backwardPlan, device: target.device, templates: templates)
                .files()
        }
        return files
    }
}
