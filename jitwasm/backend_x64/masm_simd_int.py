"""Integer and bitwise v128 emitters: arithmetic, compares, shifts, reductions, widen/narrow.

Most Wasm integer lane ops are one SSE instruction. The ones x86 lacks are emulated:

- unsigned compares: `a <=u b` is `max_u(a, b) == b` (and `>=u` with min), the strict ones the
  negation; signed `<=`, `>=` likewise with the signed min/max; i64x2 uses pcmpgtq (SSE4.2).
- i64x2.mul: lo*lo with pmuludq plus the two cross products (pmulld on the half-swapped operand,
  summed by phaddd) shifted into the high half.
- i64x2.abs / i64x2.shr_s: the sign mask of each lane (pshufd + psrad 31), or the identity
  `sar(x, n) = (shr(x, n) ^ m) - m` with `m = 2^63 >> n`.
- i8x16 shifts: a 16-bit shift, then mask away the bits that crossed a byte boundary (shl,
  shr_u), or unpack the bytes to words for the arithmetic shift (shr_s).
- i8x16.popcnt: the SWAR bit count, in bytes.
- q15mulr_sat_s: pmulhrsw, whose only overflow (-32768 * -32768) yields 0x8000: flipped to 0x7FFF.
- extend/extmul/extadd: pmovsx/zx, pmullw+pmulh interleaved, pmuldq/pmuludq, pmaddubsw/pmaddwd.

Shift counts are taken modulo the lane width as Wasm requires (the count's register is masked
into an XMM register, so counts of any size, and the garbage above an i32, are harmless).
`SHIFT_IMM` has the forms for a constant count. Sources are never written; see masm_simd.py for
the shapes and the register conventions.
"""

from ..binary import opcodes as op
from .masm_simd_base import (ONES, SHAPE_BINARY, SHAPE_SHIFT, SHAPE_SHIFT_X2, SHAPE_TERNARY,
                             SHAPE_TO_GPR, SHAPE_UNARY, binary, low, move, reversed_binary,
                             sequence, splat, unary)
from .masm_simd_forms import SimdForms as F
from .regs import CC_E, CC_NE
from .sse import SseForms

_OPS = {}


def _add(opcode: int, emitter, shape: int) -> None:
    _OPS[opcode] = (emitter, shape)


def _name(opcode: int) -> str:
    return "emit_" + op.NAMES[opcode].replace(".", "_")


def _not(a, dst: int) -> None:
    a.pxor_xm(dst, a.const128(ONES))


# ---- one instruction -----------------------------------------------------------------------------

_DIRECT = (
    (op.V128_AND, F.pand_xx, "dst & src"), (op.V128_OR, F.por_xx, "dst | src"),
    (op.I8X16_ADD, F.paddb_xx, "dst + src"), (op.I16X8_ADD, F.paddw_xx, "dst + src"),
    (op.I32X4_ADD, F.paddd_xx, "dst + src"), (op.I64X2_ADD, F.paddq_xx, "dst + src"),
    (op.I8X16_SUB, F.psubb_xx, "dst - src"), (op.I16X8_SUB, F.psubw_xx, "dst - src"),
    (op.I32X4_SUB, F.psubd_xx, "dst - src"), (op.I64X2_SUB, F.psubq_xx, "dst - src"),
    (op.I8X16_ADD_SAT_S, F.paddsb_xx, "sat_s(dst + src)"),
    (op.I16X8_ADD_SAT_S, F.paddsw_xx, "sat_s(dst + src)"),
    (op.I8X16_ADD_SAT_U, F.paddusb_xx, "sat_u(dst + src)"),
    (op.I16X8_ADD_SAT_U, F.paddusw_xx, "sat_u(dst + src)"),
    (op.I8X16_SUB_SAT_S, F.psubsb_xx, "sat_s(dst - src)"),
    (op.I16X8_SUB_SAT_S, F.psubsw_xx, "sat_s(dst - src)"),
    (op.I8X16_SUB_SAT_U, F.psubusb_xx, "sat_u(dst - src)"),
    (op.I16X8_SUB_SAT_U, F.psubusw_xx, "sat_u(dst - src)"),
    (op.I16X8_MUL, F.pmullw_xx, "dst * src"), (op.I32X4_MUL, F.pmulld_xx, "dst * src"),
    (op.I8X16_MIN_S, F.pminsb_xx, "min_s(dst, src)"),
    (op.I8X16_MIN_U, F.pminub_xx, "min_u(dst, src)"),
    (op.I8X16_MAX_S, F.pmaxsb_xx, "max_s(dst, src)"),
    (op.I8X16_MAX_U, F.pmaxub_xx, "max_u(dst, src)"),
    (op.I16X8_MIN_S, F.pminsw_xx, "min_s(dst, src)"),
    (op.I16X8_MIN_U, F.pminuw_xx, "min_u(dst, src)"),
    (op.I16X8_MAX_S, F.pmaxsw_xx, "max_s(dst, src)"),
    (op.I16X8_MAX_U, F.pmaxuw_xx, "max_u(dst, src)"),
    (op.I32X4_MIN_S, F.pminsd_xx, "min_s(dst, src)"),
    (op.I32X4_MIN_U, F.pminud_xx, "min_u(dst, src)"),
    (op.I32X4_MAX_S, F.pmaxsd_xx, "max_s(dst, src)"),
    (op.I32X4_MAX_U, F.pmaxud_xx, "max_u(dst, src)"),
    (op.I8X16_AVGR_U, F.pavgb_xx, "(dst + src + 1) >> 1"),
    (op.I16X8_AVGR_U, F.pavgw_xx, "(dst + src + 1) >> 1"),
    (op.I32X4_DOT_I16X8_S, F.pmaddwd_xx, "pairwise sums of the i16 products"),
    (op.I8X16_NARROW_I16X8_S, F.packsswb_xx, "sat_s8(dst) ++ sat_s8(src)"),
    (op.I8X16_NARROW_I16X8_U, F.packuswb_xx, "sat_u8(dst) ++ sat_u8(src)"),
    (op.I16X8_NARROW_I32X4_S, F.packssdw_xx, "sat_s16(dst) ++ sat_s16(src)"),
    (op.I16X8_NARROW_I32X4_U, F.packusdw_xx, "sat_u16(dst) ++ sat_u16(src)"),
    (op.I8X16_EQ, F.pcmpeqb_xx, "dst == src"), (op.I16X8_EQ, F.pcmpeqw_xx, "dst == src"),
    (op.I32X4_EQ, F.pcmpeqd_xx, "dst == src"), (op.I64X2_EQ, F.pcmpeqq_xx, "dst == src"),
    (op.I8X16_GT_S, F.pcmpgtb_xx, "dst >s src"), (op.I16X8_GT_S, F.pcmpgtw_xx, "dst >s src"),
    (op.I32X4_GT_S, F.pcmpgtd_xx, "dst >s src"), (op.I64X2_GT_S, F.pcmpgtq_xx, "dst >s src"),
)
for _opcode, _form, _what in _DIRECT:
    _add(_opcode, binary(_form, _name(_opcode), _what), SHAPE_BINARY)
