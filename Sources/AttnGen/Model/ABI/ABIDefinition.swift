/// The C ABI every generated kernel exports, as Swift values: its version, limits, status codes, structs and their
/// fields, and the order in which entry points check their arguments. `attngen_abi.h` (Rendering/ABI/
/// ABIHeaderRendering.swift) and the Python mirror `attngen_abi.py` (PythonABIRendering.swift) are rendered from
/// these values, so the two cannot drift apart.
public enum ABIDefinition {
    /// Bumped whenever the layout of a struct changes.
    public static let version = 6

    /// A `#define` of the header.
    public struct Constant: Sendable {
        public var name: String
        /// The value as C spells it, and as Python does.
        public var cValue: String
        public var pythonValue: String
        public var comment: [String]
    }

    /// One case of a C enum.
    public struct EnumCase: Sendable {
        public var name: String
        public var value: Int
        public var comment: [String]
    }

    /// A C enum.
    public struct Enumeration: Sendable {
        public var name: String
        /// The Python class name of the mirror.
        public var pythonName: String
        public var comment: [String]
        public var cases: [EnumCase]
    }

    /// The C types fields have, with their ctypes counterparts.
    public enum FieldType: String, Sendable {
        case size = "size_t"
        case int64 = "int64_t"
        case int32 = "int32_t"
        case uint64 = "uint64_t"
        case constPointer = "const void *"
        case pointer = "void *"
        case floatPointer = "float *"
        case constFloatPointer = "const float *"
        case constBytePointer = "const uint8_t *"
        case constInt32Pointer = "const int32_t *"
        case layout = "attngen_layout"

        var ctypes: String {
            switch self {
            case .size: "ctypes.c_size_t"
            case .int64: "ctypes.c_int64"
            case .int32: "ctypes.c_int32"
            case .uint64: "ctypes.c_uint64"
            case .constPointer, .pointer, .floatPointer, .constFloatPointer, .constBytePointer, .constInt32Pointer:
                "ctypes.c_void_p"
            case .layout: "Layout"
            }
        }
    }

    /// One field of a struct; `group` opens a commented group of fields (a blank line before it).
    public struct Field: Sendable {
        public var name: String
        public var type: FieldType
        public var group: [String] = []
        public var note: String? = nil
    }

    /// A C struct.
    public struct Structure: Sendable {
        public var name: String
        public var pythonName: String
        public var comment: [String]
        public var fields: [Field]
    }

    public static let limits: [Constant] = [
        Constant(name: "ATTNGEN_MAX_BATCH", cValue: "\(RuntimeLimits.maximumBatch)", pythonValue: "\(RuntimeLimits.maximumBatch)",
                 comment: ["The largest batch and the largest seqlen_q / seqlen_k a call accepts (heads are int32_t already);",
                           "larger sizes return ATTNGEN_ERROR_INVALID_SIZE."]),
        Constant(name: "ATTNGEN_MAX_SEQLEN", cValue: "\(RuntimeLimits.maximumSequenceLength)",
                 pythonValue: "\(RuntimeLimits.maximumSequenceLength)", comment: []),
        Constant(name: "ATTNGEN_MAX_TENSOR_BYTES", cValue: "((int64_t)1 << \(RuntimeLimits.maximumTensorBytes.trailingZeroBitCount))",
                 pythonValue: "1 << \(RuntimeLimits.maximumTensorBytes.trailingZeroBitCount)",
                 comment: ["The most bytes any tensor a call reads or writes (Q, K, V, O, LSE, dO, dQ, dK, dV, the block mask) may span:",
                           "(highest element offset + 1) * element size, the highest offset of a non-empty tensor being",
                           "(batch-1)*batch_stride + (heads-1)*head_stride + (rows-1)*row_stride + inner-1. A larger span returns",
                           "ATTNGEN_ERROR_INVALID_LAYOUT."]),
    ]

