/// The text of `attngen --help` and `attngen <command> --help`.
public enum HelpText {
    public static func text(for topic: HelpTopic) -> String {
        switch topic {
        case .general: general
        case .emit: emit
        case .emitC: emitC
        case .emitCUDA: emitCUDA
        case .emitAll: emitAll
        case .emitTorch: emitTorch
        case .plan: plan
        }
    }

    static let general = """
        attngen \(AttngenCommand.version): generates exact (FlashAttention-style) attention kernels in C and CUDA.

        USAGE:
          attngen emit c    [VARIANT] --out DIR [--force] [--quiet] [--budget BYTES]
          attngen emit cuda [--arch sm80|sm90] [--family hopper|mma|auto] [VARIANT] --out DIR [--force]
                            [--quiet] [--budget BYTES]
          attngen emit all  [VARIANT] --out DIR [--torch [--package NAME]]
                                                    (c/, cuda/sm80/, cuda/sm90/, a Makefile; torch/)
          attngen emit torch [VARIANT] --out DIR [--package NAME]   (a PyTorch package, see below)
          attngen plan      [--target c|sm80|sm90] [--family hopper|mma|auto] [VARIANT] [--budget BYTES]
                            [--seq N | --seq-q N --seq-k N]
          attngen --help | attngen <command> --help | attngen --version

        VARIANT is one of:
          variant flags (one variant; see 'attngen emit c --help'),
          --spec FILE.json (several variants),
          --catalogue (the default catalogue, committed in generated/).

        EXIT STATUS:
          0 success, 64 usage error (unknown flag, missing value, bad number, a flag given twice or with
          no effect), 1 any other error (invalid spec, budget too small, file errors, an output folder
          holding other output). Errors go to standard error.

        """

    static let variantFlags = """
        VARIANT FLAGS (one variant; the DSL of AttentionSpec):
          --name NAME                 C identifier; symbols are attngen_NAME_... (default: attention)
          --head-dim D                head dimension of Q and K, 1...256 (required)
          --value-head-dim DV         head dimension of V and O (default: D)
          --heads Q:KV | --heads N    fixed query and key/value head counts (GQA/MQA when KV < Q)
          --query-heads Q, --kv-heads KV   the same, separately (absent: head counts are run-time)
          --dtype fp32|fp16|bf16      storage type of Q, K, V, O (default: fp16)
          --input-dtype e4m3          store Q, K, V in fp8 e4m3 with run-time descale factors, O in --dtype;
                                      forward only (README, "fp8 inputs")
          --scale S                   softmax scale (default: 1/sqrt(D))
          --causal [top-left|bottom-right]        causal mask (default alignment: top-left)
          --window LEFT:RIGHT         sliding window; an empty side is unbounded (256:0, :0, 128:)
          --window-align top-left|bottom-right    alignment of every --window (default: top-left)
          --block-sparse ROWSxCOLS    block-sparse mask, layout given at run time (64x64, or 64)
          --predicate 'EXPR'          mask predicate over b, h, q, k, nq, nk, e.g. 'q >= k && q - k < 256'
          --alibi                     ALiBi score modifier with the standard slopes of the query heads
          --alibi-runtime             ALiBi with run-time slopes (the parameter array alibi_slopes[h])
          --alibi-align top-left|bottom-right     alignment of every --alibi/--alibi-runtime (default: top-left)
          --softcap C                 soft cap: the score becomes C * tanh(s / C), C > 0
          --score-mod 'EXPR'          score expression over s, b, h, q, k, nq, nk and name[h] arrays,
                                      e.g. 's - 0.5 * abs(q - k)' (README, "Score modifiers")
          --sinks                     a learned sink logit per query head, given at run time (the sinks
                                      array), in the softmax's denominator (README, "Attention sinks")
          --dropout P                 dropout probability in [0, 1) (Philox4x32-10, see README)
          --lse                       also write the log-sum-exp of each row (fp32)
          --backward                  also generate the backward kernels (implies --lse)
          --paged PAGE                K and V in a paged cache of PAGE keys per page, through a page table
                                      given at run time (README, "Paged KV cache"); inference only
          Masks may repeat and combine as a conjunction, in the order given. Score modifiers (--alibi,
          --alibi-runtime, --softcap, --score-mod) may repeat and apply in the order given, each to the
          score the previous one produced. Every other flag may be given once; --window-align needs a
          --window, --alibi-align an --alibi or --alibi-runtime.

        OTHER SOURCES:
          --spec FILE.json            variants from a JSON spec file (format in README, "Command line");
                                      --spec - reads it from standard input
          --catalogue                 the default catalogue (README, "Catalogue")

        """

    static let outputFlags = """
        OUTPUT:
          --out DIR, -o DIR           output folder; written atomically (all files or nothing). An existing
                                      DIR is replaced only if it holds attngen output of the same request
                                      (backend, budget, variants: see DIR/attngen-manifest.txt), or with --force.
          --force                     replace DIR even if it holds other files or another request's output
          --quiet, -q                 no progress lines on standard error
          --budget BYTES              on-chip budget for the tile planner (default: the target's)

        """