_add(op.V128_XOR, binary(SseForms.pxor_xx, "emit_v128_xor", "dst ^ src"), SHAPE_BINARY)

_REVERSED = (
    (op.V128_ANDNOT, F.pandn_xx, "dst & ~src"),
    (op.I8X16_LT_S, F.pcmpgtb_xx, "dst <s src"), (op.I16X8_LT_S, F.pcmpgtw_xx, "dst <s src"),
    (op.I32X4_LT_S, F.pcmpgtd_xx, "dst <s src"), (op.I64X2_LT_S, F.pcmpgtq_xx, "dst <s src"),
)
for _opcode, _form, _what in _REVERSED:
    _add(_opcode, reversed_binary(_form, _name(_opcode), _what), SHAPE_BINARY)

_UNARY = (
    (op.I8X16_ABS, F.pabsb_xx, "|src|"), (op.I16X8_ABS, F.pabsw_xx, "|src|"),
    (op.I32X4_ABS, F.pabsd_xx, "|src|"),
    (op.I16X8_EXTEND_LOW_I8X16_S, F.pmovsxbw_xx, "sign-extended low half of src"),
    (op.I16X8_EXTEND_LOW_I8X16_U, F.pmovzxbw_xx, "zero-extended low half of src"),
    (op.I32X4_EXTEND_LOW_I16X8_S, F.pmovsxwd_xx, "sign-extended low half of src"),
    (op.I32X4_EXTEND_LOW_I16X8_U, F.pmovzxwd_xx, "zero-extended low half of src"),
    (op.I64X2_EXTEND_LOW_I32X4_S, F.pmovsxdq_xx, "sign-extended low half of src"),
    (op.I64X2_EXTEND_LOW_I32X4_U, F.pmovzxdq_xx, "zero-extended low half of src"),
)
for _opcode, _form, _what in _UNARY:
    _add(_opcode, unary(_form, _name(_opcode), _what), SHAPE_UNARY)


# ---- compares built from min/max, and negated compares ----------------------------------------

def _compare_via(first, eq, negate: bool, name: str, what: str):
    """dst = (first(dst, src) == src), negated if asked: min/max turn <=, >= into an equality."""
    def emit(a, dst, src, xtmp):
        first(a, dst, src)
        if eq is not None:
            eq(a, dst, src)
        if negate:
            _not(a, dst)
    return sequence(name, "dst, src, xtmp", f"dst = {what} (lane masks). dst may equal src.",
                    "dst")(emit)