    public static let status = Enumeration(name: "attngen_status", pythonName: "Status", comment: [], cases: [
        EnumCase(name: "ATTNGEN_OK", value: 0, comment: []),
        EnumCase(name: "ATTNGEN_ERROR_NULL_POINTER", value: 1,
                 comment: ["A required pointer (q, k, v, o, lse when saved, block_mask when block-sparse, score_parameters when",
                           "the variant's score modifiers read run-time arrays, sinks when it has attention sinks) is NULL."]),
        EnumCase(name: "ATTNGEN_ERROR_INVALID_SIZE", value: 2,
                 comment: ["batch, seqlen_q, seqlen_k or a head count is negative, batch or a sequence length is above",
                           "ATTNGEN_MAX_BATCH / ATTNGEN_MAX_SEQLEN, or heads are zero while sizes are not."]),
        EnumCase(name: "ATTNGEN_ERROR_INVALID_HEADS", value: 3,
                 comment: ["heads_q is not a multiple of heads_kv, or differs from the counts fixed in the spec."]),
        EnumCase(name: "ATTNGEN_ERROR_INVALID_LAYOUT", value: 4,
                 comment: ["A layout of a tensor with elements is unusable: a negative stride, a span above",
                           "ATTNGEN_MAX_TENSOR_BYTES, or rows/heads/batches of an output overlapping one another",
                           "(row_stride < dim, and so on)."]),
        EnumCase(name: "ATTNGEN_ERROR_ABI_MISMATCH", value: 5,
                 comment: ["struct_size does not match this header's sizeof(attngen_forward_params)."]),
        EnumCase(name: "ATTNGEN_ERROR_OUT_OF_MEMORY", value: 6,
                 comment: ["The C kernel could not allocate its per-call workspace."]),
        EnumCase(name: "ATTNGEN_ERROR_CUDA", value: 7,
                 comment: ["A CUDA call failed (the launcher returns before or right after the launch)."]),
        EnumCase(name: "ATTNGEN_ERROR_WORKSPACE_TOO_SMALL", value: 8,
                 comment: ["Backward: the caller's workspace is NULL or smaller than ..._backward_workspace_size() says."]),
        EnumCase(name: "ATTNGEN_ERROR_INVALID_MODE", value: 9,
                 comment: ["Backward: dq_mode is not one of attngen_dq_mode. Quantize: operand is not one of",
                           "attngen_quantize_operand, or rotate is not 0 or 1, or asks to rotate V."]),
        EnumCase(name: "ATTNGEN_ERROR_UNSUPPORTED", value: 10,
                 comment: ["The call asks for what this variant's kernels do not do: CUDA forward with seqlens_k for a variant",
                           "without a decode kernel (fp32 storage, dropout or a block-sparse layout); CUDA forward of fp8 inputs",
                           "with seqlens_k or a layout TMA cannot address (README.md, \"fp8 inputs\")."]),
    ])

    public static let dqMode = Enumeration(
        name: "attngen_dq_mode", pythonName: "DqMode",
        comment: ["How the backward pass accumulates dQ, which every key tile contributes to."],
        cases: [
            EnumCase(name: "ATTNGEN_DQ_DETERMINISTIC", value: 0,
                     comment: ["Each worker owns whole (batch, key/value head) groups and visits tiles in a fixed order:",
                               "results are bit-identical from run to run, whatever the thread count."]),
            EnumCase(name: "ATTNGEN_DQ_FAST", value: 1,
                     comment: ["Workers split key tiles too and add into dQ atomically: more parallelism, and the order of",
                               "floating-point additions (so the last bits of dQ) may change from run to run."]),
        ])

    public static let layout = Structure(
        name: "attngen_layout", pythonName: "Layout",
        comment: ["Strides, in elements, of one tensor; the innermost dimension is contiguous."],
        fields: [Field(name: "batch_stride", type: .int64), Field(name: "head_stride", type: .int64),
                 Field(name: "row_stride", type: .int64)])

    /// The sizes every params struct opens with.
    private static func sizes(_ comment: [String]) -> [Field] {
        [Field(name: "batch", type: .int64, group: comment), Field(name: "seqlen_q", type: .int64),
         Field(name: "seqlen_k", type: .int64), Field(name: "heads_q", type: .int32), Field(name: "heads_kv", type: .int32)]
    }

