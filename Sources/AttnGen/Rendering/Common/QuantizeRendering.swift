/// The values of the quantize call's templates (Templates/c/pieces/quantize.c, Templates/hopper/pieces/quantize.cu)
/// from its plan, and its declarations in the variant's headers.
enum QuantizeRendering {
    /// The values of both templates; `cuda` adds the launch shape of the GPU kernels.
    static func values(_ name: String, plan: QuantizePlan, cuda: Bool) -> [String: String] {
        let values = [
            "name": name,
            "rotation_block": "\(plan.rotationBlock)",
            "rotation_norm": "\(plan.rotationNorm)f",
            "e4m3_largest": "\(QuantizePlan.e4m3Largest)",
        ]
        guard cuda else { return values }
        return values.merging(["threads": "\(QuantizePlan.threads)", "blocks_per_multiprocessor": "\(QuantizePlan.blocksPerMultiprocessor)"]) { $1 }
    }

    private static let comment = """

        /*
         * Variants with fp8 inputs: Q, K or V in this variant's storage type to e4m3 bytes and the descale factors the
         * forward call reads (attngen_quantize_params in attngen_abi.h), Q and K optionally rotated. Checks every argument
         * before writing anything.
        """

    static func declarationC(_ name: String) -> String {
        comment + "\n */\nattngen_status attngen_\(name)_quantize(const attngen_quantize_params *params);"
    }

    static func declarationCUDA(_ name: String) -> String {
        comment + " Runs on `stream` (asynchronously); device pointers.\n */\n"
            + "attngen_status attngen_\(name)_quantize_cuda(const attngen_quantize_params *params, cudaStream_t stream);"
    }
}
