"""Moves of whole v128 values between XMM registers, frame slots and the constant pool.

Frame slots and locals are 8 mod 16 aligned (the vmctx slot sits below them), so slot accesses
use the unaligned `movdqu`; constants come from the 16-byte aligned pool. A v128 constant is an
int of 128 bits (lane 0 in the low bits), as on the value stack and across the API.
"""

from ..backend_x64.masm import XSCRATCH


def load_v128(a, dst: int, mem) -> None:
    """dst = the 16 bytes at mem."""
    a.movdqu_xm(dst, mem)


def store_v128(a, mem, src: int) -> None:
    """[mem] = the 16 bytes of src."""
    a.movdqu_mx(mem, src)


def load_v128_const(a, dst: int, bits: int) -> None:
    """dst = the constant `bits` (zero and all-ones without a pool load)."""
    # The SIMD emitters load on first use (see simd.py); values.py imports this module always.
    from ..backend_x64.masm_simd_lanes import emit_v128_const
    emit_v128_const(a, dst, bits.to_bytes(16, "little"))


def store_v128_const(a, mem, bits: int) -> None:
    """[mem] = the constant `bits`, through XSCRATCH."""
    load_v128_const(a, XSCRATCH, bits)
    a.movdqu_mx(mem, XSCRATCH)


def copy_v128(a, dst, src) -> None:
    """Copy the 16-byte frame slot `src` to `dst` through XSCRATCH."""
    a.movdqu_xm(XSCRATCH, src)
    a.movdqu_mx(dst, XSCRATCH)