    public static let forwardParams = Structure(
        name: "attngen_forward_params", pythonName: "ForwardParams", comment: [],
        fields: [Field(name: "struct_size", type: .size,
                       group: ["Must be sizeof(attngen_forward_params): guards against a header/library mismatch."])]
            + sizes(["Sizes. Zero-sized problems are valid and do nothing."]) + [
                Field(name: "q", type: .constPointer, group: ["Tensors (device pointers for CUDA)."]),
                Field(name: "k", type: .constPointer), Field(name: "v", type: .constPointer), Field(name: "o", type: .pointer),
                Field(name: "lse", type: .floatPointer, note: "written when the variant saves the log-sum-exp, else ignored"),
                Field(name: "q_layout", type: .layout, group: [""]), Field(name: "k_layout", type: .layout),
                Field(name: "v_layout", type: .layout), Field(name: "o_layout", type: .layout),
                Field(name: "lse_layout", type: .layout, note: "row_stride is normally 1"),
                Field(name: "block_mask", type: .constBytePointer,
                      group: ["Block-sparse variants: one byte per (query block, key block), non-zero = computed.",
                              "Byte (b, h, i, j) is at block_mask + b*batch_stride + h*head_stride + i*row_stride + j;",
                              "batch_stride = head_stride = 0 shares one layout across all batches and heads."]),
                Field(name: "block_mask_layout", type: .layout),
                Field(name: "dropout_seed", type: .uint64,
                      group: ["Dropout variants: the Philox4x32-10 key is the seed; the offset selects the stream",
                              "(README.md, \"Dropout\", gives the exact mapping)."]),
                Field(name: "dropout_offset", type: .uint64),
                Field(name: "num_threads", type: .int32,
                      group: ["C backend: worker threads when built with OpenMP; 0 = the OpenMP default. Ignored by CUDA."]),
                Field(name: "workspace", type: .pointer,
                      group: ["CUDA, optional: scratch memory (16-byte aligned) for split-KV decoding. With at least",
                              "attngen_NAME_forward_workspace_size_cuda(params) bytes, a call with few query rows splits",
                              "the keys across thread blocks and merges the partial results (README.md, \"Decoding\");",
                              "NULL, or fewer bytes, runs unsplit (slower, same result). The call owns it until the work",
                              "it launched finishes. Ignored by the C backend."]),
                Field(name: "workspace_size", type: .size),
                Field(name: "seqlens_k", type: .constInt32Pointer,
                      group: ["Optional: the keys each sequence uses, batch entries in 0 ... seqlen_k (the cache lengths of",
                              "decoding). Sequence b then computes exactly as a call with seqlen_k = seqlens_k[b] would:",
                              "its masks, dropout stream and fully masked rows follow that length. NULL: seqlen_k for every",
                              "sequence. The C backend refuses entries outside 0 ... seqlen_k (ATTNGEN_ERROR_INVALID_SIZE);",
                              "CUDA, which cannot read device memory before the launch, clamps them into that range; there",
                              "the decode kernel runs such calls, and variants without one (fp32, dropout, block-sparse)",
                              "return ATTNGEN_ERROR_UNSUPPORTED.",
                              "Forward only: the backward pass takes whole sequences."]),
                Field(name: "page_table", type: .constInt32Pointer,
                      group: ["Paged variants (README.md, \"Paged KV cache\"): K and V are pools of num_pages pages of PAGE_SIZE",
                              "keys; key k of sequence b is row k % PAGE_SIZE of page page_table[b*page_table_stride +",
                              "k / PAGE_SIZE], element (page, h, row, i) at base + page*batch_stride + h*head_stride +",
                              "row*row_stride + i of k_layout / v_layout. Ignored by contiguous variants."]),
                Field(name: "page_table_stride", type: .int64), Field(name: "num_pages", type: .int64),
                scoreParameters, sinks,
            ] + variableLengths(backward: false) + descales)

