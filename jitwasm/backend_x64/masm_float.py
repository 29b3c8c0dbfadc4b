"""Emitters for every Wasm f32/f64 instruction but loads and stores, with exact Wasm semantics.

Each emitter is a plain function `emit_<wasm name>(a, <registers>...)` taking the Assembler and
register numbers; `FLOAT_OPS` maps a Wasm opcode to `(emitter, shape)` so the compiler can
dispatch generically. The shapes fix the arguments:

| shape            | call                                                                    |
| ---------------- | ----------------------------------------------------------------------- |
| SHAPE_BINARY     | emit(a, dst_xmm, src_xmm, scratch_xmm): dst = dst op src                |
| SHAPE_UNARY      | emit(a, dst_xmm, src_xmm)                                               |
| SHAPE_COMPARE    | emit(a, dst_gpr, lhs_xmm, rhs_xmm): dst = 0 or 1                        |
| SHAPE_TRUNC      | emit(a, dst_gpr, src_xmm, scratch_xmm, trap_invalid, trap_overflow)     |
| SHAPE_TRUNC_SAT  | emit(a, dst_gpr, src_xmm, scratch_xmm, scratch_gpr)                     |
| SHAPE_CONVERT    | emit(a, dst_xmm, src_gpr, scratch_gpr)                                  |
| SHAPE_TO_GPR     | emit(a, dst_gpr, src_xmm)     (reinterpret float -> int)                 |
| SHAPE_FROM_GPR   | emit(a, dst_xmm, src_gpr)     (reinterpret int -> float)                 |

Conventions: dst may equal src for every binary and unary emitter (lhs may equal rhs for the
compares); scratches must be distinct from the other operands and are only written by the
emitters that say so. Sources are preserved (a binary op's `dst` is its left operand). Emitters
may clobber the flags. Float results leave the upper lanes of dst unspecified; i32 results are
zero-extended to 64 bits.

Semantics rely on the default MXCSR (round to nearest even, exceptions masked, no FTZ/DAZ), which
is what every thread starts with. SSE arithmetic returns the first NaN operand quieted, or the
negative canonical NaN for an invalid operation, so its NaN results are the canonical or
arithmetic NaNs the spec allows (a canonical input never turns into a non-canonical output).
abs, neg and copysign are pure bit operations and keep NaN payloads. min/max need a sequence:
minss/maxss return the second operand for NaN or equal inputs, which gets NaNs and signed zeros
wrong. Constants (sign masks, bounds) live in the assembler's constant pool, which needs the code
loaded at a 16-byte aligned address.

Compare-and-branch fusion: `emit_float_compare_flags` emits the ucomiss/ucomisd for a Wasm
compare opcode and returns a condition `(cc, parity)`; `emit_jump_if` branches on it and
`negate_condition` gives its complement. NaN makes ucomis report "unordered" (ZF=PF=CF=1), so eq
needs cc AND not-parity, ne needs cc OR parity; lt/le swap the operands and use the unsigned
above/above-or-equal conditions, which are false when unordered.

The conversions live in masm_float_convert.py; the per-width instruction tables and short jumps in
masm_float_base.py.
"""

from ..binary import opcodes as op
from .gpr import ALU_XOR
from .masm_float_base import F32, F64, bind_short, jcc_short, jmp_short, named_emitter
from .masm_float_convert import (
    emit_f32_convert_i32_s, emit_f32_convert_i32_u, emit_f32_convert_i64_s,
    emit_f32_convert_i64_u, emit_f64_convert_i32_s, emit_f64_convert_i32_u,
    emit_f64_convert_i64_s, emit_f64_convert_i64_u, emit_i32_trunc_f32_s, emit_i32_trunc_f32_u,
    emit_i32_trunc_f64_s, emit_i32_trunc_f64_u, emit_i32_trunc_sat_f32_s,
    emit_i32_trunc_sat_f32_u, emit_i32_trunc_sat_f64_s, emit_i32_trunc_sat_f64_u,
    emit_i64_trunc_f32_s, emit_i64_trunc_f32_u, emit_i64_trunc_f64_s, emit_i64_trunc_f64_u,
    emit_i64_trunc_sat_f32_s, emit_i64_trunc_sat_f32_u, emit_i64_trunc_sat_f64_s,
    emit_i64_trunc_sat_f64_u)
