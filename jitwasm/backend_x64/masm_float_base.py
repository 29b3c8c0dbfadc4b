"""Shared pieces of the float emitters: the per-width SSE instruction set and short forward jumps.

`FloatWidth` lets one emitter factory produce both the f32 and the f64 version of an operation:
it holds the unbound Assembler methods of that width (called as `w.add(a, dst, src)`) and packs
float constants into the constant pool. Bitwise ops and register moves use the `ps` forms for
both widths (same effect on the bits, one byte shorter than `pd`).

The short jumps are the one form the emitters need that the assembler lacks: a forward `jcc rel8`
to a local label bound a few bytes later (the assembler's forward jumps are always rel32).
"""

import struct
from collections import namedtuple

from .operands import AssemblerError
from .sse import SseForms


class FloatWidth(namedtuple("FloatWidth", "bits precision name add sub mul div min max sqrt sub_m "
                             "ucomis ucomis_m round cvtt cvtsi load pool pack sign_mask "
                             "abs_mask")):
    """The SSE forms and constant packing of one float width (see F32, F64).

    precision: significand bits, the implicit one included
    sub_m: subss/subsd xmm, [mem]
    ucomis: ucomiss/ucomisd xmm, xmm
    ucomis_m: ucomiss/ucomisd xmm, [mem]
    round: roundss/roundsd xmm, xmm, mode (SSE4.1)
    cvtt: cvttss2si/cvttsd2si (size, gpr, xmm): truncating float -> int
    cvtsi: cvtsi2ss/cvtsi2sd (size, xmm, gpr): int -> float, MXCSR rounding
    load: movss/movsd xmm, [mem]
    pool: Assembler.const32 / const64: bit pattern -> RipRel
    pack: float -> bit pattern (exact; the value must be representable)
    sign_mask: 128-bit constant: the sign bit of every lane
    abs_mask: 128-bit constant: every bit but the sign bits
    """
    __slots__ = ()

    def const(self, a, value: float):
        """RIP-relative operand for the float `value` in `a`'s constant pool."""
        return self.pool(a, self.pack(value))


def _packer(fmt: str, ifmt: str):
    pack, unpack = struct.Struct(fmt).pack, struct.Struct(ifmt).unpack

    def bits_of(value: float) -> int:
        return unpack(pack(value))[0]
    return bits_of


def _lanes(value: int, lane_bits: int) -> int:
    return sum(value << (lane_bits * i) for i in range(128 // lane_bits))


S = SseForms
F32 = FloatWidth(32, 24, "f32", S.addss_xx, S.subss_xx, S.mulss_xx, S.divss_xx, S.minss_xx,
                 S.maxss_xx, S.sqrtss_xx, S.subss_xm, S.ucomiss_xx, S.ucomiss_xm, S.roundss_xx,
                 S.cvttss2si_rx, S.cvtsi2ss_xr, S.movss_xm, S.const32, _packer("<f", "<I"),
                 _lanes(0x80000000, 32), _lanes(0x7FFFFFFF, 32))
F64 = FloatWidth(64, 53, "f64", S.addsd_xx, S.subsd_xx, S.mulsd_xx, S.divsd_xx, S.minsd_xx,
                 S.maxsd_xx, S.sqrtsd_xx, S.subsd_xm, S.ucomisd_xx, S.ucomisd_xm, S.roundsd_xx,
                 S.cvttsd2si_rx, S.cvtsi2sd_xr, S.movsd_xm, S.const64, _packer("<d", "<Q"),
                 _lanes(1 << 63, 64), _lanes((1 << 63) - 1, 64))
del S


def named_emitter(fn, name: str, doc: str):
    """Give a generated emitter its public name and docstring (tracebacks, help())."""
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return fn


# ---- short forward jumps ------------------------------------------------------------------------

def jcc_short(a, cc: int) -> int:
    """`jcc rel8` to a forward target; returns the fixup to pass to `bind_short`."""
    buf = a.buf
    buf.append(0x70 | cc)
    buf.append(0)
    return len(buf)


def jmp_short(a) -> int:
    """`jmp rel8` to a forward target; returns the fixup to pass to `bind_short`."""
    buf = a.buf
    buf.append(0xEB)
    buf.append(0)
    return len(buf)


def bind_short(a, *fixups: int) -> None:
    """Point the short jumps `fixups` at the current offset (at most 127 bytes ahead)."""
    buf = a.buf
    here = len(buf)
    for end in fixups:
        rel = here - end
        if rel > 127:
            raise AssemblerError(f"short jump over {rel} bytes")
        buf[end - 1] = rel
