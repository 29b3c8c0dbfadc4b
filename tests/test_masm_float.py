"""The float and conversion emitters (backend_x64/masm_float*.py), run natively, against Wasm.

Each emitter is assembled into a small loop over a record array (arguments in, result, status and
the argument registers after the call out) and called once through ctypes per batch. Results are
checked bit for bit against a reference written from the spec with Python ints and floats: f32
rounding is done exactly from the double result (double rounding is innocuous for + - * / sqrt),
int -> float conversions round exactly with integer arithmetic, NaN results are checked for the
class the spec asks (canonical when every NaN input is canonical, else arithmetic). The inputs are
edge values: signed zeros, infinities, NaNs with payloads (quiet and signalling), denormals,
extreme finites, powers of two around 2^31/2^32/2^63/2^64 and their neighbours, rounding ties.
Registers: low and high (REX) numbers, dst == src, garbage in the upper halves of 32-bit operands
and in every register the emitter may write. Further: the float spec .wast assertions run through
the emitters, a sample cross-checked against wasmtime, and iced-x86 confirms that each emitter
writes only its documented registers.
"""

import ctypes
import functools
import json
import math
import random
import struct
import subprocess
from typing import NamedTuple

import pytest

from jitwasm.backend_x64 import masm_float as mf
from jitwasm.backend_x64.assembler import ALU_ADD, ALU_SUB, Assembler, Mem
from jitwasm.backend_x64.regs import (CC_E, CC_NE, R11, R12, R13, R14, R15, RAX, RBP, RBX, RCX,
                                      RDI, RSI, XMM0, XMM1, XMM5, XMM8, XMM9, XMM13, XMM14, XMM15)
from jitwasm.binary import opcodes as op
from jitwasm.binary.types import F32, F64, I32, I64
from jitwasm.runtime.code_memory import CodeMemory

# ---- bits and values ---------------------------------------------------------------------------

WIDTH = {I32: 32, I64: 64, F32: 32, F64: 64}
_F = {32: (struct.Struct("<f"), struct.Struct("<I")),
      64: (struct.Struct("<d"), struct.Struct("<Q"))}
MASK = {32: 0xFFFFFFFF, 64: 0xFFFFFFFFFFFFFFFF}
SIGN = {32: 1 << 31, 64: 1 << 63}
EXP = {32: 0x7F800000, 64: 0x7FF0000000000000}
QUIET = {32: 1 << 22, 64: 1 << 51}
MANT = {32: (1 << 23) - 1, 64: (1 << 52) - 1}


def value_of(bits: int, width: int) -> float:
    fmt, ifmt = _F[width]
    return fmt.unpack(ifmt.pack(bits & MASK[width]))[0]


def bits_of(value: float, width: int) -> int:
    """Bits of a value exactly representable at `width` (f32 rounding is `round_f32_bits`)."""
    fmt, ifmt = _F[width]
    return ifmt.unpack(fmt.pack(value))[0]


def is_nan(bits: int, width: int) -> bool:
    return bits & EXP[width] == EXP[width] and bits & MANT[width] != 0


def is_canonical_nan(bits: int, width: int) -> bool:
    return is_nan(bits, width) and bits & MANT[width] == QUIET[width]


def round_shift(n: int, shift: int) -> int:
    """n / 2**shift rounded to nearest, ties to even (n >= 0)."""
    if shift <= 0:
        return n << -shift
    q, r = divmod(n, 1 << shift)
    half = 1 << (shift - 1)
    return q + (r > half or (r == half and q & 1))


def round_f32_bits(x: float) -> int:
    """The f32 nearest to the double x (ties to even, subnormals, overflow to infinity)."""
    if x != x:
        raise ValueError("NaN has no rounding")
    sign = SIGN[32] if math.copysign(1.0, x) < 0 else 0
    if x == 0 or math.isinf(x):
        return sign | (EXP[32] if math.isinf(x) else 0)
    m, e = math.frexp(abs(x))            # |x| = m * 2**e, 0.5 <= m < 1
    mant = int(m * 2.0 ** 53)             # |x| = mant * 2**(e - 53), exactly
    lsb = max(e - 24, -149)               # weight of the last f32 bit at this magnitude
    q = round_shift(mant, lsb - (e - 53))
    if q * 2.0 ** lsb >= 2.0 ** 128:
        return sign | EXP[32]
    return sign | bits_of(math.ldexp(q, lsb), 32)


def int_to_float_bits(n: int, width: int) -> int:
    """The float nearest to the integer n (ties to even), computed with integers only."""
    precision = 24 if width == 32 else 53
    sign = SIGN[width] if n < 0 else 0
    m = abs(n)
    shift = max(m.bit_length() - precision, 0)
    return sign | bits_of(math.ldexp(round_shift(m, shift), shift), width)