from .regs import CC_A, CC_AE, CC_E, CC_NE, CC_P
from .sse import ROUND_CEIL, ROUND_FLOOR, ROUND_NEAREST, ROUND_TRUNC, SseForms

(SHAPE_BINARY, SHAPE_UNARY, SHAPE_COMPARE, SHAPE_TRUNC, SHAPE_TRUNC_SAT, SHAPE_CONVERT,
 SHAPE_TO_GPR, SHAPE_FROM_GPR) = range(8)

# roundss/roundsd immediate bit 3: do not signal the precision exception (as C's ceil etc.).
_NO_PRECISION = 8


# ---- arithmetic --------------------------------------------------------------------------------

def _binary(form, name: str):
    def emit(a, dst, src, scratch):
        form(a, dst, src)
    doc = (f"{name}(a, dst_xmm, src_xmm, scratch_xmm): dst = dst op src (IEEE, SSE NaN "
           "propagation). Writes dst only; dst may equal src.")
    return named_emitter(emit, name, doc)


emit_f32_add = _binary(F32.add, "emit_f32_add")
emit_f32_sub = _binary(F32.sub, "emit_f32_sub")
emit_f32_mul = _binary(F32.mul, "emit_f32_mul")
emit_f32_div = _binary(F32.div, "emit_f32_div")
emit_f64_add = _binary(F64.add, "emit_f64_add")
emit_f64_sub = _binary(F64.sub, "emit_f64_sub")
emit_f64_mul = _binary(F64.mul, "emit_f64_mul")
emit_f64_div = _binary(F64.div, "emit_f64_div")


def _min_max(w, is_max: bool, name: str):
    """ucomis splits the inputs: unordered -> add them (NaN propagation, quieted); equal -> and
    (max) / or (min) the bits, which orders +0 and -0; otherwise minss/maxss are exact."""
    ucomis, add = w.ucomis, w.add
    select = w.max if is_max else w.min
    merge_equal = SseForms.andps_xx if is_max else SseForms.orps_xx

    def emit(a, dst, src, scratch):
        ucomis(a, dst, src)
        ordinary = jcc_short(a, CC_NE)     # ordered and not equal: the common case
        nan = jcc_short(a, CC_P)
        merge_equal(a, dst, src)
        equal_done = jmp_short(a)
        bind_short(a, nan)
        add(a, dst, src)
        nan_done = jmp_short(a)
        bind_short(a, ordinary)
        select(a, dst, src)
        bind_short(a, equal_done, nan_done)
    doc = (f"{name}(a, dst_xmm, src_xmm, scratch_xmm): dst = {'max' if is_max else 'min'}(dst, "
           "src), NaN if either is, -0 < +0. Writes dst and flags; dst may equal src.")
    return named_emitter(emit, name, doc)


emit_f32_min = _min_max(F32, False, "emit_f32_min")
emit_f32_max = _min_max(F32, True, "emit_f32_max")
emit_f64_min = _min_max(F64, False, "emit_f64_min")
emit_f64_max = _min_max(F64, True, "emit_f64_max")


# ---- sign bit operations -----------------------------------------------------------------------

def _sign_op(form, mask: int, name: str, what: str):
    def emit(a, dst, src):
        if dst != src:
            a.movaps_xx(dst, src)
        form(a, dst, a.const128(mask))
    doc = (f"{name}(a, dst_xmm, src_xmm): {what} (bit operation, NaN payload kept). Writes dst "
           "only; dst may equal src.")
    return named_emitter(emit, name, doc)


emit_f32_abs = _sign_op(SseForms.andps_xm, F32.abs_mask, "emit_f32_abs", "clear the sign")
emit_f64_abs = _sign_op(SseForms.andps_xm, F64.abs_mask, "emit_f64_abs", "clear the sign")
emit_f32_neg = _sign_op(SseForms.xorps_xm, F32.sign_mask, "emit_f32_neg", "flip the sign")
emit_f64_neg = _sign_op(SseForms.xorps_xm, F64.sign_mask, "emit_f64_neg", "flip the sign")


