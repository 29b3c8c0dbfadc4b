"""Lane-level v128 emitters: const, splat, extract/replace lane, shuffle, swizzle, loads, stores.

Integer scalars live in GPRs (an i32 may carry garbage above bit 31: only the low bits are read),
f32/f64 scalars in the low lane of an XMM register (the lanes above are ignored when read and
unspecified when written, as for the scalar float emitters).

Memory emitters take a `Mem`/`RipRel` operand and emit the access as their FIRST instruction and
only memory access, so the compiler can record the trap site at the offset before the call. Narrow
accesses use pinsr/pextr, pmovsx/zx m64, movd/movq and movddup m64, which have no alignment
requirement; full vectors use movdqu.

Shuffles: a one-source pattern is a pshufd (dword moves) or a pshufb with a pool constant; two
sources are a pblendw (each word from its own lane of either input), a palignr (a byte rotation
of the concatenation) or two pshufb whose out-of-range index bytes (bit 7 set) give zeros,
merged with por. swizzle adds 0x70 with unsigned saturation, which maps every index >= 16 to one
with bit 7 set (pshufb's zero) and keeps 0..15 in the low nibble.
"""

from ..binary import opcodes as op
from .masm_simd_base import (ONES, SHAPE_BINARY, SHAPE_CONST, SHAPE_EXTRACT, SHAPE_LOAD,
                             SHAPE_LOAD_LANE, SHAPE_REPLACE, SHAPE_SHUFFLE, SHAPE_SPLAT,
                             SHAPE_STORE, SHAPE_STORE_LANE, ZEROS, move, sequence, splat)
from .masm_simd_forms import SimdForms as F
from .sse import SseForms

_OPS = {}
_WORD_BROADCAST = bytes((0, 1) * 8)   # pshufb: word 0 to every word


def _add(opcode: int, emitter, shape: int) -> None:
    _OPS[opcode] = (emitter, shape)


# ---- v128.const ---------------------------------------------------------------------------------

@sequence("emit_v128_const", "dst, data", "dst = the 16 bytes `data` (pxor for zeros, pcmpeqd "
          "for all-ones, else an aligned pool load).", "dst")
def emit_v128_const(a, dst, data):
    data = bytes(data)
    if data == ZEROS:
        a.pxor_xx(dst, dst)
    elif data == ONES:
        F.pcmpeqd_xx(a, dst, dst)
    else:
        a.movaps_xm(dst, a.const128(data))


_add(op.V128_CONST, emit_v128_const, SHAPE_CONST)


# ---- splat --------------------------------------------------------------------------------------

@sequence("emit_i8x16_splat", "dst, src", "dst = the low byte of the GPR src in every lane.",
          "dst")
def emit_i8x16_splat(a, dst, src):
    a.movd_xr(dst, src)
    a.pshufb_xm(dst, a.const128(ZEROS))


@sequence("emit_i16x8_splat", "dst, src", "dst = the low 16 bits of the GPR src in every lane.",
          "dst")
def emit_i16x8_splat(a, dst, src):
    a.movd_xr(dst, src)
    a.pshufb_xm(dst, a.const128(_WORD_BROADCAST))


@sequence("emit_i32x4_splat", "dst, src", "dst = the i32 GPR src in every lane.", "dst")
def emit_i32x4_splat(a, dst, src):
    a.movd_xr(dst, src)
    a.pshufd_xxi(dst, dst, 0)


@sequence("emit_i64x2_splat", "dst, src", "dst = the i64 GPR src in both lanes.", "dst")
def emit_i64x2_splat(a, dst, src):
    a.movq_xr(dst, src)
    F.punpcklqdq_xx(a, dst, dst)


@sequence("emit_f32x4_splat", "dst, src", "dst = the f32 in src's low lane, in every lane. dst "
          "may equal src.", "dst")
def emit_f32x4_splat(a, dst, src):
    a.pshufd_xxi(dst, src, 0)


