"""SSE/SSE2/SSE4.1 forms (scalar float, moves, bitwise) and the VEX prefix encoder for SIMD.

Legacy SSE: mandatory prefix (66/F3/F2) first, then REX, then the 0F / 0F 38 / 0F 3A opcode; the
same `_op_r`/`_op_m` primitives as the integer forms do this. Suffixes name operand kinds in order:
x=XMM, r=GPR, m=memory. Forms with a GPR operand take its size first (`cvtsi2sd_xr(64, x, r)`).

VEX (AVX) forms use the same primitives with a `vex_heads` table (VEX prefix per first-source
register and REX-equivalent bits; C5 when possible, else C4); SIMD forms are added on top of them.
"""

from .encoder import Encoder, heads

# roundss/roundsd immediate (rounding control; bit 3 suppresses the precision exception).
ROUND_NEAREST, ROUND_FLOOR, ROUND_CEIL, ROUND_TRUNC = 0, 1, 2, 3

_NONE, _66, _F3, _F2 = b"", b"\x66", b"\xf3", b"\xf2"


def _xx(prefix: bytes, opcode: bytes, w: int = 0):
    """Form `op xmm_dst, xmm_src` (ModRM.reg = dst, rm = src)."""
    h = heads(prefix, w, opcode)

    def form(self, dst: int, src: int) -> None:
        self._op_r(h, dst, src)
    return form


def _xm(prefix: bytes, opcode: bytes, w: int = 0):
    """Form `op xmm, [mem]` (load direction)."""
    h = heads(prefix, w, opcode)

    def form(self, dst: int, mem) -> None:
        self._op_m(h, dst, mem)
    return form


def _mx(prefix: bytes, opcode: bytes, w: int = 0):
    """Form `op [mem], xmm` (store direction; the XMM register is ModRM.reg)."""
    h = heads(prefix, w, opcode)

    def form(self, mem, src: int) -> None:
        self._op_m(h, src, mem)
    return form


def _m(opcode: bytes, extension: int):
    """Form `op [mem]` with an opcode extension in ModRM.reg (ldmxcsr: 0F AE /2)."""
    h = heads(_NONE, 0, opcode)

    def form(self, mem) -> None:
        self._op_m(h, extension, mem)
    return form


def _rx_store(prefix: bytes, opcode: bytes, w: int):
    """Form `op gpr, xmm` where the XMM register is ModRM.reg (movd/movq r, x)."""
    h = heads(prefix, w, opcode)

    def form(self, dst: int, src: int) -> None:
        self._op_r(h, src, dst)
    return form


def _xxi(prefix: bytes, opcode: bytes):
    """Form `op xmm, xmm, imm8`."""
    h = heads(prefix, 0, opcode)

    def form(self, dst: int, src: int, imm: int) -> None:
        self._op_r(h, dst, src)
        self.buf.append(imm & 0xFF)
    return form


def _xmi(prefix: bytes, opcode: bytes):
    h = heads(prefix, 0, opcode)

    def form(self, dst: int, mem, imm: int) -> None:
        self._op_m(h, dst, mem, 1)
        self.buf.append(imm & 0xFF)
    return form


def _x_sized_r(prefix: bytes, opcode: bytes):
    """Form `op xmm, r/m32|64` with the GPR size first (cvtsi2ss/sd)."""
    h = {32: heads(prefix, 0, opcode), 64: heads(prefix, 8, opcode)}

    def form(self, size: int, dst: int, src: int) -> None:
        self._op_r(h[size], dst, src)
    return form


def _x_sized_m(prefix: bytes, opcode: bytes):
    h = {32: heads(prefix, 0, opcode), 64: heads(prefix, 8, opcode)}

    def form(self, size: int, dst: int, mem) -> None:
        self._op_m(h[size], dst, mem)
    return form


_r_sized_x = _x_sized_r  # `op r32|64, xmm/m` (cvttss2si): GPR is ModRM.reg, same encoding shape
_r_sized_m = _x_sized_m


def _vex_xxx(prefix: bytes, vex_map: int, w: int, l256: int, opcode: int):
    """VEX form `op dst, src1, src2`; its table is built on first use (cheap import)."""
    table = None

    def form(self, dst: int, src1: int, src2: int) -> None:
        nonlocal table
        if table is None:
            table = vex_heads(prefix, vex_map, w, l256, opcode)
        self._op_r(table[src1], dst, src2)
    return form


def _vex_xxm(prefix: bytes, vex_map: int, w: int, l256: int, opcode: int):
    """VEX form `op dst, src1, [mem]`."""
    table = None

    def form(self, dst: int, src1: int, mem) -> None:
        nonlocal table
        if table is None:
            table = vex_heads(prefix, vex_map, w, l256, opcode)
        self._op_m(table[src1], dst, mem)
    return form


