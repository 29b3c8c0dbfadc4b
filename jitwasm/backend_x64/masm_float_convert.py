"""Float <-> integer conversion emitters with Wasm's exact semantics.

Register conventions (GPR and XMM numbers as in regs.py; `a` is the Assembler):

- trapping truncation `emit_iN_trunc_fW_{s,u}(a, dst_gpr, src_xmm, scratch_xmm, trap_invalid,
  trap_overflow)`: the trap labels are the compiler's stubs for "invalid conversion to integer"
  (NaN) and "integer overflow" (out of range). Only the u64 forms touch `scratch_xmm`.
- saturating truncation `emit_iN_trunc_sat_fW_{s,u}(a, dst_gpr, src_xmm, scratch_xmm,
  scratch_gpr)`: NaN -> 0, out of range -> the nearest bound. Only the u64 forms touch the
  scratches (the sat u64 form both of them).
- `emit_fW_convert_iN_{s,u}(a, dst_xmm, src_gpr, scratch_gpr)`: `scratch_gpr` is written by
  the unsigned forms only.

Every form preserves its source register and flags are clobbered; scratches must be distinct
from the other operands. An i32 result is zero-extended to 64 bits. The x86 truncations return
the "integer indefinite" INT_MIN for NaN and out-of-range inputs, so the fast path is the bare
cvtt plus a check for that one value; only inputs yielding it run the slower bound checks.
Unsigned 32-bit results come from the 64-bit signed conversion; unsigned 64-bit ones subtract
2^63 first when the input is at least 2^63.
"""

from .gpr import ALU_ADD, ALU_AND, ALU_CMP, ALU_OR, ALU_XOR, SAR, SHR
from .masm_float_base import F32, F64, bind_short, jcc_short, jmp_short, named_emitter
from .regs import CC_A, CC_AE, CC_B, CC_BE, CC_NE, CC_NO, CC_NS, CC_P, CC_S

_TWO_POW_32 = 1 << 32
_TWO_POW_63 = 1 << 63


# ---- trapping truncation ---------------------------------------------------------------------

def _trunc_signed(w, n: int):
    cvtt, ucomis_m = w.cvtt, w.ucomis_m
    int_min = -2.0 ** (n - 1)
    # The INT_MIN result is right for inputs in (INT_MIN - 1, INT_MIN + 1). When INT_MIN - 1 is
    # a float (f64 -> i32: n significand bits suffice), that is an open range checked against it
    # and zero; otherwise INT_MIN itself is the only float in it.
    below = int_min - 1
    lower_is_float = w.precision >= n

    def emit(a, dst, src, scratch_xmm, trap_invalid, trap_overflow):
        cvtt(a, n, dst, src)
        a.alu_ri(ALU_CMP, n, dst, 1)      # overflows only for INT_MIN
        done = jcc_short(a, CC_NO)
        if lower_is_float:
            ucomis_m(a, src, w.const(a, below))
            a.jcc(CC_P, trap_invalid)
            a.jcc(CC_BE, trap_overflow)
            ucomis_m(a, src, w.const(a, 0.0))
            a.jcc(CC_AE, trap_overflow)
        else:
            ucomis_m(a, src, w.const(a, int_min))
            a.jcc(CC_P, trap_invalid)
            a.jcc(CC_NE, trap_overflow)
        bind_short(a, done)
    return emit


def _trunc_u32(w):
    cvtt, ucomis = w.cvtt, w.ucomis

    def emit(a, dst, src, scratch_xmm, trap_invalid, trap_overflow):
        cvtt(a, 64, dst, src)
        a.alu_rm(ALU_CMP, 64, dst, a.const64(_TWO_POW_32))   # unsigned: negatives are huge
        done = jcc_short(a, CC_B)
        ucomis(a, src, src)
        a.jcc(CC_P, trap_invalid)
        a.jmp(trap_overflow)
        bind_short(a, done)
    return emit


def _trunc_u64(w):
    cvtt, ucomis, ucomis_m, sub_m = w.cvtt, w.ucomis, w.ucomis_m, w.sub_m

    def emit(a, dst, src, scratch_xmm, trap_invalid, trap_overflow):
        ucomis_m(a, src, w.const(a, 2.0 ** 63))
        big = jcc_short(a, CC_AE)          # not taken for NaN (CF=1)
        cvtt(a, 64, dst, src)
        a.test_rr(64, dst, dst)
        done = jcc_short(a, CC_NS)         # src in (-1, 2^63)
        ucomis(a, src, src)
        a.jcc(CC_P, trap_invalid)
        a.jmp(trap_overflow)
        bind_short(a, big)
        a.movaps_xx(scratch_xmm, src)
        sub_m(a, scratch_xmm, w.const(a, 2.0 ** 63))   # exact for src < 2^64
        cvtt(a, 64, dst, scratch_xmm)
        a.test_rr(64, dst, dst)
        a.jcc(CC_S, trap_overflow)         # src - 2^63 >= 2^63
        a.alu_rm(ALU_OR, 64, dst, a.const64(_TWO_POW_63))
        bind_short(a, done)
    return emit


