/// The files every CUDA output folder holds, whichever family renders its kernels: the ABI header, the argument
/// checks, the ABI's Python mirror and the runtime header of the CUDA kernels (Templates/cuda/attngen_runtime_cuda.cuh);
/// sm_90 folders also the Hopper runtime header.
enum CUDASharedFiles {
    /// The name of the runtime header every CUDA kernel includes.
    static let runtimeHeaderName = "attngen_runtime_cuda.cuh"

    static func files(templates: TemplateLibrary) throws(SpecError) -> [GeneratedFile] {
        let banner = GeneratedBanner.cComment([
            "Runtime helpers shared by every attngen CUDA kernel.",
            "Template: Templates/cuda/\(runtimeHeaderName)",
        ])
        let runtime = try templates.template("cuda/\(runtimeHeaderName)").render(["banner": banner])
        return [try ABIHeader.file(templates: templates), try ABIChecksHeader.file(templates: templates),
                PythonABIRendering.file(),
                GeneratedFile(path: runtimeHeaderName, contents: runtime)]
    }

    /// The Hopper runtime header (Templates/hopper/attngen_runtime_hopper.cuh): the Hopper family's kernels and, on
    /// sm_90 in either family, the decode kernel's TMA tiles include it.
    static func hopperRuntime(templates: TemplateLibrary) throws(SpecError) -> GeneratedFile {
        let name = HopperEmitter.runtimeHeaderName
        let banner = GeneratedBanner.cComment([
            "Hopper (sm_90a) helpers of the attngen CUDA kernels: mbarriers, TMA, wgmma, descriptors, tensor maps.",
            "Template: Templates/hopper/\(name)",
        ])
        return GeneratedFile(path: name, contents: try templates.template("hopper/\(name)").render(["banner": banner]))
    }
}
