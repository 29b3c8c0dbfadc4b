"""Shared pieces of the SIMD emitters: shapes, lane constants, register moves, emitter factories.

A shape fixes an emitter's argument list (see masm_simd.py for the table); the factories here
build the emitters of the common shapes from one instruction form, give them their public name
and a docstring ending in "Writes: <parameters>." (the registers the emitter may change; the tests
check it against the decoded code).
"""

from .masm_float_base import named_emitter

(SHAPE_BINARY, SHAPE_UNARY, SHAPE_TERNARY, SHAPE_SHIFT, SHAPE_SHIFT_X2, SHAPE_TO_GPR,
 SHAPE_SPLAT, SHAPE_EXTRACT, SHAPE_REPLACE, SHAPE_SHUFFLE, SHAPE_CONST, SHAPE_LOAD,
 SHAPE_LOAD_LANE, SHAPE_STORE, SHAPE_STORE_LANE) = range(15)

ONES = b"\xff" * 16
ZEROS = bytes(16)


def lanes(value: int, lane_bits: int) -> bytes:
    """16 bytes holding `value` (either reading) in every lane of `lane_bits`."""
    size = lane_bits // 8
    return (value & ((1 << lane_bits) - 1)).to_bytes(size, "little") * (16 // size)


def splat(a, value: int, lane_bits: int):
    """RIP-relative pool operand of the 16-byte constant with `value` in every lane."""
    return a.const128(lanes(value, lane_bits))


def low(a, value: int):
    """Pool operand of a 16-byte constant holding `value` in its low 64 bits, zero above (a
    shift-count mask or addend for a count moved in with movd)."""
    return a.const128(value)


def move(a, dst: int, src: int) -> None:
    """dst = src (whole register; nothing when they are the same)."""
    if dst != src:
        a.movaps_xx(dst, src)


def binary(form, name: str, what: str):
    """`dst = dst op src` with one destructive two-operand form."""
    def emit(a, dst, src, xtmp):
        form(a, dst, src)
    return named_emitter(emit, name, f"{name}(a, dst, src, xtmp): dst = {what}. "
                                     "dst may equal src. Writes: dst.")


def reversed_binary(form, name: str, what: str):
    """`dst = src op dst`: the form's operands swapped through xtmp (x86 has only `dst op=`)."""
    def emit(a, dst, src, xtmp):
        if dst == src:
            form(a, dst, dst)
            return
        a.movaps_xx(xtmp, src)
        form(a, xtmp, dst)
        a.movaps_xx(dst, xtmp)
    return named_emitter(emit, name, f"{name}(a, dst, src, xtmp): dst = {what}. "
                                     "dst may equal src. Writes: dst, xtmp.")


def unary(form, name: str, what: str):
    """`dst = op src` with a non-destructive form (pabs, sqrtps, pmovsx, cvt...)."""
    def emit(a, dst, src, xtmp):
        form(a, dst, src)
    return named_emitter(emit, name, f"{name}(a, dst, src, xtmp): dst = {what}. "
                                     "dst may equal src. Writes: dst.")


def sequence(name: str, signature: str, doc: str, writes: str):
    """Decorator naming a hand-written emitter: `signature` lists its parameters."""
    def wrap(fn):
        return named_emitter(fn, name, f"{name}(a, {signature}): {doc} Writes: {writes}.")
    return wrap