@sequence("emit_f64x2_splat", "dst, src", "dst = the f64 in src's low lane, in both lanes. dst "
          "may equal src.", "dst")
def emit_f64x2_splat(a, dst, src):
    a.pshufd_xxi(dst, src, 0x44)


for _opcode, _emit in ((op.I8X16_SPLAT, emit_i8x16_splat), (op.I16X8_SPLAT, emit_i16x8_splat),
                       (op.I32X4_SPLAT, emit_i32x4_splat), (op.I64X2_SPLAT, emit_i64x2_splat),
                       (op.F32X4_SPLAT, emit_f32x4_splat), (op.F64X2_SPLAT, emit_f64x2_splat)):
    _add(_opcode, _emit, SHAPE_SPLAT)


# ---- extract_lane -------------------------------------------------------------------------------

@sequence("emit_i8x16_extract_lane_s", "dst, src, lane", "dst (i32 GPR) = byte `lane` of src, "
          "sign-extended.", "dst")
def emit_i8x16_extract_lane_s(a, dst, src, lane):
    F.pextrb_rxi(a, dst, src, lane)
    a.movsx_rr(32, 8, dst, dst)


@sequence("emit_i8x16_extract_lane_u", "dst, src, lane", "dst (i32 GPR) = byte `lane` of src, "
          "zero-extended.", "dst")
def emit_i8x16_extract_lane_u(a, dst, src, lane):
    F.pextrb_rxi(a, dst, src, lane)


@sequence("emit_i16x8_extract_lane_s", "dst, src, lane", "dst (i32 GPR) = word `lane` of src, "
          "sign-extended.", "dst")
def emit_i16x8_extract_lane_s(a, dst, src, lane):
    F.pextrw_rxi(a, dst, src, lane)
    a.movsx_rr(32, 16, dst, dst)


@sequence("emit_i16x8_extract_lane_u", "dst, src, lane", "dst (i32 GPR) = word `lane` of src, "
          "zero-extended.", "dst")
def emit_i16x8_extract_lane_u(a, dst, src, lane):
    F.pextrw_rxi(a, dst, src, lane)


@sequence("emit_i32x4_extract_lane", "dst, src, lane", "dst (i32 GPR, zero-extended) = dword "
          "`lane` of src.", "dst")
def emit_i32x4_extract_lane(a, dst, src, lane):
    if lane:
        F.pextrd_rxi(a, dst, src, lane)
    else:
        a.movd_rx(dst, src)


@sequence("emit_i64x2_extract_lane", "dst, src, lane", "dst (i64 GPR) = qword `lane` of src.",
          "dst")
def emit_i64x2_extract_lane(a, dst, src, lane):
    if lane:
        F.pextrq_rxi(a, dst, src, lane)
    else:
        a.movq_rx(dst, src)


@sequence("emit_f32x4_extract_lane", "dst, src, lane", "dst's low lane (f32) = lane `lane` of "
          "src; dst's other lanes unspecified. dst may equal src.", "dst")
def emit_f32x4_extract_lane(a, dst, src, lane):
    if lane:
        a.pshufd_xxi(dst, src, lane)
    else:
        move(a, dst, src)


@sequence("emit_f64x2_extract_lane", "dst, src, lane", "dst's low lane (f64) = lane `lane` of "
          "src; dst's high lane unspecified. dst may equal src.", "dst")
def emit_f64x2_extract_lane(a, dst, src, lane):
    if lane:
        F.movhlps_xx(a, dst, src)
    else:
        move(a, dst, src)


for _opcode, _emit in ((op.I8X16_EXTRACT_LANE_S, emit_i8x16_extract_lane_s),
                       (op.I8X16_EXTRACT_LANE_U, emit_i8x16_extract_lane_u),
                       (op.I16X8_EXTRACT_LANE_S, emit_i16x8_extract_lane_s),
                       (op.I16X8_EXTRACT_LANE_U, emit_i16x8_extract_lane_u),
                       (op.I32X4_EXTRACT_LANE, emit_i32x4_extract_lane),
                       (op.I64X2_EXTRACT_LANE, emit_i64x2_extract_lane),
                       (op.F32X4_EXTRACT_LANE, emit_f32x4_extract_lane),
                       (op.F64X2_EXTRACT_LANE, emit_f64x2_extract_lane)):
    _add(_opcode, _emit, SHAPE_EXTRACT)


