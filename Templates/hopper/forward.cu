{{banner}}
/*
 * Hopper (sm_90a) forward attention kernel of attngen: warp-specialised, TMA + mbarrier + wgmma, after the
 * structure of FlashAttention-3's forward pass, for the variant `{{name}}` (its constants and mask hooks are
 * {{name}}_variant.cuh's). Layouts TMA cannot address run on the variant's mma.sync kernel ({{name}}_mma.cu).
 *
 * ------------------------------------------------------------------------------------------------------------
 * Work decomposition
 * ------------------------------------------------------------------------------------------------------------
 * Persistent: the grid is one CTA per multiprocessor (fewer when there is less work), and each CTA loops over work
 * items, one item = one query tile of kBlockM rows (64 per consumer warpgroup: 128, or 192 with three consumers) of
 * one (batch, query head). The order (cta_step() below):
 *   - waves (kPairedItems false): the heads in groups, groups one after another, inside a group the last query
 *     tile of every head, then the one before it, and so on; the CTAs take the items in waves of G (the grid
 *     size), forward in even waves and backward in odd ones (the CTA that took a wave's longest item takes the
 *     next wave's shortest). When every item visits the same key tiles (no causal, window or block-sparse mask:
 *     kUniformItems), or when a head has at most 16 query tiles, a group is as many heads as have their K and V
 *     in half of L2 (the launcher's heads_per_group); otherwise one group holds all heads, so that the items run
 *     longest first (under a causal mask query tile t of T sees t + 1 key tiles). Uniform items of at most 8 query
 *     tiles a head (N <= 1k) go head by head instead, each head's tiles on adjacent CTAs (head_major);
 *   - pairs (kPairedItems: items of unequal length at d = 64): units of two items of one head, query tiles
 *     T - 1 - p and p (together the same number of key tiles for every p under a causal mask; the middle tile of
 *     an odd T alone), the units head-major (batch, head, then p), CTA c taking units c, c + G, c + 2G, ... So
 *     every CTA gets the same work per unit without a global counter, and the CTAs in flight work on the K and V
 *     of about G / (T / 2) consecutive heads, which stay in L2, where longest first over all heads has every head
 *     in flight. Measured (TUNING.md H5, one H200 call, both orders): pairs +3 to +11 % at d = 64 causal, but
 *     -6 to -7 % at d = 128 causal N = 4k and 16k, where the waves' better balance wins (the pairs' last partial
 *     wave is whole units of T + 1 tiles; the waves end on the shortest items).
 * Some variants get two such kernels (Templates/hopper/pieces/forward_kernel.cu, rendered once per tile the planner
 * chose, HopperForwardPlanner.longPlan): the launcher runs the long-range one from
 * HopperForwardPlanner.longMinimumKeys keys on -- a wider key tile without masks or dropout, three consumer
 * warpgroups under a causal mask at d = 64 (TUNING.md H8, H12, H22).
 * Block: a producer warpgroup and kConsumerWarpgroups consumers, 384 threads (two consumers) or 512 (three: plain
 * d = 64 variants, HopperForwardPlanner.takesThreeConsumers, TUNING.md H22).
 *
 *   warpgroup 0, producer: setmaxnreg.dec to 24 registers; one thread (threadIdx.x == 0) issues every TMA load:
 *       per work item the Q tile (into one of kQStages buffers), then K and V tiles of kBlockN keys into a
 *       kStages-deep ring that runs on from one item to the next. So the next item's Q and first K/V tiles load
 *       while the consumers finish the current item (last softmax, last P·V, epilogue). The other 127 threads
 *       exit, but with fp8 inputs (kFp8) warps 1 .. 3 transpose each V tile for the fp8 P·V (transpose_values;
 *       setmaxnreg 40 there, 232 for the consumers).
 *   warpgroups 1 .. kConsumerWarpgroups, consumers: setmaxnreg.inc to 240 registers (160 with three); consumer c owns query rows
 *       64c .. 64c + 63 of the tile. Per key tile: S = Q·Kᵀ (wgmma, both operands in shared memory, 64 x kBlockN
 *       fp32 accumulators: kBlockN / 2 registers a thread), masks, online softmax on the fragments, P (bf16/fp16,
 *       registers) as the A operand of O += P·V (wgmma, V from shared memory). Software-pipelined inside the
 *       warpgroup (see consume()): S(j+1) and P(j)·V(j) are issued back to back, K(j+1) goes back to the producer
 *       as soon as S(j+1) is complete, V(j) once P(j)·V(j) is. Finally O / rowsum leaves from the registers in
 *       16-byte stores, each quad of lanes transposing its row's 8-column groups first (kQuadGroups), and the
 *       natural-log LSE.
 *
 * The consumers take turns at issuing their GEMMs (ping-pong on a named barrier each, see scheduler_wait), so
 * that one's softmax overlaps the others' GEMMs -- and one's epilogue the others' first GEMMs of the next item.
 *
 * ------------------------------------------------------------------------------------------------------------
 * Shared memory (dynamic; the base is rounded up to 1024 bytes, hence kSharedBytes includes 1024 of slack)
 * ------------------------------------------------------------------------------------------------------------
 *   Q   kQStages x (kBlockM x kHeadDim)     at 0
 *   K   kStages x (kBlockN x kHeadDim)      after Q
 *   V   kStages x (kBlockN x kValueHeadDim) after K
 *   Vt  fp8 only: kStages x (kValueHeadDim x kBlockN), V transposed (see transpose_value_tile)
 *   mbarriers (8 bytes each): q_full[kQStages], q_empty[kQStages], k_full[kStages], v_full[kStages],
 *                             k_empty[kStages], v_empty[kStages]; fp8: vt_full[kStages], vt_empty[kStages]
 *
 * Every tile is stored the way TMA writes a box {64 elements, rows, 1, 1} with the 128-byte swizzle: a tile of
 * R rows x D columns (D a multiple of 64) is D / 64 "column blocks", each R rows x 128 bytes, the blocks one after
 * another (block j holds columns 64j .. 64j + 63 of every row; it is loaded by one TMA copy at column 64j).
 * Inside a block, row r is the 128 bytes at r * 128, its 16-byte chunk q (columns 8q .. 8q + 7 of the block)
 * stored at chunk position q ^ (r % 8) (the swizzle; every block starts on a 1024-byte boundary, as the pattern
 * and the descriptors' base offset of 0 require: R * 128 is a multiple of 1024 for every R that is a multiple of 8).
 *
 * Descriptors (attngen_runtime_hopper.cuh explains the fields and the canonical layouts):
 *   S = Q·Kᵀ, k16 step kk (head-dim columns 16kk .. 16kk + 15), consumer c:
 *     A = Q rows 64c .. 64c + 63, K-major:  start = Q + (kk / 4) * kBlockM * 128 + 64c * 128 + (kk % 4) * 32
 *     B = K (N = kBlockN keys), K-major:    start = K[slot] + (kk / 4) * kBlockN * 128 + (kk % 4) * 32
 *     both with SBO = 1024 (8 rows of 128 bytes to the next 8 rows), LBO unused (16), swizzle 128B, no transpose.
 *     The 32-byte steps stay inside a 128-byte row (4 steps per column block), so the start is never a multiple
 *     of 1024 apart from kk % 4 = 0 -- which is fine: the swizzle is applied to the full address the hardware
 *     forms (start + row * 128 + chunk * 16), exactly where TMA put chunk (2 (kk % 4) + chunk) of that row;
 *     after 4 steps the next column block starts kBlockM (or kBlockN) * 128 bytes further.
 *   O += P·V, k16 step kk (keys 16kk .. 16kk + 15):
 *     A = P from registers (the S accumulators of the same 16 keys, repacked: see the runtime header);
 *     B = V (K = keys, N = kValueHeadDim), MN-major (consecutive elements of a V row are consecutive N, i.e. the
 *     "transposed" B, tnspB = 1): start = V[slot] + kk * 16 * 128 (16 keys = 2 groups of 8 rows of 128 bytes, so
 *     every start is 1024-aligned), SBO = 1024 (the next 8 keys), LBO = kBlockN * 128 (the next 64 columns of V:
 *     the next column block), swizzle 128B.
 *
 * ------------------------------------------------------------------------------------------------------------
 * Synchronisation (mbarriers; the runtime header explains phases and parities)
 * ------------------------------------------------------------------------------------------------------------
 *   q_full[b]      count 1: the producer's arrive.expect_tx(Q bytes) + the Q copies of the item in Q buffer b.
 *   q_empty[b]     count kConsumerWarps (8): lane 0 of each consumer warp arrives once the wgmma group of the
 *                  item's last S = Q·Kᵀ has completed, i.e. Q buffer b is free for a later item.
 *   k_full[s]      count 1: arrive.expect_tx(K bytes) + the K copies of the tile in slot s.
 *   v_full[s]      count 1: the same for V (separate, so that S = Q·Kᵀ may start while V is in flight).
 *   k_empty[s]     count kConsumerWarps (8): lane 0 of each consumer warp arrives once the wgmma group of
 *                  S = Q·Kᵀ reading K of slot s has completed (the wgmma.wait_group that covers it), i.e. K is free.
 *   v_empty[s]     count kConsumerWarps (8): the same for V of slot s, after O += P·V has completed.
 * The producer's fill number f (0, 1, 2, ...) of the visible key tiles, counted over all of the CTA's work items
 * in order (the ring and its phases run on from one item to the next), goes to slot s = f % kStages as use
 * u = f / kStages of that slot. Consumers wait k_full[s] / v_full[s] with parity u & 1 (the completion of phase
 * u). The producer, for u >= 1, waits k_empty[s] (before the K copies) and v_empty[s] (before the V copies) with
 * parity (u - 1) & 1 (the consumers' release of use u - 1); for u = 0 it does not wait (the slot was never used).
 * K and V of one slot are separate resources with separate full / empty pairs, so the argument below holds for
 * each pair on its own. Parity waits are unambiguous because no barrier can get two phases ahead of its waiter:
 *   - a consumer warp waiting for phase u of k_full[s] (or v_full[s]): phase u + 1 would need fill
 *     f + kStages, which the producer issues only after phase u of k_empty[s] (v_empty[s]), which needs this
 *     very warp's arrival after its use u -- so the barrier is in phase u (pending) or u + 1 (u complete), never
 *     u + 2;
 *   - the producer waiting for phase u - 1 of k_empty[s] (v_empty[s]): phase u would need the consumers to finish
 *     use u of the slot, i.e. fill f, which the producer has not issued yet.
 * No deadlock: consumer iteration j needs K(j) and V(j - 1); the producer issues K(f), V(f), K(f + 1), ... and
 * K(f) waits for S(f - kStages) (done in iteration f - kStages), V(f) for P(f - kStages)·V (done in iteration
 * f - kStages + 1 <= j - 1 for every fill f <= j a consumer can be waiting on), so every wait of the producer is
 * on work the consumers finish without needing that fill.
 * The Q buffers work the same way: the n-th work item with visible tiles (n = 0, 1, ... over the CTA's items)
 * loads its Q into buffer n % kQStages as use n / kQStages; consumers wait q_full with parity (n / kQStages) & 1,
 * the producer waits q_empty with parity (n / kQStages - 1) & 1 for n >= kQStages. No deadlock: the producer
 * issues item n's Q only after every K/V fill of item n - 1, and the consumers release the Q of item
 * n - kQStages after its last S, which needs nothing beyond that item's own fills.
 * Producer and consumers walk the same work items and the same list of visible key tiles of each: both compute
 * them from the same arguments (cta_step() and work_item(), then visible_key_range and key_tile_is_skipped of the
 * item's query range), so their fill / use numbers agree. An item whose list is empty loads nothing (not even Q)
 * and its consumers write O = 0 and LSE = -inf.
 */