_VIA = (
    # opcode, first, equality (None: `first` is the compare), negate, what
    (op.I8X16_NE, F.pcmpeqb_xx, None, True, "dst != src"),
    (op.I16X8_NE, F.pcmpeqw_xx, None, True, "dst != src"),
    (op.I32X4_NE, F.pcmpeqd_xx, None, True, "dst != src"),
    (op.I64X2_NE, F.pcmpeqq_xx, None, True, "dst != src"),
    (op.I64X2_LE_S, F.pcmpgtq_xx, None, True, "dst <=s src"),
    (op.I8X16_LE_S, F.pmaxsb_xx, F.pcmpeqb_xx, False, "dst <=s src"),
    (op.I8X16_GE_S, F.pminsb_xx, F.pcmpeqb_xx, False, "dst >=s src"),
    (op.I8X16_LE_U, F.pmaxub_xx, F.pcmpeqb_xx, False, "dst <=u src"),
    (op.I8X16_GE_U, F.pminub_xx, F.pcmpeqb_xx, False, "dst >=u src"),
    (op.I8X16_GT_U, F.pmaxub_xx, F.pcmpeqb_xx, True, "dst >u src"),
    (op.I8X16_LT_U, F.pminub_xx, F.pcmpeqb_xx, True, "dst <u src"),
    (op.I16X8_LE_S, F.pmaxsw_xx, F.pcmpeqw_xx, False, "dst <=s src"),
    (op.I16X8_GE_S, F.pminsw_xx, F.pcmpeqw_xx, False, "dst >=s src"),
    (op.I16X8_LE_U, F.pmaxuw_xx, F.pcmpeqw_xx, False, "dst <=u src"),
    (op.I16X8_GE_U, F.pminuw_xx, F.pcmpeqw_xx, False, "dst >=u src"),
    (op.I16X8_GT_U, F.pmaxuw_xx, F.pcmpeqw_xx, True, "dst >u src"),
    (op.I16X8_LT_U, F.pminuw_xx, F.pcmpeqw_xx, True, "dst <u src"),
    (op.I32X4_LE_S, F.pmaxsd_xx, F.pcmpeqd_xx, False, "dst <=s src"),
    (op.I32X4_GE_S, F.pminsd_xx, F.pcmpeqd_xx, False, "dst >=s src"),
    (op.I32X4_LE_U, F.pmaxud_xx, F.pcmpeqd_xx, False, "dst <=u src"),
    (op.I32X4_GE_U, F.pminud_xx, F.pcmpeqd_xx, False, "dst >=u src"),
    (op.I32X4_GT_U, F.pmaxud_xx, F.pcmpeqd_xx, True, "dst >u src"),
    (op.I32X4_LT_U, F.pminud_xx, F.pcmpeqd_xx, True, "dst <u src"),
)
for _opcode, _first, _eq, _negate, _what in _VIA:
    _add(_opcode, _compare_via(_first, _eq, _negate, _name(_opcode), _what), SHAPE_BINARY)


_i64x2_lt_s = reversed_binary(F.pcmpgtq_xx, "emit_i64x2_lt_s", "dst <s src")


@sequence("emit_i64x2_ge_s", "dst, src, xtmp", "dst = dst >=s src, i.e. not (src >s dst). "
          "dst may equal src.", "dst, xtmp")
def emit_i64x2_ge_s(a, dst, src, xtmp):
    _i64x2_lt_s(a, dst, src, xtmp)
    _not(a, dst)


_add(op.I64X2_GE_S, emit_i64x2_ge_s, SHAPE_BINARY)


# ---- bitwise -------------------------------------------------------------------------------------

@sequence("emit_v128_not", "dst, src, xtmp", "dst = ~src. dst may equal src.", "dst")
def emit_v128_not(a, dst, src, xtmp):
    move(a, dst, src)
    _not(a, dst)


@sequence("emit_v128_bitselect", "dst, src1, src2, xtmp",
          "dst = (dst & src2) | (src1 & ~src2), as ((dst ^ src1) & src2) ^ src1. Any of the "
          "three may share a register.", "dst, xtmp")
def emit_v128_bitselect(a, dst, src1, src2, xtmp):
    if dst == src1:                      # both inputs are the same value: so is the result
        return
    mask = src2
    if dst == src2:
        a.movaps_xx(xtmp, src2)
        mask = xtmp
    a.pxor_xx(dst, src1)
    F.pand_xx(a, dst, mask)
    a.pxor_xx(dst, src1)


_add(op.V128_NOT, emit_v128_not, SHAPE_UNARY)
_add(op.V128_BITSELECT, emit_v128_bitselect, SHAPE_TERNARY)


# ---- reductions to a GPR -----------------------------------------------------------------------

def emit_v128_any_true_flags(a, src: int, xtmp: int) -> int:
    """ptest for v128.any_true; returns the condition code that holds when the result is 1."""
    a.ptest_xx(src, src)
    return CC_NE


def _all_true_flags(eq):
    def emit(a, src, xtmp):
        a.pxor_xx(xtmp, xtmp)
        eq(a, xtmp, src)                 # all-ones in the lanes that are zero
        a.ptest_xx(xtmp, xtmp)
        return CC_E
    return emit