def to_signed(n: int, bits: int) -> int:
    n &= MASK[bits]
    return n - (1 << bits) if n >> (bits - 1) else n


# ---- expected results --------------------------------------------------------------------------

CANON, ARITH = "nan:canonical", "nan:arithmetic"
TRAP_INVALID, TRAP_OVERFLOW = ("trap", 1), ("trap", 2)
STATUS = {TRAP_INVALID: 1, TRAP_OVERFLOW: 2}


def nan_result(width: int, inputs) -> str:
    """The NaN class the spec demands: canonical unless some input NaN is not canonical."""
    for bits, w in inputs:
        if is_nan(bits, w) and not is_canonical_nan(bits, w):
            return ARITH
    return CANON


def float_result(value: float, width: int, inputs) -> object:
    if value != value:
        return nan_result(width, inputs)
    return round_f32_bits(value) if width == 32 else bits_of(value, 64)


def ieee_div(x: float, y: float) -> float:
    if y == 0:
        if x == 0 or x != x:
            return math.nan
        return math.copysign(math.inf, x) * math.copysign(1.0, y)
    return x / y


def ieee_sqrt(x: float) -> float:
    if x < 0:
        return math.nan
    return math.sqrt(x) if x == x else x


def fmin(x: float, y: float) -> float:
    if x != x or y != y:
        return math.nan
    if x == y == 0:
        return x if math.copysign(1.0, x) < 0 else y
    return min(x, y)


def fmax(x: float, y: float) -> float:
    if x != x or y != y:
        return math.nan
    if x == y == 0:
        return x if math.copysign(1.0, x) > 0 else y
    return max(x, y)


def integral(fn):
    """ceil/floor/trunc/nearest of a float: infinities and NaN pass, a zero keeps x's sign."""
    def rounded(x: float) -> float:
        if x != x or math.isinf(x):
            return x
        r = float(fn(x))
        return r if r != 0 else math.copysign(0.0, x)
    return rounded


_ARITH_BINARY = {"add": lambda x, y: x + y, "sub": lambda x, y: x - y,
                 "mul": lambda x, y: x * y, "div": ieee_div, "min": fmin, "max": fmax}
_ARITH_UNARY = {"sqrt": ieee_sqrt, "ceil": integral(math.ceil), "floor": integral(math.floor),
                "trunc": integral(math.trunc), "nearest": integral(round)}
_COMPARE = {"eq": lambda x, y: x == y, "ne": lambda x, y: x != y, "lt": lambda x, y: x < y,
            "gt": lambda x, y: x > y, "le": lambda x, y: x <= y, "ge": lambda x, y: x >= y}


def signature(opcode: int):
    pops, pushes = op.SIGNATURES[opcode]
    return tuple(reversed(pops)), pushes[0]


def reference(opcode: int, args: tuple) -> object:
    """Expected result of Wasm `opcode` on argument bit patterns: bits, a NaN class or a trap."""
    name = op.NAMES[opcode]
    params, result = signature(opcode)
    rw = WIDTH[result]
    bits = [b & MASK[WIDTH[t]] for b, t in zip(args, params)]
    inputs = [(b, WIDTH[t]) for b, t in zip(bits, params) if t in (F32, F64)]
    prefix, _, mnemonic = name.partition(".")
    if mnemonic in _ARITH_BINARY:
        x, y = (value_of(b, rw) for b in bits)
        return float_result(_ARITH_BINARY[mnemonic](x, y), rw, inputs)
    if mnemonic in _ARITH_UNARY:
        return float_result(_ARITH_UNARY[mnemonic](value_of(bits[0], rw)), rw, inputs)
    if mnemonic in _COMPARE:
        w = WIDTH[params[0]]
        return int(_COMPARE[mnemonic](*(value_of(b, w) for b in bits)))
    if mnemonic == "abs":
        return bits[0] & ~SIGN[rw]
    if mnemonic == "neg":
        return bits[0] ^ SIGN[rw]
    if mnemonic == "copysign":
        return (bits[0] & ~SIGN[rw]) | (bits[1] & SIGN[rw])
    if mnemonic in ("demote_f64", "promote_f32"):
        return float_result(value_of(bits[0], WIDTH[params[0]]), rw, inputs)
    if mnemonic.startswith("reinterpret"):
        return bits[0]
    if mnemonic.startswith("convert"):
        n = bits[0] if mnemonic.endswith("_u") else to_signed(bits[0], WIDTH[params[0]])
        return int_to_float_bits(n, rw)
    if mnemonic.startswith("trunc"):
        x = value_of(bits[0], WIDTH[params[0]])
        lo, hi = (0, (1 << rw) - 1) if mnemonic.endswith("_u") else (-(1 << rw - 1),
                                                                    (1 << rw - 1) - 1)
        if mnemonic.startswith("trunc_sat"):
            if x != x:
                return 0
            t = lo if x == -math.inf else hi if x == math.inf else math.trunc(x)
            return min(max(t, lo), hi) & MASK[rw]
        if x != x:
            return TRAP_INVALID
        if math.isinf(x) or not lo <= math.trunc(x) <= hi:
            return TRAP_OVERFLOW
        return math.trunc(x) & MASK[rw]
    raise AssertionError(f"no reference for {name}")