    /// The descale factors of fp8 inputs, at the end of the forward params (README.md, "fp8 inputs").
    private static let descales: [Field] = [
        Field(name: "q_descale", type: .constFloatPointer,
              group: ["Variants with fp8 inputs (ATTNGEN_NAME_INPUT_BYTES 1; README.md, \"fp8 inputs\"), optional: fp32 factors",
                      "the stored Q, K and V values are multiplied by, one per (sequence b, key/value head g) at",
                      "x_descale[b*descale_batch_stride + g*descale_head_stride] (strides in floats; 0 and 0: one factor",
                      "for the whole tensor). Query head h uses the factors of g = h / (heads_q / heads_kv). NULL: 1.",
                      "Device pointers for CUDA. Ignored by other variants."]),
        Field(name: "k_descale", type: .constFloatPointer), Field(name: "v_descale", type: .constFloatPointer),
        Field(name: "descale_batch_stride", type: .int64), Field(name: "descale_head_stride", type: .int64),
    ]

    public static let backwardParams = Structure(
        name: "attngen_backward_params", pythonName: "BackwardParams", comment: [],
        fields: [Field(name: "struct_size", type: .size, group: ["Must be sizeof(attngen_backward_params)."])]
            + sizes([""]) + [
                Field(name: "q", type: .constPointer,
                      group: ["Forward inputs and outputs: Q, K, V, O and the fp32 log-sum-exp the forward pass saved."]),
                Field(name: "k", type: .constPointer), Field(name: "v", type: .constPointer), Field(name: "o", type: .constPointer),
                Field(name: "lse", type: .constFloatPointer),
                Field(name: "d_o", type: .constPointer, group: ["The incoming gradient dL/dO, shaped like O."]),
                Field(name: "dq", type: .pointer,
                      group: ["The gradients written, in the storage type: dQ like Q, dK like K, dV like V. For GQA/MQA,",
                              "dK and dV sum over the query heads that share a key/value head."]),
                Field(name: "dk", type: .pointer), Field(name: "dv", type: .pointer),
                Field(name: "q_layout", type: .layout, group: [""]), Field(name: "k_layout", type: .layout),
                Field(name: "v_layout", type: .layout), Field(name: "o_layout", type: .layout),
                Field(name: "lse_layout", type: .layout), Field(name: "d_o_layout", type: .layout),
                Field(name: "dq_layout", type: .layout), Field(name: "dk_layout", type: .layout),
                Field(name: "dv_layout", type: .layout),
                Field(name: "block_mask", type: .constBytePointer,
                      group: ["Same meaning as in attngen_forward_params; must match the forward call."]),
                Field(name: "block_mask_layout", type: .layout), Field(name: "dropout_seed", type: .uint64),
                Field(name: "dropout_offset", type: .uint64),
                Field(name: "dq_mode", type: .int32, group: ["An attngen_dq_mode."]),
                Field(name: "num_threads", type: .int32,
                      group: ["C backend: worker threads when built with OpenMP; 0 = the OpenMP default."]),
                Field(name: "workspace", type: .pointer,
                      group: ["Scratch memory of at least attngen_NAME_backward_workspace_size(params) bytes, 16-byte aligned;",
                              "the call owns it until it returns. Holds dQ in fp32 and the row sums D = rowsum(dO * O) (CUDA,",
                              "with run-time arrays: also the partial sums of their gradient)."]),
                Field(name: "workspace_size", type: .size),
                scoreParameters, sinks,
                Field(name: "dsinks", type: .floatPointer,
                      group: ["Variants with attention sinks, optional: heads_q fp32 values the call ADDS the gradient of the",
                              "sink logits to, dL/dsinks[h] = -sum over (b, q) of exp(sinks[h] - LSE) * rowsum(dO * O) (zero",
                              "them first for the gradient alone; a call with nothing to compute adds nothing). NULL: the",
                              "gradient is not computed. Ignored by variants without sinks."]),
                Field(name: "dscore_parameters", type: .floatPointer,
                      group: ["Variants whose score modifiers read run-time arrays, optional: laid out like score_parameters,",
                              "the values the call ADDS the arrays' gradient to, dL/d(array i)[h] = the sum over the head's",
                              "kept scores of dL/dm * dm/d(array i)[h] (zero them first for the gradient alone). NULL: not",
                              "computed. Ignored by variants without run-time arrays."]),
            ] + variableLengths(backward: true))

