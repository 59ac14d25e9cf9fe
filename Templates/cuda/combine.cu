/* ------------------------------------------------------------------------------------------------
 * Combine: the merge of partial results (attngen_combine_params in attngen_abi.h), used by split-KV decoding
 * below and exported as attngen_{{name}}_combine_cuda. One warp per query row: the lanes reduce the row's
 * partial LSEs (maximum, then the sum of exp(LSE_s - max)), then each lane merges its columns of O (columns
 * lane, lane + 32, ...): the weights of 32 splits at a time, one per lane, reach every lane by shuffle, and the
 * loads of kSplitsInFlight splits go out before their sums (a loop of one split at a time, a weight recomputed for
 * each column, waited on each load: 7-14 us after the decode kernel at 2-16 splits, TUNING.md D14).
 * ---------------------------------------------------------------------------------------------- */

namespace attngen_{{name}}_combine {

using namespace attngen_{{name}}_variant;

constexpr int kWarps = 4;
constexpr int kThreads = kWarps * 32;
constexpr int kLaneColumns = (kValueHeadDim + 31) / 32; /* columns of O per lane */
constexpr int kSplitsInFlight = 4;                       /* splits whose partial rows are loaded at once */

/* The combine call's tensors with the row count folded, as the kernel reads them. */
struct CombineArguments {
    attngen_combine_params params;
    int64_t rows;                /* batch * heads_q * seqlen_q */
    const int32_t *cu_seqlens_q; /* split-KV decoding of a variable-length batch: O and LSE rows packed as the
                                    forward call's (README.md, "Variable-length batches"), else NULL */
    int64_t total_q;             /* the packed rows, with cu_seqlens_q */
};

/* Two instances: combine_kernel<false> for the public merge and whole batches, combine_kernel<true> for split-KV
   decoding of a variable-length batch (O and LSE rows packed by cu_seqlens_q). */
template <bool Packed>
__global__ void __launch_bounds__(kThreads) combine_kernel(const CombineArguments arguments) {
    /* Launched as a dependent of the decode kernel (its kDependentCombine), the partials are complete only past this. */
    attngen_wait_prior_grid();
    const attngen_combine_params &p = arguments.params;
    const int lane = threadIdx.x % 32;
    const float *const o_partial = p.o_partial;
    const float *const lse_partial = p.lse_partial;
    for (int64_t row = (int64_t)blockIdx.x * kWarps + threadIdx.x / 32; row < arguments.rows;
         row += (int64_t)gridDim.x * kWarps) {
        const int64_t q = row % p.seqlen_q;
        const int64_t h = row / p.seqlen_q % p.heads_q;
        const int64_t b = row / p.seqlen_q / p.heads_q;
        /* The sequence's rows of O and LSE: row q of batch b, or packed row cu_seqlens_q[b] + q (none past a shorter
           sequence's end: its partials were never written). */
        const attngen_sequence_rows sequence =
            attngen_rows_of<Packed>(arguments.cu_seqlens_q, b, p.seqlen_q, arguments.total_q);
        if (Packed && q >= sequence.count) continue;
        const int64_t lse_at = b * p.lse_partial_layout.batch_stride + h * p.lse_partial_layout.head_stride +
                               q * p.lse_partial_layout.row_stride;
        const int64_t o_at = b * p.o_partial_layout.batch_stride + h * p.o_partial_layout.head_stride +
                             q * p.o_partial_layout.row_stride;
        /* The lane's split of the first 32, read once (the only read of the LSEs when there are at most 32). */
        const float first_lse = lane < p.splits ? lse_partial[lane * p.lse_partial_split_stride + lse_at] : -INFINITY;
        float max_lse = first_lse;
        for (int64_t s = lane + 32; s < p.splits; s += 32) {
            max_lse = fmaxf(max_lse, lse_partial[s * p.lse_partial_split_stride + lse_at]);
        }
#pragma unroll
        for (int offset = 16; offset > 0; offset /= 2) {
            max_lse = fmaxf(max_lse, __shfl_xor_sync(0xffffffffu, max_lse, offset));
        }
        float sum = 0.0f;
        if (max_lse != -INFINITY) {
            sum = expf(first_lse - max_lse);
            for (int64_t s = lane + 32; s < p.splits; s += 32) {
                sum += expf(lse_partial[s * p.lse_partial_split_stride + lse_at] - max_lse);
            }
        }
        sum = attngen_warp_sum(sum);
        /* No partial kept a key: O = 0 and LSE = -inf, as a fully masked row of the forward pass. */
        const bool kept_any = max_lse != -INFINITY && sum > 0.0f;
        const float lse = kept_any ? max_lse + logf(sum) : -INFINITY;
        Element *const o_row = attngen_sequence_row(static_cast<Element *>(p.o), sequence, p.o_layout, h, q);
        float value[kLaneColumns];
#pragma unroll
        for (int c = 0; c < kLaneColumns; ++c) value[c] = 0.0f;
        /* Splits of weight 0 (LSE = -inf: no key kept, and their O may be anything) are not read. */
        const int64_t split_stride = p.o_partial_split_stride;
        for (int64_t chunk = 0; kept_any && chunk < p.splits; chunk += 32) {
            const int count = (int)(p.splits - chunk < 32 ? p.splits - chunk : 32);
            const float lane_lse = chunk == 0 ? first_lse
                                   : lane < count ? lse_partial[(chunk + lane) * p.lse_partial_split_stride + lse_at]
                                                  : -INFINITY;
            const float lane_weight = lane < count ? expf(lane_lse - lse) : 0.0f;
            const float *const chunk_rows = o_partial + chunk * split_stride + o_at; /* split `chunk`'s row */
            for (int first = 0; first < count; first += kSplitsInFlight) {
                const float *const split_row = chunk_rows + first * split_stride; /* split chunk + first's */
                float weight[kSplitsInFlight];
                float part[kSplitsInFlight][kLaneColumns];
#pragma unroll
                for (int i = 0; i < kSplitsInFlight; ++i) {
                    weight[i] = __shfl_sync(0xffffffffu, lane_weight, (first + i) & 31);
                    if (first + i >= count) weight[i] = 0.0f;
#pragma unroll
                    for (int c = 0; c < kLaneColumns; ++c) {
                        const int column = lane + 32 * c;
                        part[i][c] = weight[i] > 0.0f && column < kValueHeadDim ? split_row[i * split_stride + column]
                                                                                : 0.0f;
                    }
                }
#pragma unroll
                for (int i = 0; i < kSplitsInFlight; ++i) {
#pragma unroll
                    for (int c = 0; c < kLaneColumns; ++c) {
                        if (weight[i] > 0.0f) value[c] += weight[i] * part[i][c];
                    }
                }
            }
        }
#pragma unroll
        for (int c = 0; c < kLaneColumns; ++c) {
            const int column = lane + 32 * c;
            if (column < kValueHeadDim) attngen_store_float(o_row + column, value[c]);
        }
        if (p.lse != NULL && lane == 0) {
            *attngen_sequence_row(p.lse, sequence, p.lse_layout, h, q) = lse;
        }
    }
}

/* Launches the merge of checked parameters on `stream`; cu_seqlens_q (device memory, or NULL) packs the rows of O and
   LSE, total_q of them, as a forward call's (the partials keep seqlen_q rows per sequence). `dependent`: as a
   programmatic dependent launch of the kernel before it on the stream, which wrote the partials (sm_90). */
static attngen_status launch_combine(const attngen_combine_params &params, const int32_t *cu_seqlens_q, int64_t total_q,
                                     cudaStream_t stream, bool dependent = false) {
    CombineArguments arguments;
    arguments.params = params;
    arguments.rows = params.batch * (int64_t)params.heads_q * params.seqlen_q;
    arguments.cu_seqlens_q = cu_seqlens_q;
    arguments.total_q = total_q;
    const int64_t wanted = (arguments.rows + kWarps - 1) / kWarps;
    const int64_t blocks = wanted < (1 << 20) ? wanted : (1 << 20);
    void (*const kernel)(CombineArguments) = cu_seqlens_q != NULL ? combine_kernel<true> : combine_kernel<false>;
    if (dependent) {
        cudaLaunchAttribute attribute;
        attribute.id = cudaLaunchAttributeProgrammaticStreamSerialization;
        attribute.val.programmaticStreamSerializationAllowed = 1;
        cudaLaunchConfig_t config = {};
        config.gridDim = dim3((unsigned)blocks);
        config.blockDim = dim3(kThreads);
        config.dynamicSmemBytes = 0;
        config.stream = stream;
        config.attrs = &attribute;
        config.numAttrs = 1;
        return cudaLaunchKernelEx(&config, kernel, arguments) == cudaSuccess ? ATTNGEN_OK : ATTNGEN_ERROR_CUDA;
    }
    kernel<<<(unsigned)blocks, kThreads, 0, stream>>>(arguments);
    return cudaGetLastError() == cudaSuccess ? ATTNGEN_OK : ATTNGEN_ERROR_CUDA;
}

}  // namespace attngen_{{name}}_combine

/* The public merge (attngen_abi.h): the ABI's checks for attngen_combine_params, then the combine kernel. */
extern "C" attngen_status attngen_{{name}}_combine_cuda(const attngen_combine_params *params, cudaStream_t stream) {
    using namespace attngen_{{name}}_combine;
    int has_work = 0;
    const attngen_status status =
        attngen_check_combine(params, kValueHeadDim, (int64_t)sizeof(Element), &has_work);
    if (status != ATTNGEN_OK || !has_work) return status;
    return launch_combine(*params, NULL, 0, stream);
}