def mismatch(expected, result: int, status: int, result_type: int):
    """None when the native (result, status) satisfies `expected`, else a description."""
    w = WIDTH[result_type]
    if isinstance(expected, tuple):
        return None if status == STATUS[expected] else f"status {status}, want {expected}"
    if status:
        return f"trapped with status {status}"
    if result_type == F32:
        result &= MASK[32]               # the upper half of an f32 register is unspecified
    if expected == CANON:
        ok = is_canonical_nan(result, w)
    elif expected == ARITH:
        ok = is_nan(result, w) and result & QUIET[w]
    else:
        ok = result == expected          # i32 results compare all 64 bits: zero-extended
    if ok:
        return None
    return f"got {result:#x}, want {expected if isinstance(expected, str) else hex(expected)}"


# ---- edge inputs -------------------------------------------------------------------------------

def _float_edges(width: int) -> list:
    b = lambda x: bits_of(x, width) if width == 64 else round_f32_bits(x)  # noqa: E731
    sign = SIGN[width]
    quiet, exp, mant = QUIET[width], EXP[width], MANT[width]
    max_finite = (exp - (mant + 1)) | mant
    out = [0, sign, exp, sign | exp,                                      # zeros, infinities
           exp | quiet, sign | exp | quiet,                               # canonical NaNs
           exp | quiet | 1, sign | exp | quiet | (quiet >> 1),            # arithmetic NaNs
           exp | quiet | mant, exp | 1, sign | exp | 1, exp | (quiet >> 1),  # signalling NaNs
           1, sign | 1, mant, sign | mant, quiet, sign | quiet,           # denormals
           mant + 1, sign | (mant + 1), max_finite, sign | max_finite]    # min normal, max
    for x in (1.0, 0.5, 1.5, 2.5, 3.5, 0.49999997, 0.9, 0.99999994, 1.0000001, math.pi,
              2.0 ** -126 * 3, 1e-30, 1e30, 123456.75, 2 ** 23 - 0.5, 2 ** 23 + 1, 2 ** 24 + 2):
        out += [b(x), b(x) | sign]
    for p in (31, 32, 52, 53, 63, 64):
        for s in (0, sign):
            base = b(2.0 ** p) | s
            out += [base - 2, base - 1, base, base + 1]
    if width == 64:
        for x in (2 ** 52 - 0.5, 2 ** 52 + 1, 4503599627370497.0, 2147483647.9, 2147483647.5,
                  4294967295.9, 4294967295.5, 2147483648.9, 9007199254740993.0):
            out += [b(x), b(x) | sign]
        out += [b(-2147483648.9), b(-2147483649.0), b(-2147483649.0) - 1,
                b(-2147483648.0) + 1, b(-0.9999999999999999)]
    rng = random.Random(width)
    out += [rng.getrandbits(width) for _ in range(24)]
    out += [b(rng.uniform(-1e6, 1e6)) for _ in range(12)]
    return list(dict.fromkeys(out))


def _int_edges(width: int) -> list:
    out = {0, 1, 2, 3, 7, MASK[width], MASK[width] - 1}
    for p in range(0, width, 7):
        out |= {(1 << p), (1 << p) - 1, MASK[width] - (1 << p)}
    for p in (24, 25, 31, 32, 53, 54, 62, 63):
        if p < width:
            out |= {(1 << p) + d & MASK[width] for d in (-2, -1, 0, 1, 2)}
    if width == 64:
        top = 1 << 63
        # Ties and sticky bits below the f32 (2^40) and f64 (2^11) ulps at 2^63: round-to-odd.
        for ulp in (1 << 40, 1 << 11):
            for low in (0, 1, 2, 3):
                out |= {top | (ulp >> 1) | low, top | ulp | (ulp >> 1) | low,
                        top | (ulp >> 1) - low & MASK[64], MASK[64] - (ulp >> 1) + low & MASK[64]}
    rng = random.Random(width + 1)
    out |= {rng.getrandbits(width) for _ in range(40)}
    out |= {rng.getrandbits(rng.randrange(1, width)) for _ in range(40)}
    return sorted(out)