    /// Variable-length batches (packed sequences), in both params structs: the prefix sums of the query and key rows
    /// of each sequence and the packed tensors' row counts (README.md, "Variable-length batches").
    private static func variableLengths(backward: Bool) -> [Field] {
        let queryTensors = backward ? "Q, O, LSE, dO and dQ" : "Q, O and LSE"
        let keyTensors = backward ? "K, V, dK and dV" : "K and V"
        return [
            Field(name: "cu_seqlens_q", type: .constInt32Pointer,
                  group: ["Variable-length batches (README.md, \"Variable-length batches\"), optional: batch + 1 int32 prefix sums.",
                          "With cu_seqlens_q, \(queryTensors) hold the sequences' rows packed one after another: query q of",
                          "sequence b is packed row cu_seqlens_q[b] + q, element (b, h, q, i) at base + h*head_stride +",
                          "(cu_seqlens_q[b] + q)*row_stride + i (batch_stride is not used); sequence b has",
                          "cu_seqlens_q[b+1] - cu_seqlens_q[b] query rows, at most seqlen_q (the longest sequence, which sizes",
                          "the grid), and the tensors total_q rows. cu_seqlens_k does the same for \(keyTensors) with seqlen_k",
                          "and total_k (paged variants take no cu_seqlens_k: their key counts come from seqlens_k). Either may",
                          "be given alone. Sequence b computes as batch element b of a call with its own lengths would (masks",
                          "aligned per sequence, fully masked rows); dropout draws the bits of batch element b of a call of",
                          "seqlen_q x seqlen_k. The C backend refuses prefix sums that start below 0, decrease, give a sequence",
                          "more than seqlen_q / seqlen_k rows or end past total_q / total_k (ATTNGEN_ERROR_INVALID_SIZE); CUDA,",
                          "which cannot read device memory before the launch, clamps them into those ranges. NULL: every",
                          "sequence has seqlen_q / seqlen_k rows, batch_stride apart."]),
            Field(name: "cu_seqlens_k", type: .constInt32Pointer),
            Field(name: "total_q", type: .int64), Field(name: "total_k", type: .int64),
        ]
    }

    /// The run-time arrays of a variant's score modifiers, in both params structs.
    private static let scoreParameters = Field(
        name: "score_parameters", type: .constFloatPointer,
        group: ["Variants whose score modifiers read run-time arrays (README.md, \"Score modifiers\"): heads_q fp32",
                "values per array, array i of query head h at score_parameters[i * heads_q + h], the arrays in the order",
                "`attngen plan` lists them (ATTNGEN_NAME_SCORE_PARAMETERS of them). Required (non-NULL) when that count is",
                "above 0, ignored otherwise. Backward: the same values as the forward call."])

    /// The sink logits of a variant with attention sinks, in both params structs.
    private static let sinks = Field(
        name: "sinks", type: .constFloatPointer,
        group: ["Variants with attention sinks (README.md, \"Attention sinks\"): heads_q fp32 logits, sinks[h] of query head h",
                "in natural-log units (as the scaled, modified scores are), each a term exp(sinks[h]) of its rows' softmax",
                "denominator without a value row; -inf is no sink. Required (non-NULL) for such variants, ignored",
                "otherwise. Backward: the same values as the forward call."])