def _copysign(w, name: str):
    sign_mask, abs_mask = w.sign_mask, w.abs_mask

    def emit(a, dst, src, scratch):
        a.movaps_xx(scratch, src)          # take src's sign first: dst may be src
        a.andps_xm(scratch, a.const128(sign_mask))
        a.andps_xm(dst, a.const128(abs_mask))
        a.orps_xx(dst, scratch)
    doc = (f"{name}(a, dst_xmm, src_xmm, scratch_xmm): dst = |dst| with the sign of src (bit "
           "operation). Writes dst and scratch_xmm; dst may equal src.")
    return named_emitter(emit, name, doc)


emit_f32_copysign = _copysign(F32, "emit_f32_copysign")
emit_f64_copysign = _copysign(F64, "emit_f64_copysign")


# ---- unary: sqrt, rounding, promote/demote, reinterpret ----------------------------------------

def _unary(form, name: str, what: str, operands: str = "dst_xmm, src_xmm"):
    def emit(a, dst, src):
        form(a, dst, src)
    return named_emitter(emit, name, f"{name}(a, {operands}): {what}. Writes dst only.")


def _rounding(w, mode: int, name: str, what: str):
    form, imm = w.round, mode | _NO_PRECISION

    def emit(a, dst, src):
        form(a, dst, src, imm)
    doc = f"{name}(a, dst_xmm, src_xmm): {what} (SSE4.1; NaN quieted). Writes dst only."
    return named_emitter(emit, name, doc)


emit_f32_sqrt = _unary(F32.sqrt, "emit_f32_sqrt", "dst = sqrt(src)")
emit_f64_sqrt = _unary(F64.sqrt, "emit_f64_sqrt", "dst = sqrt(src)")
emit_f32_ceil = _rounding(F32, ROUND_CEIL, "emit_f32_ceil", "round up")
emit_f32_floor = _rounding(F32, ROUND_FLOOR, "emit_f32_floor", "round down")
emit_f32_trunc = _rounding(F32, ROUND_TRUNC, "emit_f32_trunc", "round toward zero")
emit_f32_nearest = _rounding(F32, ROUND_NEAREST, "emit_f32_nearest", "round, ties to even")
emit_f64_ceil = _rounding(F64, ROUND_CEIL, "emit_f64_ceil", "round up")
emit_f64_floor = _rounding(F64, ROUND_FLOOR, "emit_f64_floor", "round down")
emit_f64_trunc = _rounding(F64, ROUND_TRUNC, "emit_f64_trunc", "round toward zero")
emit_f64_nearest = _rounding(F64, ROUND_NEAREST, "emit_f64_nearest", "round, ties to even")
emit_f32_demote_f64 = _unary(SseForms.cvtsd2ss_xx, "emit_f32_demote_f64",
                             "dst = src rounded to f32 (NaN quieted, payload truncated)")
emit_f64_promote_f32 = _unary(SseForms.cvtss2sd_xx, "emit_f64_promote_f32",
                              "dst = src widened to f64 (exact; NaN quieted, payload kept)")

_TO_GPR, _FROM_GPR = "dst_gpr, src_xmm", "dst_xmm, src_gpr"
emit_i32_reinterpret_f32 = _unary(SseForms.movd_rx, "emit_i32_reinterpret_f32",
                                  "dst = the bits of src (movd, zero-extended)", _TO_GPR)
emit_i64_reinterpret_f64 = _unary(SseForms.movq_rx, "emit_i64_reinterpret_f64",
                                  "dst = the bits of src (movq)", _TO_GPR)
emit_f32_reinterpret_i32 = _unary(SseForms.movd_xr, "emit_f32_reinterpret_i32",
                                  "dst = the bits of src (movd)", _FROM_GPR)
emit_f64_reinterpret_i64 = _unary(SseForms.movq_xr, "emit_f64_reinterpret_i64",
                                  "dst = the bits of src (movq)", _FROM_GPR)