EDGES = {F32: _float_edges(32), F64: _float_edges(64), I32: _int_edges(32), I64: _int_edges(64)}
GARBAGE_HIGH = 0xDEADBEEF << 32  # upper halves of 32-bit operands must be ignored


def inputs_for(opcode: int) -> list:
    params, _ = signature(opcode)
    if len(params) == 1:
        return [(v,) for v in EDGES[params[0]]]
    edges = EDGES[params[0]]
    rng = random.Random(opcode)
    pairs = [(x, y) for x in edges for y in edges]
    return pairs + [(rng.getrandbits(WIDTH[params[0]]), rng.getrandbits(WIDTH[params[0]]))
                    for _ in range(500)]


def with_garbage(args: tuple, opcode: int) -> tuple:
    params, _ = signature(opcode)
    return tuple(a | GARBAGE_HIGH if WIDTH[t] == 32 else a for a, t in zip(args, params))


# ---- the native harness ------------------------------------------------------------------------

class Regs(NamedTuple):
    xd: int  # float destination (and left operand of binary ops, lhs of compares)
    xs: int  # float source (right operand, rhs)
    xt: int  # float scratch
    gd: int  # integer destination
    gs: int  # integer source
    gt: int  # integer scratch


# r12/r13 run the loop; everything else is fair game (the harness saves callee-saved registers).
VARIANTS = {
    "low": Regs(XMM0, XMM1, XMM15, RAX, RCX, R11),
    "high": Regs(XMM9, XMM14, XMM8, RSI, R15, RBP),   # REX everywhere; sil needs a REX for setcc
    "alias": Regs(XMM5, XMM5, XMM13, RDI, RBX, R14),  # dst == src
}
FIELDS = 6  # per record: arg0, arg1, result, status, arg0 register after, arg1 register after
_GARBAGE_XMM = 0x7FF4DEAD_BEEF1234_FFC01234_5678ABCD
_GARBAGE_GPR = 0x5A5A_1234_A5A5_4321


def shape_operands(shape: int, r: Regs, traps: tuple):
    """(argument registers as (is_xmm, reg), result register (is_xmm, reg), emitter arguments)."""
    x, g = True, False
    return {
        mf.SHAPE_BINARY: ([(x, r.xd), (x, r.xs)], (x, r.xd), (r.xd, r.xs, r.xt)),
        mf.SHAPE_UNARY: ([(x, r.xs)], (x, r.xd), (r.xd, r.xs)),
        mf.SHAPE_COMPARE: ([(x, r.xd), (x, r.xs)], (g, r.gd), (r.gd, r.xd, r.xs)),
        mf.SHAPE_TRUNC: ([(x, r.xs)], (g, r.gd), (r.gd, r.xs, r.xt) + traps),
        mf.SHAPE_TRUNC_SAT: ([(x, r.xs)], (g, r.gd), (r.gd, r.xs, r.xt, r.gt)),
        mf.SHAPE_CONVERT: ([(g, r.gs)], (x, r.xd), (r.xd, r.gs, r.gt)),
        mf.SHAPE_TO_GPR: ([(x, r.xs)], (g, r.gd), (r.gd, r.xs)),
        mf.SHAPE_FROM_GPR: ([(g, r.gs)], (x, r.xd), (r.xd, r.gs)),
    }[shape]


def _load(a, is_xmm: bool, reg: int, mem) -> None:
    if is_xmm:
        a.movsd_xm(reg, mem)
    else:
        a.mov_rm(64, reg, mem)


def _store(a, is_xmm: bool, reg: int, mem) -> None:
    if is_xmm:
        a.movsd_mx(mem, reg)
    else:
        a.mov_mr(64, mem, reg)


def build_loop(body, args: list, result: tuple, regs: Regs) -> CodeMemory:
    """`void f(uint64_t *records, uint64_t count)` running `body(a, trap_invalid, trap_overflow)`
    on every record; the trap labels store status 1 / 2 and continue with the next record."""
    a = Assembler()
    saved = (RBX, RBP, R12, R13, R14, R15)
    for r in saved:
        a.push_r(r)
    a.mov_rr(64, R12, RDI)
    a.mov_rr(64, R13, RSI)
    top, next_record, done = a.new_label(), a.new_label(), a.new_label()
    invalid, overflow = a.new_label(), a.new_label()
    a.test_rr(64, R13, R13)
    a.jcc(CC_E, done)
    a.bind(top)
    for reg in (regs.xd, regs.xs, regs.xt):
        a.movups_xm(reg, a.const128(_GARBAGE_XMM))
    for reg in (regs.gd, regs.gs, regs.gt):
        a.mov_ri(64, reg, _GARBAGE_GPR)
    for i, (is_xmm, reg) in enumerate(args):
        _load(a, is_xmm, reg, Mem(R12, None, 1, 8 * i))
    body(a, invalid, overflow)
    _store(a, *result, Mem(R12, None, 1, 16))
    a.mov_mi(64, Mem(R12, None, 1, 24), 0)
    for i, (is_xmm, reg) in enumerate(args):
        _store(a, is_xmm, reg, Mem(R12, None, 1, 32 + 8 * i))
    a.bind(next_record)
    a.alu_ri(ALU_ADD, 64, R12, 8 * FIELDS)
    a.alu_ri(ALU_SUB, 64, R13, 1)
    a.jcc(CC_NE, top)
    a.bind(done)
    for r in reversed(saved):
        a.pop_r(r)
    a.ret()
    for label, status in ((invalid, 1), (overflow, 2)):
        a.bind(label)
        a.mov_mi(64, Mem(R12, None, 1, 24), status)
        a.jmp(next_record)
    return CodeMemory(a.finish(), traps=False)