TEST_FLAGS = {
    op.V128_ANY_TRUE: emit_v128_any_true_flags,
    op.I8X16_ALL_TRUE: _all_true_flags(F.pcmpeqb_xx),
    op.I16X8_ALL_TRUE: _all_true_flags(F.pcmpeqw_xx),
    op.I32X4_ALL_TRUE: _all_true_flags(F.pcmpeqd_xx),
    op.I64X2_ALL_TRUE: _all_true_flags(F.pcmpeqq_xx),
}
"""any_true/all_true opcode -> emit(a, src, xtmp) -> cc: sets the flags only (and xtmp for
all_true), for fusing the reduction with br_if/select/if; the result is 1 exactly when `cc`
holds."""


def _as_bool(opcode: int, what: str, writes: str):
    """The i32 form of a TEST_FLAGS reduction: its condition materialised by setcc."""
    flags = TEST_FLAGS[opcode]

    def emit(a, dst, src, xtmp):
        cc = flags(a, src, xtmp)
        a.setcc(cc, dst)
        a.movzx_rr(32, 8, dst, dst)
    return sequence(_name(opcode), "dst, src, xtmp", f"dst (i32) = 1 if {what}, else 0. "
                    "Writes the flags.", writes)(emit)


_add(op.V128_ANY_TRUE, _as_bool(op.V128_ANY_TRUE, "any bit of src is set", "dst"),
     SHAPE_TO_GPR)
for _opcode in (op.I8X16_ALL_TRUE, op.I16X8_ALL_TRUE, op.I32X4_ALL_TRUE, op.I64X2_ALL_TRUE):
    _add(_opcode, _as_bool(_opcode, "no lane of src is zero", "dst, xtmp"), SHAPE_TO_GPR)


@sequence("emit_i8x16_bitmask", "dst, src, xtmp", "dst (i32) = the sign bits of the 16 lanes.",
          "dst")
def emit_i8x16_bitmask(a, dst, src, xtmp):
    F.pmovmskb_rx(a, dst, src)


@sequence("emit_i16x8_bitmask", "dst, src, xtmp", "dst (i32) = the sign bits of the 8 lanes "
          "(packsswb keeps each sign).", "dst, xtmp")
def emit_i16x8_bitmask(a, dst, src, xtmp):
    a.movaps_xx(xtmp, src)
    F.packsswb_xx(a, xtmp, xtmp)
    F.pmovmskb_rx(a, dst, xtmp)
    a.movzx_rr(32, 8, dst, dst)


@sequence("emit_i32x4_bitmask", "dst, src, xtmp", "dst (i32) = the sign bits of the 4 lanes.",
          "dst")
def emit_i32x4_bitmask(a, dst, src, xtmp):
    a.movmskps_rx(dst, src)


@sequence("emit_i64x2_bitmask", "dst, src, xtmp", "dst (i32) = the sign bits of the 2 lanes.",
          "dst")
def emit_i64x2_bitmask(a, dst, src, xtmp):
    a.movmskpd_rx(dst, src)


_add(op.I8X16_BITMASK, emit_i8x16_bitmask, SHAPE_TO_GPR)
_add(op.I16X8_BITMASK, emit_i16x8_bitmask, SHAPE_TO_GPR)
_add(op.I32X4_BITMASK, emit_i32x4_bitmask, SHAPE_TO_GPR)
_add(op.I64X2_BITMASK, emit_i64x2_bitmask, SHAPE_TO_GPR)


# ---- arithmetic sequences ---------------------------------------------------------------------

def _neg(sub, name: str):
    def emit(a, dst, src, xtmp):
        if dst == src:
            a.movaps_xx(xtmp, src)
            src = xtmp
        a.pxor_xx(dst, dst)
        sub(a, dst, src)
    return sequence(name, "dst, src, xtmp", "dst = 0 - src (wrapping). dst may equal src.",
                    "dst, xtmp")(emit)


for _opcode, _sub in ((op.I8X16_NEG, F.psubb_xx), (op.I16X8_NEG, F.psubw_xx),
                      (op.I32X4_NEG, F.psubd_xx), (op.I64X2_NEG, F.psubq_xx)):
    _add(_opcode, _neg(_sub, _name(_opcode)), SHAPE_UNARY)


def _sign_mask64(a, dst: int, src: int) -> None:
    """dst = all-ones in the i64 lanes of src that are negative (the high dwords' signs)."""
    a.pshufd_xxi(dst, src, 0xF5)
    F.psrad_xi(a, dst, 31)


@sequence("emit_i64x2_abs", "dst, src, xtmp", "dst = |src| (wrapping), as (x ^ s) - s with s "
          "the lane's sign mask. dst may equal src.", "dst, xtmp")
