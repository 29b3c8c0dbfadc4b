"""f32x4/f64x2 emitters: arithmetic, min/max, pmin/pmax, rounding, compares, conversions.

NaN results follow the spec's rule for every float op (canonical when all NaN inputs are, else
any arithmetic NaN): SSE arithmetic returns the first NaN operand quieted, or the negative
canonical NaN for an invalid operation (MXCSR default: round to nearest, exceptions masked, no
FTZ/DAZ), exactly as the scalar emitters rely on.

min/max: minps/maxps return their second operand when either input is NaN or both are zeros, so
both operand orders are computed and merged: OR for min (propagates a NaN and -0), XOR/OR/SUB for
max (the subtraction turns the merged -0 of a +0/-0 pair into +0 and quiets NaNs); NaN lanes are
then replaced by the canonical NaN (cmpunord, mask >> 10 or 13, andn). pmin/pmax are defined as
`b < a ? b : a` / `a < b ? b : a`, which is minps/maxps with swapped operands (bits kept).

Conversions the ISA lacks:
- f32x4.convert_i32x4_u: the low 16 bits and the (halved) rest convert exactly; one rounding in
  the final add.
- i32x4.trunc_sat_f32x4_s: cvttps2dq gives 0x80000000 for NaN and both overflows; NaN lanes are
  zeroed first and positive overflow flipped to 0x7FFFFFFF.
- i32x4.trunc_sat_f32x4_u: clamp below at 0 (NaN -> 0), convert x and x - 2^31 (clamped at 0);
  pminud turns the second's overflow into 0x7FFFFFFF, and the sum gives x, or 0xFFFFFFFF.
- i32x4.trunc_sat_f64x2_s_zero: NaN -> 0 and clamp above at INT32_MAX; cvttpd2dq's indefinite
  value is INT32_MIN, the right saturation below.
- i32x4.trunc_sat_f64x2_u_zero: clamp to [0, 2^32 - 1], truncate, add 2^52: the low dword of each
  double is then the integer.
- f64x2.convert_low_i32x4_u: the dwords become the low halves of doubles 2^52 + x; minus 2^52.
"""

from collections import namedtuple

from ..binary import opcodes as op
from .masm_float_base import F32 as SCALAR_F32, F64 as SCALAR_F64
from .masm_simd_base import (SHAPE_BINARY, SHAPE_UNARY, ZEROS, binary, move, reversed_binary,
                             sequence, splat, unary)
from .masm_simd_forms import CMP_EQ, CMP_LE, CMP_LT, CMP_NEQ, CMP_UNORD, SimdForms as F
from .sse import ROUND_CEIL, ROUND_FLOOR, ROUND_NEAREST, ROUND_TRUNC, SseForms

_OPS = {}
_NO_PRECISION = 8   # round imm8 bit 3: do not signal the precision exception


def _add(opcode: int, emitter, shape: int) -> None:
    _OPS[opcode] = (emitter, shape)


def _name(opcode: int) -> str:
    return "emit_" + op.NAMES[opcode].replace(".", "_")


class _Width(namedtuple("_Width", "add sub mul div min max sqrt cmp round psrl nan_bits pack")):
    """The packed forms of one float width (bitwise ops use the ps forms for both).

    cmp: cmpps/cmppd xmm, xmm, predicate
    round: roundps/roundpd xmm, xmm, mode
    psrl: psrld/psrlq xmm, imm: lane-width logical shift
    nan_bits: the top bits set in a canonical NaN (sign, exponent, quiet)
    pack: float -> bit pattern of one lane
    """
    __slots__ = ()


_P32 = _Width(F.addps_xx, F.subps_xx, F.mulps_xx, F.divps_xx, F.minps_xx, F.maxps_xx,
              F.sqrtps_xx, F.cmpps_xxi, F.roundps_xxi, F.psrld_xi, 10, SCALAR_F32.pack)
_P64 = _Width(F.addpd_xx, F.subpd_xx, F.mulpd_xx, F.divpd_xx, F.minpd_xx, F.maxpd_xx,
              F.sqrtpd_xx, F.cmppd_xxi, F.roundpd_xxi, F.psrlq_xi, 13, SCALAR_F64.pack)
_orps, _xorps, _andnps = SseForms.orps_xx, SseForms.xorps_xx, SseForms.andnps_xx


def _with_imm(form, imm: int):
    return lambda a, d, s: form(a, d, s, imm)


# ---- arithmetic ---------------------------------------------------------------------------------