_LOOP = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_uint64)


def run_loop(code: CodeMemory, records: list) -> list:
    """[(result, status, arg0 after, arg1 after)] for each (arg0[, arg1]) in `records`."""
    n = len(records)
    buf = (ctypes.c_uint64 * (FIELDS * n))()
    for i, args in enumerate(records):
        for j, v in enumerate(args):
            buf[FIELDS * i + j] = v & MASK[64]
    code.function(_LOOP)(ctypes.addressof(buf), n)
    return [tuple(buf[FIELDS * i + 2:FIELDS * i + 6]) for i in range(n)]


def run_emitter(opcode: int, records: list, regs: Regs) -> list:
    emit, shape = mf.FLOAT_OPS[opcode]

    def body(a, invalid, overflow):
        emit(a, *shape_operands(shape, regs, (invalid, overflow))[2])
    args, result, _ = shape_operands(shape, regs, (None, None))
    return run_loop(build_loop(body, args, result, regs), records)


def check_opcode(opcode: int, regs: Regs, records: list, expected: list) -> None:
    """Run `opcode` on the records, assert every result against `expected` and that the source
    registers still hold the arguments."""
    _, result_type = signature(opcode)
    _, shape = mf.FLOAT_OPS[opcode]
    args, result_reg, _ = shape_operands(shape, regs, (None, None))
    sources = [i for i, reg in enumerate(args) if reg != result_reg]
    failures = []
    for rec, want, (res, status, *after) in zip(records, expected,
                                                run_emitter(opcode, records, regs)):
        problem = mismatch(want, res, status, result_type)
        if not problem and any(after[i] != rec[i] for i in sources if not status):
            problem = f"source register clobbered: {tuple(map(hex, after))}"
        if problem:
            failures.append(f"{op.NAMES[opcode]}{tuple(hex(v) for v in rec)}: {problem}")
    assert not failures, f"{len(failures)} of {len(records)} wrong:\n" + "\n".join(failures[:20])


@functools.lru_cache(maxsize=None)
def edge_cases(opcode: int) -> tuple:
    """(records with garbage upper halves, reference results) for `opcode`, computed once."""
    records = [with_garbage(args, opcode) for args in inputs_for(opcode)]
    return records, [reference(opcode, rec) for rec in records]


# ---- per-instruction tests ---------------------------------------------------------------------

ALL_OPS = sorted(mf.FLOAT_OPS)
OP_IDS = [op.NAMES[o] for o in ALL_OPS]


@pytest.mark.parametrize("variant", ["low", "high"])
@pytest.mark.parametrize("opcode", ALL_OPS, ids=OP_IDS)
def test_emitter_matches_reference_on_edge_values(opcode, variant):
    check_opcode(opcode, VARIANTS[variant], *edge_cases(opcode))


ALIASABLE = [o for o in ALL_OPS
             if mf.FLOAT_OPS[o][1] in (mf.SHAPE_BINARY, mf.SHAPE_UNARY, mf.SHAPE_COMPARE)]


@pytest.mark.parametrize("opcode", ALIASABLE, ids=[op.NAMES[o] for o in ALIASABLE])
def test_emitter_allows_dst_equal_to_src(opcode):
    """One register for both operands (binary ops and compares see (x, x)) or for dst and src."""
    params, _ = signature(opcode)
    records = [with_garbage((x,) * len(params), opcode) for x in EDGES[params[0]]]
    check_opcode(opcode, VARIANTS["alias"], records, [reference(opcode, r) for r in records])


