{{banner}}
"""The run-time half of the package: builds the generated kernels on first use, registers one torch.library custom
op per variant and direction, checks arguments (naming the one at fault) and turns the C ABI's status codes into
Python exceptions.

Building: the first call of a variant on a device kind compiles that variant's generated sources (kernels/c for CPU
tensors, kernels/cuda/sm80 or kernels/cuda/sm90 for CUDA tensors, chosen by the GPU's compute capability) into a
shared library in the cache folder ($ATTNGEN_TORCH_CACHE, else $XDG_CACHE_HOME/{{package}}, else
~/.cache/{{package}}), named by a hash of the sources and the command, and loads it with ctypes. Later processes
reuse it. The C compiler is $CC (else cc), with -O3 -march=native -fopenmp (ATTNGEN_TORCH_PORTABLE=1 drops
-march=native; ATTNGEN_TORCH_OPENMP=0 drops -fopenmp); nvcc is $ATTNGEN_NVCC, else torch's CUDA_HOME/bin/nvcc, else
nvcc on PATH.
"""

import concurrent.futures
import ctypes
import hashlib
import math
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from typing import Optional

import torch

from . import _abi

PACKAGE = "{{package}}"
_KERNELS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kernels")
_DTYPES = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}
_INPUT_DTYPES = {"e4m3": getattr(torch, "float8_e4m3fn", None)}
# Compute capability -> (kernel folder under kernels/, nvcc architecture flag).
_CUDA_TARGETS = {
    (8, 0): ("cuda/sm80", "-gencode=arch=compute_80,code=sm_80"),
    (9, 0): ("cuda/sm90", "-gencode=arch=compute_90a,code=sm_90a"),
}


class AttnGenError(RuntimeError):
    """A generated kernel refused its arguments or failed (the C ABI's status), or a build failed."""


class AttnGenBuildError(AttnGenError):
    """Compiling or loading the generated kernels failed; the message holds the command and the compiler output."""


@dataclass(frozen=True)
class Variant:
    """One generated variant: what its kernels were generated for (rendered by attngen from the spec)."""

    name: str
    head_dim: int
    value_head_dim: int
    storage: str
    heads_q: Optional[int]
    heads_kv: Optional[int]
    scale: float
    saves_lse: bool
    has_backward: bool
    dropout_p: float
    block_rows: int
    block_columns: int
    description: str
    sources: dict = field(default_factory=dict)
    # The kind of each mask of the spec, in its order: "causal", "window", "block-sparse" or "predicate".
    masks: tuple = ()
    # Keys per page of a paged K/V cache (k and v are page pools, page_table required); 0: contiguous K and V.
    page_size: int = 0
    # The score modifiers in words (empty: none), and the run-time arrays they read, in the order of score_parameters.
    score_modifiers: tuple = ()
    score_parameters: tuple = ()
    # Whether the score modifiers read positions within the call (q, k, nq or nk: ALiBi does, a soft cap does not).
    score_modifier_positions: bool = False
    # Whether each query head has a learned sink logit (the sinks argument, differentiable with a backward pass).
    sinks: bool = False
    # How q, k and v are stored when not in `storage` ("e4m3": fp8 bytes, torch.float8_e4m3fn, times the run-time
    # descale factors; O stays in `storage`); "": in `storage`.
    input_storage: str = ""
    # Kernel folders ("cuda/sm80") holding no kernels of the variant, and why (fp8 inputs on sm80).
    unavailable: dict = field(default_factory=dict)

    @property
    def dtype(self):
        """The dtype of O (and of q, k and v unless `input_storage` says otherwise)."""
        return _DTYPES[self.storage]

    @property
    def input_dtype(self):
        """The dtype of q, k and v."""
        return _INPUT_DTYPES[self.input_storage] if self.input_storage else self.dtype

    @property
    def block_sparse(self):
        return self.block_rows > 0

    @property
    def paged(self):
        return self.page_size > 0


# ---------------------------------------------------------------------------------------------------------------------
# Building and loading the kernels

def cache_folder():
    """Where built libraries are kept."""
    explicit = os.environ.get("ATTNGEN_TORCH_CACHE")
    if explicit:
        return explicit
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, PACKAGE)


def _c_toolchain():
    compiler = os.environ.get("CC") or shutil.which("cc") or "gcc"
    flags = ["-std=c11", "-O3", "-fPIC"]
    if os.environ.get("ATTNGEN_TORCH_PORTABLE", "0") in ("", "0"):
        flags.append("-march=native")
    link = ["-shared"]
    if os.environ.get("ATTNGEN_TORCH_OPENMP", "1") not in ("", "0"):
        flags.append("-fopenmp")
        link.append("-fopenmp")
    return [compiler], flags, link + ["-lm"]


def nvcc_path():
    """nvcc: $ATTNGEN_NVCC, else torch's CUDA_HOME/bin/nvcc, else nvcc on PATH."""
    explicit = os.environ.get("ATTNGEN_NVCC")
    if explicit:
        return explicit
    try:
        from torch.utils.cpp_extension import CUDA_HOME
    except Exception:  # torch built without its extension helpers
        CUDA_HOME = None
    if CUDA_HOME and os.path.exists(os.path.join(CUDA_HOME, "bin", "nvcc")):
        return os.path.join(CUDA_HOME, "bin", "nvcc")
    found = shutil.which("nvcc")
    if found:
        return found
    raise AttnGenBuildError("nvcc not found: set ATTNGEN_NVCC, set CUDA_HOME, or put nvcc on PATH "
                            "(the CUDA kernels are compiled on first use)")


def _cuda_target(device):
    """(kernel folder, nvcc architecture) for `device`'s compute capability; an error for other GPUs."""
    capability = torch.cuda.get_device_capability(device)
    if capability not in _CUDA_TARGETS:
        supported = ", ".join(f"{major}.{minor}" for major, minor in sorted(_CUDA_TARGETS))
        raise AttnGenError(f"{torch.cuda.get_device_name(device)} has compute capability {capability[0]}.{capability[1]}; "
                           f"this package holds kernels for compute capability {supported} (generate them for "
                           "another architecture with attngen emit cuda --arch)")
    return _CUDA_TARGETS[capability]


def unavailable_reason(variant, device):
    """Why the package holds no kernels of `variant` for `device` (fp8 inputs on a GPU of compute capability 8.0),
    or None."""
    if device.type != "cuda" or not variant.unavailable:
        return None
    capability = torch.cuda.get_device_capability(device)
    folder = _CUDA_TARGETS.get(capability, (None,))[0]
    return variant.unavailable.get(folder)


def _run(command, what):
    try:
        result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    except OSError as error:  # no such compiler, or not executable
        raise AttnGenBuildError(f"{what} failed: cannot run {command[0]}: {error} (set CC, or ATTNGEN_NVCC for CUDA)") from None
    if result.returncode != 0:
        raise AttnGenBuildError(f"{what} failed (exit status {result.returncode}):\n  {' '.join(command)}\n"
                                f"{result.stdout[-6000:]}")