    static let emit = """
        attngen emit: generate kernel sources.

        USAGE:
          attngen emit c    [VARIANT] --out DIR [OPTIONS]
          attngen emit cuda [--arch sm80|sm90] [--family hopper|mma|auto] [VARIANT] --out DIR [OPTIONS]
          attngen emit all  [VARIANT] --out DIR [--torch [--package NAME]] [OPTIONS]
          attngen emit torch [VARIANT] --out DIR [--package NAME] [OPTIONS]

        Each output folder holds attngen_abi.h, the files of every variant, the umbrella header attngen.h
        and a Makefile ('make -C DIR' builds the library). See 'attngen emit c --help'.

        """ + variantFlags + outputFlags

    static let emitC = """
        attngen emit c: generate portable C11 kernels (libattngen.a via 'make -C DIR').

        USAGE:
          attngen emit c [VARIANT] --out DIR [--force] [--quiet] [--budget BYTES]

        EXAMPLES:
          attngen emit c --catalogue --out generated/c
          attngen emit c --name gqa --head-dim 128 --heads 32:8 --dtype bf16 --causal --out out/gqa
          attngen emit c --spec variants.json --out out/c

        """ + variantFlags + outputFlags

    static let emitCUDA = """
        attngen emit cuda: generate CUDA kernels (libattngen_cuda.a via 'make -C DIR', with nvcc).

        USAGE:
          attngen emit cuda [--arch sm80|sm90] [--family hopper|mma|auto] [VARIANT] --out DIR [--force]
                            [--quiet] [--budget BYTES]

          --arch sm80|sm90            compute capability 8.0 (A100) or 9.0 (H100/H200); default sm80
          --family hopper|mma|auto    the kernel family: hopper (sm90 only, the sm90 default: TMA, wgmma, warp
                                      specialisation; fp16/bf16, d and dv multiples of 64 up to 256,
                                      sparse block rows of 128; anything else is refused naming the
                                      field),
                                      mma (mma.sync, the sm80 default, runs every variant), or auto (hopper
                                      where it runs, mma elsewhere)

        EXAMPLES:
          attngen emit cuda --arch sm90 --family auto --catalogue --out generated/cuda/sm90
          attngen emit cuda --arch sm90 --head-dim 128 --dtype bf16 --causal --out out/h

        """ + variantFlags + outputFlags

    static let emitAll = """
        attngen emit all: generate every backend into one folder, in one atomic step:
          DIR/c/, DIR/cuda/sm80/, DIR/cuda/sm90/ (sm90 with --family auto; each with attngen.h and a
          Makefile) and DIR/Makefile
          ('make -C DIR' builds the C library, 'make -C DIR cuda' the CUDA ones).

        USAGE:
          attngen emit all [VARIANT] --out DIR [--torch [--package NAME]] [--force] [--quiet] [--budget BYTES]

          --torch                     also write the PyTorch package of 'attngen emit torch' into DIR/torch/
          --package NAME              its Python name (default: attngen_torch); needs --torch

        EXAMPLES:
          attngen emit all --catalogue --out generated
          attngen emit all --spec variants.json --torch --out out/all

        """ + variantFlags + outputFlags

    static let emitTorch = """
        attngen emit torch: generate a PyTorch package (pip-installable, or used from PYTHONPATH) holding the
        variants' C and CUDA kernels and one Python function per variant, each a torch.library custom op with a
        fake implementation and, for variants with --backward, an autograd formula running the backward kernels.
        The kernels are compiled on first use (C for CPU tensors, CUDA for compute capability 8.0 and 9.0) and cached.

          DIR/pyproject.toml, DIR/README.md (the functions and their arguments), DIR/NAME/ (the package:
          __init__.py, _runtime.py, _variants.py, _abi.py, context_parallel.py (ring attention over a sequence
          sharded across torch.distributed ranks), kernels/c, kernels/cuda/sm80, kernels/cuda/sm90)

        USAGE:
          attngen emit torch [VARIANT] --out DIR [--package NAME] [--force] [--quiet] [--budget BYTES]

          --package NAME              the Python package and torch.library namespace (default: attngen_torch):
                                      lower-case letters, digits and underscores, not starting with a digit

        EXAMPLES:
          attngen emit torch --name causal --head-dim 128 --dtype bf16 --causal --backward --out out/torch
          pip install out/torch        # then: from attngen_torch import causal; o = causal(q, k, v)
          attngen emit torch --spec variants.json --package my_attention --out out/my_attention

        """ + variantFlags + outputFlags

    static let plan = """
        attngen plan: print the tile plan the planner chooses, its on-chip byte account against the budget,
        and with sequence lengths the IO estimate (tiled vs standard attention bytes).

        USAGE:
          attngen plan [--target c|sm80|sm90] [--family hopper|mma|auto] [VARIANT] [--budget BYTES] [--seq N | --seq-q N --seq-k N]
                       [--block-density D]

          --target c|sm80|sm90        the target to plan for (default: c)
          --family hopper|mma|auto    the kernel family on a CUDA target (as 'attngen emit cuda --help' says)
          --budget BYTES              on-chip budget (default: 262144 for c, 166912 for sm80, 232448 for sm90)
          --seq N                     Nq = Nk = N for the IO estimate
          --seq-q N, --seq-k N        different query and key lengths
          --block-density D           fraction of sparse blocks computed, for block-sparse variants (default 1);
                                      needs --seq or --seq-q/--seq-k, and a block-sparse variant

        EXAMPLES:
          attngen plan --target sm90 --head-dim 128 --dtype bf16 --causal --seq 4096

        """ + variantFlags
}