    public static let combineParams = Structure(
        name: "attngen_combine_params", pythonName: "CombineParams",
        comment: ["attngen_NAME_combine(_cuda): merges `splits` partial results of the same query rows, each the",
                  "attention over a part of the keys (split-KV decoding, cascade attention, context parallelism):",
                  "    LSE = log(sum_s exp(LSE_s)),   O = sum_s exp(LSE_s - LSE) * O_s.",
                  "Partials whose LSE is -inf (no key kept) weigh nothing; rows where every partial is -inf get",
                  "O = 0 and LSE = -inf. Natural-log LSE, as the forward pass saves it."],
        fields: [Field(name: "struct_size", type: .size, group: ["Must be sizeof(attngen_combine_params)."]),
                 Field(name: "splits", type: .int64, group: ["Partial results per row (at least 1 when there are rows)."]),
                 Field(name: "batch", type: .int64, group: ["The rows: [batch, heads_q, seqlen_q]."]),
                 Field(name: "seqlen_q", type: .int64), Field(name: "heads_q", type: .int32),
                 Field(name: "o_partial", type: .constFloatPointer,
                       group: ["Partial O in fp32, [splits, batch, heads_q, seqlen_q, value_head_dim]: element (s, b, h, q, i)",
                               "at o_partial + s*o_partial_split_stride + b*batch_stride + h*head_stride + q*row_stride + i."]),
                 Field(name: "o_partial_layout", type: .layout), Field(name: "o_partial_split_stride", type: .int64),
                 Field(name: "lse_partial", type: .constFloatPointer,
                       group: ["Partial LSE in fp32, [splits, batch, heads_q, seqlen_q], addressed the same way."]),
                 Field(name: "lse_partial_layout", type: .layout), Field(name: "lse_partial_split_stride", type: .int64),
                 Field(name: "o", type: .pointer, group: ["The merged O, in the variant's storage type."]),
                 Field(name: "o_layout", type: .layout),
                 Field(name: "lse", type: .floatPointer, group: ["The merged LSE (fp32); NULL: not written."]),
                 Field(name: "lse_layout", type: .layout),
        ])

    public static let quantizeOperand = Enumeration(
        name: "attngen_quantize_operand", pythonName: "QuantizeOperand",
        comment: ["Which input of the forward call a quantize call prepares: it sets the head dim (head_dim for Q and K,",
                  "value_head_dim for V) and whether a rotation is allowed (Q and K only)."],
        cases: [
            EnumCase(name: "ATTNGEN_QUANTIZE_Q", value: 0, comment: []),
            EnumCase(name: "ATTNGEN_QUANTIZE_K", value: 1, comment: []),
            EnumCase(name: "ATTNGEN_QUANTIZE_V", value: 2, comment: []),
        ])

    public static let quantizeParams = Structure(
        name: "attngen_quantize_params", pythonName: "QuantizeParams",
        comment: ["attngen_NAME_quantize(_cuda), variants with fp8 inputs (README.md, \"fp8 inputs\"): x in the variant's",
                  "storage type becomes e4m3 bytes x8 and fp32 factors with x ~ x8 * descale, as the forward call reads them:",
                  "    descale[g] = max |y| over the group / 448 (1 for a group of zeros),  x8 = e4m3(y / descale[g]),",
                  "rounded to nearest even and saturated at +-448, where y = x, or with rotate = 1 (Q and K only)",
                  "y = x * diag(s) * H / sqrt(b) on each block of b columns (b: ATTNGEN_NAME_ROTATION_BLOCK, the largest power",
                  "of two dividing head_dim; H the b x b Walsh-Hadamard matrix; s[i] = -1 where bit 63 of",
                  "splitmix64(rotation_seed + (i + 1) * 0x9E3779B97F4A7C15) is set, else +1). Rotate Q and K with one seed:",
                  "Q K^T, so the scores, are unchanged, and a few large channels no longer set the scale of the rest."],
        fields: [Field(name: "struct_size", type: .size, group: ["Must be sizeof(attngen_quantize_params)."]),
                 Field(name: "batch", type: .int64, group: ["x and x8 are [batch, heads, seqlen, dim]; the heads form heads_kv groups of",
                                                             "heads / heads_kv consecutive heads (for K and V heads = heads_kv)."]),
                 Field(name: "seqlen", type: .int64), Field(name: "heads", type: .int32), Field(name: "heads_kv", type: .int32),
                 Field(name: "operand", type: .int32, group: ["An attngen_quantize_operand; rotate: 0 or 1."]),
                 Field(name: "rotate", type: .int32),
                 Field(name: "rotation_seed", type: .uint64),
                 Field(name: "x", type: .constPointer, group: ["The values, in the storage type (device pointers for CUDA)."]),
                 Field(name: "x_layout", type: .layout),
                 Field(name: "x8", type: .pointer, group: ["The e4m3 bytes written."]),
                 Field(name: "x8_layout", type: .layout),
                 Field(name: "descale", type: .floatPointer,
                       group: ["The factors written: group (b, g) at descale[b*descale_batch_stride + g*descale_head_stride];",
                               "both strides 0: one factor for the whole tensor (the forward call's per-tensor form)."]),
                 Field(name: "descale_batch_stride", type: .int64), Field(name: "descale_head_stride", type: .int64),
                 Field(name: "num_threads", type: .int32,
                       group: ["C backend: worker threads when built with OpenMP; 0 = the OpenMP default. Ignored by CUDA."]),
        ])