# ---- constants ---------------------------------------------------------------------------------

def _const(w, name: str):
    load, pool = w.load, w.pool

    def emit(a, dst, bits):
        if bits:
            load(a, dst, pool(a, bits))
        else:
            a.xorps_xx(dst, dst)
    doc = (f"{name}(a, dst_xmm, bits): dst = the float with bit pattern `bits` (xorps for +0.0, "
           "else a constant-pool load). Writes dst only.")
    return named_emitter(emit, name, doc)


emit_f32_const = _const(F32, "emit_f32_const")
emit_f64_const = _const(F64, "emit_f64_const")


# ---- comparisons -------------------------------------------------------------------------------

# Parity fix-up of a float condition (see the module docstring).
PARITY_NONE = 0    # the condition is `cc` alone
PARITY_AND_NP = 1  # `cc` and ordered (PF=0): eq
PARITY_OR_P = 2    # `cc` or unordered (PF=1): ne
_NEGATED_PARITY = (PARITY_NONE, PARITY_OR_P, PARITY_AND_NP)

# Wasm compare opcode -> (ucomis form, swap operands, cc, parity).
FLOAT_COMPARES = {}
for _w, _ops in ((F32, (op.F32_EQ, op.F32_NE, op.F32_LT, op.F32_GT, op.F32_LE, op.F32_GE)),
                 (F64, (op.F64_EQ, op.F64_NE, op.F64_LT, op.F64_GT, op.F64_LE, op.F64_GE))):
    for _opcode, (_swap, _cc, _parity) in zip(_ops, (
            (False, CC_E, PARITY_AND_NP), (False, CC_NE, PARITY_OR_P), (True, CC_A, PARITY_NONE),
            (False, CC_A, PARITY_NONE), (True, CC_AE, PARITY_NONE), (False, CC_AE, PARITY_NONE))):
        FLOAT_COMPARES[_opcode] = (_w.ucomis, _swap, _cc, _parity)
del _w, _ops, _opcode, _swap, _cc, _parity


def emit_float_compare_flags(a, opcode: int, lhs: int, rhs: int) -> tuple:
    """Emit the compare of Wasm `opcode` (f32.eq ... f64.ge) on two XMM registers and return the
    condition `(cc, parity)` that holds when the Wasm result is 1. Writes the flags only."""
    ucomis, swap, cc, parity = FLOAT_COMPARES[opcode]
    if swap:
        ucomis(a, rhs, lhs)
    else:
        ucomis(a, lhs, rhs)
    return cc, parity


def negate_condition(cond: tuple) -> tuple:
    """The condition that holds exactly when `cond` does not (NaN included)."""
    cc, parity = cond
    return cc ^ 1, _NEGATED_PARITY[parity]


def emit_jump_if(a, cond: tuple, label) -> None:
    """Jump to `label` when `cond` (from emit_float_compare_flags) holds; one or two jcc."""
    cc, parity = cond
    if parity == PARITY_OR_P:
        a.jcc(CC_P, label)
    elif parity == PARITY_AND_NP:
        unordered = jcc_short(a, CC_P)
        a.jcc(cc, label)
        bind_short(a, unordered)
        return
    a.jcc(cc, label)


def _compare(opcode: int, name: str):
    ucomis, swap, cc, parity = FLOAT_COMPARES[opcode]
    first, second = (1, 0) if swap else (0, 1)
    fix = (None, 0, 1)[parity]             # the value an unordered compare must give

    def emit(a, dst, lhs, rhs):
        a.alu_rr(ALU_XOR, 32, dst, dst)    # before ucomis: xor writes the flags
        operands = (lhs, rhs)
        ucomis(a, operands[first], operands[second])
        a.setcc(cc, dst)
        if fix is not None:
            a.cmovcc_rm(CC_P, 32, dst, a.const32(fix))
    doc = (f"{name}(a, dst_gpr, lhs_xmm, rhs_xmm): dst = {op.NAMES[opcode]}(lhs, rhs) as 0/1 "
           "(false for NaN except ne). Writes dst and flags.")
    return named_emitter(emit, name, doc)


