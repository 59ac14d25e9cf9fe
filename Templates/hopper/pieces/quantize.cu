
/* ------------------------------------------------------------------------------------------------------------
 * Quantize: Q, K or V to e4m3 bytes and the descale factors the forward call reads (attngen_quantize_params in
 * attngen_abi.h), Q and K optionally rotated. One warp per row: each lane holds kLaneColumns neighbouring columns
 * in registers, the butterflies of spans below that run inside the lane and the longer ones between lanes by
 * shuffles (partner lane = lane ^ span / kLaneColumns), every output the same sum or difference as the C backend's
 * and hadamard_rotation's. Each warp takes a contiguous run of rows. Four launches on the caller's stream: the
 * factors' slots zeroed; the maxima (a warp's running largest |y| of a group goes to the group's slot by an atomic
 * maximum of the bits, which orders non-negative floats, when its run leaves the group); the stores, which redo the
 * rows, divide by the group's factor and round to e4m3 (cvt.rn.satfinite: ties to even, saturated at 448); and the
 * slots turned from maxima into factors. x is read twice and no workspace is needed.
 * ---------------------------------------------------------------------------------------------------------- */

namespace attngen_{{name}}_quantize {

using namespace attngen_{{name}}_variant;

constexpr int kThreads = {{threads}};
constexpr int kWarps = kThreads / 32;
constexpr int kRotationBlock = {{rotation_block}};   /* columns of one Hadamard block */
constexpr float kRotationNorm = {{rotation_norm}};   /* 1 / sqrt(kRotationBlock), rounded to fp32 */
constexpr int kMaxColumns = kHeadDim > kValueHeadDim ? kHeadDim : kValueHeadDim;
constexpr int kBlocksPerMultiprocessor = {{blocks_per_multiprocessor}};  /* blocks of a launch: one wave of them */

struct QuantizeArguments {
    attngen_quantize_params params;
    int64_t groups;           /* batch * heads_kv */
    int per_tensor;           /* both descale strides 0: every group adds to one slot */
    int multiprocessors;      /* of the current device: the launches size one wave of resident blocks by it */
    uint32_t negative[(kMaxColumns + 31) / 32]; /* rotate: bit i set where column i's sign is -1; 0 otherwise */
};

/* The slot of group `group` (batch b, key/value head g) in the factors, as bits. */
static __device__ __forceinline__ uint32_t *slot_of(const QuantizeArguments &arguments, int64_t group) {
    const attngen_quantize_params &p = arguments.params;
    const int64_t b = group / p.heads_kv, g = group % p.heads_kv;
    return reinterpret_cast<uint32_t *>(p.descale + b * p.descale_batch_stride + g * p.descale_head_stride);
}

/* A group's factor from the bits of its maximum: max / 448, or 1 for zeros (and NaN, as the C backend). */
static __device__ __forceinline__ float factor_of(uint32_t maximum_bits) {
    const float maximum = __uint_as_float(maximum_bits);
    return maximum > 0.0f ? maximum / {{e4m3_largest}}.0f : 1.0f;
}

/* The e4m3 byte nearest to `value` (ties to even), saturated at +-448. */
static __device__ __forceinline__ uint8_t to_e4m3(float value) {
    uint16_t pair;
    /* cvt ... e4m3x2.f32 d, a, b puts a in the upper byte of d, b in the lower one. */
    asm("cvt.rn.satfinite.e4m3x2.f32 %0, %1, %2;" : "=h"(pair) : "f"(0.0f), "f"(value));
    return static_cast<uint8_t>(pair & 0xffu);
}

/* Blocks for `work` items of `per_block` each, at most `limit` (one wave of resident blocks). */
static unsigned blocks_for(int64_t work, int64_t per_block, int64_t limit) {
    const int64_t wanted = (work + per_block - 1) / per_block;
    return (unsigned)(wanted < limit ? wanted : limit);
}

/* Where a warp is in its run of rows: row s of head h, the r-th row of group `group` (batch b, key/value head g).
   Advanced row by row without divisions; only the run's start divides. */
struct RowCursor {
    int64_t group, b, g, r, h, s;
};

static __device__ __forceinline__ RowCursor cursor_at(const attngen_quantize_params &p, int64_t row, int64_t group_rows) {
    RowCursor c;
    c.group = row / group_rows;
    c.r = row % group_rows;
    c.b = c.group / p.heads_kv;
    c.g = c.group % p.heads_kv;
    c.h = c.g * (p.heads / p.heads_kv) + c.r / p.seqlen;
    c.s = c.r % p.seqlen;
    return c;
}

static __device__ __forceinline__ void advance(const attngen_quantize_params &p, RowCursor &c, int64_t group_rows) {
    ++c.r;
    if (++c.s == p.seqlen) {
        c.s = 0;
        ++c.h;
    }
    if (c.r == group_rows) {
        c.r = 0;
        ++c.group;
        if (++c.g == p.heads_kv) {
            c.g = 0;
            ++c.b;
        }
        c.h = c.g * (p.heads / p.heads_kv);
    }
}

static __device__ __forceinline__ int64_t offset_of(const attngen_layout &layout, const RowCursor &c) {
    return c.b * layout.batch_stride + c.h * layout.head_stride + c.s * layout.row_stride;
}

/* The cursor's row in registers as fp32, y[e] = column lane * kLaneColumns + e, signs applied (`negative`: the lane's
   kLaneColumns sign bits), rotated when asked. */
template <int Columns>
static __device__ __forceinline__ void load_row(const attngen_quantize_params &p, const RowCursor &cursor,
                                                uint32_t negative, float (&y)[Columns / 32]) {
    constexpr int kLaneColumns = Columns / 32;
    const int lane = threadIdx.x % 32;
    const Element *x = static_cast<const Element *>(p.x) + offset_of(p.x_layout, cursor) + lane * kLaneColumns;
#pragma unroll
    for (int e = 0; e < kLaneColumns; ++e) {
        const float value = attngen_load_float(x + e);
        y[e] = (negative >> e) & 1u ? -value : value;
    }
    if (!p.rotate) return;
    /* Spans inside the lane: pairs (e, e + span). */
#pragma unroll
    for (int span = 1; span < kLaneColumns && span < kRotationBlock; span *= 2) {
#pragma unroll
        for (int e = 0; e < kLaneColumns; ++e) {
            if ((e & span) == 0) {
                const float low = y[e], high = y[e + span];
                y[e] = low + high;
                y[e + span] = low - high;
            }
        }
    }
    /* Spans between lanes: the partner holds the same e; the lane with the bit clear holds the lower column. */
#pragma unroll
    for (int span = kLaneColumns; span < kRotationBlock; span *= 2) {
        const int partner = span / kLaneColumns;
        const bool upper = (lane & partner) != 0;
#pragma unroll
        for (int e = 0; e < kLaneColumns; ++e) {
            const float other = __shfl_xor_sync(0xffffffffu, y[e], partner);
            y[e] = upper ? other - y[e] : y[e] + other;
        }
    }
#pragma unroll
    for (int e = 0; e < kLaneColumns; ++e) y[e] *= kRotationNorm;
}

/* The warp's largest |y| bits (each lane's `running`) into group `group`'s slot: one atomic maximum. */
static __device__ __forceinline__ void flush_maximum(const QuantizeArguments &arguments, int64_t group, uint32_t running) {
#pragma unroll
    for (int offset = 16; offset > 0; offset /= 2) running = max(running, __shfl_xor_sync(0xffffffffu, running, offset));
    if (threadIdx.x % 32 == 0) atomicMax(slot_of(arguments, group), running);
}

__global__ void __launch_bounds__(kThreads) reset_kernel(const QuantizeArguments arguments) {
    for (int64_t group = (int64_t)blockIdx.x * kThreads + threadIdx.x; group < (arguments.per_tensor ? 1 : arguments.groups);
         group += (int64_t)gridDim.x * kThreads) {
        *slot_of(arguments, group) = 0u;
    }
}

/* Store = false: the maxima of |y| into the slots; true: x8 = e4m3(y / factor). Columns: the operand's head dim. */
template <bool Store, int Columns>
__global__ void __launch_bounds__(kThreads) rows_kernel(const QuantizeArguments arguments) {
    static_assert(Columns % 32 == 0 && ((Columns / 32) & (Columns / 32 - 1)) == 0,
                  "a warp holds a row: the head dim is 32 times a power of two (the Hopper family's fp8 runs 128 and 256)");
    constexpr int kLaneColumns = Columns / 32;
    const attngen_quantize_params &p = arguments.params;
    const int lane = threadIdx.x % 32;
    const int64_t group_rows = p.heads / p.heads_kv * p.seqlen;
    const int64_t rows = arguments.groups * group_rows;
    const int64_t warps = (int64_t)gridDim.x * kWarps;
    const int64_t warp = (int64_t)blockIdx.x * kWarps + threadIdx.x / 32;
    const int64_t per_warp = (rows + warps - 1) / warps;
    const int64_t begin = warp * per_warp;
    const int64_t end = begin + per_warp < rows ? begin + per_warp : rows;
    if (begin >= end) return;
    /* The lane's sign bits: its kLaneColumns columns lie in one 32-bit word of `negative`. */
    const int first_column = lane * kLaneColumns;
    const uint32_t negative = (arguments.negative[first_column / 32] >> (first_column % 32)) & ((1u << kLaneColumns) - 1u);
    RowCursor cursor = cursor_at(p, begin, group_rows);
    int64_t slot_group = -1;  /* the group whose slot `running` or `factor` belongs to */
    uint32_t running = 0u;    /* maxima pass: the largest |y| bits of this warp's rows of slot_group */
    float factor = 1.0f;      /* stores: slot_group's factor */
    for (int64_t row = begin; row < end; ++row, advance(p, cursor, group_rows)) {
        float y[kLaneColumns];
        load_row<Columns>(p, cursor, negative, y);
        const int64_t group = arguments.per_tensor ? 0 : cursor.group;
        if (Store) {
            if (group != slot_group) {
                slot_group = group;
                factor = factor_of(*slot_of(arguments, group));
            }
            uint8_t *x8 = static_cast<uint8_t *>(p.x8) + offset_of(p.x8_layout, cursor) + first_column;
#pragma unroll
            for (int e = 0; e < kLaneColumns; ++e) x8[e] = to_e4m3(y[e] / factor);
        } else {
            if (group != slot_group) {  /* the same for every lane: the warp adds its maximum of the last group */
                if (slot_group >= 0) flush_maximum(arguments, slot_group, running);
                slot_group = group;
                running = 0u;
            }
            uint32_t maximum = 0u;
#pragma unroll
            for (int e = 0; e < kLaneColumns; ++e) maximum = max(maximum, __float_as_uint(fabsf(y[e])));
            running = max(running, maximum);
        }
    }
    if (!Store) flush_maximum(arguments, slot_group, running);
}

__global__ void __launch_bounds__(kThreads) finish_kernel(const QuantizeArguments arguments) {
    for (int64_t group = (int64_t)blockIdx.x * kThreads + threadIdx.x; group < (arguments.per_tensor ? 1 : arguments.groups);
         group += (int64_t)gridDim.x * kThreads) {
        uint32_t *const slot = slot_of(arguments, group);
        *reinterpret_cast<float *>(slot) = factor_of(*slot);
    }
}

/* The four launches for an operand of `Columns` columns. */
template <int Columns>
static void launch(const QuantizeArguments &arguments, cudaStream_t stream) {
    const attngen_quantize_params &p = arguments.params;
    const int64_t rows = p.batch * p.heads * p.seqlen;
    const int64_t slots = arguments.per_tensor ? 1 : arguments.groups;
    const int64_t wave = (int64_t)arguments.multiprocessors * kBlocksPerMultiprocessor;
    reset_kernel<<<blocks_for(slots, kThreads, wave), kThreads, 0, stream>>>(arguments);
    rows_kernel<false, Columns><<<blocks_for(rows, kWarps, wave), kThreads, 0, stream>>>(arguments);
    rows_kernel<true, Columns><<<blocks_for(rows, kWarps, wave), kThreads, 0, stream>>>(arguments);
    finish_kernel<<<blocks_for(slots, kThreads, wave), kThreads, 0, stream>>>(arguments);
}

}  // namespace attngen_{{name}}_quantize

