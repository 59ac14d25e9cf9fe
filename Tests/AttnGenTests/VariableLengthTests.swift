import Foundation
import Testing
@testable import AttnGen

/// Variable-length batches (README, "Variable-length batches"): the ABI's fields, and the one home of a sequence's
/// rows (`attngen_sequence_rows_of` in attngen_checks.h, which every kernel calls and which CUDA relies on to never
/// leave the packed tensors, whatever prefix sums a caller passes). The kernels themselves are checked against the
/// float64 reference by the forward and backward matrices (their packed cases) and the PyTorch check.
@Suite struct VariableLengthTests {
    @Test func bothParamsStructsCarryThePacking() {
        #expect(ABIDefinition.version >= 5)
        for structure in [ABIDefinition.forwardParams, ABIDefinition.backwardParams] {
            let fields = Dictionary(uniqueKeysWithValues: structure.fields.map { ($0.name, $0.type) })
            #expect(fields["cu_seqlens_q"] == .constInt32Pointer, "\(structure.name)")
            #expect(fields["cu_seqlens_k"] == .constInt32Pointer, "\(structure.name)")
            #expect(fields["total_q"] == .int64 && fields["total_k"] == .int64, "\(structure.name)")
        }
    }

    /// Random and hostile prefix sums (negative, decreasing, past the total, longer than the bound): every sequence's
    /// rows stay inside 0 ... total and number at most the bound; valid prefix sums give exactly their differences;
    /// attngen_prefix_sums_are_valid accepts exactly the valid ones.
    @Test func sequenceRowsStayInsideThePackedTensors() throws {
        let folder = try HarnessFixtures.temporaryFolder("sequence-rows")
        defer { try? FileManager.default.removeItem(at: folder) }
        for file in try CEmitter().sharedFiles() {
            try file.contents.write(to: folder.appendingPathComponent(file.path), atomically: true, encoding: .utf8)
        }
        let program = """
            #include <stdio.h>
            #include <stdlib.h>
            #include "attngen_checks.h"

            static uint64_t state = 88172645463325252ull;
            static int64_t next(int64_t range) { state ^= state << 13; state ^= state >> 7; state ^= state << 17;
                                                 return (int64_t)(state % (uint64_t)range); }

            int main(void) {
                long outside = 0, wrong = 0, misjudged = 0, valid_seen = 0, invalid_seen = 0;
                for (int trial = 0; trial < 200000; ++trial) {
                    const int64_t batch = 1 + next(6), bound = next(9), total = next(40);
                    int32_t cu[8];
                    const int hostile = trial % 2;
                    cu[0] = hostile ? (int32_t)(next(50) - 10) : (int32_t)next(3);
                    for (int64_t b = 0; b < batch; ++b) {
                        cu[b + 1] = hostile ? (int32_t)(next(60) - 10) : cu[b] + (int32_t)next(bound + 1);
                    }
                    int valid = cu[0] >= 0 && cu[batch] <= total;
                    for (int64_t b = 0; b < batch; ++b) {
                        valid = valid && cu[b + 1] >= cu[b] && cu[b + 1] - cu[b] <= bound;
                    }
                    misjudged += attngen_prefix_sums_are_valid(cu, batch, bound, total) != valid;
                    valid_seen += valid;
                    invalid_seen += !valid;
                    for (int64_t b = 0; b < batch; ++b) {
                        const attngen_sequence_rows rows = attngen_sequence_rows_of(cu, b, bound, total);
                        outside += rows.batch != 0 || rows.first < 0 || rows.count < 0 || rows.count > bound
                                   || rows.first + rows.count > total;
                        wrong += valid && (rows.first != cu[b] || rows.count != cu[b + 1] - cu[b]);
                    }
                    const attngen_sequence_rows fixed = attngen_sequence_rows_of(NULL, batch - 1, bound, total);
                    wrong += fixed.batch != batch - 1 || fixed.first != 0 || fixed.count != bound;
                    const int32_t keys[1] = {(int32_t)(next(30) - 10)};
                    const int64_t used = attngen_sequence_key_count(keys, 0, bound);
                    outside += used < 0 || used > bound;
                }
                printf("outside=%ld wrong=%ld misjudged=%ld valid=%ld invalid=%ld\\n", outside, wrong, misjudged,
                       valid_seen, invalid_seen);
                return 0;
            }
            """
        try program.write(to: folder.appendingPathComponent("rows.c"), atomically: true, encoding: .utf8)
        try HarnessFixtures.compile(["rows.c"], output: "rows", in: folder)
        let outcome = try ChildProcess.run(["./rows"], in: folder)
        #expect(outcome.status == 0, "\(outcome.output)")
        let values = Dictionary(uniqueKeysWithValues: outcome.output.split(whereSeparator: \.isWhitespace).compactMap { item in
            let parts = item.split(separator: "=")
            return parts.count == 2 ? (String(parts[0]), Int(parts[1]) ?? -1) : nil
        })
        #expect(values["outside"] == 0 && values["wrong"] == 0 && values["misjudged"] == 0, "\(outcome.output)")
        #expect((values["valid"] ?? 0) > 10_000 && (values["invalid"] ?? 0) > 10_000, "both kinds drawn: \(outcome.output)")
    }
}