for _w, _ops in ((_P32, (op.F32X4_ADD, op.F32X4_SUB, op.F32X4_MUL, op.F32X4_DIV, op.F32X4_SQRT,
                         op.F32X4_EQ, op.F32X4_NE, op.F32X4_LT, op.F32X4_LE, op.F32X4_GT,
                         op.F32X4_GE, op.F32X4_PMIN, op.F32X4_PMAX)),
                 (_P64, (op.F64X2_ADD, op.F64X2_SUB, op.F64X2_MUL, op.F64X2_DIV, op.F64X2_SQRT,
                         op.F64X2_EQ, op.F64X2_NE, op.F64X2_LT, op.F64X2_LE, op.F64X2_GT,
                         op.F64X2_GE, op.F64X2_PMIN, op.F64X2_PMAX))):
    _add_, _sub, _mul, _div, _sqrt, _eq, _ne, _lt, _le, _gt, _ge, _pmin, _pmax = _ops
    for _opcode, _form, _what in ((_add_, _w.add, "dst + src"), (_sub, _w.sub, "dst - src"),
                                  (_mul, _w.mul, "dst * src"), (_div, _w.div, "dst / src"),
                                  (_eq, _with_imm(_w.cmp, CMP_EQ), "dst == src (masks)"),
                                  (_ne, _with_imm(_w.cmp, CMP_NEQ), "dst != src (masks)"),
                                  (_lt, _with_imm(_w.cmp, CMP_LT), "dst < src (masks)"),
                                  (_le, _with_imm(_w.cmp, CMP_LE), "dst <= src (masks)")):
        _add(_opcode, binary(_form, _name(_opcode), _what), SHAPE_BINARY)
    for _opcode, _form, _what in ((_gt, _with_imm(_w.cmp, CMP_LT), "dst > src (masks)"),
                                  (_ge, _with_imm(_w.cmp, CMP_LE), "dst >= src (masks)"),
                                  (_pmin, _w.min, "src < dst ? src : dst"),
                                  (_pmax, _w.max, "dst < src ? src : dst")):
        _add(_opcode, reversed_binary(_form, _name(_opcode), _what), SHAPE_BINARY)
    _add(_sqrt, unary(_w.sqrt, _name(_sqrt), "sqrt(src)"), SHAPE_UNARY)


def _min(w, name: str):
    psrl, shift = w.psrl, w.nan_bits

    def emit(a, dst, src, xtmp):
        a.movaps_xx(xtmp, src)
        w.min(a, xtmp, dst)              # min(src, dst): dst where NaN or equal
        w.min(a, dst, src)               # min(dst, src): src where NaN or equal
        _orps(a, xtmp, dst)              # a NaN or -0 from either order wins
        w.cmp(a, dst, xtmp, CMP_UNORD)   # NaN lanes
        _orps(a, xtmp, dst)
        psrl(a, dst, shift)
        _andnps(a, dst, xtmp)            # NaN lanes -> sign | exponent | quiet bit
    return sequence(name, "dst, src, xtmp", "dst = min(dst, src) lane-wise: NaN if either is "
                    "(canonical), -0 < +0. dst may equal src.", "dst, xtmp")(emit)


def _max(w, name: str):
    psrl, shift = w.psrl, w.nan_bits

    def emit(a, dst, src, xtmp):
        a.movaps_xx(xtmp, src)
        w.max(a, xtmp, dst)              # max(src, dst)
        w.max(a, dst, src)               # max(dst, src)
        _xorps(a, dst, xtmp)             # where the two orders differ (NaN, +0/-0)
        _orps(a, xtmp, dst)              # both merged: NaN propagates, -0 for a +0/-0 pair
        w.sub(a, xtmp, dst)              # -0 - -0 = +0; quiets NaNs
        w.cmp(a, dst, xtmp, CMP_UNORD)
        psrl(a, dst, shift)
        _andnps(a, dst, xtmp)
    return sequence(name, "dst, src, xtmp", "dst = max(dst, src) lane-wise: NaN if either is "
                    "(canonical), +0 > -0. dst may equal src.", "dst, xtmp")(emit)


_add(op.F32X4_MIN, _min(_P32, "emit_f32x4_min"), SHAPE_BINARY)
_add(op.F32X4_MAX, _max(_P32, "emit_f32x4_max"), SHAPE_BINARY)
_add(op.F64X2_MIN, _min(_P64, "emit_f64x2_min"), SHAPE_BINARY)
_add(op.F64X2_MAX, _max(_P64, "emit_f64x2_max"), SHAPE_BINARY)


