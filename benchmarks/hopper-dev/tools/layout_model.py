#!/usr/bin/env python3
"""A CPU model of the index arithmetic of Templates/hopper/forward.cu, checked against plain attention.

It runs no GPU code. It models, from their documented semantics, what the hardware does with the kernel's
numbers, and checks that the kernel's numbers make the hardware compute attention:

  * TMA writes a box {64 columns, R rows} with the 128-byte swizzle: row r of the box at dst + 128 r, its
    16-byte chunk q at chunk position q ^ ((address >> 7) & 7) (the swizzle acts on address bits 4..6 ^ 7..9);
  * wgmma reads an operand through a descriptor (start, LBO, SBO, 128-byte swizzle) in CUTLASS's canonical
    layouts (cute/atom/mma_traits_sm90_gmma.hpp), in element units with T = 8 elements:
        K-major:  (mn, k) -> start + 2 * ((mn % 8) * 64 + (mn // 8) * SBO/2 + (k % 8) + (k // 8) * 8)
        MN-major: (k, mn) -> start + 2 * ((mn % 8) + ((mn // 8) % 8) * 8 + (mn // 64) * LBO/2
                                          + (k % 8) * 64 + (k // 8) * SBO/2)
    then the same address swizzle;
  * the register fragments of wgmma m64nNk16 (PTX ISA figures wgmma-64N16-D / -A), warp w, lane = 4 g + c:
        D: d[4 j + 2 r + e] = D[16 w + g + 8 r][8 j + 2 c + e]
        A: a[i] holds A[16 w + g + 8 (i % 2)][2 c + 8 (i // 2) + e], e = 0, 1 (low, high half)

and then follows the kernel's own formulas (descriptor starts, the S -> P repacking, the softmax on fragments,
the epilogue's stores), in float64, and compares O and the LSE with numpy attention. Shapes: head dims 64 and
128, several nq / nk (partial tiles, keys past the end zero-filled and masked), causal or not.

    python3 benchmarks/hopper-dev/tools/layout_model.py
"""
import math
import sys

import numpy as np

BLOCK_M, BLOCK_N, STAGES = 128, 128, 3  # kStages: the planner gives 3 at d = 64, 2 at d = 128 (beside two Q tiles); the model is per tile
ROWS_PER_CONSUMER = 64


def swizzle(address):
    return address ^ (((address >> 7) & 7) << 4)