#include <math.h>
#include <stdint.h>
#include <string.h>

#include <type_traits>

/* ------------------------------------------------------------------------------------------------------------
 * The variant (generator: {{name}}).
 * ---------------------------------------------------------------------------------------------------------- */
#include "{{name}}.cuh"
#include "{{name}}_variant.cuh"
#include "attngen_runtime_hopper.cuh"

/* What the TMA path cannot take: Q, K or V not 16-byte aligned, or a stride of a dimension with more than one
   element that is zero (a broadcast) or not a multiple of 16 bytes, or sizes past int32 coordinates; per-sequence
   key counts (seqlens_k). Such calls run on the variant's mma.sync kernel ({{name}}_mma.cu), which takes every
   layout and call the ABI allows. Variable-length batches (cu_seqlens_q, cu_seqlens_k) run here: a packed side's
   tensor map holds all its rows as one batch (README.md, "Variable-length batches"). (Head dims
   that are not multiples of 64 and fp32 storage never reach this family: its planner refuses them.) */
{{fallback_declaration}}

{{kernels}}

/* ------------------------------------------------------------------------------------------------------------
 * Launcher: the C ABI's checks in the ABI's order (as Templates/cuda/forward.cu), then what TMA needs, then
 * one CTA per multiprocessor (at most one per unit of work), each looping over its work items.
 * ---------------------------------------------------------------------------------------------------------- */