def _sign_op(form, mask: int, lane_bits: int, name: str, what: str):
    def emit(a, dst, src, xtmp):
        move(a, dst, src)
        form(a, dst, splat(a, mask, lane_bits))
    return sequence(name, "dst, src, xtmp", f"dst = {what} (bit operation, NaN payload kept). "
                    "dst may equal src.", "dst")(emit)


for _opcode, _form, _mask, _bits, _what in (
        (op.F32X4_ABS, SseForms.andps_xm, 0x7FFFFFFF, 32, "|src|"),
        (op.F64X2_ABS, SseForms.andps_xm, (1 << 63) - 1, 64, "|src|"),
        (op.F32X4_NEG, SseForms.xorps_xm, 1 << 31, 32, "-src"),
        (op.F64X2_NEG, SseForms.xorps_xm, 1 << 63, 64, "-src")):
    _add(_opcode, _sign_op(_form, _mask, _bits, _name(_opcode), _what), SHAPE_UNARY)

for _w, _ops in ((_P32, (op.F32X4_CEIL, op.F32X4_FLOOR, op.F32X4_TRUNC, op.F32X4_NEAREST)),
                 (_P64, (op.F64X2_CEIL, op.F64X2_FLOOR, op.F64X2_TRUNC, op.F64X2_NEAREST))):
    for _opcode, _mode in zip(_ops, (ROUND_CEIL, ROUND_FLOOR, ROUND_TRUNC, ROUND_NEAREST)):
        _add(_opcode, unary(_with_imm(_w.round, _mode | _NO_PRECISION), _name(_opcode),
                            "src rounded to an integral value (SSE4.1)"), SHAPE_UNARY)


# ---- conversions --------------------------------------------------------------------------------

@sequence("emit_f32x4_convert_i32x4_u", "dst, src, xtmp", "dst = the u32 lanes of src as f32 "
          "(low 16 bits and the rest converted exactly, one rounding). dst may equal src.",
          "dst, xtmp")
def emit_f32x4_convert_i32x4_u(a, dst, src, xtmp):
    a.movaps_xx(xtmp, src)
    F.pand_xm(a, xtmp, splat(a, 0xFFFF, 32))       # low 16 bits
    move(a, dst, src)
    F.psubd_xx(a, dst, xtmp)                       # high 16 bits (multiples of 2^16)
    F.cvtdq2ps_xx(a, xtmp, xtmp)
    F.psrld_xi(a, dst, 1)                          # < 2^31: a signed conversion is exact
    F.cvtdq2ps_xx(a, dst, dst)
    F.addps_xx(a, dst, dst)
    F.addps_xx(a, dst, xtmp)


@sequence("emit_i32x4_trunc_sat_f32x4_s", "dst, src, xtmp", "dst = src truncated to i32, "
          "saturated, NaN -> 0. dst may equal src.", "dst, xtmp")
def emit_i32x4_trunc_sat_f32x4_s(a, dst, src, xtmp):
    move(a, dst, src)
    a.movaps_xx(xtmp, dst)
    F.cmpps_xxi(a, xtmp, xtmp, CMP_EQ)   # ordered lanes
    a.andps_xx(dst, xtmp)                # NaN -> +0
    a.pxor_xx(xtmp, dst)                 # sign bit set where the input is >= +0
    F.cvttps2dq_xx(a, dst, dst)          # out of range -> 0x80000000
    F.pand_xx(a, xtmp, dst)              # sign bit set where a positive input overflowed
    F.psrad_xi(a, xtmp, 31)
    a.pxor_xx(dst, xtmp)                 # 0x80000000 -> 0x7FFFFFFF there


@sequence("emit_i32x4_trunc_sat_f32x4_u", "dst, src, xtmp", "dst = src truncated to u32, "
          "saturated, NaN -> 0. dst may equal src.", "dst, xtmp")
def emit_i32x4_trunc_sat_f32x4_u(a, dst, src, xtmp):
    zeros = a.const128(ZEROS)
    move(a, dst, src)
    F.maxps_xm(a, dst, zeros)            # NaN and negatives -> +0
    a.movaps_xx(xtmp, dst)
    F.subps_xm(a, xtmp, splat(a, _P32.pack(2.0 ** 31), 32))
    F.maxps_xm(a, xtmp, zeros)           # x - 2^31, or 0 below 2^31
    F.cvttps2dq_xx(a, xtmp, xtmp)        # its overflow (x >= 2^32) -> 0x80000000
    F.pminud_xm(a, xtmp, splat(a, 0x7FFFFFFF, 32))
    F.cvttps2dq_xx(a, dst, dst)          # x, or 0x80000000 for x >= 2^31
    F.paddd_xx(a, dst, xtmp)