def _build(variant, folder, label, compiler, flags, link, quiet):
    """The path of the shared library of `variant`'s sources in `folder` (kernels/<folder>), building it when the
    cache has none for these sources and this command."""
    source_folder = os.path.join(_KERNELS, folder)
    sources = [os.path.join(source_folder, name) for name in variant.sources[folder]]
    headers = sorted(name for name in os.listdir(source_folder) if name.endswith((".h", ".cuh")))
    digest = hashlib.sha256(repr((compiler, flags, link)).encode())
    for path in sources + [os.path.join(source_folder, name) for name in headers]:
        digest.update(os.path.basename(path).encode() + b"\0")
        with open(path, "rb") as handle:
            digest.update(handle.read())
    cache = cache_folder()
    library = os.path.join(cache, f"lib{variant.name}-{label}-{digest.hexdigest()[:16]}.so")
    if os.path.exists(library):
        return library
    os.makedirs(cache, exist_ok=True)
    if not quiet:
        print(f"{PACKAGE}: building {variant.name} for {label} ({len(sources)} source files, once; cached in {cache})",
              file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory(prefix=f"build-{variant.name}-", dir=cache) as scratch:
        objects = [os.path.join(scratch, os.path.basename(source) + ".o") for source in sources]
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, min(len(sources), os.cpu_count() or 1))) as pool:
            jobs = [pool.submit(_run, compiler + flags + ["-I", source_folder, "-c", source, "-o", obj],
                                f"compiling {os.path.basename(source)}") for source, obj in zip(sources, objects)]
            for job in jobs:
                job.result()
        staged = os.path.join(scratch, "library.so")
        _run(compiler + objects + link + ["-o", staged], f"linking {variant.name} ({label})")
        os.replace(staged, library)  # atomic: a concurrent build of the same library writes the same bytes
    return library


class _Library:
    """The loaded functions of one variant on one device kind."""

    def __init__(self, path, variant, suffix):
        handle = ctypes.CDLL(path)
        extra = [ctypes.c_void_p] if suffix else []
        self.forward = getattr(handle, f"attngen_{variant.name}_forward{suffix}")
        self.forward.argtypes = [ctypes.POINTER(_abi.ForwardParams)] + extra
        self.forward.restype = ctypes.c_int
        self.forward_workspace_size = None
        if suffix:
            self.forward_workspace_size = getattr(handle, f"attngen_{variant.name}_forward_workspace_size{suffix}")
            self.forward_workspace_size.argtypes = [ctypes.POINTER(_abi.ForwardParams)]
            self.forward_workspace_size.restype = ctypes.c_size_t
        self.quantize = None
        if variant.input_storage:
            self.quantize = getattr(handle, f"attngen_{variant.name}_quantize{suffix}")
            self.quantize.argtypes = [ctypes.POINTER(_abi.QuantizeParams)] + extra
            self.quantize.restype = ctypes.c_int
        self.backward = self.workspace_size = None
        if variant.has_backward:
            self.backward = getattr(handle, f"attngen_{variant.name}_backward{suffix}")
            self.backward.argtypes = [ctypes.POINTER(_abi.BackwardParams)] + extra
            self.backward.restype = ctypes.c_int
            self.workspace_size = getattr(handle, f"attngen_{variant.name}_backward_workspace_size{suffix}")
            self.workspace_size.argtypes = [ctypes.POINTER(_abi.BackwardParams)]
            self.workspace_size.restype = ctypes.c_size_t
        self.handle = handle


_libraries = {}  # (variant, device type, device index) -> _Library
_loaded = {}  # library path -> _Library
_libraries_lock = threading.Lock()
_building = {}


def library(variant, device, quiet=False):
    """The kernels of `variant` for `device` (a torch.device), built and loaded on first use. Threads asking for the
    same library wait for one build; different libraries build at the same time."""
    key = (variant.name, device.type, device.index)
    loaded = _libraries.get(key)
    if loaded is not None:  # the common case: one dictionary lookup per call
        return loaded
    if device.type == "cpu":
        folder, suffix = "c", ""
        compiler, flags, link = _c_toolchain()
    elif device.type == "cuda":
        folder, architecture = _cuda_target(device)
        if folder in variant.unavailable:
            raise AttnGenError(f"{variant.name}: this package holds no kernels of it for {torch.cuda.get_device_name(device)} "
                               f"({folder}): {variant.unavailable[folder]}")
        suffix = "_cuda"
        compiler = [nvcc_path()]
        flags = ["-std=c++17", "-O3", architecture, "-Xcompiler", "-fPIC"]
        link = ["-shared", architecture]
    else:
        raise AttnGenError(f"{variant.name}: tensors on {device.type} are not supported (CPU and CUDA are)")
    with _libraries_lock:
        lock = _building.setdefault((variant.name, folder), threading.Lock())
    with lock:
        path = _build(variant, folder, folder.replace("cuda/", ""), compiler, flags, link, quiet)
        loaded = _loaded.get(path) or _Library(path, variant, suffix)
        with _libraries_lock:
            _loaded[path] = loaded
            _libraries[key] = loaded
        return loaded


# ---------------------------------------------------------------------------------------------------------------------
# Arguments

def _layout(tensor):
    return _abi.Layout(tensor.stride(0), tensor.stride(1), tensor.stride(2))


def _lse_layout(lse):
    if lse.dim() != 3:
        return _abi.Layout(0, 0, 0)
    return _abi.Layout(lse.stride(0), lse.stride(1), lse.stride(2))


def empty_like_layout(like, last, dtype):
    """A new [B, H, S, last] tensor laid out in memory as `like` ([B, H, S, *]) is: BSHD when its heads are closer
    together than its rows, BHSD otherwise. The op's real and fake implementations both allocate through here."""
    batch, heads, rows = like.shape[0], like.shape[1], like.shape[2]
    size = (batch, heads, rows, last)
    if like.stride(1) < like.stride(2):
        stride = (rows * heads * last, last, heads * last, 1)
    else:
        stride = (heads * rows * last, rows * last, last, 1)
    return torch.empty_strided(size, stride, dtype=dtype, device=like.device)


def _status_error(variant, function, status):
    try:
        name = _abi.Status(status).name
    except ValueError:
        name = f"status {status}"
    explanations = {
        "ERROR_NULL_POINTER": "a required tensor was missing",
        "ERROR_INVALID_SIZE": "a size or head count is out of range",
        "ERROR_INVALID_HEADS": "the head counts do not fit the variant (heads_q must be a multiple of heads_kv)",
        "ERROR_INVALID_LAYOUT": "a tensor's strides were refused (negative, overlapping, or spanning more than "
                                f"{_abi.MAX_TENSOR_BYTES} bytes), or a page_table entry lies outside the pools",
        "ERROR_ABI_MISMATCH": "the kernels were built for another ABI version; rebuild the package",
        "ERROR_OUT_OF_MEMORY": "the kernel could not allocate its scratch memory",
        "ERROR_CUDA": "a CUDA call failed (see torch.cuda for the error state)",
        "ERROR_WORKSPACE_TOO_SMALL": "the workspace was too small",
        "ERROR_INVALID_MODE": "the dQ mode is invalid",
        "ERROR_UNSUPPORTED": ("the variant's CUDA kernels do not take this call: fp8 inputs run on the TMA kernel only "
                              "(no seqlens_k; row strides multiples of 16 bytes)" if variant.input_storage else
                              "the variant's CUDA kernels do not take seqlens_k (it has no decode kernel: fp32 storage, "
                              "dropout or a block-sparse layout)"),
    }
    return AttnGenError(f"{function} returned {name}: {explanations.get(name, 'unknown status')} "
                        f"(variant {variant.name})")


def _on_device(device, function, params):
    """Calls a CUDA entry point on `device`'s current stream, with `device` current (as the launch needs)."""
    stream = ctypes.c_void_p(torch.cuda.current_stream(device).cuda_stream)
    if device.index == torch.cuda.current_device():
        return function(ctypes.byref(params), stream)
    with torch.cuda.device(device):
        return function(ctypes.byref(params), stream)


def _uint64(value):
    return int(value) % (1 << 64)