def emit_i64x2_abs(a, dst, src, xtmp):
    _sign_mask64(a, xtmp, src)
    move(a, dst, src)
    a.pxor_xx(dst, xtmp)
    F.psubq_xx(a, dst, xtmp)


@sequence("emit_i64x2_mul", "dst, src, xtmp", "dst = dst * src (wrapping): lo*lo + ((lo*hi + "
          "hi*lo) << 32). dst may equal src.", "dst, xtmp")
def emit_i64x2_mul(a, dst, src, xtmp):
    a.pshufd_xxi(xtmp, src, 0xB1)        # src with the halves of each lane swapped
    F.pmulld_xx(a, xtmp, dst)            # the two cross products of each lane (32-bit)
    F.phaddd_xx(a, xtmp, xtmp)           # their sums: [s0, s1, s0, s1]
    a.pshufd_xxi(xtmp, xtmp, 0x50)       # [s0, s0, s1, s1]
    F.psllq_xi(a, xtmp, 32)              # [0, s0, 0, s1]
    F.pmuludq_xx(a, dst, src)            # lo * lo as 64 bits
    F.paddq_xx(a, dst, xtmp)


@sequence("emit_i8x16_popcnt", "dst, src, xtmp", "dst = the number of set bits of each byte "
          "(SWAR: pairs, nibbles, bytes). dst may equal src.", "dst, xtmp")
def emit_i8x16_popcnt(a, dst, src, xtmp):
    move(a, dst, src)
    a.movaps_xx(xtmp, dst)
    F.psrlw_xi(a, xtmp, 1)
    F.pand_xm(a, xtmp, splat(a, 0x55, 8))
    F.psubb_xx(a, dst, xtmp)             # 2-bit counts
    a.movaps_xx(xtmp, dst)
    F.psrlw_xi(a, xtmp, 2)
    mask33 = splat(a, 0x33, 8)
    F.pand_xm(a, xtmp, mask33)
    F.pand_xm(a, dst, mask33)
    F.paddb_xx(a, dst, xtmp)             # 4-bit counts
    a.movaps_xx(xtmp, dst)
    F.psrlw_xi(a, xtmp, 4)
    F.paddb_xx(a, dst, xtmp)
    F.pand_xm(a, dst, splat(a, 0x0F, 8))


@sequence("emit_i16x8_q15mulr_sat_s", "dst, src, xtmp", "dst = sat_s16((dst * src + 2^14) >> "
          "15): pmulhrsw, whose one overflow (0x8000 * 0x8000 -> 0x8000) is flipped to 0x7FFF. "
          "dst may equal src.", "dst, xtmp")
def emit_i16x8_q15mulr_sat_s(a, dst, src, xtmp):
    F.pmulhrsw_xx(a, dst, src)
    a.movaps_xm(xtmp, splat(a, 0x8000, 16))
    F.pcmpeqw_xx(a, xtmp, dst)
    a.pxor_xx(dst, xtmp)


_add(op.I64X2_ABS, emit_i64x2_abs, SHAPE_UNARY)
_add(op.I64X2_MUL, emit_i64x2_mul, SHAPE_BINARY)
_add(op.I8X16_POPCNT, emit_i8x16_popcnt, SHAPE_UNARY)
_add(op.I16X8_Q15MULR_SAT_S, emit_i16x8_q15mulr_sat_s, SHAPE_BINARY)


# ---- widening: extend_high, extadd_pairwise, extmul -------------------------------------------

def _extend_high(pmov, name: str):
    def emit(a, dst, src, xtmp):
        a.pshufd_xxi(dst, src, 0xEE)     # high 64 bits to the low half
        pmov(a, dst, dst)
    return sequence(name, "dst, src, xtmp", "dst = the high half of src, widened. dst may "
                    "equal src.", "dst")(emit)


for _opcode, _pmov in ((op.I16X8_EXTEND_HIGH_I8X16_S, F.pmovsxbw_xx),
                       (op.I16X8_EXTEND_HIGH_I8X16_U, F.pmovzxbw_xx),
                       (op.I32X4_EXTEND_HIGH_I16X8_S, F.pmovsxwd_xx),
                       (op.I32X4_EXTEND_HIGH_I16X8_U, F.pmovzxwd_xx),
                       (op.I64X2_EXTEND_HIGH_I32X4_S, F.pmovsxdq_xx),
                       (op.I64X2_EXTEND_HIGH_I32X4_U, F.pmovzxdq_xx)):
    _add(_opcode, _extend_high(_pmov, _name(_opcode)), SHAPE_UNARY)


@sequence("emit_i16x8_extadd_pairwise_i8x16_s", "dst, src, xtmp", "dst = sums of adjacent "
          "signed bytes: pmaddubsw(ones as u8, src as s8). dst may equal src.", "dst, xtmp")
def emit_i16x8_extadd_pairwise_i8x16_s(a, dst, src, xtmp):
    if dst == src:
        a.movaps_xx(xtmp, src)
        src = xtmp
    a.movaps_xm(dst, splat(a, 1, 8))
    F.pmaddubsw_xx(a, dst, src)