# ---- replace_lane -------------------------------------------------------------------------------

def _replace_gpr(form, what: str, name: str):
    def emit(a, dst, src, lane):
        form(a, dst, src, lane)
    return sequence(name, "dst, src, lane", f"lane `lane` of dst = the {what} GPR src.",
                    "dst")(emit)


@sequence("emit_f32x4_replace_lane", "dst, src, lane", "lane `lane` of dst = the f32 in src's "
          "low lane (insertps). dst may equal src.", "dst")
def emit_f32x4_replace_lane(a, dst, src, lane):
    F.insertps_xxi(a, dst, src, lane << 4)


@sequence("emit_f64x2_replace_lane", "dst, src, lane", "lane `lane` of dst = the f64 in src's "
          "low lane (movsd / movlhps). dst may equal src.", "dst")
def emit_f64x2_replace_lane(a, dst, src, lane):
    if lane:
        F.movlhps_xx(a, dst, src)
    else:
        a.movsd_xx(dst, src)


_add(op.I8X16_REPLACE_LANE, _replace_gpr(F.pinsrb_xri, "low byte of the", 
                                         "emit_i8x16_replace_lane"), SHAPE_REPLACE)
_add(op.I16X8_REPLACE_LANE, _replace_gpr(F.pinsrw_xri, "low 16 bits of the",
                                         "emit_i16x8_replace_lane"), SHAPE_REPLACE)
_add(op.I32X4_REPLACE_LANE, _replace_gpr(F.pinsrd_xri, "i32", "emit_i32x4_replace_lane"),
     SHAPE_REPLACE)
_add(op.I64X2_REPLACE_LANE, _replace_gpr(F.pinsrq_xri, "i64", "emit_i64x2_replace_lane"),
     SHAPE_REPLACE)
_add(op.F32X4_REPLACE_LANE, emit_f32x4_replace_lane, SHAPE_REPLACE)
_add(op.F64X2_REPLACE_LANE, emit_f64x2_replace_lane, SHAPE_REPLACE)


# ---- shuffle and swizzle ----------------------------------------------------------------------

_IDENTITY = bytes(range(16))


def _dword_order(idx: bytes):
    """pshufd immediate for a byte pattern that moves whole dwords, else None."""
    imm = 0
    for k in range(4):
        j, r = divmod(idx[4 * k], 4)
        if r or idx[4 * k:4 * k + 4] != bytes(range(4 * j, 4 * j + 4)):
            return None
        imm |= j << (2 * k)
    return imm


def _permute(a, reg: int, idx: bytes) -> None:
    """reg = reg's bytes rearranged by `idx` (values 0..15)."""
    if idx == _IDENTITY:
        return
    imm = _dword_order(idx)
    if imm is not None:
        a.pshufd_xxi(reg, reg, imm)
    else:
        a.pshufb_xm(reg, a.const128(idx))


def _blend_words(lanes: bytes):
    """pblendw immediate when every byte i comes from byte i of either input, word-wise."""
    imm = 0
    for w in range(8):
        lo, hi = lanes[2 * w], lanes[2 * w + 1]
        if (lo, hi) == (2 * w, 2 * w + 1):
            continue
        if (lo, hi) != (2 * w + 16, 2 * w + 17):
            return None
        imm |= 1 << w
    return imm


def _rotation(lanes: bytes):
    """k when byte i is byte i + k of the 32-byte concatenation dst ++ src (0 < k < 16)."""
    k = lanes[0]
    if 0 < k < 16 and lanes == bytes(range(k, k + 16)):
        return k
    return None