# ---- saturating truncation -------------------------------------------------------------------

def _trunc_sat_signed(w, n: int):
    cvtt, ucomis_m = w.cvtt, w.ucomis_m

    def emit(a, dst, src, scratch_xmm, scratch_gpr):
        cvtt(a, n, dst, src)
        a.alu_ri(ALU_CMP, n, dst, 1)      # overflows only for INT_MIN
        done = jcc_short(a, CC_NO)
        ucomis_m(a, src, w.const(a, 0.0))
        nan = jcc_short(a, CC_P)
        negative = jcc_short(a, CC_B)      # INT_MIN is exact or the saturated low bound
        a.not_r(n, dst)                    # positive overflow: INT_MAX = ~INT_MIN
        positive = jmp_short(a)
        bind_short(a, nan)
        a.alu_rr(ALU_XOR, 32, dst, dst)
        bind_short(a, done, negative, positive)
    return emit


def _trunc_sat_u32(w):
    cvtt, ucomis_m = w.cvtt, w.ucomis_m

    def emit(a, dst, src, scratch_xmm, scratch_gpr):
        cvtt(a, 64, dst, src)
        a.alu_rm(ALU_CMP, 64, dst, a.const64(_TWO_POW_32))
        done = jcc_short(a, CC_B)
        ucomis_m(a, src, w.const(a, 0.0))
        a.mov_ri(32, dst, 0xFFFFFFFF)      # keeps the flags
        positive = jcc_short(a, CC_A)      # ordered and > 0: too large
        a.alu_rr(ALU_XOR, 32, dst, dst)    # NaN or negative
        bind_short(a, done, positive)
    return emit


def _trunc_sat_u64(w):
    cvtt, ucomis_m, sub_m = w.cvtt, w.ucomis_m, w.sub_m

    def emit(a, dst, src, scratch_xmm, scratch_gpr):
        ucomis_m(a, src, w.const(a, 2.0 ** 63))
        big = jcc_short(a, CC_AE)
        cvtt(a, 64, dst, src)
        a.test_rr(64, dst, dst)
        done = jcc_short(a, CC_NS)
        a.alu_rr(ALU_XOR, 32, dst, dst)    # NaN or <= -1
        small = jmp_short(a)
        bind_short(a, big)
        a.movaps_xx(scratch_xmm, src)
        sub_m(a, scratch_xmm, w.const(a, 2.0 ** 63))
        cvtt(a, 64, dst, scratch_xmm)
        a.mov_rr(64, scratch_gpr, dst)     # all ones when src - 2^63 overflowed, else 0
        a.shift_ri(SAR, 64, scratch_gpr, 63)
        a.alu_rr(ALU_OR, 64, dst, scratch_gpr)
        a.alu_rm(ALU_OR, 64, dst, a.const64(_TWO_POW_63))
        bind_short(a, done, small)
    return emit


# ---- integer to float ------------------------------------------------------------------------

def _convert_signed(w, n: int):
    cvtsi = w.cvtsi

    def emit(a, dst, src, scratch_gpr):
        a.xorps_xx(dst, dst)               # cvtsi2ss/sd merge into dst: break the dependency
        cvtsi(a, n, dst, src)
    return emit


def _convert_u32(w):
    cvtsi = w.cvtsi

    def emit(a, dst, src, scratch_gpr):
        a.mov_rr(32, scratch_gpr, src)     # zero-extend: every u32 is a non-negative i64
        a.xorps_xx(dst, dst)
        cvtsi(a, 64, dst, scratch_gpr)
    return emit


def _convert_u64(w):
    cvtsi, add = w.cvtsi, w.add

    def emit(a, dst, src, scratch_gpr):
        a.xorps_xx(dst, dst)
        a.test_rr(64, src, src)
        big = jcc_short(a, CC_S)
        cvtsi(a, 64, dst, src)
        done = jmp_short(a)
        bind_short(a, big)
        # src >= 2^63: convert (src >> 1) | (src & 1) and double it. Keeping the shifted-out bit
        # as a sticky bit (round to odd) makes the two steps round like one.
        a.mov_rr(32, scratch_gpr, src)
        a.alu_ri(ALU_AND, 32, scratch_gpr, 1)
        a.alu_rr(ALU_ADD, 32, scratch_gpr, scratch_gpr)   # (src & 1) << 1
        a.alu_rr(ALU_OR, 64, scratch_gpr, src)
        a.shift_ri(SHR, 64, scratch_gpr, 1)
        cvtsi(a, 64, dst, scratch_gpr)
        add(a, dst, dst)
        bind_short(a, done)
    return emit