def test_spec_boundaries_of_trapping_conversions():
    """The exact boundaries the task statement singles out, independent of the reference."""
    f32, f64 = (lambda x: round_f32_bits(x)), (lambda x: bits_of(x, 64))  # noqa: E731
    cases = {
        op.I32_TRUNC_F32_S: [(f32(-2147483648.0), 0x80000000), (f32(2147483648.0), TRAP_OVERFLOW),
                             (f32(-2147483904.0), TRAP_OVERFLOW), (f32(2147483520.0), 2147483520)],
        op.I32_TRUNC_F64_S: [(f64(-2147483648.9), 0x80000000), (f64(-2147483649.0), TRAP_OVERFLOW),
                             (f64(2147483647.9), 0x7FFFFFFF), (f64(2147483648.0), TRAP_OVERFLOW)],
        op.I32_TRUNC_F32_U: [(f32(-0.9), 0), (f32(-1.0), TRAP_OVERFLOW),
                             (f32(4294967040.0), 4294967040), (f32(4294967296.0), TRAP_OVERFLOW)],
        op.I32_TRUNC_F64_U: [(f64(-0.9), 0), (f64(4294967295.9), 0xFFFFFFFF),
                             (f64(4294967296.0), TRAP_OVERFLOW), (f64(math.nan), TRAP_INVALID)],
        op.I64_TRUNC_F64_S: [(f64(-2.0 ** 63), 1 << 63), (f64(2.0 ** 63), TRAP_OVERFLOW),
                             (f64(-0.0), 0)],
        op.I64_TRUNC_F64_U: [(f64(2.0 ** 64 - 2048), 2 ** 64 - 2048),
                             (f64(2.0 ** 64), TRAP_OVERFLOW), (f64(-0.9), 0),
                             (f64(2.0 ** 63), 1 << 63), (0xFFF0000000000001, TRAP_INVALID)],
        op.I64_TRUNC_F32_U: [(f32(2.0 ** 64 - 2 ** 40), 2 ** 64 - 2 ** 40),
                             (f32(2.0 ** 64), TRAP_OVERFLOW), (0x7FA00000, TRAP_INVALID)],
    }
    for opcode, pairs in cases.items():
        records = [(bits,) for bits, _ in pairs]
        check_opcode(opcode, VARIANTS["low"], records, [want for _, want in pairs])
        assert [reference(opcode, rec) for rec in records] == [want for _, want in pairs]


@pytest.mark.parametrize("negate", [False, True])
@pytest.mark.parametrize("opcode", sorted(mf.FLOAT_COMPARES),
                         ids=[op.NAMES[o] for o in sorted(mf.FLOAT_COMPARES)])
def test_compare_flags_drive_branches(opcode, negate):
    """emit_float_compare_flags + emit_jump_if (and the negated condition) for br_if fusion."""
    r = VARIANTS["high"]

    def body(a, invalid, overflow):
        cond = mf.emit_float_compare_flags(a, opcode, r.xd, r.xs)
        taken, join = a.new_label(), a.new_label()
        mf.emit_jump_if(a, mf.negate_condition(cond) if negate else cond, taken)
        a.mov_ri(64, r.gd, 0)
        a.jmp(join)
        a.bind(taken)
        a.mov_ri(64, r.gd, 1)
        a.bind(join)
    code = build_loop(body, [(True, r.xd), (True, r.xs)], (False, r.gd), r)
    records = inputs_for(opcode)
    outcomes = run_loop(code, records)
    wrong = [(rec, res) for rec, (res, *_) in zip(records, outcomes)
             if res != reference(opcode, rec) ^ negate]
    assert not wrong, f"{len(wrong)} wrong, e.g. {[(tuple(map(hex, a)), b) for a, b in wrong[:5]]}"


@pytest.mark.parametrize("width", [32, 64])
def test_const_materialises_any_bit_pattern(width):
    emit = mf.emit_f32_const if width == 32 else mf.emit_f64_const
    patterns = EDGES[F32 if width == 32 else F64]
    r = VARIANTS["high"]
    for bits in patterns[:40]:
        code = build_loop(lambda a, i, o: emit(a, r.xd, bits), [], (True, r.xd), r)
        (res, status, *_), = run_loop(code, [()])
        assert res & MASK[width] == bits


def test_dispatch_table_covers_every_float_instruction():
    """Every numeric instruction with an f32/f64 operand or result has an emitter (loads, stores,
    constants and SIMD are the compiler's)."""
    floats = {F32, F64}
    wanted = set()
    for opcode, (pops, pushes) in op.SIGNATURES.items():
        name = op.NAMES[opcode]
        if op.IMM_BY_OPCODE[opcode] != op.IMM_NONE or opcode >> 8 == op.PREFIX_FD:
            continue
        if floats & set(pops + pushes):
            wanted.add(opcode)
    assert wanted == set(mf.FLOAT_OPS), sorted(op.NAMES[o] for o in wanted ^ set(mf.FLOAT_OPS))
    for opcode, (emit, shape) in mf.FLOAT_OPS.items():
        assert emit.__name__ == "emit_" + op.NAMES[opcode].replace(".", "_")
        assert emit.__doc__


