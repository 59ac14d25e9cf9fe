// The variants of a spec file, validated with the variant named in every error.

extension SpecFile {
    /// Validates every variant (as the planner will), so that errors name the variant and its field.
    public func validatedSpecs() throws(SpecFileError) -> [AttentionSpec] {
        for (index, spec) in variants.enumerated() {
            do {
                try spec.validate()
            } catch {
                throw SpecFileError(variantIndex: index, variantName: spec.name, field: error.field,
                                    message: error.message)
            }
        }
        return variants
    }

    /// A spec file listing `specs`.
    public init(specs: [AttentionSpec]) {
        self.init(variants: specs)
    }
}
