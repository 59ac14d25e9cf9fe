// Conversion between spec-file variants and AttentionSpec values.

extension SpecFile.Variant {
    /// The AttentionSpec this entry describes (not yet validated: the planner does that).
    /// Throws when a predicate does not parse.
    public func attentionSpec() throws(SpecError) -> AttentionSpec {
        var spec = AttentionSpec(name: name, headDim: headDim)
        if let valueHeadDim { spec = spec.valueHeadDim(valueHeadDim) }
        if let heads { spec = spec.heads(query: heads.query, keyValue: heads.keyValue) }
        if let dtype { spec = spec.storage(dtype) }
        if let scale { spec = spec.scale(scale) }
        for (index, entry) in (masks ?? []).enumerated() {
            switch entry {
            case .causal(let alignment):
                spec = spec.masked(by: .causal(alignment))
            case .window(let window):
                spec = spec.masked(by: .slidingWindow(left: window.left, right: window.right,
                                                       alignment: window.alignment ?? .topLeft))
            case .blockSparse(let layout):
                spec = spec.masked(by: .blockSparse(blockRows: layout.blockRows, blockColumns: layout.blockColumns))
            case .predicate(let text):
                do {
                    spec = spec.masked(by: .predicate(try MaskExpressionParser.parse(text)))
                } catch {
                    throw SpecError(field: "masks[\(index)].predicate", message: error.message)
                }
            }
        }
        if let dropout { spec = spec.dropout(dropout) }
        if let lse { spec = spec.savingLogSumExp(lse) }
        if backward == true { spec = spec.withBackward() }
        return spec
    }

    /// The entry describing `spec` (predicates in their canonical text).
    public init(_ spec: AttentionSpec) {
        self.init(name: spec.name, headDim: spec.headDim)
        valueHeadDim = spec.valueHeadDimOverride
        if case .fixed(let query, let keyValue) = spec.heads {
            heads = SpecFile.Heads(query: query, keyValue: keyValue)
        }
        dtype = spec.storage
        scale = spec.scaleOverride
        masks = spec.masks.isEmpty ? nil : spec.masks.map { mask in
            switch mask {
            case .causal(let alignment): .causal(alignment)
            case .slidingWindow(let left, let right, let alignment):
                .window(SpecFile.Window(left: left, right: right, alignment: alignment))
            case .blockSparse(let layout):
                .blockSparse(SpecFile.BlockSparse(blockRows: layout.blockRows, blockColumns: layout.blockColumns))
            case .predicate(let predicate): .predicate(predicate.description)
            }
        }
        dropout = spec.dropout?.probability
        lse = spec.savesLogSumExp ? true : nil
        backward = spec.includesBackward ? true : nil
    }
}

extension SpecFile {
    /// Every variant as an AttentionSpec; errors name the variant.
    public func attentionSpecs() throws(SpecFileError) -> [AttentionSpec] {
        var specs: [AttentionSpec] = []
        for (index, variant) in variants.enumerated() {
            do {
                specs.append(try variant.attentionSpec())
            } catch {
                throw SpecFileError(variantIndex: index, variantName: variant.name, field: error.field,
                                    message: error.message)
            }
        }
        return specs
    }

    /// Validates every variant (as the planner will), so that errors name the variant and its field.
    public func validatedSpecs() throws(SpecFileError) -> [AttentionSpec] {
        let specs = try attentionSpecs()
        for (index, spec) in specs.enumerated() {
            do {
                try spec.validate()
            } catch {
                throw SpecFileError(variantIndex: index, variantName: spec.name, field: error.field,
                                    message: error.message)
            }
        }
        return specs
    }

    /// A spec file listing `specs`.
    public init(specs: [AttentionSpec]) {
        self.init(variants: specs.map(Variant.init))
    }
}
