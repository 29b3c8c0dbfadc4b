"""f32/f64 instructions, wired to the emitters of backend_x64/masm_float.py by their shape.

Constants are K_CONST entries holding the bit pattern (materialised by masm_float's const
emitters: xorps for +0.0, else the constant pool). Reinterpretations of constants, locals and
slots only change the entry's type: the bits in the slot are the same. lt/gt/le/ge compile to a
ucomis that leaves a K_FLAGS entry (their condition codes are exact negations of each other,
NaN included); eq/ne need the parity flag as well, so they produce a register.
"""

import struct

from ..backend_x64.masm import SCRATCH, XSCRATCH
from ..backend_x64.masm_float import (FLOAT_OPS, PARITY_NONE, SHAPE_BINARY, SHAPE_COMPARE,
                                      SHAPE_CONVERT, SHAPE_FROM_GPR, SHAPE_TO_GPR, SHAPE_TRUNC,
                                      SHAPE_TRUNC_SAT, SHAPE_UNARY, FLOAT_COMPARES,
                                      emit_float_compare_flags)
from ..binary import opcodes as op
from ..binary.types import F32, F64, I32
from ..runtime.traps import TRAP_INTEGER_OVERFLOW, TRAP_INVALID_CONVERSION
from .values import GCLEAR, K_CONST, K_FLAGS, K_LOCAL, K_REG

_RESULT_TYPE = {code: info.sig[1][0] for code, info in op.OPCODES.items()
                if code in FLOAT_OPS}
_unpack_u32 = struct.Struct("<I").unpack_from
_unpack_u64 = struct.Struct("<Q").unpack_from


class FloatOps:
    """Handlers of the float instructions (shapes as in masm_float.FLOAT_OPS)."""

    __slots__ = ()

    def float_binary(self, emit, t: int) -> None:
        rk, rv, lk, lv = self.pop_pair()
        depth = len(self.kinds)
        dst = self.into_reg(lk, lv, t, depth)
        src = self.source_xmm(rk, rv, t, depth + 1)
        emit(self.a, dst, src, XSCRATCH)
        if rk != K_LOCAL or src != self.cache[rv]:
            self.xfree |= 1 << src
        self.push(K_REG, dst, t)

    def source_xmm(self, kind: int, val: int, t: int, depth: int) -> int:
        """A register with the value of a popped float entry that the emitter only reads: a
        cached local's own register (not to be freed), or a held one."""
        if kind == K_LOCAL:
            reg = self.cached(val, t)
            if reg >= 0:
                return reg
        return self.into_reg(kind, val, t, depth)

    def float_unary(self, emit, t: int) -> None:
        kind, val, src_t = self.pop()
        if kind == K_REG:
            emit(self.a, val, val)
            self.push(K_REG, val, t)
            return
        dst = self.alloc_xmm()
        self.load(kind, val, src_t, len(self.kinds), dst)
        emit(self.a, dst, dst)
        self.push(K_REG, dst, t)

    def float_compare(self, opcode: int, emit) -> None:
        rk, rv, t = self.pop()
        lk, lv, _ = self.pop()
        depth = len(self.kinds)
        lhs = self.source_xmm(lk, lv, t, depth)
        rhs = self.source_xmm(rk, rv, t, depth + 1)
        held = 0
        if lk != K_LOCAL or lhs != self.cache[lv]:
            held |= 1 << lhs
        if rk != K_LOCAL or rhs != self.cache[rv]:
            held |= 1 << rhs
        if FLOAT_COMPARES[opcode][3] == PARITY_NONE:
            cc, _ = emit_float_compare_flags(self.a, opcode, lhs, rhs)
            self.xfree |= held
            self.push(K_FLAGS, cc, I32)
            return
        dst = self.alloc_gpr()  # a GPR: the XMM sources stay intact
        emit(self.a, dst, lhs, rhs)
        self.xfree |= held
        self.push(K_REG, dst, I32)

    def float_to_int(self, emit, shape: int, t: int, start: int) -> None:
        kind, val, src_t = self.pop()
        src = self.into_reg(kind, val, src_t, len(self.kinds))
        dst = self.alloc_gpr()
        if shape == SHAPE_TRUNC:
            emit(self.a, dst, src, XSCRATCH, self.trap_label(TRAP_INVALID_CONVERSION, start),
                 self.trap_label(TRAP_INTEGER_OVERFLOW, start))
        elif shape == SHAPE_TRUNC_SAT:
            emit(self.a, dst, src, XSCRATCH, SCRATCH)
        else:
            emit(self.a, dst, src)
        self.xfree |= 1 << src
        self.push(K_REG, dst, t)

    def int_to_float(self, emit, shape: int, t: int) -> None:
        kind, val, src_t = self.pop()
        src = self.into_reg(kind, val, src_t, len(self.kinds))
        dst = self.alloc_xmm()
        if shape == SHAPE_CONVERT:
            emit(self.a, dst, src, SCRATCH)
        else:
            emit(self.a, dst, src)
        self.gused &= GCLEAR[src]
        self.push(K_REG, dst, t)

    def reinterpret(self, emit, shape: int, t: int, start: int) -> None:
        kind = self.kinds[-1]
        if kind != K_REG:  # same bits in a constant, local or slot: only the type changes
            kind, val, _ = self.pop()
            self.push(kind, val, t)
        elif shape == SHAPE_TO_GPR:
            self.float_to_int(emit, shape, t, start)
        else:
            self.int_to_float(emit, shape, t)

    def op_f32_const(self, pos):
        self.push(K_CONST, _unpack_u32(self.data, pos)[0], F32)
        return pos + 4

    def op_f64_const(self, pos):
        self.push(K_CONST, _unpack_u64(self.data, pos)[0], F64)
        return pos + 8


def _handler(opcode: int, emit, shape: int):
    t = _RESULT_TYPE[opcode]
    if shape == SHAPE_BINARY:
        def handler(self, pos):
            self.float_binary(emit, t)
            return pos
    elif shape == SHAPE_UNARY:
        def handler(self, pos):
            self.float_unary(emit, t)
            return pos
    elif shape == SHAPE_COMPARE:
        def handler(self, pos):
            self.float_compare(opcode, emit)
            self.settle_flags(pos)
            return pos
    elif shape in (SHAPE_TO_GPR, SHAPE_FROM_GPR):
        def handler(self, pos):
            self.reinterpret(emit, shape, t, pos - 1)
            return pos
    elif shape == SHAPE_CONVERT:
        def handler(self, pos):
            self.int_to_float(emit, shape, t)
            return pos
    elif opcode < 0x100:  # trapping truncation
        def handler(self, pos):
            self.float_to_int(emit, shape, t, pos - 1)
            return pos
    else:  # saturating truncation, after the 0xFC prefix: (self, pos, start)
        def handler(self, pos, start):
            self.float_to_int(emit, shape, t, start)
            return pos
    return handler


HANDLERS = {code: _handler(code, emit, shape) for code, (emit, shape) in FLOAT_OPS.items()
            if code < 0x100}
HANDLERS[op.F32_CONST] = FloatOps.op_f32_const
HANDLERS[op.F64_CONST] = FloatOps.op_f64_const
FC_HANDLERS = {code & 0xFF: _handler(code, emit, shape) for code, (emit, shape) in FLOAT_OPS.items()
               if code >= 0x100}