# ---- registers written: iced-x86 ---------------------------------------------------------------

def _written_and_used_registers(code: bytes):
    iced = pytest.importorskip("iced_x86")
    factory = iced.InstructionInfoFactory()
    written, used = set(), set()
    writes = {iced.OpAccess.WRITE, iced.OpAccess.READ_WRITE, iced.OpAccess.COND_WRITE,
              iced.OpAccess.READ_COND_WRITE}
    for instr in iced.Decoder(64, code):
        assert instr.code != iced.Code.INVALID
        for used_reg in factory.info(instr).used_registers():
            reg = iced.RegisterExt.full_register(used_reg.register)
            used.add(reg)
            if used_reg.access in writes:
                written.add(reg)
    return written, used


_ICED_GPR = ("RAX", "RCX", "RDX", "RBX", "RSP", "RBP", "RSI", "RDI",
             "R8", "R9", "R10", "R11", "R12", "R13", "R14", "R15")


def test_emitters_touch_only_their_operands():
    """Decoded with iced-x86, each emitter reads only its operands (and RIP-relative constants)
    and writes only dst and the scratches its docstring names ("Writes dst, ...")."""
    iced = pytest.importorskip("iced_x86")
    full = iced.RegisterExt.full_register
    r = VARIANTS["high"]
    gpr = lambda n: full(getattr(iced.Register, _ICED_GPR[n]))  # noqa: E731
    xmm = lambda n: full(getattr(iced.Register, f"XMM{n}"))  # noqa: E731
    scratch_names = {xmm(r.xt): "scratch_xmm", gpr(r.gt): "scratch_gpr"}
    for opcode, (emit, shape) in mf.FLOAT_OPS.items():
        a = Assembler()
        args, (res_xmm, res_reg), call = shape_operands(shape, r, (a.new_label(), a.new_label()))
        emit(a, *call)
        written, used = _written_and_used_registers(bytes(a.buf))
        dst = xmm(res_reg) if res_xmm else gpr(res_reg)
        sources = {xmm(reg) if is_xmm else gpr(reg) for is_xmm, reg in args}
        declared = emit.__doc__.split("Writes dst", 1)[1].split(";")[0].split(".")[0]
        allowed = {dst} | {reg for reg, word in scratch_names.items() if word in declared}
        name = op.NAMES[opcode]
        assert written == allowed, (name, written, declared)
        assert used <= allowed | sources | {iced.Register.RIP}, (name, used)


# ---- the spec testsuite's float assertions -----------------------------------------------------

SPEC_FILES = ("f32.wast", "f64.wast", "f32_cmp.wast", "f64_cmp.wast", "f32_bitwise.wast",
              "f64_bitwise.wast", "conversions.wast", "float_misc.wast", "float_exprs.wast")


def _single_instruction_exports(wasm: bytes) -> dict:
    """export name -> opcode for functions whose body is `local.get 0 .. local.get n-1; op`."""
    from jitwasm.binary.decoder import decode_module
    info = decode_module(wasm)
    out = {}
    for export in info.exports:
        index = export.index - info.num_imported_funcs
        if export.kind != 0 or index < 0:
            continue
        body = info.codes[index]
        ftype = info.func_types[export.index]
        data, pos = info.data, body.code_start
        if body.locals:
            continue
        for i in range(len(ftype.params)):
            if data[pos:pos + 2] != bytes((0x20, i)):
                break
            pos += 2
        else:
            try:
                opcode, pos = op.read_opcode(data, pos)
            except Exception:
                continue
            if pos + 1 == body.end and data[pos] == 0x0B and opcode in mf.FLOAT_OPS:
                out[export.name] = opcode
    return out


def _spec_value(v: dict):
    value = v["value"]
    if value in (CANON, ARITH):
        return value
    return int(value)


