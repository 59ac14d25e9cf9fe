/// The comment lines that open a generated kernel file: the variant (one text, `VariantModel.descriptionLines`),
/// then what the file holds and the plan it follows.
enum Banner {
    static func lines(_ variant: VariantModel, file: [String]) -> [String] {
        (variant.descriptionLines + [""] + file).map(MaskHooksRendering.commentSafe)
    }

    /// "Plan: ..." lines with a byte account.
    static func account(_ title: String, _ accounts: [TilePlan.ByteAccount], budget: Int) -> [String] {
        let total = accounts.reduce(0) { $0 + $1.bytes }
        return ["\(title): \(total) of \(budget) budget bytes:"] + accounts.map { "  \($0.item): \($0.bytes) B" }
    }
}