@sequence("emit_i16x8_extadd_pairwise_i8x16_u", "dst, src, xtmp", "dst = sums of adjacent "
          "unsigned bytes: pmaddubsw(src as u8, ones as s8). dst may equal src.", "dst")
def emit_i16x8_extadd_pairwise_i8x16_u(a, dst, src, xtmp):
    move(a, dst, src)
    F.pmaddubsw_xm(a, dst, splat(a, 1, 8))


@sequence("emit_i32x4_extadd_pairwise_i16x8_s", "dst, src, xtmp", "dst = sums of adjacent "
          "signed words (pmaddwd by ones). dst may equal src.", "dst")
def emit_i32x4_extadd_pairwise_i16x8_s(a, dst, src, xtmp):
    move(a, dst, src)
    F.pmaddwd_xm(a, dst, splat(a, 1, 16))


@sequence("emit_i32x4_extadd_pairwise_i16x8_u", "dst, src, xtmp", "dst = sums of adjacent "
          "unsigned words: bias to signed (x ^ 0x8000 = x - 2^15), pmaddwd by ones, add 2^16 "
          "back. dst may equal src.", "dst")
def emit_i32x4_extadd_pairwise_i16x8_u(a, dst, src, xtmp):
    move(a, dst, src)
    a.pxor_xm(dst, splat(a, 0x8000, 16))
    F.pmaddwd_xm(a, dst, splat(a, 1, 16))
    F.paddd_xm(a, dst, splat(a, 0x10000, 32))


_add(op.I16X8_EXTADD_PAIRWISE_I8X16_S, emit_i16x8_extadd_pairwise_i8x16_s, SHAPE_UNARY)
_add(op.I16X8_EXTADD_PAIRWISE_I8X16_U, emit_i16x8_extadd_pairwise_i8x16_u, SHAPE_UNARY)
_add(op.I32X4_EXTADD_PAIRWISE_I16X8_S, emit_i32x4_extadd_pairwise_i16x8_s, SHAPE_UNARY)
_add(op.I32X4_EXTADD_PAIRWISE_I16X8_U, emit_i32x4_extadd_pairwise_i16x8_u, SHAPE_UNARY)


def _extmul_i16(pmov, high: bool, name: str):
    """i16x8.extmul_*_i8x16: widen both halves with pmovsx/zx, then pmullw."""
    def emit(a, dst, src, xtmp):
        if high:
            a.pshufd_xxi(xtmp, src, 0xEE)
            pmov(a, xtmp, xtmp)
            a.pshufd_xxi(dst, dst, 0xEE)
            pmov(a, dst, dst)
        else:
            pmov(a, xtmp, src)
            pmov(a, dst, dst)
        F.pmullw_xx(a, dst, xtmp)
    half = "high" if high else "low"
    return sequence(name, "dst, src, xtmp", f"dst = the {half} halves of dst and src widened and "
                    "multiplied. dst may equal src.", "dst, xtmp")(emit)


def _extmul_i32(mulh, unpack, name: str):
    """i32x4.extmul_*_i16x8: low and high 16 bits of the products (pmullw, pmulhw/pmulhuw),
    interleaved into 32-bit lanes by punpckl/hwd."""
    def emit(a, dst, src, xtmp):
        a.movaps_xx(xtmp, dst)
        mulh(a, xtmp, src)
        F.pmullw_xx(a, dst, src)
        unpack(a, dst, xtmp)
    return sequence(name, "dst, src, xtmp", "dst = products of the selected halves, widened. "
                    "dst may equal src.", "dst, xtmp")(emit)


def _extmul_i64(mul, high: bool, name: str):
    """i64x2.extmul_*_i32x4: move the two lanes to the even dwords, then pmuldq/pmuludq."""
    order = 0xFA if high else 0x50

    def emit(a, dst, src, xtmp):
        a.pshufd_xxi(xtmp, src, order)
        a.pshufd_xxi(dst, dst, order)
        mul(a, dst, xtmp)
    return sequence(name, "dst, src, xtmp", "dst = products of the selected halves, widened. "
                    "dst may equal src.", "dst, xtmp")(emit)


