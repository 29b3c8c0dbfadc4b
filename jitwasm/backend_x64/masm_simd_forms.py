"""The packed SSE2/SSSE3/SSE4.1/SSE4.2 instruction forms the SIMD emitters need.

They are built only from the assembler's public pieces (`heads`, `Assembler.sse_xx/sse_xm`,
`emit_u8`) and follow SseForms' conventions, but are not `Assembler` methods: the emitters call
them unbound, `SimdForms.paddb_xx(a, d, s)`, so this module (and its ~200 form factories) loads
with the SIMD code generator instead of with every run's assembler.

Suffixes name operand kinds in order: x=XMM, r=GPR (32-bit unless the name says q), m=memory,
i=imm8. Baseline is x86-64-v2 (SSE4.2, SSSE3); nothing here needs AVX. Legacy-SSE 128-bit memory
operands must be 16-byte aligned except for the explicit unaligned moves and the narrower
accesses (pmovsx/zx m64, pinsr/pextr, movd/movq, movddup m64): the emitters use aligned pool
constants only.
"""

from .encoder import heads
from .sse import _mx, _xm, _xx  # the plain forms: one factory serves both tables

_NP, _66, _F3, _F2 = b"", b"\x66", b"\xf3", b"\xf2"


def _xxi(prefix: bytes, opcode: bytes, w: int = 0):
    h = heads(prefix, w, opcode)

    def form(a, dst: int, src: int, imm: int) -> None:
        a.sse_xx(h, dst, src)
        a.emit_u8(imm)
    return form


def _xmi(prefix: bytes, opcode: bytes, w: int = 0):
    h = heads(prefix, w, opcode)

    def form(a, reg: int, mem, imm: int) -> None:
        a.sse_xm(h, reg, mem, 1)
        a.emit_u8(imm)
    return form


def _rxi_rm(prefix: bytes, opcode: bytes, w: int = 0):
    """`op r/m, xmm, imm8` with the XMM register in ModRM.reg (pextrb/d/q, extractps)."""
    h = heads(prefix, w, opcode)

    def form(a, dst: int, src: int, imm: int) -> None:
        a.sse_xx(h, src, dst)
        a.emit_u8(imm)
    return form


def _mxi(prefix: bytes, opcode: bytes, w: int = 0):
    """`op [mem], xmm, imm8` (pextrb/w/d/q to memory)."""
    h = heads(prefix, w, opcode)

    def form(a, mem, src: int, imm: int) -> None:
        a.sse_xm(h, src, mem, 1)
        a.emit_u8(imm)
    return form


def _shift_i(opcode: bytes, ext: int):
    """`op xmm, imm8` of the 66 0F 71/72/73 groups (ModRM.reg = the opcode extension)."""
    h = heads(_66, 0, opcode)

    def form(a, reg: int, imm: int) -> None:
        a.sse_xx(h, ext, reg)
        a.emit_u8(imm)
    return form


def _both(prefix: bytes, opcode: bytes):
    """The register and memory source forms of `op xmm, xmm/m128`."""
    return _xx(prefix, opcode), _xm(prefix, opcode)


