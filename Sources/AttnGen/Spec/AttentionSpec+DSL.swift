// The chained-value DSL: each call returns a modified copy of the spec.

extension AttentionSpec {
    /// Sets the head dimension of V (and O) when it differs from that of Q and K.
    public func valueHeadDim(_ dimension: Int) -> AttentionSpec {
        var copy = self
        copy.valueHeadDimOverride = dimension
        return copy
    }

    /// Fixes the head counts: `query == keyValue` is MHA, `keyValue == 1` is MQA, anything between GQA.
    public func heads(query: Int, keyValue: Int) -> AttentionSpec {
        var copy = self
        copy.heads = .fixed(query: query, keyValue: keyValue)
        return copy
    }

    /// Fixes MHA with `count` heads.
    public func heads(_ count: Int) -> AttentionSpec {
        heads(query: count, keyValue: count)
    }

    /// Leaves both head counts to the run-time parameters.
    public func runtimeHeads() -> AttentionSpec {
        var copy = self
        copy.heads = .runtime
        return copy
    }

    /// Sets the storage type of Q, K, V and O.
    public func storage(_ type: StorageType) -> AttentionSpec {
        var copy = self
        copy.storage = type
        return copy
    }

    /// Stores Q, K and V as `type` (fp8 e4m3 with run-time descale factors), O still in `storage`.
    public func inputs(_ type: InputStorage) -> AttentionSpec {
        var copy = self
        copy.inputStorage = type
        return copy
    }

    /// Sets the softmax scale (default 1/sqrt(headDim)).
    public func scale(_ value: Double) -> AttentionSpec {
        var copy = self
        copy.scaleOverride = value
        return copy
    }

    /// Adds a mask; several masks combine as a conjunction.
    public func masked(by mask: Mask) -> AttentionSpec {
        var copy = self
        copy.masks.append(mask)
        return copy
    }

    /// Adds a score modifier; several apply in order, each to the score the previous one produced.
    public func modified(by modifier: ScoreModifier) -> AttentionSpec {
        var copy = self
        copy.scoreModifiers.append(modifier)
        return copy
    }

    /// Gives each query head a learned sink logit, passed at run time (`sinks`, one fp32 per query head): it joins
    /// the softmax's denominator without a value row, and the backward pass adds its gradient to `dsinks`.
    public func withSinks(_ enabled: Bool = true) -> AttentionSpec {
        var copy = self
        copy.sinks = enabled
        return copy
    }

    /// Enables dropout with probability `probability` in [0, 1).
    public func dropout(_ probability: Double) -> AttentionSpec {
        var copy = self
        copy.dropout = Dropout(probability: probability)
        return copy
    }

    /// Asks the kernel to write the log-sum-exp of each query row (fp32).
    public func savingLogSumExp(_ saves: Bool = true) -> AttentionSpec {
        var copy = self
        copy.savesLogSumExp = saves
        return copy
    }

    /// Asks for the backward kernels too (dQ, dK, dV recomputed from the saved log-sum-exp).
    /// The forward kernel then always saves the log-sum-exp, which the backward pass reads.
    public func withBackward(_ included: Bool = true) -> AttentionSpec {
        var copy = self
        copy.includesBackward = included
        if included { copy.savesLogSumExp = true }
        return copy
    }

    /// Reads K and V from a paged cache of `pageSize` keys per page through a page table given at run time.
    public func pagedKV(pageSize: Int) -> AttentionSpec {
        var copy = self
        copy.pageSize = pageSize
        return copy
    }

    /// Renames the variant.
    public func named(_ name: String) -> AttentionSpec {
        var copy = self
        copy.name = name
        return copy
    }
}