def _pack(p, q, k, packing):
    """A variable-length batch (README, "Variable-length batches"): q and k are the packed tensors viewed as one
    "batch" of all their rows, [1, H, total, D]; packing is (cu_seqlens_q, cu_seqlens_k, max_seqlen_q, max_seqlen_k),
    the int32 prefix sums of the sequences' rows on each side and the longest sequence of each."""
    cu_seqlens_q, cu_seqlens_k, max_seqlen_q, max_seqlen_k = packing
    p.batch = cu_seqlens_q.numel() - 1
    p.cu_seqlens_q, p.total_q, p.seqlen_q = cu_seqlens_q.data_ptr(), q.shape[2], max_seqlen_q
    if cu_seqlens_k is not None:
        p.cu_seqlens_k, p.total_k, p.seqlen_k = cu_seqlens_k.data_ptr(), k.shape[2], max_seqlen_k


def forward_params(variant, q, k, v, o, lse, block_mask, dropout_seed, dropout_offset, seqlens_k=None,
                   page_table=None, score_parameters=None, sinks=None, packing=None, descales=(None, None, None)):
    """The attngen_forward_params of a call on [B, H, S, D] tensors (O and LSE allocated by the caller; for a paged
    variant, k and v are [pages, H, page_size, D] pools and page_table [B, pages per sequence]; packing: see _pack;
    descales: q's, k's and v's float32 factors of an fp8 variant, None, one element, or contiguous [B, Hkv], the
    given ones all of one of these shapes, as _check_descales leaves them)."""
    p = _abi.ForwardParams()
    p.struct_size = ctypes.sizeof(_abi.ForwardParams)
    p.batch, p.seqlen_q, p.seqlen_k = q.shape[0], q.shape[2], k.shape[2]
    if variant.paged:
        p.seqlen_k = page_table.shape[1] * variant.page_size
        p.page_table, p.page_table_stride, p.num_pages = page_table.data_ptr(), page_table.stride(0), k.shape[0]
    p.heads_q, p.heads_kv = q.shape[1], k.shape[1]
    p.q, p.k, p.v, p.o = q.data_ptr(), k.data_ptr(), v.data_ptr(), o.data_ptr()
    p.q_layout, p.k_layout, p.v_layout, p.o_layout = _layout(q), _layout(k), _layout(v), _layout(o)
    if variant.saves_lse:
        p.lse, p.lse_layout = lse.data_ptr(), _lse_layout(lse)
    if block_mask is not None:
        p.block_mask, p.block_mask_layout = block_mask.data_ptr(), _layout(block_mask)
    p.dropout_seed, p.dropout_offset = _uint64(dropout_seed), _uint64(dropout_offset)
    p.num_threads = torch.get_num_threads()
    if seqlens_k is not None:
        p.seqlens_k = seqlens_k.data_ptr()
    if score_parameters is not None:
        p.score_parameters = score_parameters.data_ptr()
    if sinks is not None:
        p.sinks = sinks.data_ptr()
    if packing is not None:
        _pack(p, q, k, packing)
    given = [t for t in descales if t is not None]
    if given:
        p.q_descale, p.k_descale, p.v_descale = (0 if t is None else t.data_ptr() for t in descales)
        if given[0].dim() == 2:  # [B, Hkv]; else one factor per tensor (strides 0)
            p.descale_batch_stride, p.descale_head_stride = given[0].stride(0), given[0].stride(1)
    return p


def backward_params(variant, grad_o, q, k, v, o, lse, dq, dk, dv, block_mask, dropout_seed, dropout_offset,
                    deterministic, score_parameters=None, sinks=None, dsinks=None, dscore_parameters=None,
                    packing=None):
    """The attngen_backward_params of a call (gradients allocated by the caller; the workspace is left unset)."""
    p = _abi.BackwardParams()
    p.struct_size = ctypes.sizeof(_abi.BackwardParams)
    p.batch, p.seqlen_q, p.seqlen_k = q.shape[0], q.shape[2], k.shape[2]
    p.heads_q, p.heads_kv = q.shape[1], k.shape[1]
    p.q, p.k, p.v, p.o, p.lse, p.d_o = (q.data_ptr(), k.data_ptr(), v.data_ptr(), o.data_ptr(), lse.data_ptr(),
                                        grad_o.data_ptr())
    p.dq, p.dk, p.dv = dq.data_ptr(), dk.data_ptr(), dv.data_ptr()
    p.q_layout, p.k_layout, p.v_layout, p.o_layout = _layout(q), _layout(k), _layout(v), _layout(o)
    p.lse_layout, p.d_o_layout = _lse_layout(lse), _layout(grad_o)
    p.dq_layout, p.dk_layout, p.dv_layout = _layout(dq), _layout(dk), _layout(dv)
    if block_mask is not None:
        p.block_mask, p.block_mask_layout = block_mask.data_ptr(), _layout(block_mask)
    p.dropout_seed, p.dropout_offset = _uint64(dropout_seed), _uint64(dropout_offset)
    p.dq_mode = _abi.DqMode.DETERMINISTIC if deterministic else _abi.DqMode.FAST
    p.num_threads = torch.get_num_threads()
    if score_parameters is not None:
        p.score_parameters = score_parameters.data_ptr()
    if sinks is not None:
        p.sinks, p.dsinks = sinks.data_ptr(), dsinks.data_ptr()
    if dscore_parameters is not None:
        p.dscore_parameters = dscore_parameters.data_ptr()
    if packing is not None:
        _pack(p, q, k, packing)
    return p


def _launch(variant, direction, function, params, device):
    """Calls a C (CPU) or CUDA entry point and raises AttnGenError on a status other than OK."""
    if device.type == "cuda":
        status = _on_device(device, function, params)
        name = f"attngen_{variant.name}_{direction}_cuda"
    else:
        status = function(ctypes.byref(params))
        name = f"attngen_{variant.name}_{direction}"
    if status != _abi.Status.OK:
        raise _status_error(variant, name, status)


def run_forward(variant, q, k, v, block_mask, dropout_seed, dropout_offset, seqlens_k=None, page_table=None,
                score_parameters=None, sinks=None, packing=None, descales=(None, None, None)):
    """The forward kernel on [B, H, S, D] tensors of any strides with a contiguous last dimension: (O, LSE).
    With packing (see _pack), q and k are [1, H, total, D] views of packed rows and so are O and LSE."""
    o = empty_like_layout(q, variant.value_head_dim, variant.dtype)
    if variant.saves_lse:
        lse = torch.empty((q.shape[0], q.shape[1], q.shape[2]), dtype=torch.float32, device=q.device)
    else:
        lse = torch.empty((0,), dtype=torch.float32, device=q.device)
    kernels = library(variant, q.device)
    params = forward_params(variant, q, k, v, o, lse, block_mask, dropout_seed, dropout_offset, seqlens_k,
                            page_table, score_parameters, sinks, packing, descales)
    workspace = None
    if kernels.forward_workspace_size is not None:
        # CUDA: the workspace with which calls with few query rows split their keys across blocks (0 bytes for
        # the others; SIZE_MAX for sizes the launcher refuses, which it then reports itself).
        size = kernels.forward_workspace_size(ctypes.byref(params))
        if 0 < size < ctypes.c_size_t(-1).value:
            workspace = torch.empty((size,), dtype=torch.uint8, device=q.device)
            params.workspace, params.workspace_size = workspace.data_ptr(), size
    _launch(variant, "forward", kernels.forward, params, q.device)
    return o, lse


