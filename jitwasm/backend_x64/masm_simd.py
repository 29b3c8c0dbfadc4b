"""Emitters for every Wasm 2.0 SIMD (v128) instruction, with exact Wasm semantics, on SSE4.2.

`SIMD_OPS` maps a Wasm opcode (`0xFD << 8 | subop`, as binary/opcodes.py) to `(emitter, shape)`
so the compiler dispatches generically. Every emitter is `emit_<wasm name>(a, ...)` taking the
Assembler and register numbers; the shape fixes the rest of the arguments:

| shape            | call                                        | instructions                    |
| ---------------- | ------------------------------------------- | ------------------------------- |
| SHAPE_BINARY     | emit(a, dst, src, xtmp): dst = dst op src   | lane arithmetic, compares, ...  |
| SHAPE_UNARY      | emit(a, dst, src, xtmp): dst = op src       | abs, neg, not, extend, convert  |
| SHAPE_TERNARY    | emit(a, dst, src1, src2, xtmp)              | v128.bitselect (src2 = mask)    |
| SHAPE_SHIFT      | emit(a, dst, count_gpr, xtmp)               | i16/i32/i64 shifts              |
| SHAPE_SHIFT_X2   | emit(a, dst, count_gpr, xtmp, xtmp2)        | i8x16 shifts, i64x2.shr_s       |
| SHAPE_TO_GPR     | emit(a, dst_gpr, src, xtmp): i32 result     | any_true, all_true, bitmask     |
| SHAPE_SPLAT      | emit(a, dst, src_scalar)                    | *.splat                         |
| SHAPE_EXTRACT    | emit(a, dst_scalar, src, lane)              | *.extract_lane*                 |
| SHAPE_REPLACE    | emit(a, dst, src_scalar, lane)              | *.replace_lane (dst = vector)   |
| SHAPE_SHUFFLE    | emit(a, dst, src, lanes16, xtmp)            | i8x16.shuffle                   |
| SHAPE_CONST      | emit(a, dst, data16)                        | v128.const                      |
| SHAPE_LOAD       | emit(a, dst, mem)                           | v128.load*, load*_splat, _zero  |
| SHAPE_LOAD_LANE  | emit(a, dst, mem, lane)  (dst = vector in)  | v128.load*_lane                 |
| SHAPE_STORE      | emit(a, mem, src)                           | v128.store                      |
| SHAPE_STORE_LANE | emit(a, mem, src, lane)                     | v128.store*_lane                |

Register conventions:
- dst, src, src1, src2, xtmp, xtmp2 are XMM registers; a scalar (`*_scalar`, count_gpr,
  dst_gpr) is a GPR for i32/i64 and the low lane of an XMM register for f32/f64. An i32 input
  may have garbage in bits 32..63; i32 results are zero-extended to 64 bits; f32/f64 results
  leave the XMM lanes above them unspecified.
- dst may equal src (and any of src1/src2 for bitselect); the temporaries must be distinct from
  every operand. Sources are never written. Each emitter's docstring ends in "Writes: ..." with
  the registers it may change (flags are always fair game). The compiler reserves xmm15 as the
  one XMM temporary every op may need; SHAPE_SHIFT_X2 needs a second.
- `mem` is a Mem/RipRel operand; the access is the emitter's first instruction (trap site).
- Lane indices and shuffle lanes are validated immediates (lane < lane count, shuffle < 32).

Extras for the compiler: `SIMD_SHIFT_IMM[opcode]` is `emit(a, dst, count, xtmp)` for a shift by a
constant (the i32 value, masked inside), cheaper than materialising the count; `SIMD_TEST_FLAGS`
has flag-setting forms of any_true/all_true for fusion with br_if/if/select.

Semantics assume the default MXCSR (round to nearest even, exceptions masked, no FTZ/DAZ), and
the constant pool loaded at a 16-byte aligned address (pool operands are aligned SSE operands).
The emitters live in masm_simd_int.py (integer/bitwise), masm_simd_float.py (float lanes and
conversions) and masm_simd_lanes.py (lanes, shuffles, memory); the packed SSE forms they use in
masm_simd_forms.py.
"""

from .masm_simd_base import (SHAPE_BINARY, SHAPE_CONST, SHAPE_EXTRACT, SHAPE_LOAD,
                             SHAPE_LOAD_LANE, SHAPE_REPLACE, SHAPE_SHIFT, SHAPE_SHIFT_X2,
                             SHAPE_SHUFFLE, SHAPE_SPLAT, SHAPE_STORE, SHAPE_STORE_LANE,
                             SHAPE_TERNARY, SHAPE_TO_GPR, SHAPE_UNARY)
from .masm_simd_float import FLOAT_OPS
from .masm_simd_int import INT_OPS, SHIFT_IMM, TEST_FLAGS
from .masm_simd_lanes import LANE_OPS

__all__ = [
    "SIMD_OPS", "SIMD_SHIFT_IMM", "SIMD_TEST_FLAGS", "SHAPE_BINARY", "SHAPE_UNARY",
    "SHAPE_TERNARY", "SHAPE_SHIFT", "SHAPE_SHIFT_X2", "SHAPE_TO_GPR", "SHAPE_SPLAT",
    "SHAPE_EXTRACT", "SHAPE_REPLACE", "SHAPE_SHUFFLE", "SHAPE_CONST", "SHAPE_LOAD",
    "SHAPE_LOAD_LANE", "SHAPE_STORE", "SHAPE_STORE_LANE",
]

SIMD_OPS = {**INT_OPS, **FLOAT_OPS, **LANE_OPS}
"""Wasm SIMD opcode -> (emitter, SHAPE_*) for every Wasm 2.0 SIMD instruction."""

SIMD_SHIFT_IMM = SHIFT_IMM
"""Shift opcode -> emit(a, dst, count, xtmp) for a constant count (any i32; masked inside)."""

SIMD_TEST_FLAGS = TEST_FLAGS
"""any_true/all_true opcode -> emit(a, src, xtmp) -> cc (flags only, plus xtmp for all_true)."""