for _opcode, _factory, _args in (
        (op.I16X8_EXTMUL_LOW_I8X16_S, _extmul_i16, (F.pmovsxbw_xx, False)),
        (op.I16X8_EXTMUL_HIGH_I8X16_S, _extmul_i16, (F.pmovsxbw_xx, True)),
        (op.I16X8_EXTMUL_LOW_I8X16_U, _extmul_i16, (F.pmovzxbw_xx, False)),
        (op.I16X8_EXTMUL_HIGH_I8X16_U, _extmul_i16, (F.pmovzxbw_xx, True)),
        (op.I32X4_EXTMUL_LOW_I16X8_S, _extmul_i32, (F.pmulhw_xx, F.punpcklwd_xx)),
        (op.I32X4_EXTMUL_HIGH_I16X8_S, _extmul_i32, (F.pmulhw_xx, F.punpckhwd_xx)),
        (op.I32X4_EXTMUL_LOW_I16X8_U, _extmul_i32, (F.pmulhuw_xx, F.punpcklwd_xx)),
        (op.I32X4_EXTMUL_HIGH_I16X8_U, _extmul_i32, (F.pmulhuw_xx, F.punpckhwd_xx)),
        (op.I64X2_EXTMUL_LOW_I32X4_S, _extmul_i64, (F.pmuldq_xx, False)),
        (op.I64X2_EXTMUL_HIGH_I32X4_S, _extmul_i64, (F.pmuldq_xx, True)),
        (op.I64X2_EXTMUL_LOW_I32X4_U, _extmul_i64, (F.pmuludq_xx, False)),
        (op.I64X2_EXTMUL_HIGH_I32X4_U, _extmul_i64, (F.pmuludq_xx, True))):
    _add(_opcode, _factory(*_args, _name(_opcode)), SHAPE_BINARY)


# ---- shifts --------------------------------------------------------------------------------------

def _count(a, xtmp: int, count: int, mask: int, bias: int = 0) -> None:
    """xtmp = (count & mask) + bias in its low 64 bits, zero above: the shift count register."""
    a.movd_xr(xtmp, count)
    F.pand_xm(a, xtmp, low(a, mask))
    if bias:
        F.paddd_xm(a, xtmp, low(a, bias))


def _shift(form, lane_bits: int, name: str, what: str):
    def emit(a, dst, count, xtmp):
        _count(a, xtmp, count, lane_bits - 1)
        form(a, dst, xtmp)
    return sequence(name, "dst, count, xtmp", f"dst = dst {what} (count mod {lane_bits}); count "
                    "is an i32 GPR.", "dst, xtmp")(emit)


for _opcode, _form, _bits, _what in (
        (op.I16X8_SHL, F.psllw_xx, 16, "<<"), (op.I16X8_SHR_S, F.psraw_xx, 16, ">>s"),
        (op.I16X8_SHR_U, F.psrlw_xx, 16, ">>u"), (op.I32X4_SHL, F.pslld_xx, 32, "<<"),
        (op.I32X4_SHR_S, F.psrad_xx, 32, ">>s"), (op.I32X4_SHR_U, F.psrld_xx, 32, ">>u"),
        (op.I64X2_SHL, F.psllq_xx, 64, "<<"), (op.I64X2_SHR_U, F.psrlq_xx, 64, ">>u")):
    _add(_opcode, _shift(_form, _bits, _name(_opcode), _what), SHAPE_SHIFT)

# pshufb patterns copying each word's low (high) byte over the other.
_DUP_LOW_BYTES = bytes(i & ~1 for i in range(16))
_DUP_HIGH_BYTES = bytes(i | 1 for i in range(16))


@sequence("emit_i8x16_shl", "dst, count, xtmp, xtmp2", "dst = dst << (count mod 8): a word "
          "shift, masked by 0xFF << n built from an all-ones word shifted alike.",
          "dst, xtmp, xtmp2")
def emit_i8x16_shl(a, dst, count, xtmp, xtmp2):
    _count(a, xtmp, count, 7)
    F.pcmpeqd_xx(a, xtmp2, xtmp2)
    F.psllw_xx(a, xtmp2, xtmp)
    a.pshufb_xm(xtmp2, a.const128(_DUP_LOW_BYTES))
    F.psllw_xx(a, dst, xtmp)
    F.pand_xx(a, dst, xtmp2)


@sequence("emit_i8x16_shr_u", "dst, count, xtmp, xtmp2", "dst = dst >>u (count mod 8): a word "
          "shift, masked by 0xFF >> n.", "dst, xtmp, xtmp2")
def emit_i8x16_shr_u(a, dst, count, xtmp, xtmp2):
    _count(a, xtmp, count, 7)
    F.pcmpeqd_xx(a, xtmp2, xtmp2)
    F.psrlw_xx(a, xtmp2, xtmp)
    a.pshufb_xm(xtmp2, a.const128(_DUP_HIGH_BYTES))
    F.psrlw_xx(a, dst, xtmp)
    F.pand_xx(a, dst, xtmp2)


@sequence("emit_i8x16_shr_s", "dst, count, xtmp, xtmp2", "dst = dst >>s (count mod 8): each "
          "byte doubled into a word (b * 257), shifted right by 8 + n, packed back (no "
          "saturation occurs).", "dst, xtmp, xtmp2")
def emit_i8x16_shr_s(a, dst, count, xtmp, xtmp2):
    _count(a, xtmp, count, 7, 8)
    a.movaps_xx(xtmp2, dst)
    F.punpckhbw_xx(a, xtmp2, xtmp2)
    F.punpcklbw_xx(a, dst, dst)
    F.psraw_xx(a, xtmp2, xtmp)
    F.psraw_xx(a, dst, xtmp)
    F.packsswb_xx(a, dst, xtmp2)