def run_backward(variant, grad_o, q, k, v, o, lse, block_mask, dropout_seed, dropout_offset, deterministic,
                 score_parameters=None, sinks=None, packing=None):
    """The backward kernels: (dQ, dK, dV, dsinks, dscore_parameters), each laid out like its input (dsinks float32
    [Hq] with sinks, dscore_parameters float32 [arrays, Hq] with score_parameters, else empty)."""
    if grad_o.stride(-1) != 1:
        grad_o = grad_o.contiguous()
    dq = empty_like_layout(q, variant.head_dim, q.dtype)
    dk = empty_like_layout(k, variant.head_dim, k.dtype)
    dv = empty_like_layout(v, variant.value_head_dim, v.dtype)
    # The kernels add the sinks' gradient to dsinks: zeros.
    dsinks = torch.zeros((q.shape[1] if sinks is not None else 0,), dtype=torch.float32, device=q.device)
    # ... and the run-time arrays' gradient to dscore_parameters.
    dscore_parameters = torch.zeros(tuple(score_parameters.shape) if score_parameters is not None else (0, q.shape[1]),
                                    dtype=torch.float32, device=q.device)
    kernels = library(variant, q.device)
    params = backward_params(variant, grad_o, q, k, v, o, lse, dq, dk, dv, block_mask, dropout_seed, dropout_offset,
                             deterministic, score_parameters, sinks, dsinks,
                             dscore_parameters if score_parameters is not None else None, packing)
    size = kernels.workspace_size(ctypes.byref(params))
    if size == ctypes.c_size_t(-1).value:
        raise AttnGenError(f"attngen_{variant.name}_backward_workspace_size refused the sizes (variant {variant.name})")
    workspace = torch.empty((max(size, 16),), dtype=torch.uint8, device=q.device)
    params.workspace, params.workspace_size = workspace.data_ptr(), workspace.numel()
    _launch(variant, "backward", kernels.backward, params, q.device)
    return dq, dk, dv, dsinks, dscore_parameters


def rotation_signs(width, seed):
    """The signs of the rotation's columns, as the generated quantize call draws them (attngen_abi.h,
    attngen_quantize_params): column i is -1 where bit 63 of splitmix64(seed + (i + 1) * 0x9E3779B97F4A7C15) is set,
    else +1 (seed taken modulo 2^64)."""
    mask = (1 << 64) - 1
    signs = []
    for column in range(width):
        z = (_uint64(seed) + (column + 1) * 0x9E3779B97F4A7C15) & mask
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        z ^= z >> 31
        signs.append(-1.0 if z >> 63 else 1.0)
    return signs