# VEX.pp and VEX.mmmmm field values.
VEX_PP = {_NONE: 0, _66: 1, _F3: 2, _F2: 3}
VEX_MAP_0F, VEX_MAP_0F38, VEX_MAP_0F3A = 1, 2, 3


class SseForms(Encoder):
    """Scalar float, bitwise and move forms of SSE2/SSE4.1, plus the VEX encoder."""

    __slots__ = ()

    # ---- generic escape hatches (for SIMD forms not listed yet) ------------------------------

    def sse_xx(self, h: tuple, dst: int, src: int) -> None:
        """Any legacy-SSE `op xmm, xmm` given its `heads(prefix, 0, opcode)` table
        (e.g. pmaddubsw: heads(b'\\x66', 0, b'\\x0f\\x38\\x04')), for SIMD forms to come."""
        self._op_r(h, dst, src)

    def sse_xm(self, h: tuple, dst: int, mem, imm_len: int = 0) -> None:
        self._op_m(h, dst, mem, imm_len)

    # ---- the SSE control/status register (rounding, exception masks, FTZ/DAZ) -----------------

    ldmxcsr_m = _m(b"\x0f\xae", 2)
    stmxcsr_m = _m(b"\x0f\xae", 3)

    # ---- moves ------------------------------------------------------------------------------

    movss_xx = _xx(_F3, b"\x0f\x10")
    movss_xm = _xm(_F3, b"\x0f\x10")
    movss_mx = _mx(_F3, b"\x0f\x11")
    movsd_xx = _xx(_F2, b"\x0f\x10")
    movsd_xm = _xm(_F2, b"\x0f\x10")
    movsd_mx = _mx(_F2, b"\x0f\x11")
    movaps_xx = _xx(_NONE, b"\x0f\x28")
    movaps_xm = _xm(_NONE, b"\x0f\x28")
    movaps_mx = _mx(_NONE, b"\x0f\x29")
    movups_xx = _xx(_NONE, b"\x0f\x10")
    movups_xm = _xm(_NONE, b"\x0f\x10")
    movups_mx = _mx(_NONE, b"\x0f\x11")
    movapd_xx = _xx(_66, b"\x0f\x28")
    movapd_xm = _xm(_66, b"\x0f\x28")
    movapd_mx = _mx(_66, b"\x0f\x29")
    movupd_xx = _xx(_66, b"\x0f\x10")
    movupd_xm = _xm(_66, b"\x0f\x10")
    movupd_mx = _mx(_66, b"\x0f\x11")
    movdqa_xx = _xx(_66, b"\x0f\x6f")
    movdqa_xm = _xm(_66, b"\x0f\x6f")
    movdqa_mx = _mx(_66, b"\x0f\x7f")
    movdqu_xx = _xx(_F3, b"\x0f\x6f")
    movdqu_xm = _xm(_F3, b"\x0f\x6f")
    movdqu_mx = _mx(_F3, b"\x0f\x7f")

    # GPR <-> XMM (32-bit movd, 64-bit movq) and 32/64-bit loads/stores.
    movd_xr = _xx(_66, b"\x0f\x6e")
    movd_rx = _rx_store(_66, b"\x0f\x7e", 0)
    movq_xr = _xx(_66, b"\x0f\x6e", 8)
    movq_rx = _rx_store(_66, b"\x0f\x7e", 8)
    movd_xm = _xm(_66, b"\x0f\x6e")
    movd_mx = _mx(_66, b"\x0f\x7e")
    movq_xm = _xm(_F3, b"\x0f\x7e")
    movq_mx = _mx(_66, b"\x0f\xd6")
    movq_xx = _xx(_F3, b"\x0f\x7e")  # low 64 bits, upper 64 zeroed

    # ---- scalar arithmetic ------------------------------------------------------------------

    addss_xx, addss_xm = _xx(_F3, b"\x0f\x58"), _xm(_F3, b"\x0f\x58")
    addsd_xx, addsd_xm = _xx(_F2, b"\x0f\x58"), _xm(_F2, b"\x0f\x58")
    mulss_xx, mulss_xm = _xx(_F3, b"\x0f\x59"), _xm(_F3, b"\x0f\x59")
    mulsd_xx, mulsd_xm = _xx(_F2, b"\x0f\x59"), _xm(_F2, b"\x0f\x59")
    subss_xx, subss_xm = _xx(_F3, b"\x0f\x5c"), _xm(_F3, b"\x0f\x5c")
    subsd_xx, subsd_xm = _xx(_F2, b"\x0f\x5c"), _xm(_F2, b"\x0f\x5c")
    minss_xx, minss_xm = _xx(_F3, b"\x0f\x5d"), _xm(_F3, b"\x0f\x5d")
    minsd_xx, minsd_xm = _xx(_F2, b"\x0f\x5d"), _xm(_F2, b"\x0f\x5d")
    divss_xx, divss_xm = _xx(_F3, b"\x0f\x5e"), _xm(_F3, b"\x0f\x5e")
    divsd_xx, divsd_xm = _xx(_F2, b"\x0f\x5e"), _xm(_F2, b"\x0f\x5e")
    maxss_xx, maxss_xm = _xx(_F3, b"\x0f\x5f"), _xm(_F3, b"\x0f\x5f")
    maxsd_xx, maxsd_xm = _xx(_F2, b"\x0f\x5f"), _xm(_F2, b"\x0f\x5f")
    sqrtss_xx, sqrtss_xm = _xx(_F3, b"\x0f\x51"), _xm(_F3, b"\x0f\x51")
    sqrtsd_xx, sqrtsd_xm = _xx(_F2, b"\x0f\x51"), _xm(_F2, b"\x0f\x51")

    # ---- compares ---------------------------------------------------------------------------

    ucomiss_xx, ucomiss_xm = _xx(_NONE, b"\x0f\x2e"), _xm(_NONE, b"\x0f\x2e")
    ucomisd_xx, ucomisd_xm = _xx(_66, b"\x0f\x2e"), _xm(_66, b"\x0f\x2e")
    comiss_xx, comiss_xm = _xx(_NONE, b"\x0f\x2f"), _xm(_NONE, b"\x0f\x2f")
    comisd_xx, comisd_xm = _xx(_66, b"\x0f\x2f"), _xm(_66, b"\x0f\x2f")
    ucomiss, ucomisd = ucomiss_xx, ucomisd_xx

    # cmpss/cmpsd with a predicate imm8 (0 eq, 1 lt, 2 le, 3 unord, 4 neq, 5 nlt, 6 nle, 7 ord)
    cmpss_xxi, cmpss_xmi = _xxi(_F3, b"\x0f\xc2"), _xmi(_F3, b"\x0f\xc2")
    cmpsd_xxi, cmpsd_xmi = _xxi(_F2, b"\x0f\xc2"), _xmi(_F2, b"\x0f\xc2")

    # sign bits of the lanes into a GPR (r32); the GPR is ModRM.reg
    movmskps_rx = _xx(_NONE, b"\x0f\x50")
    movmskpd_rx = _xx(_66, b"\x0f\x50")

    # ---- conversions ------------------------------------------------------------------------

    cvtsi2ss_xr, cvtsi2ss_xm = _x_sized_r(_F3, b"\x0f\x2a"), _x_sized_m(_F3, b"\x0f\x2a")
    cvtsi2sd_xr, cvtsi2sd_xm = _x_sized_r(_F2, b"\x0f\x2a"), _x_sized_m(_F2, b"\x0f\x2a")
    cvttss2si_rx, cvttss2si_rm = _r_sized_x(_F3, b"\x0f\x2c"), _r_sized_m(_F3, b"\x0f\x2c")
    cvttsd2si_rx, cvttsd2si_rm = _r_sized_x(_F2, b"\x0f\x2c"), _r_sized_m(_F2, b"\x0f\x2c")
    cvtss2si_rx, cvtss2si_rm = _r_sized_x(_F3, b"\x0f\x2d"), _r_sized_m(_F3, b"\x0f\x2d")
    cvtsd2si_rx, cvtsd2si_rm = _r_sized_x(_F2, b"\x0f\x2d"), _r_sized_m(_F2, b"\x0f\x2d")
    cvtss2sd_xx, cvtss2sd_xm = _xx(_F3, b"\x0f\x5a"), _xm(_F3, b"\x0f\x5a")
    cvtsd2ss_xx, cvtsd2ss_xm = _xx(_F2, b"\x0f\x5a"), _xm(_F2, b"\x0f\x5a")
    cvtsi2ss, cvtsi2sd, cvttss2si, cvttsd2si = cvtsi2ss_xr, cvtsi2sd_xr, cvttss2si_rx, cvttsd2si_rx
    cvtss2sd, cvtsd2ss = cvtss2sd_xx, cvtsd2ss_xx

    # SSE4.1 rounding; `mode` is ROUND_NEAREST/FLOOR/CEIL/TRUNC.
    roundss_xx, roundss_xm = _xxi(_66, b"\x0f\x3a\x0a"), _xmi(_66, b"\x0f\x3a\x0a")
    roundsd_xx, roundsd_xm = _xxi(_66, b"\x0f\x3a\x0b"), _xmi(_66, b"\x0f\x3a\x0b")
    roundss, roundsd = roundss_xx, roundsd_xx

    # ---- bitwise (sign masks for abs/neg/copysign) -------------------------------------------

    andps_xx, andps_xm = _xx(_NONE, b"\x0f\x54"), _xm(_NONE, b"\x0f\x54")
    andnps_xx, andnps_xm = _xx(_NONE, b"\x0f\x55"), _xm(_NONE, b"\x0f\x55")
    orps_xx, orps_xm = _xx(_NONE, b"\x0f\x56"), _xm(_NONE, b"\x0f\x56")
    xorps_xx, xorps_xm = _xx(_NONE, b"\x0f\x57"), _xm(_NONE, b"\x0f\x57")
    andpd_xx, andpd_xm = _xx(_66, b"\x0f\x54"), _xm(_66, b"\x0f\x54")
    andnpd_xx, andnpd_xm = _xx(_66, b"\x0f\x55"), _xm(_66, b"\x0f\x55")
    orpd_xx, orpd_xm = _xx(_66, b"\x0f\x56"), _xm(_66, b"\x0f\x56")
    xorpd_xx, xorpd_xm = _xx(_66, b"\x0f\x57"), _xm(_66, b"\x0f\x57")
    pxor_xx, pxor_xm = _xx(_66, b"\x0f\xef"), _xm(_66, b"\x0f\xef")
    andps, andnps, orps, xorps = andps_xx, andnps_xx, orps_xx, xorps_xx
    andpd, andnpd, orpd, xorpd = andpd_xx, andnpd_xx, orpd_xx, xorpd_xx

    # SSSE3/SSE4.1 samples of the 66 0F 38 / 66 0F 3A maps (SIMD builds on these shapes).
    pshufb_xx, pshufb_xm = _xx(_66, b"\x0f\x38\x00"), _xm(_66, b"\x0f\x38\x00")
    ptest_xx, ptest_xm = _xx(_66, b"\x0f\x38\x17"), _xm(_66, b"\x0f\x38\x17")
    pshufd_xxi, pshufd_xmi = _xxi(_66, b"\x0f\x70"), _xmi(_66, b"\x0f\x70")

    # ---- VEX --------------------------------------------------------------------------------
    # A VEX form is `_op_r/_op_m(H[src1], dst, src2)` with H = vex_heads(...): the same ModRM
    # path as legacy SSE, the VEX prefix (including vvvv = src1) coming from the heads table.

    def vex_xxx(self, h: tuple, dst: int, src1: int, src2: int) -> None:
        """Any VEX `op dst, src1, src2` given its `vex_heads` table (for SIMD forms to come)."""
        self._op_r(h[src1], dst, src2)

    def vex_xxm(self, h: tuple, dst: int, src1: int, mem, imm_len: int = 0) -> None:
        self._op_m(h[src1], dst, mem, imm_len)

    vaddss_xxx = _vex_xxx(_F3, VEX_MAP_0F, 0, 0, 0x58)
    vaddsd_xxx = _vex_xxx(_F2, VEX_MAP_0F, 0, 0, 0x58)
    vpxor_xxx, vpxor_xxm = _vex_xxx(_66, VEX_MAP_0F, 0, 0, 0xEF), _vex_xxm(_66, VEX_MAP_0F, 0, 0, 0xEF)
    vpshufb_xxx = _vex_xxx(_66, VEX_MAP_0F38, 0, 0, 0x00)
    vpshufb_xxm = _vex_xxm(_66, VEX_MAP_0F38, 0, 0, 0x00)


def vex_heads(prefix: bytes, vex_map: int, w: int, l256: int, opcode: int) -> tuple:
    """VEX prefix + opcode for every vvvv (outer index: the first source register) and every
    R<<2|X<<1|B (inner index, as `heads`). The 2-byte C5 form is used when X=B=0, W=0 and the map
    is 0F; otherwise the 3-byte C4 form. R, X, B and vvvv are stored inverted."""
    pp = VEX_PP[prefix]
    out = []
    for vvvv in range(16):
        tail = ((~vvvv & 15) << 3) | (l256 << 2) | pp
        row = []
        for i in range(8):
            r, x, b = (i >> 2) & 1, (i >> 1) & 1, i & 1
            if not (x or b or w) and vex_map == VEX_MAP_0F:
                prefix_bytes = bytes((0xC5, ((r ^ 1) << 7) | tail))
            else:
                rxb = ((r ^ 1) << 7) | ((x ^ 1) << 6) | ((b ^ 1) << 5)
                prefix_bytes = bytes((0xC4, rxb | vex_map, (w << 7) | tail))
            row.append(prefix_bytes + bytes((opcode,)))
        out.append(tuple(row) * 2)  # indexes 8..15 (forced REX) have no meaning for VEX
    return tuple(out)