@sequence("emit_i8x16_shuffle", "dst, src, lanes, xtmp", "byte i of dst = byte lanes[i] of "
          "dst ++ src (16 lane indices < 32). dst may equal src.", "dst, xtmp")
def emit_i8x16_shuffle(a, dst, src, lanes, xtmp):
    lanes = bytes(lanes)
    if dst == src:
        _permute(a, dst, bytes(i & 15 for i in lanes))
        return
    if max(lanes) < 16:
        _permute(a, dst, lanes)
        return
    if min(lanes) >= 16:
        a.movaps_xx(dst, src)
        _permute(a, dst, bytes(i - 16 for i in lanes))
        return
    blend = _blend_words(lanes)
    if blend is not None:
        F.pblendw_xxi(a, dst, src, blend)
        return
    k = _rotation(lanes)
    if k is not None:                    # palignr x, y, k = bytes k.. of y ++ x
        a.movaps_xx(xtmp, src)
        F.palignr_xxi(a, xtmp, dst, k)
        a.movaps_xx(dst, xtmp)
        return
    a.movaps_xx(xtmp, src)
    a.pshufb_xm(xtmp, a.const128(bytes(i - 16 if i >= 16 else 0x80 for i in lanes)))
    a.pshufb_xm(dst, a.const128(bytes(i if i < 16 else 0x80 for i in lanes)))
    F.por_xx(a, dst, xtmp)


@sequence("emit_i8x16_swizzle", "dst, src, xtmp", "byte i of dst = byte src[i] of dst, or 0 when "
          "src[i] >= 16. dst may equal src.", "dst, xtmp")
def emit_i8x16_swizzle(a, dst, src, xtmp):
    a.movaps_xx(xtmp, src)
    F.paddusb_xm(a, xtmp, splat(a, 0x70, 8))
    a.pshufb_xx(dst, xtmp)


_add(op.I8X16_SHUFFLE, emit_i8x16_shuffle, SHAPE_SHUFFLE)
_add(op.I8X16_SWIZZLE, emit_i8x16_swizzle, SHAPE_BINARY)


# ---- loads --------------------------------------------------------------------------------------

def _load(form, name: str, what: str):
    def emit(a, dst, mem):
        form(a, dst, mem)
    return sequence(name, "dst, mem", f"dst = {what}.", "dst")(emit)


@sequence("emit_v128_load8_splat", "dst, mem", "dst = the byte at mem in every lane.", "dst")
def emit_v128_load8_splat(a, dst, mem):
    F.pinsrb_xmi(a, dst, mem, 0)
    a.pshufb_xm(dst, a.const128(ZEROS))


@sequence("emit_v128_load16_splat", "dst, mem", "dst = the i16 at mem in every lane.", "dst")
def emit_v128_load16_splat(a, dst, mem):
    F.pinsrw_xmi(a, dst, mem, 0)
    a.pshufb_xm(dst, a.const128(_WORD_BROADCAST))


@sequence("emit_v128_load32_splat", "dst, mem", "dst = the i32 at mem in every lane.", "dst")
def emit_v128_load32_splat(a, dst, mem):
    a.movd_xm(dst, mem)
    a.pshufd_xxi(dst, dst, 0)


for _opcode, _form, _what in (
        (op.V128_LOAD, SseForms.movdqu_xm, "the 16 bytes at mem"),
        (op.V128_LOAD8X8_S, F.pmovsxbw_xm, "8 bytes at mem, sign-extended to i16"),
        (op.V128_LOAD8X8_U, F.pmovzxbw_xm, "8 bytes at mem, zero-extended to i16"),
        (op.V128_LOAD16X4_S, F.pmovsxwd_xm, "4 i16 at mem, sign-extended to i32"),
        (op.V128_LOAD16X4_U, F.pmovzxwd_xm, "4 i16 at mem, zero-extended to i32"),
        (op.V128_LOAD32X2_S, F.pmovsxdq_xm, "2 i32 at mem, sign-extended to i64"),
        (op.V128_LOAD32X2_U, F.pmovzxdq_xm, "2 i32 at mem, zero-extended to i64"),
        (op.V128_LOAD64_SPLAT, F.movddup_xm, "the i64 at mem in both lanes"),
        (op.V128_LOAD32_ZERO, SseForms.movd_xm, "the i32 at mem, zeros above"),
        (op.V128_LOAD64_ZERO, SseForms.movq_xm, "the i64 at mem, zeros above")):
    _add(_opcode, _load(_form, "emit_" + op.NAMES[_opcode].replace(".", "_"), _what), SHAPE_LOAD)
