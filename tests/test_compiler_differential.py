"""Differential test of the compiler against wasmtime on random modules (`wasm-tools smith`).

Each seed gives a module (no imports, no SIMD, every function exported, execution bounded by
smith's fuel global); every exported function with numeric parameters is called three times
with edge-case arguments in both engines, and the results (as bits; any NaN matches any NaN),
trap kinds, the trap's backtrace frames (function index per frame and the callers' call-site
offsets: Cranelift may report a trap folded into a branch at the branch, e.g. `if` around
`unreachable`; not for stack exhaustion, where the depths differ) and final memory contents
must agree. A few seeds run in CI; set
JITWASM_FUZZ_SEEDS=first:last for a longer campaign.
"""

import os
import random
import struct
import subprocess

import pytest

from jitwasm.binary.types import F32, F64, I32, I64
from jitwasm.errors import Trap
from jitwasm.runtime.instance import Instance, Module
from jitwasm.runtime.store import Store
from jitwasm.wast import find_wasm_tools

wasmtime = pytest.importorskip("wasmtime")
WASM_TOOLS = find_wasm_tools()

SMITH_FLAGS = [
    "--max-imports", "0", "--simd-enabled", "false", "--threads-enabled", "false",
    "--exceptions-enabled", "false", "--gc-enabled", "false", "--tail-call-enabled", "false",
    "--memory64-enabled", "false", "--max-memories", "1", "--ensure-termination",
    "--export-everything", "true", "--canonicalize-nans", "true",
    "--custom-page-sizes-enabled", "false", "--wide-arithmetic-enabled", "false",
    "--extended-const-enabled", "false", "--relaxed-simd-enabled", "false",
    "--shared-everything-threads-enabled", "false", "--custom-descriptors-enabled", "false",
    "--allow-start-export", "false", "--max-memory32-bytes", str(1 << 20), "--min-funcs", "2",
    "--max-type-size", "100", "--max-table-elements", "1000",
]
MASK = {I32: (1 << 32) - 1, I64: (1 << 64) - 1, F32: (1 << 32) - 1, F64: (1 << 64) - 1}


def _seeds():
    spec = os.environ.get("JITWASM_FUZZ_SEEDS", "0:40")
    first, last = (int(x) for x in spec.split(":"))
    return range(first, last)


def smith(seed: int) -> bytes | None:
    rng = random.Random(seed)
    data = bytes(rng.getrandbits(8) for _ in range(4000))
    out = subprocess.run([WASM_TOOLS, "smith", *SMITH_FLAGS], input=data, capture_output=True)
    return out.stdout if out.returncode == 0 else None


def to_bits(t: int, value) -> int:
    if t == F32:
        return struct.unpack("<I", struct.pack("<f", value))[0]
    if t == F64:
        return struct.unpack("<Q", struct.pack("<d", value))[0]
    return value & MASK[t]


def is_nan(t: int, bits: int) -> bool:
    if t == F32:
        return bits & 0x7F800000 == 0x7F800000 and bits & 0x7FFFFF != 0
    if t == F64:
        return bits >> 52 & 0x7FF == 0x7FF and bits & ((1 << 52) - 1) != 0
    return False


def arguments(rng: random.Random, params: tuple) -> list:
    out = []
    for t in params:
        if t == I32:
            out.append(rng.choice([0, 1, -1, 7, 2**31 - 1, -2**31, rng.randrange(-2**31, 2**31)]))
        elif t == I64:
            out.append(rng.choice([0, 1, -1, 2**63 - 1, -2**63, rng.randrange(-2**63, 2**63)]))
        else:
            out.append(rng.choice([0.0, -0.0, 1.5, -2.25, 1e30, float("inf"),
                                   rng.uniform(-1e6, 1e6)]))
    return out


def wasmtime_call(func, store, args, results):
    try:
        out = func(store, *args)
    except (wasmtime.Trap, wasmtime.WasmtimeError) as e:
        frames = getattr(e, "frames", None) or []
        return "trap", str(e), [(f.func_index, f.module_offset) for f in frames]
    out = [] if out is None else out if isinstance(out, list) else [out]
    return "ok", [to_bits(t, v) if t in MASK else None for t, v in zip(results, out)]


def jitwasm_call(func, args, params, results):
    try:
        out = func.call_bits(*[to_bits(t, a) for t, a in zip(params, args)])
    except Trap as e:
        return "trap", e.message, list(e.backtrace)
    return "ok", [v if t in MASK else None for t, v in zip(results, out)]


WASMTIME_MAX_FRAMES = 20   # wasmtime's default Config.wasm_backtrace_max_frames


def same_frames(mine: list, theirs: list) -> bool:
    """The same functions, and the same call sites below the trapping frame (wasmtime lists
    the innermost 20 frames; jitwasm up to 1000)."""
    if len(theirs) < WASMTIME_MAX_FRAMES and len(mine) != len(theirs):
        return False
    mine = mine[:len(theirs)]
    return [f for f, _ in mine] == [f for f, _ in theirs] and mine[1:] == theirs[1:]


def agree(results: tuple, mine, theirs) -> bool:
    if mine[0] != theirs[0]:
        return False
    if mine[0] == "trap":
        if mine[1] == "call stack exhausted":
            return "stack" in theirs[1]
        return mine[1] in theirs[1] and same_frames(mine[2], theirs[2])
    for t, m, w in zip(results, mine[1], theirs[1]):
        if t in MASK and m != w and not (is_nan(t, m) and is_nan(t, w)):
            return False
    return True


@pytest.mark.skipif(WASM_TOOLS is None, reason="wasm-tools not installed")
@pytest.mark.parametrize("seed", _seeds())
def test_random_module_agrees_with_wasmtime(seed):
    wasm = smith(seed)
    if wasm is None:
        pytest.skip("smith produced no module for this seed")
    store = wasmtime.Store()
    try:
        theirs = wasmtime.Instance(store, wasmtime.Module(store.engine, wasm), []).exports(store)
    except (wasmtime.WasmtimeError, wasmtime.Trap):
        pytest.skip("wasmtime rejects or traps while instantiating this module")
    module = Module(wasm)
    ours = Instance(Store(), module, [])
    info = module.info
    rng = random.Random(seed * 7 + 1)
    for export in info.exports:
        if export.kind != 0:
            continue
        params, results = info.func_types[export.index]
        if any(t not in MASK for t in params):
            continue
        for _ in range(3):
            args = arguments(rng, params)
            theirs_out = wasmtime_call(theirs[export.name], store, args, results)
            if theirs_out[0] == "trap" and "failed to allocate" in theirs_out[1]:
                pytest.skip("wasmtime ran out of host memory (a resource limit, not a result)")
            mine = jitwasm_call(ours.exports[export.name], args, params, results)
            assert agree(results, mine, theirs_out), (export.name, args, mine, theirs_out)
    memories = [theirs[e.name] for e in info.exports if e.kind == 2]
    if memories and ours.memories:
        size = memories[0].data_len(store)
        assert size == ours.memories[0].length
        size = min(size, 1 << 22)
        assert bytes(memories[0].read(store, 0, size)) == ours.memories[0].read(0, size)