def hadamard_rotation(x, seed):
    """x [..., D] times R = diag(signs) · H / sqrt(b) on each block of b columns, b the largest power of two dividing D
    (H: the b × b Walsh-Hadamard matrix; signs: rotation_signs(D, seed)). R is orthogonal, so rotating q and k with one
    seed leaves q·kᵀ, the scores, unchanged, while it spreads a few large channels over all of them: their e4m3 rounding
    error shrinks ("incoherent processing", FlashAttention-3). In float32, on x's device, with the generated quantize
    call's arithmetic (the same butterflies in the same order, then one multiplication by 1/sqrt(b) rounded to
    float32), so quantize_e4m3 gives the same bytes with and without `variant`."""
    width = x.shape[-1]
    block = width & -width
    signs = torch.tensor(rotation_signs(width, seed), dtype=torch.float32, device=x.device)
    y = (x.float() * signs).reshape(-1, width // block, block)
    span = 1
    while span < block:  # the fast Walsh-Hadamard transform: log2(b) butterfly passes
        pairs = y.reshape(y.shape[0], y.shape[1], block // (2 * span), 2, span)
        y = torch.stack((pairs[..., 0, :] + pairs[..., 1, :], pairs[..., 0, :] - pairs[..., 1, :]), dim=-2)
        span *= 2
    return y.reshape(x.shape) * torch.tensor(1.0 / math.sqrt(block), dtype=torch.float32, device=x.device)


_OPERANDS = {"q": 0, "k": 1, "v": 2}


def quantize_e4m3(x, *, heads_kv=None, layout="bshd", rotation_seed=None, variant=None, operand=None):
    """(x8, descale): `x` ([B, S, H, D] for layout "bshd", [B, H, S, D] for "bhsd") as torch.float8_e4m3fn bytes and
    the float32 factors that give it back, x ~ x8 * descale, for an fp8 variant's q_descale / k_descale / v_descale.
    With `heads_kv`, one factor per sequence and key/value head ([B, heads_kv]; q's heads grouped as the kernels read
    them, query head h under group h // (H / heads_kv)): descale = max|x| of the group / 448, e4m3's largest finite
    value. Without, one factor for the whole tensor (a single element). A group of zeros gets the factor 1.
    rotation_seed: quantize x rotated by hadamard_rotation(x, rotation_seed) instead; pass the same seed for q and k
    (the scores are unchanged) and none for v (O would be rotated): with a few outlier channels in q and k, O's error
    is several times smaller (README.md, "fp8 inputs").
    variant (a Variant with fp8 inputs) and operand ("q", "k" or "v"): run that variant's generated quantize call
    (attngen_NAME_quantize, on x's device), one pass that rotates, finds the factors and rounds, instead of torch
    operations; x is converted to the variant's dtype first and its head dim must be the operand's. The bytes and
    factors are the same as without `variant` for x in that dtype."""
    dtype = _INPUT_DTYPES["e4m3"]
    if dtype is None:
        raise AttnGenError("this torch has no float8_e4m3fn (torch >= 2.1 has)")
    if not isinstance(x, torch.Tensor) or x.dim() != 4 or not x.is_floating_point():
        raise ValueError(f"quantize_e4m3: x must be a 4-D floating-point tensor, not "
                         f"{tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__}")
    if layout not in ("bshd", "bhsd"):
        raise ValueError(f"quantize_e4m3: layout must be 'bshd' or 'bhsd', not {layout!r}")
    if rotation_seed is not None and not isinstance(rotation_seed, int):
        raise ValueError(f"quantize_e4m3: rotation_seed must be an int, not {rotation_seed!r}")
    heads = x.shape[2] if layout == "bshd" else x.shape[1]
    if heads_kv is not None and (not isinstance(heads_kv, int) or heads_kv <= 0 or heads % heads_kv != 0):
        raise ValueError(f"quantize_e4m3: heads_kv must be a positive divisor of the {heads} heads, not {heads_kv!r}")
    if variant is not None or operand is not None:
        return _quantize_with_kernel(variant, x, operand, heads_kv, layout, rotation_seed)
    if rotation_seed is not None:
        x = hadamard_rotation(x, rotation_seed)
    bhsd = x.transpose(1, 2) if layout == "bshd" else x
    batch = bhsd.shape[0]
    if heads_kv is None:
        amax = bhsd.abs().amax().float().reshape(1) if bhsd.numel() else torch.zeros(1, device=x.device)
    else:
        amax = bhsd.reshape(batch, heads_kv, -1).abs().amax(-1).float() if bhsd.numel() else \
            torch.zeros(batch, heads_kv, device=x.device)
    # A tensor divisor: torch divides by a Python number as a multiplication by its reciprocal on CUDA (one rounding
    # more); the generated call divides, correctly rounded, and so does this.
    descale = torch.where(amax > 0, amax / torch.full_like(amax, 448.0), torch.ones_like(amax))
    divisor = descale if heads_kv is None else descale.repeat_interleave(heads // heads_kv, 1)[:, :, None, None]
    scaled = (bhsd.float() / divisor).clamp(-448.0, 448.0).to(dtype)
    return (scaled.transpose(1, 2) if layout == "bshd" else scaled).contiguous(), descale


def _quantize_with_kernel(variant, x, operand, heads_kv, layout, rotation_seed):
    """quantize_e4m3 through the variant's generated quantize call (its arguments already checked there)."""
    if not isinstance(variant, Variant) or not variant.input_storage:
        raise ValueError(f"quantize_e4m3: variant must be a variant with fp8 inputs (--input-dtype e4m3), not "
                         f"{getattr(variant, 'name', variant)!r}")
    if operand not in _OPERANDS:
        raise ValueError(f"quantize_e4m3: operand must be 'q', 'k' or 'v' with a variant, not {operand!r}")
    if operand == "v" and rotation_seed is not None:
        raise ValueError("quantize_e4m3: v is not rotated (O would come out rotated); pass rotation_seed for q and k")
    width = variant.value_head_dim if operand == "v" else variant.head_dim
    if x.shape[-1] != width:
        raise ValueError(f"{variant.name}: {operand} must have head dim {width}, not {x.shape[-1]}")
    bhsd = (x.transpose(1, 2) if layout == "bshd" else x).to(variant.dtype)
    if bhsd.stride(-1) != 1:
        bhsd = bhsd.contiguous()
    batch, heads, rows = bhsd.shape[0], bhsd.shape[1], bhsd.shape[2]
    if operand != "q" and heads_kv is not None and heads_kv != heads:
        raise ValueError(f"quantize_e4m3: {operand} has {heads} heads, so heads_kv must be {heads} or None, not {heads_kv}")
    x8 = torch.empty(x.shape, dtype=_INPUT_DTYPES["e4m3"], device=x.device)
    x8_bhsd = x8.transpose(1, 2) if layout == "bshd" else x8
    # Ones: a call without elements writes no factor (quantize_e4m3 gives a group of zeros the factor 1).
    descale = torch.ones((batch, heads_kv) if heads_kv is not None else (1,), dtype=torch.float32, device=x.device)
    p = _abi.QuantizeParams()
    p.struct_size = ctypes.sizeof(_abi.QuantizeParams)
    p.batch, p.seqlen, p.heads = batch, rows, heads
    p.heads_kv = heads_kv if heads_kv is not None else heads  # per tensor: every group shares the one factor
    p.operand, p.rotate = _OPERANDS[operand], int(rotation_seed is not None)
    p.rotation_seed = _uint64(rotation_seed or 0)
    p.x, p.x_layout = bhsd.data_ptr(), _layout(bhsd)
    p.x8, p.x8_layout = x8_bhsd.data_ptr(), _layout(x8_bhsd)
    p.descale = descale.data_ptr()
    p.descale_batch_stride, p.descale_head_stride = (heads_kv, 1) if heads_kv is not None else (0, 0)
    kernels = library(variant, x.device)
    _launch(variant, "quantize", kernels.quantize, p, x.device)
    return x8, descale


# ---------------------------------------------------------------------------------------------------------------------
# The custom ops: `{{package}}::NAME_forward` and `{{package}}::NAME_backward`

def _packing(cu_seqlens_q, cu_seqlens_k, max_seqlen_q, max_seqlen_k):
    """The packing of a variable-length call as _pack takes it, or None for fixed lengths."""
    return None if cu_seqlens_q is None else (cu_seqlens_q, cu_seqlens_k, max_seqlen_q, max_seqlen_k)


def _register(variant):
    forward_name = f"{PACKAGE}::{variant.name}_forward"

    @torch.library.custom_op(forward_name, mutates_args=())
    def forward(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, block_mask: Optional[torch.Tensor],
                seqlens_k: Optional[torch.Tensor], page_table: Optional[torch.Tensor],
                score_parameters: Optional[torch.Tensor], sinks: Optional[torch.Tensor], dropout_seed: int,
                dropout_offset: int, deterministic: bool, cu_seqlens_q: Optional[torch.Tensor] = None,
                cu_seqlens_k: Optional[torch.Tensor] = None, max_seqlen_q: int = 0,
                max_seqlen_k: int = 0, q_descale: Optional[torch.Tensor] = None,
                k_descale: Optional[torch.Tensor] = None,
                v_descale: Optional[torch.Tensor] = None) -> tuple[torch.Tensor, torch.Tensor]:
        packing = _packing(cu_seqlens_q, cu_seqlens_k, max_seqlen_q, max_seqlen_k)
        return run_forward(variant, q, k, v, block_mask, dropout_seed, dropout_offset, seqlens_k, page_table,
                           score_parameters, sinks, packing, (q_descale, k_descale, v_descale))

    @forward.register_fake
    def _(q, k, v, block_mask, seqlens_k, page_table, score_parameters, sinks, dropout_seed, dropout_offset,
          deterministic, cu_seqlens_q=None, cu_seqlens_k=None, max_seqlen_q=0, max_seqlen_k=0, q_descale=None,
          k_descale=None, v_descale=None):
        o = empty_like_layout(q, variant.value_head_dim, variant.dtype)
        if variant.saves_lse:
            return o, q.new_empty((q.shape[0], q.shape[1], q.shape[2]), dtype=torch.float32)
        return o, q.new_empty((0,), dtype=torch.float32)

    if not variant.has_backward:
        return forward, None

    @torch.library.custom_op(f"{PACKAGE}::{variant.name}_backward", mutates_args=())
    def backward(grad_o: torch.Tensor, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, o: torch.Tensor,
                 lse: torch.Tensor, block_mask: Optional[torch.Tensor], score_parameters: Optional[torch.Tensor],
                 sinks: Optional[torch.Tensor], dropout_seed: int, dropout_offset: int,
                 deterministic: bool, cu_seqlens_q: Optional[torch.Tensor] = None,
                 cu_seqlens_k: Optional[torch.Tensor] = None, max_seqlen_q: int = 0, max_seqlen_k: int = 0
                 ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        packing = _packing(cu_seqlens_q, cu_seqlens_k, max_seqlen_q, max_seqlen_k)
        return run_backward(variant, grad_o, q, k, v, o, lse, block_mask, dropout_seed, dropout_offset, deterministic,
                            score_parameters, sinks, packing)

    @backward.register_fake
    def _(grad_o, q, k, v, o, lse, block_mask, score_parameters, sinks, dropout_seed, dropout_offset, deterministic,
          cu_seqlens_q=None, cu_seqlens_k=None, max_seqlen_q=0, max_seqlen_k=0):
        return (empty_like_layout(q, variant.head_dim, q.dtype), empty_like_layout(k, variant.head_dim, k.dtype),
                empty_like_layout(v, variant.value_head_dim, v.dtype),
                q.new_empty((q.shape[1] if sinks is not None else 0,), dtype=torch.float32),
                q.new_empty(tuple(score_parameters.shape) if score_parameters is not None else (0, q.shape[1]),
                            dtype=torch.float32))

    def setup_context(ctx, inputs, output):
        (q, k, v, block_mask, seqlens_k, page_table, score_parameters, sinks, dropout_seed, dropout_offset,
         deterministic, cu_seqlens_q, cu_seqlens_k, max_seqlen_q, max_seqlen_k) = inputs[:15]  # no descales: 16-bit
        o, lse = output
        ctx.per_sequence_keys = seqlens_k is not None
        ctx.save_for_backward(q, k, v, o, lse, block_mask, score_parameters, sinks, cu_seqlens_q, cu_seqlens_k)
        ctx.max_seqlens = (max_seqlen_q, max_seqlen_k)
        ctx.dropout = (dropout_seed, dropout_offset)
        ctx.deterministic = deterministic
        ctx.mark_non_differentiable(lse)

    def differentiate(ctx, grad_o, grad_lse):
        if ctx.per_sequence_keys:
            raise RuntimeError(f"{variant.name}: seqlens_k is for inference; the backward pass takes whole sequences")
        q, k, v, o, lse, block_mask, score_parameters, sinks, cu_seqlens_q, cu_seqlens_k = ctx.saved_tensors
        if grad_o.stride(-1) != 1:
            grad_o = grad_o.contiguous()
        dq, dk, dv, dsinks, dparameters = backward(grad_o, q, k, v, o, lse, block_mask, score_parameters, sinks,
                                                   ctx.dropout[0], ctx.dropout[1], ctx.deterministic, cu_seqlens_q,
                                                   cu_seqlens_k, ctx.max_seqlens[0], ctx.max_seqlens[1])
        return (dq, dk, dv, None, None, None, dparameters if score_parameters is not None else None,
                dsinks if sinks is not None else None, None, None, None, None, None, None, None, None, None, None)

    forward.register_autograd(differentiate, setup_context=setup_context)
    return forward, backward


# ---------------------------------------------------------------------------------------------------------------------
# The Python entry point of every variant

def _check_tensor(variant, name, tensor, expected_last, device):
    if not isinstance(tensor, torch.Tensor):
        raise TypeError(f"{variant.name}: {name} must be a torch.Tensor, not {type(tensor).__name__}")
    if tensor.dtype != variant.input_dtype:
        stored = f"{variant.input_storage} inputs" if variant.input_storage else f"{variant.storage} storage"
        raise TypeError(f"{variant.name}: {name} has dtype {tensor.dtype}; the variant was generated for "
                        f"{variant.input_dtype} ({stored})")
    if tensor.dim() != 4:
        raise ValueError(f"{variant.name}: {name} must have 4 dimensions, not {tensor.dim()} (shape {tuple(tensor.shape)})")
    if tensor.device != device:
        raise ValueError(f"{variant.name}: {name} is on {tensor.device} but q is on {device}")
    if tensor.shape[-1] != expected_last:
        raise ValueError(f"{variant.name}: {name} has head dimension {tensor.shape[-1]}; the variant was generated "
                         f"for {expected_last}")
    if tensor.stride(-1) != 1 and tensor.shape[-1] > 1:
        raise ValueError(f"{variant.name}: {name} must be contiguous in its last dimension (stride {tensor.stride(-1)}); "
                         "call .contiguous() first")


def _check_block_mask(variant, block_mask, batch, heads_q, seqlen_q, seqlen_k, device):
    if not isinstance(block_mask, torch.Tensor):
        raise TypeError(f"{variant.name}: block_mask must be a torch.Tensor of bool or uint8 "
                        f"(one entry per {variant.block_rows}x{variant.block_columns} block)")
    if block_mask.dtype == torch.bool:
        block_mask = block_mask.view(torch.uint8)
    if block_mask.dtype != torch.uint8:
        raise TypeError(f"{variant.name}: block_mask has dtype {block_mask.dtype}; it must be torch.bool or torch.uint8")
    if block_mask.device != device:
        raise ValueError(f"{variant.name}: block_mask is on {block_mask.device} but q is on {device}")
    rows = -(-seqlen_q // variant.block_rows)
    columns = -(-seqlen_k // variant.block_columns)
    if block_mask.dim() == 2:
        block_mask = block_mask[None, None]
    if block_mask.dim() != 4:
        raise ValueError(f"{variant.name}: block_mask must be [query blocks, key blocks] or [B, H, query blocks, "
                         f"key blocks], not shape {tuple(block_mask.shape)}")
    try:
        block_mask = block_mask.expand(batch, heads_q, rows, columns)
    except RuntimeError:
        raise ValueError(f"{variant.name}: block_mask has shape {tuple(block_mask.shape)}; it must broadcast to "
                         f"[{batch}, {heads_q}, {rows}, {columns}] (B, query heads, ceil(Nq/{variant.block_rows}), "
                         f"ceil(Nk/{variant.block_columns}))") from None
    if block_mask.stride(-1) != 1 and columns > 1:
        block_mask = block_mask.contiguous()
    return block_mask


def _plain_eager(q, k, v, sinks=None, score_parameters=None):
    """Whether the call may skip the custom op: plain tensors, no grad needed, not compiling, and no dispatch mode
    (fake tensors, make_fx, functionalization) active, so that nothing traces or transforms it."""
    if torch.is_grad_enabled() and any(t is not None and t.requires_grad for t in (q, k, v, sinks, score_parameters)):
        return False
    if any(t is not None and type(t) is not torch.Tensor for t in (sinks, score_parameters)):
        return False
    if not (type(q) is torch.Tensor and type(k) is torch.Tensor and type(v) is torch.Tensor):
        return False
    compiler = getattr(torch, "compiler", None)
    if compiler is not None and hasattr(compiler, "is_compiling") and compiler.is_compiling():
        return False
    dispatch_stack = getattr(torch._C, "_len_torch_dispatch_stack", None)
    return dispatch_stack is not None and dispatch_stack() == 0


def _check_seqlens_k(variant, seqlens_k, batch, seqlen_k, device):
    if not isinstance(seqlens_k, torch.Tensor):
        raise TypeError(f"{variant.name}: seqlens_k must be a torch.Tensor of int32 (the keys each sequence uses)")
    if seqlens_k.dtype not in (torch.int32, torch.int64) or tuple(seqlens_k.shape) != (batch,):
        raise ValueError(f"{variant.name}: seqlens_k must be an int32 tensor of shape ({batch},), not "
                         f"{seqlens_k.dtype} of shape {tuple(seqlens_k.shape)}")
    if seqlens_k.device != device:
        raise ValueError(f"{variant.name}: seqlens_k is on {seqlens_k.device} but q is on {device}")
    if device.type == "cpu" and batch > 0 and (int(seqlens_k.min()) < 0 or int(seqlens_k.max()) > seqlen_k):
        raise ValueError(f"{variant.name}: seqlens_k must lie in 0 ... {seqlen_k} (the keys of k)")
    return seqlens_k.to(torch.int32).contiguous()


def _check_page_table(variant, page_table, batch, device):
    if not isinstance(page_table, torch.Tensor):
        raise TypeError(f"{variant.name}: page_table must be a torch.Tensor of int32 [B, pages per sequence] (the pool "
                        "page of each sequence's keys in order)")
    if page_table.dtype not in (torch.int32, torch.int64) or page_table.dim() != 2 or page_table.shape[0] != batch:
        raise ValueError(f"{variant.name}: page_table must be an int32 tensor of shape ({batch}, pages per sequence), "
                         f"not {page_table.dtype} of shape {tuple(page_table.shape)}")
    if page_table.device != device:
        raise ValueError(f"{variant.name}: page_table is on {page_table.device} but q is on {device}")
    return page_table.to(torch.int32).contiguous()


def _check_score_parameters(variant, score_parameters, heads_q, device):
    arrays = len(variant.score_parameters)
    if score_parameters is None:
        raise ValueError(f"{variant.name}: the variant's score modifiers read run-time arrays "
                         f"({', '.join(variant.score_parameters)}); pass score_parameters, float32 [{arrays}, Hq]")
    if not isinstance(score_parameters, torch.Tensor):
        raise TypeError(f"{variant.name}: score_parameters must be a torch.Tensor of float32 [{arrays}, Hq]")
    if score_parameters.dtype != torch.float32 or tuple(score_parameters.shape) != (arrays, heads_q):
        raise ValueError(f"{variant.name}: score_parameters must be a float32 tensor of shape ({arrays}, {heads_q}) "
                         f"(rows: {', '.join(variant.score_parameters)}), not {score_parameters.dtype} of shape "
                         f"{tuple(score_parameters.shape)}")
    if score_parameters.device != device:
        raise ValueError(f"{variant.name}: score_parameters is on {score_parameters.device} but q is on {device}")
    return score_parameters.contiguous()


def _check_sinks(variant, sinks, heads_q, device):
    if sinks is None:
        raise ValueError(f"{variant.name}: the variant has attention sinks; pass sinks, float32 [Hq] (one logit per "
                         "query head, natural-log units; -inf: none)")
    if not isinstance(sinks, torch.Tensor):
        raise TypeError(f"{variant.name}: sinks must be a torch.Tensor of float32 [Hq]")
    if sinks.dtype != torch.float32 or tuple(sinks.shape) != (heads_q,):
        raise ValueError(f"{variant.name}: sinks must be a float32 tensor of shape ({heads_q},) (one logit per query "
                         f"head), not {sinks.dtype} of shape {tuple(sinks.shape)}")
    if sinks.device != device:
        raise ValueError(f"{variant.name}: sinks is on {sinks.device} but q is on {device}")
    return sinks.contiguous()


def _check_descales(variant, descales, batch, heads_kv, device):
    """q_descale, k_descale, v_descale of an fp8 variant: each None (1), float32 of one element (one factor per
    tensor) or [B, Hkv] (one per sequence and key/value head). The kernels read one pair of strides for the three, so
    when one is [B, Hkv] the others are expanded to it; all are made contiguous."""
    names = ("q_descale", "k_descale", "v_descale")
    if not variant.input_storage:
        given = [name for name, tensor in zip(names, descales) if tensor is not None]
        if given:
            raise ValueError(f"{variant.name}: {', '.join(given)} is only for variants with fp8 inputs (--input-dtype e4m3)")
        return (None, None, None)
    for name, tensor in zip(names, descales):
        if tensor is None:
            continue
        if not isinstance(tensor, torch.Tensor):
            raise TypeError(f"{variant.name}: {name} must be a torch.Tensor of float32 (one element, or [B, Hkv])")
        if tensor.dtype != torch.float32 or (tensor.numel() != 1 and tuple(tensor.shape) != (batch, heads_kv)):
            raise ValueError(f"{variant.name}: {name} must be float32 with one element (per tensor) or of shape "
                             f"({batch}, {heads_kv}) (per sequence and key/value head), not {tensor.dtype} of shape "
                             f"{tuple(tensor.shape)}")
        if tensor.device != device:
            raise ValueError(f"{variant.name}: {name} is on {tensor.device} but q is on {device}")
    if any(t is not None and t.numel() != 1 for t in descales):  # one [B, Hkv]: the others expanded to it
        return tuple(None if t is None else (t.reshape(()).expand(batch, heads_kv) if t.numel() == 1 else t).contiguous()
                     for t in descales)
    return tuple(None if t is None else t.reshape(1).contiguous() for t in descales)


def call(variant, op, q, k, v, *, layout, block_mask, dropout_seed, dropout_offset, return_lse, deterministic,
         seqlens_k=None, page_table=None, score_parameters=None, sinks=None, packing=None, q_descale=None,
         k_descale=None, v_descale=None):
    """Checks the arguments of a variant's function, runs its op and returns O (and LSE) in the caller's layout.
    packing (from call_varlen): q, k and v are [1, H, total, D] views of packed rows (see _pack)."""
    if layout not in ("bshd", "bhsd"):
        raise ValueError(f"{variant.name}: layout must be 'bshd' ([batch, seq, heads, dim], flash_attn_func's) or "
                         f"'bhsd' ([batch, heads, seq, dim], scaled_dot_product_attention's), not {layout!r}")
    if not isinstance(q, torch.Tensor):
        raise TypeError(f"{variant.name}: q must be a torch.Tensor, not {type(q).__name__}")
    device = q.device
    _check_tensor(variant, "q", q, variant.head_dim, device)
    _check_tensor(variant, "k", k, variant.head_dim, device)
    _check_tensor(variant, "v", v, variant.value_head_dim, device)
    if layout == "bshd":
        q, k, v = q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)
    batch, heads_q, seqlen_q = q.shape[0], q.shape[1], q.shape[2]
    heads_kv, seqlen_k = k.shape[1], k.shape[2]
    if packing is not None:  # the sequences' count and longest lengths, as the masks and counts see them
        batch, seqlen_q, seqlen_k = packing[0].numel() - 1, packing[2], packing[3]
    axes = "[B, S, H, D]" if layout == "bshd" else "[B, H, S, D]"
    if variant.paged:
        pool = "[pages, page_size, H, D]" if layout == "bshd" else "[pages, H, page_size, D]"
        if page_table is None:
            raise ValueError(f"{variant.name}: the variant reads a paged cache (pages of {variant.page_size} keys); pass "
                             f"page_table (int32 [B, pages per sequence]) and k, v as page pools {pool}")
        if seqlen_k != variant.page_size or tuple(v.shape[:3]) != tuple(k.shape[:3]) or k.shape[0] == 0:
            raise ValueError(f"{variant.name}: k and v must be page pools {pool} with page_size {variant.page_size} "
                             f"and at least one page; got k {tuple(k.shape)} and v {tuple(v.shape)} ({layout})")
        page_table = _check_page_table(variant, page_table, batch, device)
        seqlen_k = page_table.shape[1] * variant.page_size
    elif page_table is not None:
        raise ValueError(f"{variant.name}: page_table is only for variants generated with a paged cache (--paged)")
    if not variant.paged and packing is None and (k.shape[0] != batch or v.shape[0] != batch):
        raise ValueError(f"{variant.name}: q, k and v must have the same batch size ({axes}); got "
                         f"{batch}, {k.shape[0]}, {v.shape[0]}")
    if not variant.paged and tuple(v.shape[:3]) != tuple(k.shape[:3]):
        raise ValueError(f"{variant.name}: k and v must have the same batch, heads and sequence length ({axes})")
    if heads_kv == 0 or heads_q % heads_kv != 0:
        raise ValueError(f"{variant.name}: the query heads ({heads_q}) must be a multiple of the key/value heads "
                         f"({heads_kv})")
    if variant.heads_q is not None and (heads_q, heads_kv) != (variant.heads_q, variant.heads_kv):
        raise ValueError(f"{variant.name}: the variant was generated for {variant.heads_q} query and "
                         f"{variant.heads_kv} key/value heads; got {heads_q} and {heads_kv}")
    if return_lse and not variant.saves_lse:
        raise ValueError(f"{variant.name}: return_lse=True needs a variant generated with the log-sum-exp (--lse)")
    if variant.block_sparse:
        if block_mask is None:
            raise ValueError(f"{variant.name}: the variant is block-sparse; pass block_mask (bool or uint8, "
                             f"[B, H, ceil(Nq/{variant.block_rows}), ceil(Nk/{variant.block_columns})], broadcastable)")
        block_mask = _check_block_mask(variant, block_mask, batch, heads_q, seqlen_q, seqlen_k, device)
    elif block_mask is not None:
        raise ValueError(f"{variant.name}: block_mask is only for block-sparse variants")
    if variant.dropout_p > 0:
        if dropout_seed is None:
            raise ValueError(f"{variant.name}: the variant applies dropout (p = {variant.dropout_p}); pass "
                             "dropout_seed (and a new dropout_offset per call) so that the mask is reproducible")
    else:
        dropout_seed = 0 if dropout_seed is None else dropout_seed
    for name, value in (("dropout_seed", dropout_seed), ("dropout_offset", dropout_offset)):
        if not isinstance(value, int) or not -(1 << 63) <= value < (1 << 63):
            raise ValueError(f"{variant.name}: {name} must be an int of 64 bits, not {value!r}")
    if seqlens_k is not None:
        seqlens_k = _check_seqlens_k(variant, seqlens_k, batch, seqlen_k, device)
    if variant.score_parameters:
        score_parameters = _check_score_parameters(variant, score_parameters, heads_q, device)
    elif score_parameters is not None:
        raise ValueError(f"{variant.name}: score_parameters is only for variants whose score modifiers read run-time "
                         "arrays (--alibi-runtime, or name[h] in --score-mod)")
    if variant.sinks:
        sinks = _check_sinks(variant, sinks, heads_q, device)
    elif sinks is not None:
        raise ValueError(f"{variant.name}: sinks is only for variants generated with attention sinks (--sinks)")
    descales = _check_descales(variant, (q_descale, k_descale, v_descale), batch, heads_kv, device)
    differentiated = (q, k, v) + tuple(t for t in (sinks, score_parameters) if t is not None)
    if seqlens_k is not None and torch.is_grad_enabled() and any(t.requires_grad for t in differentiated):
        raise RuntimeError(f"{variant.name}: seqlens_k is for inference (the backward pass takes whole sequences); "
                           "detach the inputs or run under torch.no_grad()")
    if torch.is_grad_enabled() and any(t.requires_grad for t in differentiated) and not variant.has_backward:
        raise RuntimeError(f"{variant.name}: an input requires grad but the variant was generated without a backward "
                           "pass (--backward); detach the inputs or generate it with --backward")
    if _plain_eager(q, k, v, sinks, score_parameters):  # eager inference: the kernels directly, skipping the op dispatch
        o, lse = run_forward(variant, q, k, v, block_mask, dropout_seed, dropout_offset, seqlens_k, page_table,
                             score_parameters, sinks, packing, descales)
    else:
        fp8 = dict(zip(("q_descale", "k_descale", "v_descale"), descales)) if variant.input_storage else {}
        o, lse = op(q, k, v, block_mask, seqlens_k, page_table, score_parameters, sinks, dropout_seed, dropout_offset,
                    bool(deterministic), *(packing or ()), **fp8)
    if layout == "bshd":
        o = o.transpose(1, 2)
    return (o, lse) if return_lse else o


def _check_prefix_sums(variant, name, cu, rows, total, device):
    """cu_seqlens_q / cu_seqlens_k: int32 (or int64) [B + 1] prefix sums on q's device; on the CPU also checked to
    start at 0 or above, never decrease and end within the packed tensor's `total` rows (on CUDA the kernels clamp)."""
    if not isinstance(cu, torch.Tensor):
        raise TypeError(f"{variant.name}: {name} must be a torch.Tensor of int32 [B + 1] (the prefix sums of the "
                        f"sequences' {rows})")
    if cu.dtype not in (torch.int32, torch.int64) or cu.dim() != 1 or cu.numel() == 0:
        raise ValueError(f"{variant.name}: {name} must be a 1-D int32 tensor of B + 1 prefix sums, not {cu.dtype} "
                         f"of shape {tuple(cu.shape)}")
    if cu.device != device:
        raise ValueError(f"{variant.name}: {name} is on {cu.device} but q is on {device}")
    if cu.dtype == torch.int64 and cu.numel() > 0 and (int(cu.min()) < -(1 << 31) or int(cu.max()) >= (1 << 31)):
        raise ValueError(f"{variant.name}: {name} holds values beyond int32")
    if device.type == "cpu" and (int(cu[0]) < 0 or bool((cu[1:] < cu[:-1]).any()) or int(cu[-1]) > total):
        raise ValueError(f"{variant.name}: {name} must start at 0 or above, never decrease and end at or below the "
                         f"{total} packed {rows}; got {cu.tolist() if cu.numel() <= 16 else 'a longer tensor'}")
    return cu.to(torch.int32).contiguous()


def call_varlen(variant, op, q, k, v, cu_seqlens_q, cu_seqlens_k, *, max_seqlen_q, max_seqlen_k, **options):
    """A variable-length batch (README, "Variable-length batches"), in the layout of flash_attn_varlen_func: q
    [total_q, Hq, D], k [total_k, Hkv, D], v [total_k, Hkv, Dv] hold the sequences' rows one after another,
    cu_seqlens_q and cu_seqlens_k their int32 prefix sums [B + 1]; returns O [total_q, Hq, Dv] (and LSE [Hq, total_q]
    with return_lse=True). max_seqlen_q / max_seqlen_k: the longest sequence of each side (computed from the prefix
    sums when None, which waits for the GPU)."""
    if variant.paged:
        raise ValueError(f"{variant.name}: the variant reads a paged cache; its keys come from page_table (call the "
                         "variant's function with page_table and seqlens_k)")
    if not isinstance(q, torch.Tensor):
        raise TypeError(f"{variant.name}: q must be a torch.Tensor, not {type(q).__name__}")
    device = q.device
    for name, tensor, last in (("q", q, variant.head_dim), ("k", k, variant.head_dim), ("v", v, variant.value_head_dim)):
        if not isinstance(tensor, torch.Tensor) or tensor.dim() != 3:
            raise ValueError(f"{variant.name}: {name} must be a 3-D tensor [total, heads, {last}] of packed rows, not "
                             f"{tuple(tensor.shape) if isinstance(tensor, torch.Tensor) else type(tensor).__name__}")
    if k.shape[0] != v.shape[0] or k.shape[1] != v.shape[1]:
        raise ValueError(f"{variant.name}: k and v must have the same rows and heads; got {tuple(k.shape)} and "
                         f"{tuple(v.shape)}")
    cu_seqlens_q = _check_prefix_sums(variant, "cu_seqlens_q", cu_seqlens_q, "query rows", q.shape[0], device)
    cu_seqlens_k = _check_prefix_sums(variant, "cu_seqlens_k", cu_seqlens_k, "keys", k.shape[0], device)
    if cu_seqlens_q.numel() != cu_seqlens_k.numel():
        raise ValueError(f"{variant.name}: cu_seqlens_q and cu_seqlens_k must have the same length (B + 1); got "
                         f"{cu_seqlens_q.numel()} and {cu_seqlens_k.numel()}")
    longest = []
    for name, cu, given in (("max_seqlen_q", cu_seqlens_q, max_seqlen_q), ("max_seqlen_k", cu_seqlens_k, max_seqlen_k)):
        if given is None:
            given = int((cu[1:] - cu[:-1]).max()) if cu.numel() > 1 else 0
        if not isinstance(given, int) or not 0 <= given <= _abi.MAX_SEQLEN:
            raise ValueError(f"{variant.name}: {name} must be an int in 0 ... {_abi.MAX_SEQLEN}, not {given!r}")
        longest.append(given)
    if device.type == "cpu" and cu_seqlens_q.numel() > 1:
        for name, cu, bound in (("max_seqlen_q", cu_seqlens_q, longest[0]), ("max_seqlen_k", cu_seqlens_k, longest[1])):
            if int((cu[1:] - cu[:-1]).max()) > bound:
                raise ValueError(f"{variant.name}: a sequence is longer than {name} = {bound}")
    packing = (cu_seqlens_q, cu_seqlens_k, longest[0], longest[1])
    views = [t.unsqueeze(0).transpose(1, 2) for t in (q, k, v)]  # [1, H, total, D]
    result = call(variant, op, *views, layout="bhsd", packing=packing, **options)
    if options.get("return_lse"):
        o, lse = result
        return o.squeeze(0).transpose(0, 1), lse.squeeze(0)
    return result.squeeze(0).transpose(0, 1)