    /// The order in which every entry point checks its arguments; the first problem found is returned, and nothing
    /// is read or written before all of them pass.
    public static let checkOrder: [(check: String, status: String)] = [
        ("params is NULL", "ATTNGEN_ERROR_NULL_POINTER"),
        ("struct_size differs from this header's struct", "ATTNGEN_ERROR_ABI_MISMATCH"),
        ("a size or head count is negative, or batch / a sequence length is above its limit", "ATTNGEN_ERROR_INVALID_SIZE"),
        ("the head counts differ from those the spec fixes, or heads_q % heads_kv != 0", "ATTNGEN_ERROR_INVALID_HEADS"),
        ("(backward) dq_mode is not an attngen_dq_mode", "ATTNGEN_ERROR_INVALID_MODE"),
        ("nothing to compute (no query rows; backward: no query rows and no keys)", "ATTNGEN_OK, without reading any pointer"),
        ("a head count is 0", "ATTNGEN_ERROR_INVALID_SIZE"),
        ("a pointer the variant reads or writes is NULL", "ATTNGEN_ERROR_NULL_POINTER"),
        ("(paged) cu_seqlens_k is given", "ATTNGEN_ERROR_UNSUPPORTED"),
        ("total_q or total_k is negative or above ATTNGEN_MAX_SEQLEN (with cu_seqlens_q / cu_seqlens_k)", "ATTNGEN_ERROR_INVALID_SIZE"),
        ("a layout is negative, spans more than ATTNGEN_MAX_TENSOR_BYTES, or lets an output overlap itself (packed tensors: total_q / total_k rows)",
         "ATTNGEN_ERROR_INVALID_LAYOUT"),
        ("(forward, fp8 inputs) a descale pointer is given with a negative descale stride, or one whose factors span more than ATTNGEN_MAX_TENSOR_BYTES",
         "ATTNGEN_ERROR_INVALID_LAYOUT"),
        ("(backward) the workspace is NULL, too small or not 16-byte aligned", "ATTNGEN_ERROR_WORKSPACE_TOO_SMALL"),
        ("(C backend) cu_seqlens_q / cu_seqlens_k start below 0, decrease, give a sequence more than seqlen_q / seqlen_k rows or end past total_q / total_k",
         "ATTNGEN_ERROR_INVALID_SIZE"),
        ("(forward, C backend) an entry of seqlens_k is outside 0 ... seqlen_k (or the sequence's keys of cu_seqlens_k)",
         "ATTNGEN_ERROR_INVALID_SIZE"),
        ("(forward, paged, C backend) a page index the call reads is outside 0 ... num_pages - 1",
         "ATTNGEN_ERROR_INVALID_LAYOUT"),
        ("(forward, CUDA) seqlens_k with keys, for a variant without a decode kernel", "ATTNGEN_ERROR_UNSUPPORTED"),
    ]
}