/* The quantize call (attngen_abi.h): the ABI's checks for attngen_quantize_params, then the four launches. */
extern "C" attngen_status attngen_{{name}}_quantize_cuda(const attngen_quantize_params *params, cudaStream_t stream) {
    using namespace attngen_{{name}}_quantize;
    int64_t columns = 0;
    int has_work = 0;
    const attngen_status status =
        attngen_check_quantize(params, kHeadDim, kValueHeadDim, (int64_t)sizeof(Element), &columns, &has_work);
    if (status != ATTNGEN_OK || !has_work) return status;
    QuantizeArguments arguments = {};
    arguments.params = *params;
    arguments.groups = params->batch * params->heads_kv;
    arguments.per_tensor = params->descale_batch_stride == 0 && params->descale_head_stride == 0;
    for (int64_t i = 0; params->rotate && i < columns; ++i) {
        if (attngen_rotation_sign(params->rotation_seed, i) < 0.0f) arguments.negative[i / 32] |= 1u << (i % 32);
    }
    int device = 0;
    if (cudaGetDevice(&device) != cudaSuccess ||
        cudaDeviceGetAttribute(&arguments.multiprocessors, cudaDevAttrMultiProcessorCount, device) != cudaSuccess) {
        return ATTNGEN_ERROR_CUDA;
    }
    if (params->operand == ATTNGEN_QUANTIZE_V) {
        launch<kValueHeadDim>(arguments, stream);
    } else {
        launch<kHeadDim>(arguments, stream);
    }
    return cudaGetLastError() == cudaSuccess ? ATTNGEN_OK : ATTNGEN_ERROR_CUDA;
}