class Smem:
    def __init__(self, size):
        self.mem = np.full(size // 2, np.nan)  # 16-bit slots, NaN = never written

    def write(self, address, value):
        self.mem[swizzle(address) // 2] = value

    def read(self, address):
        value = self.mem[swizzle(address) // 2]
        assert not np.isnan(value), f"wgmma read a slot TMA never wrote: 0x{address:x}"
        return value


def tma_load(smem, dst, tensor, c0, c1, box_rows):
    """A box {64 columns, box_rows rows} of a 2-D tensor [rows][cols] at (c0, c1); zeros out of bounds."""
    assert dst % 1024 == 0
    rows, cols = tensor.shape
    for r in range(box_rows):
        for col in range(64):
            gr, gc = c1 + r, c0 + col
            value = tensor[gr, gc] if gr < rows and gc < cols else 0.0
            smem.write(dst + r * 128 + col * 2, value)


def descriptor(start, lbo, sbo):
    # attngen_smem_descriptor_sw128: fields kept separately here
    assert start % 16 == 0 and lbo % 16 == 0 and sbo % 16 == 0
    return (start, lbo, sbo)


def read_k_major(smem, desc, mn, k):
    start, _lbo, sbo = desc
    elem = (mn % 8) * 64 + (mn // 8) * (sbo // 2) + (k % 8) + (k // 8) * 8
    return smem.read(start + 2 * elem)


def read_mn_major(smem, desc, k, mn):
    start, lbo, sbo = desc
    elem = (mn % 8) + ((mn // 8) % 8) * 8 + (mn // 64) * (lbo // 2) + (k % 8) * 64 + (k // 8) * (sbo // 2)
    return smem.read(start + 2 * elem)


def wgmma_ss(d, smem, desc_a, desc_b, n, scale_d):
    """d: [128 threads][n/2]; A 64x16 K-major, B n x 16 K-major (B[k][n] = operand (n, k))."""
    A = np.array([[read_k_major(smem, desc_a, m, k) for k in range(16)] for m in range(64)])
    B = np.array([[read_k_major(smem, desc_b, j, k) for j in range(n)] for k in range(16)])
    apply_d(d, A @ B, n, scale_d)


def wgmma_rs(d, a_frags, smem, desc_b, n):
    """a_frags: [128 threads][4 regs][2 halves]; B 16 x n MN-major."""
    A = np.full((64, 16), np.nan)
    for t in range(128):
        w, lane = t // 32, t % 32
        g, c = lane // 4, lane % 4
        for i in range(4):
            for e in range(2):
                A[16 * w + g + 8 * (i % 2), 2 * c + 8 * (i // 2) + e] = a_frags[t][i][e]
    assert not np.isnan(A).any()
    B = np.array([[read_mn_major(smem, desc_b, k, j) for j in range(n)] for k in range(16)])
    apply_d(d, A @ B, n, 1)


def apply_d(d, product, n, scale_d):
    for t in range(128):
        w, lane = t // 32, t % 32
        g, c = lane // 4, lane % 4
        for j in range(n // 8):
            for r in range(2):
                for e in range(2):
                    i = 4 * j + 2 * r + e
                    value = product[16 * w + g + 8 * r, 8 * j + 2 * c + e]
                    d[t][i] = value + (d[t][i] if scale_d else 0.0)


def model(d_head, dv, nq, nk, causal, seed):
    rng = np.random.default_rng(seed)
    Q = rng.uniform(-1, 1, (nq, d_head))
    K = rng.uniform(-1, 1, (nk, d_head))
    V = rng.uniform(-1, 1, (nk, dv))
    scale = 1.0 / math.sqrt(d_head)
    scale_log2 = scale * math.log2(math.e)

    q_tile_bytes = BLOCK_M * d_head * 2
    k_tile_bytes = BLOCK_N * d_head * 2
    v_tile_bytes = BLOCK_N * dv * 2
    q_off, k_off = 0, q_tile_bytes
    v_off = k_off + STAGES * k_tile_bytes
    size = v_off + STAGES * v_tile_bytes
    q_blocks, v_blocks = d_head // 64, dv // 64
    col_block_q = BLOCK_M * 128
    col_block_kv = BLOCK_N * 128

    O = np.full((nq, dv), np.nan)
    LSE = np.full(nq, np.nan)
    for tile_q in range((nq + BLOCK_M - 1) // BLOCK_M):
        q_begin = tile_q * BLOCK_M
        q_end = min(q_begin + BLOCK_M, nq)
        smem = Smem(size)
        for block in range(q_blocks):  # produce(): Q
            tma_load(smem, q_off + block * col_block_q, Q, block * 64, q_begin, BLOCK_M)
        key_end = min(nk, q_end) if causal else nk  # visible_key_range (top-left causal)
        tiles = range(0, (key_end + BLOCK_N - 1) // BLOCK_N if key_end > 0 else 0)
        # consumer state, per consumer and thread
        state = []
        for consumer in range(2):
            state.append({"o": [[0.0] * (dv // 2) for _ in range(128)], "s": [[0.0] * (BLOCK_N // 2) for _ in range(128)],
                          "max": [[-math.inf] * 2 for _ in range(128)], "sum": [[0.0] * 2 for _ in range(128)]})
        for fill, tile in enumerate(tiles):
            slot = fill % STAGES
            k0 = tile * BLOCK_N
            for block in range(q_blocks):
                tma_load(smem, k_off + slot * k_tile_bytes + block * col_block_kv, K, block * 64, k0, BLOCK_N)
            for block in range(v_blocks):
                tma_load(smem, v_off + slot * v_tile_bytes + block * col_block_kv, V, block * 64, k0, BLOCK_N)
            for consumer in range(2):
                st = state[consumer]
                # scores(): the kernel's descriptor starts
                q_rows = q_off + consumer * ROWS_PER_CONSUMER * 128
                k_rows = k_off + slot * k_tile_bytes
                for kk in range(d_head // 16):
                    column_block, step = kk // 4, (kk % 4) * 32
                    a = descriptor(q_rows + column_block * col_block_q + step, 16, 1024)
                    b = descriptor(k_rows + column_block * col_block_kv + step, 16, 1024)
                    wgmma_ss(st["s"], smem, a, b, BLOCK_N, 0 if kk == 0 else 1)
                consumer_q_begin = q_begin + consumer * ROWS_PER_CONSUMER
                for t in range(128):
                    w, lane = t // 32, t % 32
                    g, c = lane // 4, lane % 4
                    s = st["s"][t]
                    for r in range(2):  # masks (row_key_bounds: k < nk, causal k <= q)
                        q = consumer_q_begin + 16 * w + g + 8 * r
                        lo, hi = 0, nk
                        if causal:
                            hi = min(hi, q + 1)
                        key_lo = max(min(lo - k0, BLOCK_N), 0)
                        key_hi = max(min(hi - k0, BLOCK_N), 0)
                        for j in range(BLOCK_N // 8):
                            for e in range(2):
                                key = 8 * j + 2 * c + e
                                if not (key_lo <= key < key_hi):
                                    s[4 * j + 2 * r + e] = -math.inf
                # softmax with quad reductions (lanes 4g .. 4g + 3 of each warp)
                for w in range(4):
                    for g in range(8):
                        quad = [w * 32 + 4 * g + c for c in range(4)]
                        for r in range(2):
                            tile_max = max(max(st["s"][t][4 * j + 2 * r + e] for j in range(BLOCK_N // 8) for e in range(2))
                                           for t in quad)
                            for t in quad:
                                s = st["s"][t]
                                new_max = max(st["max"][t][r], tile_max)
                                scaled_max = 0.0 if new_max == -math.inf else new_max * scale_log2
                                correction = 2.0 ** (st["max"][t][r] * scale_log2 - scaled_max)
                                st["max"][t][r] = new_max
                                for j in range(dv // 8):
                                    st["o"][t][4 * j + 2 * r] *= correction
                                    st["o"][t][4 * j + 2 * r + 1] *= correction
                                tile_sum = 0.0
                                for j in range(BLOCK_N // 8):
                                    for e in range(2):
                                        x = s[4 * j + 2 * r + e]
                                        s[4 * j + 2 * r + e] = 0.0 if x == -math.inf else 2.0 ** (x * scale_log2 - scaled_max)
                                        tile_sum += s[4 * j + 2 * r + e]
                                st["sum"][t][r] = st["sum"][t][r] * correction + tile_sum
                # P fragments, exactly the kernel's repacking, then O += P V
                v_rows = v_off + slot * v_tile_bytes
                for kk in range(BLOCK_N // 16):
                    a_frags = []
                    for t in range(128):
                        s = st["s"][t]
                        a_frags.append([(s[8 * kk + 0], s[8 * kk + 1]), (s[8 * kk + 2], s[8 * kk + 3]),
                                        (s[8 * kk + 4], s[8 * kk + 5]), (s[8 * kk + 6], s[8 * kk + 7])])
                    b = descriptor(v_rows + kk * 16 * 128, col_block_kv, 1024)
                    wgmma_rs(st["o"], a_frags, smem, b, dv)
        # epilogue
        for consumer in range(2):
            st = state[consumer]
            consumer_q_begin = q_begin + consumer * ROWS_PER_CONSUMER
            for w in range(4):
                for g in range(8):
                    quad = [w * 32 + 4 * g + c for c in range(4)]
                    for r in range(2):
                        total = sum(st["sum"][t][r] for t in quad)
                        q = consumer_q_begin + 16 * w + g + 8 * r
                        factor = 1.0 / total if total > 0 else 0.0
                        if q >= nq:
                            continue
                        for t in quad:
                            c = t % 4
                            for j in range(dv // 8):
                                O[q, 8 * j + 2 * c] = st["o"][t][4 * j + 2 * r] * factor
                                O[q, 8 * j + 2 * c + 1] = st["o"][t][4 * j + 2 * r + 1] * factor
                        t = quad[0]
                        LSE[q] = st["max"][t][r] * scale + math.log(total) if total > 0 else -math.inf

    # numpy attention
    S = scale * (Q @ K.T)
    if causal:
        S = np.where(np.arange(nk)[None, :] <= np.arange(nq)[:, None], S, -np.inf)
    ref_O = np.zeros((nq, dv))
    ref_L = np.full(nq, -np.inf)
    for q in range(nq):
        row = S[q]
        if np.all(row == -np.inf):
            continue
        m = row.max()
        p = np.exp(row - m)
        ref_O[q] = p @ V / p.sum()
        ref_L[q] = m + math.log(p.sum())
    err_o = np.max(np.abs(O - ref_O))
    finite = np.isfinite(ref_L)
    err_l = np.max(np.abs(LSE[finite] - ref_L[finite])) if finite.any() else 0.0
    ok = err_o < 1e-9 and err_l < 1e-9 and np.array_equal(np.isinf(LSE), np.isinf(ref_L)) and not np.isnan(O).any()
    print(f"d={d_head:3d} dv={dv:3d} nq={nq:4d} nk={nk:4d} causal={int(causal)}  max|dO|={err_o:.1e} max|dLSE|={err_l:.1e}  "
          f"{'PASS' if ok else 'FAIL'}")
    return ok


if __name__ == "__main__":
    cases = [(64, 64, 130, 200, False), (128, 128, 129, 140, False), (128, 128, 200, 300, True), (64, 64, 20, 0, False),
             (128, 64, 70, 129, False), (64, 128, 64, 257, True)]
    ok = all(model(*c, seed=i) for i, c in enumerate(cases))
    print("layout model:", "ALL PASS" if ok else "FAILED")
    sys.exit(0 if ok else 1)
