@testable import AttnGen

/// Draws command lines and spec files that must be refused: each holds one mistake (a bad value of a flag or a
/// field, a value out of its range, a predicate that does not parse or can overflow, a malformed document, names
/// that collide), and says which words the error message must contain (any of them, case-insensitive).
struct InvalidInputFuzzer {
    struct Case: CustomStringConvertible {
        /// The arguments after `attngen`; `OUT` stands for the output folder, `SPEC` for the spec file.
        var arguments: [String]
        /// The spec file's contents, when the case has one.
        var specFile: String?
        /// Words one of which the message must name.
        var expected: [String]
        var description: String {
            arguments.joined(separator: " ") + (specFile.map { " with spec file \($0.prefix(200))" } ?? "")
        }
    }

    var random: SeededGenerator

    init(seed: UInt64) { random = SeededGenerator(seed: seed) }

    /// Valid flags the mistake is embedded among.
    private mutating func validExtras() -> [String] {
        var extras: [String] = []
        if random.chance(0.3) { extras += ["--causal", random.pick(["top-left", "bottom-right"])] }
        if random.chance(0.3) { extras += ["--dtype", random.pick(["fp32", "fp16", "bf16"])] }
        if random.chance(0.2) { extras += ["--lse"] }
        if random.chance(0.2) { extras += ["--backward"] }
        return extras
    }

    private static let flagMistakes: [(flag: String, values: [String], expected: [String])] = [
        ("--head-dim", ["0", "-3", "257", "1000", "abc", "1.5", "", "99999999999999999999"], ["head-dim", "headDim"]),
        ("--value-head-dim", ["0", "300", "x"], ["value-head-dim", "valueHeadDim"]),
        ("--heads", ["0:1", "3:2", "2147483648:1", "a:b", "1:2:3", "4:0", "-1:1", "8:16"], ["heads"]),
        ("--dtype", ["fp8", "FP16", "", "int8"], ["dtype"]),
        ("--scale", ["0", "-1", "nan", "inf", "1e400", "abc", "1e-300", "1e300"], ["scale"]),
        ("--window", ["a:b", "1:2:3", "-1:0", "5", "0:-2", ":x"], ["window"]),
        ("--block-sparse", ["0x4", "4x0", "3x5000", "4xabc", "x", "-4x4"], ["block-sparse", "blockSparse", "blockRows", "blockColumns"]),
        ("--predicate", ["q >", "q * 9223372036854775807 > k", "foo < 3", "q + 9223372036854775807 > k", "(((",
                         "q < k &&", "abs(q)", "q / 0 > 1", "q % k > 1", "q / -2 > 1", "q * 1000000000000 > k * 1000000000000",
                         "q < k @ 1", "-9223372036854775808 < q"], ["predicate"]),
        ("--dropout", ["1", "-0.1", "2", "nan", "x"], ["dropout"]),
        ("--budget", ["0", "-5", "99999999999999", "x"], ["budget"]),
        ("--name", ["1abc", "a-b", "", String(repeating: "n", count: 65), "a b"], ["name"]),
    ]

    private static let jsonMistakes: [(field: String, value: String, expected: [String])] = [
        ("headDim", "\"64\"", ["headDim"]), ("headDim", "64.5", ["headDim"]), ("headDim", "1e400", ["1e400", "range"]),
        ("headDim", "0", ["headDim"]), ("headDim", "null", ["headDim"]), ("valueHeadDim", "-1", ["valueHeadDim"]),
        ("heads", "{\"query\": 3, \"keyValue\": 2}", ["heads"]), ("heads", "{\"query\": 2147483648, \"keyValue\": 1}", ["heads", "query"]),
        ("heads", "{\"query\": 4}", ["keyValue"]), ("dtype", "\"fp8\"", ["dtype"]), ("scale", "0", ["scale"]),
        ("scale", "-2", ["scale"]), ("masks", "[{\"causal\": \"x\"}]", ["causal", "masks"]),
        ("masks", "[{\"window\": {\"left\": -1}}]", ["window", "left"]), ("masks", "[{}]", ["masks"]),
        ("masks", "[{\"causal\": \"top-left\", \"window\": {}}]", ["masks"]),
        ("masks", "[{\"predicate\": \"q >\"}]", ["predicate"]), ("masks", "[{\"predicate\": \"q * 9223372036854775807 > 1\"}]", ["predicate"]),
        ("masks", "[{\"blockSparse\": {\"blockRows\": 0, \"blockColumns\": 4}}]", ["blockRows", "blockSparse"]),
        ("masks", "[{\"blockSparse\": {\"blockRows\": 4}}]", ["blockColumns"]), ("dropout", "1", ["dropout"]),
        ("dropout", "\"0.1\"", ["dropout"]), ("lse", "1", ["lse"]), ("backward", "\"yes\"", ["backward"]),
        ("headdim", "64", ["headdim"]), ("name", "\"9lives\"", ["name"]), ("name", "5", ["name"]),
    ]