# ---- the public emitters ---------------------------------------------------------------------

_TRUNC = ("{}(a, dst_gpr, src_xmm, scratch_xmm, trap_invalid, trap_overflow): truncate toward "
          "zero; NaN jumps to trap_invalid, a result out of range to trap_overflow. Writes dst, "
          "flags{}; src is preserved.")
_SAT = ("{}(a, dst_gpr, src_xmm, scratch_xmm, scratch_gpr): truncate toward zero, NaN -> 0, out "
        "of range -> the nearest bound. Writes dst, flags{}; src is preserved.")
_CONV = ("{}(a, dst_xmm, src_gpr, scratch_gpr): dst = src rounded to nearest (ties to even). "
         "Writes dst{}; src is preserved.")


def _public(fn, doc: str, name: str, extra: str = ""):
    return named_emitter(fn, name, doc.format(name, extra))


emit_i32_trunc_f32_s = _public(_trunc_signed(F32, 32), _TRUNC, "emit_i32_trunc_f32_s")
emit_i32_trunc_f32_u = _public(_trunc_u32(F32), _TRUNC, "emit_i32_trunc_f32_u")
emit_i32_trunc_f64_s = _public(_trunc_signed(F64, 32), _TRUNC, "emit_i32_trunc_f64_s")
emit_i32_trunc_f64_u = _public(_trunc_u32(F64), _TRUNC, "emit_i32_trunc_f64_u")
emit_i64_trunc_f32_s = _public(_trunc_signed(F32, 64), _TRUNC, "emit_i64_trunc_f32_s")
emit_i64_trunc_f32_u = _public(_trunc_u64(F32), _TRUNC, "emit_i64_trunc_f32_u", ", scratch_xmm")
emit_i64_trunc_f64_s = _public(_trunc_signed(F64, 64), _TRUNC, "emit_i64_trunc_f64_s")
emit_i64_trunc_f64_u = _public(_trunc_u64(F64), _TRUNC, "emit_i64_trunc_f64_u", ", scratch_xmm")

_BOTH = ", scratch_xmm, scratch_gpr"
emit_i32_trunc_sat_f32_s = _public(_trunc_sat_signed(F32, 32), _SAT, "emit_i32_trunc_sat_f32_s")
emit_i32_trunc_sat_f32_u = _public(_trunc_sat_u32(F32), _SAT, "emit_i32_trunc_sat_f32_u")
emit_i32_trunc_sat_f64_s = _public(_trunc_sat_signed(F64, 32), _SAT, "emit_i32_trunc_sat_f64_s")
emit_i32_trunc_sat_f64_u = _public(_trunc_sat_u32(F64), _SAT, "emit_i32_trunc_sat_f64_u")
emit_i64_trunc_sat_f32_s = _public(_trunc_sat_signed(F32, 64), _SAT, "emit_i64_trunc_sat_f32_s")
emit_i64_trunc_sat_f32_u = _public(_trunc_sat_u64(F32), _SAT, "emit_i64_trunc_sat_f32_u", _BOTH)
emit_i64_trunc_sat_f64_s = _public(_trunc_sat_signed(F64, 64), _SAT, "emit_i64_trunc_sat_f64_s")
emit_i64_trunc_sat_f64_u = _public(_trunc_sat_u64(F64), _SAT, "emit_i64_trunc_sat_f64_u", _BOTH)

_SG = ", flags, scratch_gpr"
emit_f32_convert_i32_s = _public(_convert_signed(F32, 32), _CONV, "emit_f32_convert_i32_s")
emit_f32_convert_i32_u = _public(_convert_u32(F32), _CONV, "emit_f32_convert_i32_u", _SG)
emit_f32_convert_i64_s = _public(_convert_signed(F32, 64), _CONV, "emit_f32_convert_i64_s")
emit_f32_convert_i64_u = _public(_convert_u64(F32), _CONV, "emit_f32_convert_i64_u", _SG)
emit_f64_convert_i32_s = _public(_convert_signed(F64, 32), _CONV, "emit_f64_convert_i32_s")
emit_f64_convert_i32_u = _public(_convert_u32(F64), _CONV, "emit_f64_convert_i32_u", _SG)
emit_f64_convert_i64_s = _public(_convert_signed(F64, 64), _CONV, "emit_f64_convert_i64_s")
emit_f64_convert_i64_u = _public(_convert_u64(F64), _CONV, "emit_f64_convert_i64_u", _SG)