class SimdForms:
    """Packed integer, packed float, shuffle, lane and conversion forms (legacy SSE encoding)."""

    __slots__ = ()

    # ---- integer arithmetic (66 0F) -----------------------------------------------------------
    paddb_xx, paddb_xm = _both(_66, b"\x0f\xfc")
    paddw_xx, paddw_xm = _both(_66, b"\x0f\xfd")
    paddd_xx, paddd_xm = _both(_66, b"\x0f\xfe")
    paddq_xx, paddq_xm = _both(_66, b"\x0f\xd4")
    psubb_xx, psubb_xm = _both(_66, b"\x0f\xf8")
    psubw_xx, psubw_xm = _both(_66, b"\x0f\xf9")
    psubd_xx, psubd_xm = _both(_66, b"\x0f\xfa")
    psubq_xx, psubq_xm = _both(_66, b"\x0f\xfb")
    paddsb_xx, paddsb_xm = _both(_66, b"\x0f\xec")
    paddsw_xx, paddsw_xm = _both(_66, b"\x0f\xed")
    paddusb_xx, paddusb_xm = _both(_66, b"\x0f\xdc")
    paddusw_xx, paddusw_xm = _both(_66, b"\x0f\xdd")
    psubsb_xx, psubsb_xm = _both(_66, b"\x0f\xe8")
    psubsw_xx, psubsw_xm = _both(_66, b"\x0f\xe9")
    psubusb_xx, psubusb_xm = _both(_66, b"\x0f\xd8")
    psubusw_xx, psubusw_xm = _both(_66, b"\x0f\xd9")
    pmullw_xx, pmullw_xm = _both(_66, b"\x0f\xd5")
    pmulhw_xx, pmulhw_xm = _both(_66, b"\x0f\xe5")
    pmulhuw_xx, pmulhuw_xm = _both(_66, b"\x0f\xe4")
    pmuludq_xx, pmuludq_xm = _both(_66, b"\x0f\xf4")
    pmaddwd_xx, pmaddwd_xm = _both(_66, b"\x0f\xf5")
    pminub_xx, pminub_xm = _both(_66, b"\x0f\xda")
    pmaxub_xx, pmaxub_xm = _both(_66, b"\x0f\xde")
    pminsw_xx, pminsw_xm = _both(_66, b"\x0f\xea")
    pmaxsw_xx, pmaxsw_xm = _both(_66, b"\x0f\xee")
    pavgb_xx, pavgb_xm = _both(_66, b"\x0f\xe0")
    pavgw_xx, pavgw_xm = _both(_66, b"\x0f\xe3")

    # ---- bitwise, compares, packs, unpacks (66 0F) --------------------------------------------
    pand_xx, pand_xm = _both(_66, b"\x0f\xdb")
    pandn_xx, pandn_xm = _both(_66, b"\x0f\xdf")
    por_xx, por_xm = _both(_66, b"\x0f\xeb")
    pcmpeqb_xx, pcmpeqb_xm = _both(_66, b"\x0f\x74")
    pcmpeqw_xx, pcmpeqw_xm = _both(_66, b"\x0f\x75")
    pcmpeqd_xx, pcmpeqd_xm = _both(_66, b"\x0f\x76")
    pcmpgtb_xx, pcmpgtb_xm = _both(_66, b"\x0f\x64")
    pcmpgtw_xx, pcmpgtw_xm = _both(_66, b"\x0f\x65")
    pcmpgtd_xx, pcmpgtd_xm = _both(_66, b"\x0f\x66")
    packsswb_xx, packsswb_xm = _both(_66, b"\x0f\x63")
    packuswb_xx, packuswb_xm = _both(_66, b"\x0f\x67")
    packssdw_xx, packssdw_xm = _both(_66, b"\x0f\x6b")
    punpcklbw_xx, punpcklbw_xm = _both(_66, b"\x0f\x60")
    punpcklwd_xx, punpcklwd_xm = _both(_66, b"\x0f\x61")
    punpckldq_xx, punpckldq_xm = _both(_66, b"\x0f\x62")
    punpcklqdq_xx, punpcklqdq_xm = _both(_66, b"\x0f\x6c")
    punpckhbw_xx, punpckhbw_xm = _both(_66, b"\x0f\x68")
    punpckhwd_xx, punpckhwd_xm = _both(_66, b"\x0f\x69")
    punpckhdq_xx, punpckhdq_xm = _both(_66, b"\x0f\x6a")
    punpckhqdq_xx, punpckhqdq_xm = _both(_66, b"\x0f\x6d")

    # ---- shifts by the count in the low 64 bits of an XMM register, and by imm8 ---------------
    psllw_xx, pslld_xx, psllq_xx = (_xx(_66, b"\x0f\xf1"), _xx(_66, b"\x0f\xf2"),
                                    _xx(_66, b"\x0f\xf3"))
    psrlw_xx, psrld_xx, psrlq_xx = (_xx(_66, b"\x0f\xd1"), _xx(_66, b"\x0f\xd2"),
                                    _xx(_66, b"\x0f\xd3"))
    psraw_xx, psrad_xx = _xx(_66, b"\x0f\xe1"), _xx(_66, b"\x0f\xe2")
    psrlw_xi, psraw_xi, psllw_xi = (_shift_i(b"\x0f\x71", 2), _shift_i(b"\x0f\x71", 4),
                                    _shift_i(b"\x0f\x71", 6))
    psrld_xi, psrad_xi, pslld_xi = (_shift_i(b"\x0f\x72", 2), _shift_i(b"\x0f\x72", 4),
                                    _shift_i(b"\x0f\x72", 6))
    psrlq_xi, psrldq_xi = _shift_i(b"\x0f\x73", 2), _shift_i(b"\x0f\x73", 3)
    psllq_xi, pslldq_xi = _shift_i(b"\x0f\x73", 6), _shift_i(b"\x0f\x73", 7)

    # ---- SSSE3 (66 0F 38) ---------------------------------------------------------------------
    phaddd_xx, phaddd_xm = _both(_66, b"\x0f\x38\x02")
    pmaddubsw_xx, pmaddubsw_xm = _both(_66, b"\x0f\x38\x04")
    psignb_xx, psignb_xm = _both(_66, b"\x0f\x38\x08")
    psignw_xx, psignw_xm = _both(_66, b"\x0f\x38\x09")
    psignd_xx, psignd_xm = _both(_66, b"\x0f\x38\x0a")
    pmulhrsw_xx, pmulhrsw_xm = _both(_66, b"\x0f\x38\x0b")
    pabsb_xx, pabsb_xm = _both(_66, b"\x0f\x38\x1c")
    pabsw_xx, pabsw_xm = _both(_66, b"\x0f\x38\x1d")
    pabsd_xx, pabsd_xm = _both(_66, b"\x0f\x38\x1e")
    palignr_xxi = _xxi(_66, b"\x0f\x3a\x0f")

    # ---- SSE4.1 / SSE4.2 (66 0F 38) -----------------------------------------------------------
    pmovsxbw_xx, pmovsxbw_xm = _both(_66, b"\x0f\x38\x20")   # memory forms read 64 bits
    pmovsxwd_xx, pmovsxwd_xm = _both(_66, b"\x0f\x38\x23")
    pmovsxdq_xx, pmovsxdq_xm = _both(_66, b"\x0f\x38\x25")
    pmovzxbw_xx, pmovzxbw_xm = _both(_66, b"\x0f\x38\x30")
    pmovzxwd_xx, pmovzxwd_xm = _both(_66, b"\x0f\x38\x33")
    pmovzxdq_xx, pmovzxdq_xm = _both(_66, b"\x0f\x38\x35")
    pmuldq_xx, pmuldq_xm = _both(_66, b"\x0f\x38\x28")
    pcmpeqq_xx, pcmpeqq_xm = _both(_66, b"\x0f\x38\x29")
    packusdw_xx, packusdw_xm = _both(_66, b"\x0f\x38\x2b")
    pcmpgtq_xx, pcmpgtq_xm = _both(_66, b"\x0f\x38\x37")    # SSE4.2
    pminsb_xx, pminsb_xm = _both(_66, b"\x0f\x38\x38")
    pminsd_xx, pminsd_xm = _both(_66, b"\x0f\x38\x39")
    pminuw_xx, pminuw_xm = _both(_66, b"\x0f\x38\x3a")
    pminud_xx, pminud_xm = _both(_66, b"\x0f\x38\x3b")
    pmaxsb_xx, pmaxsb_xm = _both(_66, b"\x0f\x38\x3c")
    pmaxsd_xx, pmaxsd_xm = _both(_66, b"\x0f\x38\x3d")
    pmaxuw_xx, pmaxuw_xm = _both(_66, b"\x0f\x38\x3e")
    pmaxud_xx, pmaxud_xm = _both(_66, b"\x0f\x38\x3f")
    pmulld_xx, pmulld_xm = _both(_66, b"\x0f\x38\x40")

    # ---- shuffles and blends with imm8 --------------------------------------------------------
    pshuflw_xxi = _xxi(_F2, b"\x0f\x70")
    pshufhw_xxi = _xxi(_F3, b"\x0f\x70")
    shufps_xxi, shufps_xmi = _xxi(_NP, b"\x0f\xc6"), _xmi(_NP, b"\x0f\xc6")
    pblendw_xxi = _xxi(_66, b"\x0f\x3a\x0e")
    insertps_xxi = _xxi(_66, b"\x0f\x3a\x21")

    # ---- lanes <-> GPR and memory -------------------------------------------------------------
    pmovmskb_rx = _xx(_66, b"\x0f\xd7")                      # r32 = sign bits of the 16 bytes
    pextrb_rxi, pextrb_mxi = _rxi_rm(_66, b"\x0f\x3a\x14"), _mxi(_66, b"\x0f\x3a\x14")
    pextrw_rxi = _xxi(_66, b"\x0f\xc5")                      # SSE2 form: GPR in ModRM.reg
    pextrw_mxi = _mxi(_66, b"\x0f\x3a\x15")                  # SSE4.1 store form
    pextrd_rxi, pextrd_mxi = _rxi_rm(_66, b"\x0f\x3a\x16"), _mxi(_66, b"\x0f\x3a\x16")
    pextrq_rxi, pextrq_mxi = _rxi_rm(_66, b"\x0f\x3a\x16", 8), _mxi(_66, b"\x0f\x3a\x16", 8)
    pinsrb_xri, pinsrb_xmi = _xxi(_66, b"\x0f\x3a\x20"), _xmi(_66, b"\x0f\x3a\x20")
    pinsrw_xri, pinsrw_xmi = _xxi(_66, b"\x0f\xc4"), _xmi(_66, b"\x0f\xc4")
    pinsrd_xri, pinsrd_xmi = _xxi(_66, b"\x0f\x3a\x22"), _xmi(_66, b"\x0f\x3a\x22")
    pinsrq_xri, pinsrq_xmi = _xxi(_66, b"\x0f\x3a\x22", 8), _xmi(_66, b"\x0f\x3a\x22", 8)
    movddup_xx, movddup_xm = _both(_F2, b"\x0f\x12")          # SSE3; the memory form reads 64 bits
    movlhps_xx = _xx(_NP, b"\x0f\x16")
    movhlps_xx = _xx(_NP, b"\x0f\x12")
    movhps_xm, movhps_mx = _xm(_NP, b"\x0f\x16"), _mx(_NP, b"\x0f\x17")
    unpcklps_xx, unpcklps_xm = _both(_NP, b"\x0f\x14")

    # ---- packed float ---------------------------------------------------------------------------
    addps_xx, addps_xm = _both(_NP, b"\x0f\x58")
    addpd_xx, addpd_xm = _both(_66, b"\x0f\x58")
    subps_xx, subps_xm = _both(_NP, b"\x0f\x5c")
    subpd_xx, subpd_xm = _both(_66, b"\x0f\x5c")
    mulps_xx, mulps_xm = _both(_NP, b"\x0f\x59")
    mulpd_xx, mulpd_xm = _both(_66, b"\x0f\x59")
    divps_xx, divps_xm = _both(_NP, b"\x0f\x5e")
    divpd_xx, divpd_xm = _both(_66, b"\x0f\x5e")
    minps_xx, minps_xm = _both(_NP, b"\x0f\x5d")
    minpd_xx, minpd_xm = _both(_66, b"\x0f\x5d")
    maxps_xx, maxps_xm = _both(_NP, b"\x0f\x5f")
    maxpd_xx, maxpd_xm = _both(_66, b"\x0f\x5f")
    sqrtps_xx, sqrtpd_xx = _xx(_NP, b"\x0f\x51"), _xx(_66, b"\x0f\x51")
    cmpps_xxi, cmppd_xxi = _xxi(_NP, b"\x0f\xc2"), _xxi(_66, b"\x0f\xc2")
    roundps_xxi, roundpd_xxi = _xxi(_66, b"\x0f\x3a\x08"), _xxi(_66, b"\x0f\x3a\x09")

    # ---- conversions ----------------------------------------------------------------------------
    cvtdq2ps_xx = _xx(_NP, b"\x0f\x5b")
    cvttps2dq_xx = _xx(_F3, b"\x0f\x5b")
    cvtps2pd_xx = _xx(_NP, b"\x0f\x5a")
    cvtpd2ps_xx = _xx(_66, b"\x0f\x5a")
    cvtdq2pd_xx = _xx(_F3, b"\x0f\xe6")
    cvttpd2dq_xx = _xx(_66, b"\x0f\xe6")


# cmpps/cmppd predicates (imm8).
CMP_EQ, CMP_LT, CMP_LE, CMP_UNORD, CMP_NEQ, CMP_NLT, CMP_NLE, CMP_ORD = range(8)