_add(op.V128_LOAD8_SPLAT, emit_v128_load8_splat, SHAPE_LOAD)
_add(op.V128_LOAD16_SPLAT, emit_v128_load16_splat, SHAPE_LOAD)
_add(op.V128_LOAD32_SPLAT, emit_v128_load32_splat, SHAPE_LOAD)


def _load_lane(form, bits: int, name: str):
    def emit(a, dst, mem, lane):
        form(a, dst, mem, lane)
    return sequence(name, "dst, mem, lane", f"lane `lane` of dst = the {bits}-bit value at mem.",
                    "dst")(emit)


_add(op.V128_LOAD8_LANE, _load_lane(F.pinsrb_xmi, 8, "emit_v128_load8_lane"), SHAPE_LOAD_LANE)
_add(op.V128_LOAD16_LANE, _load_lane(F.pinsrw_xmi, 16, "emit_v128_load16_lane"),
     SHAPE_LOAD_LANE)
_add(op.V128_LOAD32_LANE, _load_lane(F.pinsrd_xmi, 32, "emit_v128_load32_lane"),
     SHAPE_LOAD_LANE)
_add(op.V128_LOAD64_LANE, _load_lane(F.pinsrq_xmi, 64, "emit_v128_load64_lane"),
     SHAPE_LOAD_LANE)


# ---- stores -------------------------------------------------------------------------------------

@sequence("emit_v128_store", "mem, src", "the 16 bytes at mem = src.", "nothing")
def emit_v128_store(a, mem, src):
    a.movdqu_mx(mem, src)


@sequence("emit_v128_store8_lane", "mem, src, lane", "the byte at mem = byte `lane` of src.",
          "nothing")
def emit_v128_store8_lane(a, mem, src, lane):
    F.pextrb_mxi(a, mem, src, lane)


@sequence("emit_v128_store16_lane", "mem, src, lane", "the i16 at mem = word `lane` of src.",
          "nothing")
def emit_v128_store16_lane(a, mem, src, lane):
    F.pextrw_mxi(a, mem, src, lane)


@sequence("emit_v128_store32_lane", "mem, src, lane", "the i32 at mem = dword `lane` of src.",
          "nothing")
def emit_v128_store32_lane(a, mem, src, lane):
    if lane:
        F.pextrd_mxi(a, mem, src, lane)
    else:
        a.movd_mx(mem, src)


@sequence("emit_v128_store64_lane", "mem, src, lane", "the i64 at mem = qword `lane` of src.",
          "nothing")
def emit_v128_store64_lane(a, mem, src, lane):
    if lane:
        F.movhps_mx(a, mem, src)
    else:
        a.movq_mx(mem, src)


_add(op.V128_STORE, emit_v128_store, SHAPE_STORE)
_add(op.V128_STORE8_LANE, emit_v128_store8_lane, SHAPE_STORE_LANE)
_add(op.V128_STORE16_LANE, emit_v128_store16_lane, SHAPE_STORE_LANE)
_add(op.V128_STORE32_LANE, emit_v128_store32_lane, SHAPE_STORE_LANE)
_add(op.V128_STORE64_LANE, emit_v128_store64_lane, SHAPE_STORE_LANE)

LANE_OPS = _OPS
"""Wasm opcode -> (emitter, SHAPE_*) for const, splat, lanes, shuffle/swizzle, loads, stores."""

del _opcode, _emit, _form, _what