@sequence("emit_i32x4_trunc_sat_f64x2_s_zero", "dst, src, xtmp", "dst = the two f64 lanes "
          "truncated to i32, saturated, NaN -> 0; the upper two lanes zero. dst may equal src.",
          "dst, xtmp")
def emit_i32x4_trunc_sat_f64x2_s_zero(a, dst, src, xtmp):
    move(a, dst, src)
    a.movaps_xx(xtmp, dst)
    F.cmppd_xxi(a, xtmp, xtmp, CMP_EQ)
    a.andps_xm(xtmp, splat(a, _P64.pack(2147483647.0), 64))  # INT32_MAX, or 0 for NaN
    F.minpd_xx(a, dst, xtmp)
    F.cvttpd2dq_xx(a, dst, dst)


@sequence("emit_i32x4_trunc_sat_f64x2_u_zero", "dst, src, xtmp", "dst = the two f64 lanes "
          "truncated to u32, saturated, NaN -> 0; the upper two lanes zero. dst may equal src.",
          "dst")
def emit_i32x4_trunc_sat_f64x2_u_zero(a, dst, src, xtmp):
    zeros = a.const128(ZEROS)
    move(a, dst, src)
    F.maxpd_xm(a, dst, zeros)            # NaN and negatives -> +0
    F.minpd_xm(a, dst, splat(a, _P64.pack(4294967295.0), 64))
    F.roundpd_xxi(a, dst, dst, ROUND_TRUNC | _NO_PRECISION)
    F.addpd_xm(a, dst, splat(a, _P64.pack(2.0 ** 52), 64))
    F.shufps_xmi(a, dst, zeros, 0x88)    # the low dwords, then two zero lanes


@sequence("emit_f64x2_convert_low_i32x4_u", "dst, src, xtmp", "dst = the low two u32 lanes of "
          "src as f64 (2^52 + x, minus 2^52: exact). dst may equal src.", "dst")
def emit_f64x2_convert_low_i32x4_u(a, dst, src, xtmp):
    move(a, dst, src)
    F.unpcklps_xm(a, dst, splat(a, 0x43300000, 32))
    F.subpd_xm(a, dst, splat(a, _P64.pack(2.0 ** 52), 64))


_add(op.F32X4_CONVERT_I32X4_S, unary(F.cvtdq2ps_xx, "emit_f32x4_convert_i32x4_s",
                                     "the i32 lanes of src as f32"), SHAPE_UNARY)
_add(op.F32X4_CONVERT_I32X4_U, emit_f32x4_convert_i32x4_u, SHAPE_UNARY)
_add(op.I32X4_TRUNC_SAT_F32X4_S, emit_i32x4_trunc_sat_f32x4_s, SHAPE_UNARY)
_add(op.I32X4_TRUNC_SAT_F32X4_U, emit_i32x4_trunc_sat_f32x4_u, SHAPE_UNARY)
_add(op.I32X4_TRUNC_SAT_F64X2_S_ZERO, emit_i32x4_trunc_sat_f64x2_s_zero, SHAPE_UNARY)
_add(op.I32X4_TRUNC_SAT_F64X2_U_ZERO, emit_i32x4_trunc_sat_f64x2_u_zero, SHAPE_UNARY)
_add(op.F64X2_CONVERT_LOW_I32X4_S, unary(F.cvtdq2pd_xx, "emit_f64x2_convert_low_i32x4_s",
                                         "the low two i32 lanes of src as f64"), SHAPE_UNARY)
_add(op.F64X2_CONVERT_LOW_I32X4_U, emit_f64x2_convert_low_i32x4_u, SHAPE_UNARY)
_add(op.F32X4_DEMOTE_F64X2_ZERO, unary(F.cvtpd2ps_xx, "emit_f32x4_demote_f64x2_zero",
                                       "the f64 lanes of src rounded to f32, then two zero "
                                       "lanes"), SHAPE_UNARY)
_add(op.F64X2_PROMOTE_LOW_F32X4, unary(F.cvtps2pd_xx, "emit_f64x2_promote_low_f32x4",
                                       "the low two f32 lanes of src widened"), SHAPE_UNARY)

FLOAT_OPS = _OPS
"""Wasm opcode -> (emitter, SHAPE_*) for the f32x4/f64x2 arithmetic and conversions."""

del _w, _ops, _opcode, _form, _what, _mask, _bits, _mode
del _add_, _sub, _mul, _div, _sqrt, _eq, _ne, _lt, _le, _gt, _ge, _pmin, _pmax
