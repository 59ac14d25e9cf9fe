// Validation: every invalid combination is refused here, with the field and the limit,
// so that nothing invalid reaches the planner or an emitter.

extension AttentionSpec {
    /// The largest head dimension supported, for Q/K and for V.
    public static let maximumHeadDim = 256
    /// The largest page of a paged K/V cache, in keys.
    public static let maximumPageSize = 1 << 16

    /// Checks the spec, throwing the first problem found.
    public func validate() throws(SpecError) {
        try validateName()
        guard (1...Self.maximumHeadDim).contains(headDim) else {
            throw SpecError(field: "headDim", message: "must be in 1...\(Self.maximumHeadDim), got \(headDim)")
        }
        guard (1...Self.maximumHeadDim).contains(valueHeadDim) else {
            throw SpecError(field: "valueHeadDim", message: "must be in 1...\(Self.maximumHeadDim), got \(valueHeadDim)")
        }
        if case .fixed(let query, let keyValue) = heads {
            let limit = RuntimeLimits.maximumHeads
            guard query >= 1, Int64(query) <= limit else {
                throw SpecError(field: "heads.query", message: "must be in 1...\(limit), got \(query)")
            }
            guard keyValue >= 1, Int64(keyValue) <= limit else {
                throw SpecError(field: "heads.keyValue", message: "must be in 1...\(limit), got \(keyValue)")
            }
            guard query % keyValue == 0 else {
                throw SpecError(field: "heads.query",
                                message: "must be a multiple of heads.keyValue (\(keyValue)), got \(query)")
            }
        }
        if let scaleOverride {
            // The kernels use the scale and scale · log2(e) as fp32 numbers: both must be normal there.
            let kernelValues = [Float(scaleOverride), Float(scaleOverride * 1.4426950408889634)]
            guard scaleOverride.isFinite, scaleOverride > 0,
                  kernelValues.allSatisfy({ $0.isFinite && $0 >= Float.leastNormalMagnitude }) else {
                throw SpecError(field: "scale", message: "must be a finite number above 0 whose fp32 value and fp32 "
                                    + "scale · log2(e) are normal (about 1.2e-38 ... 2.3e38), got \(scaleOverride)")
            }
        }
        if let dropout {
            guard dropout.probability.isFinite, dropout.probability >= 0, dropout.probability < 1 else {
                throw SpecError(field: "dropout.probability", message: "must be in [0, 1), got \(dropout.probability)")
            }
        }
        if let pageSize {
            guard (1...Self.maximumPageSize).contains(pageSize) else {
                throw SpecError(field: "pagedKV", message: "the page size must be in 1...\(Self.maximumPageSize) keys, got \(pageSize)")
            }
            if includesBackward {
                throw SpecError(field: "pagedKV", message: "a paged K/V cache is for inference: the backward pass reads "
                                    + "contiguous K and V; generate the paged variant without backward")
            }
        }
        if let inputStorage {
            if includesBackward {
                throw SpecError(field: "inputDtype", message: "\(inputStorage.rawValue) inputs are forward only (inference): "
                                    + "generate the variant without backward, or train with 16-bit inputs")
            }
            if pageSize != nil {
                throw SpecError(field: "inputDtype", message: "\(inputStorage.rawValue) inputs do not take a paged K/V cache "
                                    + "yet; drop pagedKV or store the cache in fp16/bf16")
            }
        }
        if includesBackward && !savesLogSumExp {
            throw SpecError(field: "backward", message: "the backward pass reads the saved log-sum-exp; enable savesLogSumExp")
        }
        try validateMasks()
        try validateScoreModifiers()
    }

    private func validateName() throws(SpecError) {
        let scalars = Array(name.unicodeScalars)
        let isLetter: (Unicode.Scalar) -> Bool = { ("a"..."z").contains($0) || ("A"..."Z").contains($0) || $0 == "_" }
        let isDigit: (Unicode.Scalar) -> Bool = { ("0"..."9").contains($0) }
        guard let first = scalars.first, isLetter(first), scalars.allSatisfy({ isLetter($0) || isDigit($0) }),
              scalars.count <= 64 else {
            throw SpecError(field: "name",
                            message: "must be a C identifier of 1...64 characters ([A-Za-z_][A-Za-z0-9_]*), got \"\(name)\"")
        }
    }

    private func validateMasks() throws(SpecError) {
        for (index, mask) in masks.enumerated() {
            try mask.validate(field: "masks[\(index)]")
        }
        let sparse = masks.indices.filter { masks[$0].blockSparseLayout != nil }
        if sparse.count > 1 {
            throw SpecError(field: "masks[\(sparse[1])]", message: "at most one block-sparse mask per spec")
        }
    }
}
