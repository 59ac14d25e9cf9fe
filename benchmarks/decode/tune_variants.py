"""Writes tuning copies of a generated decode kernel with other launch constants (warps, keys per warp, K/V stages,
blocks per SM), for the tuning rows of bench_decode.py (TUNING.md, D-entries). A development tool: the planner
(Sources/AttnGen/Planning/DecodePlan.swift) owns the constants that ship.

    python3 benchmarks/decode/tune_variants.py SOURCE_DIR BASE OUT_DIR NAME:WARPS:COLUMNS:STAGES:BLOCKS[:cp]...

SOURCE_DIR holds BASE.cu, BASE.cuh, BASE_variant.cuh and BASE_mma.cu as `attngen emit cuda --arch sm90 --family
auto` wrote them (head dim 128, 16-bit storage); each NAME gets the four files with BASE renamed and the decode
namespace's constants replaced (those of the 16-row block shape, NarrowBlock, the first of each name; the tile and
shared-memory sizes recomputed as the planner does, TMA tiles' too, the 64-row shape's TMA tiles turned off); a
trailing `:cp` turns the TMA tiles off (cp.async from every thread for every call).
"""
import os
import re
import sys


def retune(text, base, name, warps, columns, stages, blocks, tensor_maps):
    text = text.replace(base, name)
    start = text.index(f"namespace attngen_{name}_decode {{")
    end = text.index(f"}}  // namespace attngen_{name}_decode")
    head_padded = int(re.search(r"constexpr int kHeadDimPadded = (\d+);", text[start:end]).group(1))
    value_padded = int(re.search(r"constexpr int kValueHeadDimPadded = (\d+);", text[start:end]).group(1))
    pad = int(re.search(r"constexpr int kRowPad = (\d+);", text[start:end]).group(1))
    q_elements = 16 * (head_padded + pad)
    k_elements = warps * columns * (head_padded + pad)
    v_elements = warps * columns * (value_padded + pad)
    shared = max(2 * (q_elements + stages * (k_elements + v_elements)), warps * 16 * (value_padded + 2) * 4)
    values = {"kWarps": warps, "kWarpColumns": columns, "kStages": stages, "kBlocksPerMultiprocessor": blocks,
              "kQTileElements": q_elements, "kKTileElements": k_elements, "kVTileElements": v_elements,
              "kSharedBytes": shared}
    section = text[start:end]
    panels = re.search(r"constexpr int kKeyPanels = (\d+);", section)
    if panels:  # TMA tiles (DecodePlan.TensorMapTiles): panels of the tile's keys x 128 bytes, recomputed
        value_panels = int(re.search(r"constexpr int kValuePanels = (\d+);", section).group(1))
        panel_bytes = warps * columns * 128
        merge = warps * 16 * (value_padded + 2) * 4
        offset = (2 * q_elements + 1023) // 1024 * 1024
        values["kPanelBytes"] = panel_bytes
        values["kTensorMapStages"] = stages if tensor_maps else 0
        values["kBoxRows"] = warps * columns  # a contiguous cache's box: the whole tile
        values["kTensorMapSharedBytes"] = (max(offset + stages * (int(panels.group(1)) + value_panels) * panel_bytes,
                                               merge) + 16 * stages) if tensor_maps else 0
    for key, value in values.items():
        section = re.sub(rf"constexpr int {key} = \d+;", f"constexpr int {key} = {value};", section, count=1)
    # The 64-row shape keeps its cp.async tiles (its constants are not retuned).
    for key in ("kTensorMapStages", "kTensorMapSharedBytes"):
        section = re.sub(rf"(struct WideBlock \{{.*?)static constexpr int {key} = \d+;",
                         rf"\1static constexpr int {key} = 0;", section, count=1, flags=re.S)
    return text[:start] + section + text[end:]


def main():
    source, base, out = sys.argv[1:4]
    os.makedirs(out, exist_ok=True)
    for item in sys.argv[4:]:
        name, warps, columns, stages, blocks, *flags = item.split(":")
        for suffix in (".cu", ".cuh", "_variant.cuh", "_mma.cu"):
            text = open(os.path.join(source, base + suffix)).read()
            if suffix == "_mma.cu":
                text = retune(text, base, name, int(warps), int(columns), int(stages), int(blocks), "cp" not in flags)
            else:
                text = text.replace(base, name)
            open(os.path.join(out, name + suffix), "w").write(text)


if __name__ == "__main__":
    main()
