/// Lines of `#define NAME VALUE`, the values aligned.
enum DefineBlock {
    static func render(_ defines: [(String, String)], comment: String) -> String {
        var lines = ["/* \(comment) */"]
        let width = defines.map(\.0.count).max() ?? 0
        for (name, value) in defines {
            lines.append("#define \(name)\(String(repeating: " ", count: width - name.count + 1))\(value)")
        }
        return lines.joined(separator: "\n")
    }
}
