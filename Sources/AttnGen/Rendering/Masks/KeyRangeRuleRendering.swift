/// How a key-range mask (`KeyRangeRule`) is written in C and CUDA: statements for each mask hook, over the hook's
/// parameters and locals (`MaskHooksRendering` lists them). Every range rule conforms, in this folder.
protocol KeyRangeRuleRendering {
    /// Statements narrowing `begin`, `end` to the keys queries `[q_begin, q_end)` keep (`visible_key_range`).
    func keyRange(_ dialect: SourceDialect) -> [String]
    /// `if (...) return false;` statements for a tile `[q_begin, q_end)` × `[k_begin, k_end)` that crosses the
    /// rule's edges (`tile_is_interior`).
    func tileInterior(_ dialect: SourceDialect) -> [String]
    /// Statements narrowing `lo`, `hi` to the keys query `q` keeps (`row_key_bounds`).
    func rowBounds(_ dialect: SourceDialect) -> [String]
    /// Statements narrowing `lo`, `hi` to the queries that keep key `k` (`key_query_bounds`).
    func keyQueryBounds(_ dialect: SourceDialect) -> [String]
    /// `if (...) return false;` statements for one element `(q, k)` (`element_is_kept`).
    func elementKept(_ dialect: SourceDialect) -> [String]
}