emit_f32_eq = _compare(op.F32_EQ, "emit_f32_eq")
emit_f32_ne = _compare(op.F32_NE, "emit_f32_ne")
emit_f32_lt = _compare(op.F32_LT, "emit_f32_lt")
emit_f32_gt = _compare(op.F32_GT, "emit_f32_gt")
emit_f32_le = _compare(op.F32_LE, "emit_f32_le")
emit_f32_ge = _compare(op.F32_GE, "emit_f32_ge")
emit_f64_eq = _compare(op.F64_EQ, "emit_f64_eq")
emit_f64_ne = _compare(op.F64_NE, "emit_f64_ne")
emit_f64_lt = _compare(op.F64_LT, "emit_f64_lt")
emit_f64_gt = _compare(op.F64_GT, "emit_f64_gt")
emit_f64_le = _compare(op.F64_LE, "emit_f64_le")
emit_f64_ge = _compare(op.F64_GE, "emit_f64_ge")


# ---- dispatch table ----------------------------------------------------------------------------

FLOAT_OPS = {
    op.F32_EQ: (emit_f32_eq, SHAPE_COMPARE), op.F32_NE: (emit_f32_ne, SHAPE_COMPARE),
    op.F32_LT: (emit_f32_lt, SHAPE_COMPARE), op.F32_GT: (emit_f32_gt, SHAPE_COMPARE),
    op.F32_LE: (emit_f32_le, SHAPE_COMPARE), op.F32_GE: (emit_f32_ge, SHAPE_COMPARE),
    op.F64_EQ: (emit_f64_eq, SHAPE_COMPARE), op.F64_NE: (emit_f64_ne, SHAPE_COMPARE),
    op.F64_LT: (emit_f64_lt, SHAPE_COMPARE), op.F64_GT: (emit_f64_gt, SHAPE_COMPARE),
    op.F64_LE: (emit_f64_le, SHAPE_COMPARE), op.F64_GE: (emit_f64_ge, SHAPE_COMPARE),

    op.F32_ABS: (emit_f32_abs, SHAPE_UNARY), op.F32_NEG: (emit_f32_neg, SHAPE_UNARY),
    op.F32_CEIL: (emit_f32_ceil, SHAPE_UNARY), op.F32_FLOOR: (emit_f32_floor, SHAPE_UNARY),
    op.F32_TRUNC: (emit_f32_trunc, SHAPE_UNARY), op.F32_NEAREST: (emit_f32_nearest, SHAPE_UNARY),
    op.F32_SQRT: (emit_f32_sqrt, SHAPE_UNARY),
    op.F32_ADD: (emit_f32_add, SHAPE_BINARY), op.F32_SUB: (emit_f32_sub, SHAPE_BINARY),
    op.F32_MUL: (emit_f32_mul, SHAPE_BINARY), op.F32_DIV: (emit_f32_div, SHAPE_BINARY),
    op.F32_MIN: (emit_f32_min, SHAPE_BINARY), op.F32_MAX: (emit_f32_max, SHAPE_BINARY),
    op.F32_COPYSIGN: (emit_f32_copysign, SHAPE_BINARY),

    op.F64_ABS: (emit_f64_abs, SHAPE_UNARY), op.F64_NEG: (emit_f64_neg, SHAPE_UNARY),
    op.F64_CEIL: (emit_f64_ceil, SHAPE_UNARY), op.F64_FLOOR: (emit_f64_floor, SHAPE_UNARY),
    op.F64_TRUNC: (emit_f64_trunc, SHAPE_UNARY), op.F64_NEAREST: (emit_f64_nearest, SHAPE_UNARY),
    op.F64_SQRT: (emit_f64_sqrt, SHAPE_UNARY),
    op.F64_ADD: (emit_f64_add, SHAPE_BINARY), op.F64_SUB: (emit_f64_sub, SHAPE_BINARY),
    op.F64_MUL: (emit_f64_mul, SHAPE_BINARY), op.F64_DIV: (emit_f64_div, SHAPE_BINARY),
    op.F64_MIN: (emit_f64_min, SHAPE_BINARY), op.F64_MAX: (emit_f64_max, SHAPE_BINARY),
    op.F64_COPYSIGN: (emit_f64_copysign, SHAPE_BINARY),

    op.I32_TRUNC_F32_S: (emit_i32_trunc_f32_s, SHAPE_TRUNC),
    op.I32_TRUNC_F32_U: (emit_i32_trunc_f32_u, SHAPE_TRUNC),
    op.I32_TRUNC_F64_S: (emit_i32_trunc_f64_s, SHAPE_TRUNC),
    op.I32_TRUNC_F64_U: (emit_i32_trunc_f64_u, SHAPE_TRUNC),
    op.I64_TRUNC_F32_S: (emit_i64_trunc_f32_s, SHAPE_TRUNC),
    op.I64_TRUNC_F32_U: (emit_i64_trunc_f32_u, SHAPE_TRUNC),
    op.I64_TRUNC_F64_S: (emit_i64_trunc_f64_s, SHAPE_TRUNC),
    op.I64_TRUNC_F64_U: (emit_i64_trunc_f64_u, SHAPE_TRUNC),
    op.I32_TRUNC_SAT_F32_S: (emit_i32_trunc_sat_f32_s, SHAPE_TRUNC_SAT),
    op.I32_TRUNC_SAT_F32_U: (emit_i32_trunc_sat_f32_u, SHAPE_TRUNC_SAT),
    op.I32_TRUNC_SAT_F64_S: (emit_i32_trunc_sat_f64_s, SHAPE_TRUNC_SAT),
    op.I32_TRUNC_SAT_F64_U: (emit_i32_trunc_sat_f64_u, SHAPE_TRUNC_SAT),
    op.I64_TRUNC_SAT_F32_S: (emit_i64_trunc_sat_f32_s, SHAPE_TRUNC_SAT),
    op.I64_TRUNC_SAT_F32_U: (emit_i64_trunc_sat_f32_u, SHAPE_TRUNC_SAT),
    op.I64_TRUNC_SAT_F64_S: (emit_i64_trunc_sat_f64_s, SHAPE_TRUNC_SAT),
    op.I64_TRUNC_SAT_F64_U: (emit_i64_trunc_sat_f64_u, SHAPE_TRUNC_SAT),
    op.F32_CONVERT_I32_S: (emit_f32_convert_i32_s, SHAPE_CONVERT),
    op.F32_CONVERT_I32_U: (emit_f32_convert_i32_u, SHAPE_CONVERT),
    op.F32_CONVERT_I64_S: (emit_f32_convert_i64_s, SHAPE_CONVERT),
    op.F32_CONVERT_I64_U: (emit_f32_convert_i64_u, SHAPE_CONVERT),
    op.F64_CONVERT_I32_S: (emit_f64_convert_i32_s, SHAPE_CONVERT),
    op.F64_CONVERT_I32_U: (emit_f64_convert_i32_u, SHAPE_CONVERT),
    op.F64_CONVERT_I64_S: (emit_f64_convert_i64_s, SHAPE_CONVERT),
    op.F64_CONVERT_I64_U: (emit_f64_convert_i64_u, SHAPE_CONVERT),
    op.F32_DEMOTE_F64: (emit_f32_demote_f64, SHAPE_UNARY),
    op.F64_PROMOTE_F32: (emit_f64_promote_f32, SHAPE_UNARY),
    op.I32_REINTERPRET_F32: (emit_i32_reinterpret_f32, SHAPE_TO_GPR),
    op.I64_REINTERPRET_F64: (emit_i64_reinterpret_f64, SHAPE_TO_GPR),
    op.F32_REINTERPRET_I32: (emit_f32_reinterpret_i32, SHAPE_FROM_GPR),
    op.F64_REINTERPRET_I64: (emit_f64_reinterpret_i64, SHAPE_FROM_GPR),
}
"""Wasm opcode -> (emitter, SHAPE_*) for every f32/f64 instruction except const, load, store."""