extern "C" attngen_status attngen_{{name}}_forward_cuda(const attngen_forward_params *params, cudaStream_t stream) {
    using namespace attngen_{{name}}_variant;
    /* The ABI's checks, in its order (attngen_checks.h). */
    int has_work = 0;
    const attngen_status status = attngen_check_forward(params, &kVariantRules, &has_work);
    if (status != ATTNGEN_OK || !has_work) return status;
    if (params->cu_seqlens_q != NULL && params->total_q == 0) return ATTNGEN_OK; /* every sequence is empty */
    /* The checked call with the layouts its kernels may use (unused batch strides of packed tensors zeroed). */
    const attngen_forward_params p = attngen_forward_layouts_in_use(params);
    {{decode_dispatch}}

    /* Per-sequence key counts: the mma.sync kernel (this kernel's work items assume that the keys of a tile past the
       sequence's count are zeros or another sequence's, not rows of the same cache that must not be read). */
    if (p.seqlens_k != NULL) return {{fallback_call_params}};

    /* What TMA needs (above: otherwise the mma.sync kernel runs the call), a packed side as one batch of all its rows.
       K and V are never read without keys, so their layouts do not matter then (every row is fully masked). */
    const attngen_hopper_forward_extents extents = attngen_hopper_forward_extents_of(p);
    const int64_t input_bytes = attngen_{{name}}_variant::kInputBytes;
    const bool q_ok =
        attngen_hopper_tma_layout_ok(p.q, p.q_layout, extents.q_rows, p.heads_q, extents.q_batches, input_bytes);
    const bool kv_ok =
        !extents.reads_kv ||
        (attngen_hopper_tma_layout_ok(p.k, p.k_layout, extents.kv_rows, p.heads_kv, extents.kv_batches, input_bytes) &&
         attngen_hopper_tma_layout_ok(p.v, p.v_layout, extents.kv_rows, p.heads_kv, extents.kv_batches, input_bytes));
    if (!q_ok || !kv_ok) {
        return {{fallback_call_params}};
    }

{{tile_dispatch}}
    return attngen_{{name}}_hopper_detail::launch(p, stream);
}
{{workspace_size}}
{{combine}}
{{quantize}}