    mutating func nextCase() -> Case {
        switch Int.random(in: 0..<10, using: &random) {
        case 0..<5:
            let mistake = random.pick(Self.flagMistakes)
            var arguments = ["emit", "c", "--name", "fz"]
            if mistake.flag != "--head-dim" { arguments += ["--head-dim", "\(Int.random(in: 1...256, using: &random))"] }
            arguments += validExtras() + [mistake.flag, random.pick(mistake.values), "--out", "OUT"]
            return Case(arguments: arguments, specFile: nil, expected: mistake.expected)
        case 5:
            let other: [(arguments: [String], expected: [String])] = [
                (["emit", "c", "--head-dim", "64", "--bogus", "--out", "OUT"], ["--bogus"]),
                (["emit", "c", "--head-dim", "64"], ["--out"]),
                (["emit", "c", "--head-dim", "64", "--window-align", "top-left", "--out", "OUT"], ["--window-align"]),
                (["emit", "cuda", "--arch", "sm70", "--head-dim", "64", "--out", "OUT"], ["--arch"]),
                (["emit", "cuda", "--arch", "sm90", "--head-dim", "64", "--block-sparse", "8x8", "--out", "OUT"],
                 ["blockRows", "blockColumns", "blockSparse"]),
                (["emit", "cuda", "--head-dim", "64", "--budget", "1000", "--out", "OUT"], ["budget"]),
                (["emit", "cuda", "--head-dim", "64", "--budget", "999999", "--out", "OUT"], ["budget"]),
                (["emit", "c", "--head-dim", "64", "--dtype", "fp16", "--dtype", "bf16", "--out", "OUT"], ["--dtype"]),
                (["emit", "fortran", "--head-dim", "64", "--out", "OUT"], ["fortran"]),
                (["emit", "c", "--head-dim", "64", "--spec", "SPEC", "--out", "OUT"], ["--spec", "one way"]),
            ]
            let choice = random.pick(other)
            let spec = choice.arguments.contains("SPEC") ? "{\"variants\": [{\"name\": \"x\", \"headDim\": 8}]}" : nil
            return Case(arguments: choice.arguments, specFile: spec, expected: choice.expected)
        case 6..<9:
            let mistake = random.pick(Self.jsonMistakes)
            var fields = ["\"name\": \"fz\"", "\"headDim\": \(Int.random(in: 1...256, using: &random))"]
            fields.removeAll { mistake.field != "headdim" && $0.hasPrefix("\"\(mistake.field)\"") }
            fields.insert("\"\(mistake.field)\": \(mistake.value)", at: Int.random(in: 0...fields.count, using: &random))
            let document = "{\"variants\": [{" + fields.joined(separator: ", ") + "}]}"
            return Case(arguments: ["emit", "c", "--spec", "SPEC", "--out", "OUT"], specFile: document, expected: mistake.expected)
        default:
            let documents: [(String, [String])] = [
                ("{\"variants\": [{\"name\": \"fz\", \"headDim\": 64, \"headDim\": 32}]}", ["duplicate"]),
                ("{\"variants\": [{\"name\": \"fz\", \"headDim\": 64}", ["line"]),
                ("{\"variants\": [{\"name\": \"fz\", \"headDim\": 64},]}", ["line"]),
                ("{\"variants\": []}", ["variants"]),
                ("{\"variants\": {}}", ["variants"]),
                ("{\"variant\": []}", ["variant"]),
                ("[]", ["variants", "object", "expected"]),
                (String(repeating: "[", count: 100_000), ["nest", "deep", "line"]),
                ("{\"variants\": [{\"name\": \"a\", \"headDim\": 8}, {\"name\": \"a\", \"headDim\": 16}]}", ["name"]),
                ("{\"variants\": [{\"name\": \"a\", \"headDim\": 8}, {\"name\": \"A\", \"headDim\": 16}]}", ["name"]),
                ("{\"variants\": [{\"name\": \"a\", \"headDim\": 8}, {\"name\": \"a_value\", \"headDim\": 16}]}", ["name"]),
                ("{\"variants\": [{\"name\": \"x\", \"headDim\": 8, \"backward\": true}, {\"name\": \"x_backward\", \"headDim\": 16}]}", ["name"]),
                ("\u{FF}\u{FE}", ["UTF-8", "line", "JSON"]),
                ("", ["line", "JSON", "empty"]),
            ]
            let choice = random.pick(documents)
            return Case(arguments: ["emit", "c", "--spec", "SPEC", "--out", "OUT"], specFile: choice.0, expected: choice.1)
        }
    }
}