@pytest.fixture(scope="module")
def spec_assertions(tmp_path_factory):
    """(file, opcode, args, expected) for every spec assertion on a single float instruction."""
    from jitwasm.wast.conversion import find_wasm_tools
    from jitwasm.wast.paths import spec_testsuite_dir
    tool, spec_dir = find_wasm_tools(), spec_testsuite_dir()
    if tool is None or not spec_dir.is_dir():
        pytest.skip("spec testsuite or wasm-tools not available")
    out_dir = tmp_path_factory.mktemp("spec_float")
    found, skipped = [], 0
    for name in SPEC_FILES:
        target = out_dir / (name + ".json")
        subprocess.run([tool, "json-from-wast", str(spec_dir / name), "-o", str(target),
                        "--wasm-dir", str(out_dir)], check=True, capture_output=True)
        exports = {}
        for cmd in json.loads(target.read_text())["commands"]:
            if cmd["type"] == "module":
                exports = _single_instruction_exports((out_dir / cmd["filename"]).read_bytes())
                continue
            if cmd["type"] not in ("assert_return", "assert_trap"):
                continue
            action = cmd["action"]
            opcode = exports.get(action["field"])
            if action["type"] != "invoke" or opcode is None:
                skipped += 1
                continue
            args = tuple(int(v["value"]) & MASK[WIDTH[t]]
                         for v, t in zip(action["args"], signature(opcode)[0]))
            if cmd["type"] == "assert_trap":
                expected = {"invalid conversion to integer": TRAP_INVALID,
                            "integer overflow": TRAP_OVERFLOW}[cmd["text"]]
            else:
                expected = _spec_value(cmd["expected"][0])
                if isinstance(expected, int):
                    expected &= MASK[WIDTH[signature(opcode)[1]]]
            found.append((name, opcode, args, expected))
    return found, skipped


def test_spec_float_assertions_pass_through_the_emitters(spec_assertions):
    found, skipped = spec_assertions
    by_opcode = {}
    for name, opcode, args, expected in found:
        by_opcode.setdefault(opcode, []).append((args, expected))
    covered = {o for o in by_opcode}
    # Every float instruction is exercised by the spec files (the reinterpret ops via conversions).
    assert covered == set(mf.FLOAT_OPS), sorted(op.NAMES[o] for o in set(mf.FLOAT_OPS) - covered)
    assert len(found) > 8000, (len(found), skipped)
    for opcode, cases in by_opcode.items():
        records = [with_garbage(args, opcode) for args, _ in cases]
        check_opcode(opcode, VARIANTS["high"], records, [e for _, e in cases])


def test_reference_agrees_with_the_spec_assertions(spec_assertions):
    """The Python reference used above is itself checked against the spec's expectations."""
    found, _ = spec_assertions
    wrong = []
    for name, opcode, args, expected in found:
        got = reference(opcode, args)
        if got != expected and not (expected == ARITH and got == CANON):
            wrong.append((name, op.NAMES[opcode], args, expected, got))
    assert not wrong, wrong[:10]


# ---- wasmtime cross-check ----------------------------------------------------------------------

_CARRIER = {F32: ("i32", "f32.reinterpret_i32", "i32.reinterpret_f32"),
            F64: ("i64", "f64.reinterpret_i64", "i64.reinterpret_f64"),
            I32: ("i32", "", ""), I64: ("i64", "", "")}


def _wat_for(opcodes) -> str:
    """One export per opcode taking and returning integer bit patterns (NaN payloads survive)."""
    funcs = []
    for opcode in opcodes:
        params, result = signature(opcode)
        decl = " ".join(f"(param {_CARRIER[t][0]})" for t in params)
        body = " ".join(f"local.get {i} {_CARRIER[t][1]}" for i, t in enumerate(params))
        funcs.append(f'(func (export "{op.NAMES[opcode]}") {decl} (result {_CARRIER[result][0]}) '
                     f'{body} {op.NAMES[opcode]} {_CARRIER[result][2]})')
    return "(module " + "\n".join(funcs) + ")"


def test_sample_agrees_with_wasmtime():
    wasmtime = pytest.importorskip("wasmtime")
    store = wasmtime.Store()
    module = wasmtime.Module(store.engine, _wat_for(ALL_OPS))
    instance = wasmtime.Instance(store, module, [])
    r = VARIANTS["low"]
    rng = random.Random(7)
    for opcode in ALL_OPS:
        params, result = signature(opcode)
        records = inputs_for(opcode)
        records = rng.sample(records, min(len(records), 150))
        outcomes = run_emitter(opcode, records, r)
        fn = instance.exports(store)[op.NAMES[opcode]]
        rw = WIDTH[result]
        for rec, (res, status, *_) in zip(records, outcomes):
            call_args = [to_signed(v, WIDTH[t]) for v, t in zip(rec, params)]
            try:
                theirs = fn(store, *call_args) & MASK[rw]
                their_status = 0
            except wasmtime.Trap as trap:
                text = str(trap)
                their_status = (1 if "invalid conversion" in text
                                else 2 if "integer overflow" in text else -1)
                theirs = None
            where = f"{op.NAMES[opcode]}{tuple(map(hex, rec))}"
            assert status == their_status, (where, status, their_status)
            if status:
                continue
            ours = res & MASK[rw]
            if result in (F32, F64) and is_nan(theirs, rw):
                assert is_nan(ours, rw), (where, hex(ours), hex(theirs))
            else:
                assert ours == theirs, (where, hex(ours), hex(theirs))