@sequence("emit_i64x2_shr_s", "dst, count, xtmp, xtmp2", "dst = dst >>s (count mod 64), as "
          "(shr(x, n) ^ m) - m with m = 2^63 >> n.", "dst, xtmp, xtmp2")
def emit_i64x2_shr_s(a, dst, count, xtmp, xtmp2):
    _count(a, xtmp, count, 63)
    a.movaps_xm(xtmp2, splat(a, 1 << 63, 64))
    F.psrlq_xx(a, xtmp2, xtmp)
    F.psrlq_xx(a, dst, xtmp)
    a.pxor_xx(dst, xtmp2)
    F.psubq_xx(a, dst, xtmp2)


_add(op.I8X16_SHL, emit_i8x16_shl, SHAPE_SHIFT_X2)
_add(op.I8X16_SHR_U, emit_i8x16_shr_u, SHAPE_SHIFT_X2)
_add(op.I8X16_SHR_S, emit_i8x16_shr_s, SHAPE_SHIFT_X2)
_add(op.I64X2_SHR_S, emit_i64x2_shr_s, SHAPE_SHIFT_X2)


# ---- shifts by a constant -----------------------------------------------------------------------

def _shift_imm(form, lane_bits: int, name: str):
    def emit(a, dst, count, xtmp):
        n = count & (lane_bits - 1)
        if n:
            form(a, dst, n)
    return sequence(name, "dst, count, xtmp", f"dst shifted by the constant count mod "
                    f"{lane_bits}.", "dst")(emit)


@sequence("emit_i8x16_shl_imm", "dst, count, xtmp", "dst = dst << (count mod 8) for a constant "
          "count: paddb for 1, else a word shift and a byte mask.", "dst")
def emit_i8x16_shl_imm(a, dst, count, xtmp):
    n = count & 7
    if n == 1:
        F.paddb_xx(a, dst, dst)
    elif n:
        F.psllw_xi(a, dst, n)
        F.pand_xm(a, dst, splat(a, 0xFF << n, 8))


@sequence("emit_i8x16_shr_u_imm", "dst, count, xtmp", "dst = dst >>u (count mod 8) for a "
          "constant count.", "dst")
def emit_i8x16_shr_u_imm(a, dst, count, xtmp):
    n = count & 7
    if n:
        F.psrlw_xi(a, dst, n)
        F.pand_xm(a, dst, splat(a, 0xFF >> n, 8))


@sequence("emit_i8x16_shr_s_imm", "dst, count, xtmp", "dst = dst >>s (count mod 8) for a "
          "constant count: (shr_u(x, n) ^ m) - m with m = 0x80 >> n.", "dst")
def emit_i8x16_shr_s_imm(a, dst, count, xtmp):
    n = count & 7
    if n:
        F.psrlw_xi(a, dst, n)
        F.pand_xm(a, dst, splat(a, 0xFF >> n, 8))
        m = splat(a, 0x80 >> n, 8)
        a.pxor_xm(dst, m)
        F.psubb_xm(a, dst, m)


@sequence("emit_i64x2_shr_s_imm", "dst, count, xtmp", "dst = dst >>s (count mod 64) for a "
          "constant count: (shr(x, n) ^ m) - m with m = 2^63 >> n.", "dst")
def emit_i64x2_shr_s_imm(a, dst, count, xtmp):
    n = count & 63
    if n:
        F.psrlq_xi(a, dst, n)
        m = splat(a, (1 << 63) >> n, 64)
        a.pxor_xm(dst, m)
        F.psubq_xm(a, dst, m)


SHIFT_IMM = {
    op.I8X16_SHL: emit_i8x16_shl_imm, op.I8X16_SHR_U: emit_i8x16_shr_u_imm,
    op.I8X16_SHR_S: emit_i8x16_shr_s_imm, op.I64X2_SHR_S: emit_i64x2_shr_s_imm,
}
for _opcode, _form, _bits in (
        (op.I16X8_SHL, F.psllw_xi, 16), (op.I16X8_SHR_S, F.psraw_xi, 16),
        (op.I16X8_SHR_U, F.psrlw_xi, 16), (op.I32X4_SHL, F.pslld_xi, 32),
        (op.I32X4_SHR_S, F.psrad_xi, 32), (op.I32X4_SHR_U, F.psrld_xi, 32),
        (op.I64X2_SHL, F.psllq_xi, 64), (op.I64X2_SHR_U, F.psrlq_xi, 64)):
    SHIFT_IMM[_opcode] = _shift_imm(_form, _bits, _name(_opcode) + "_imm")

INT_OPS = _OPS
"""Wasm opcode -> (emitter, SHAPE_*) for the integer and bitwise v128 instructions."""

del _opcode, _form, _what, _eq, _negate, _first, _sub, _pmov, _factory, _args, _bits
