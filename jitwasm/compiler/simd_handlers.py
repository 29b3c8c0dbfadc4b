"""The SIMD handlers: one per 0xFD opcode, a closure over its emitter from
backend_x64.masm_simd.SIMD_OPS, built from the emitter's shape (see simd.py for the model).

Imported only when a function uses a SIMD instruction: codegen's 0xFD entry loads this module
on first use and installs `op_prefix_fd` in its place.
"""

from ..backend_x64.masm import XSCRATCH
from ..backend_x64.masm_simd import (SHAPE_BINARY, SHAPE_CONST, SHAPE_EXTRACT, SHAPE_LOAD,
                                     SHAPE_LOAD_LANE, SHAPE_REPLACE, SHAPE_SHIFT,
                                     SHAPE_SHIFT_X2, SHAPE_SHUFFLE, SHAPE_SPLAT, SHAPE_STORE,
                                     SHAPE_STORE_LANE, SHAPE_TERNARY, SHAPE_TO_GPR, SHAPE_UNARY,
                                     SIMD_OPS, SIMD_SHIFT_IMM, SIMD_TEST_FLAGS)
from ..binary import opcodes as op
from ..binary.types import I32, V128
from .decoding import read_u32
from .values import IS_FLOAT, K_CONST, K_FLAGS, K_REG

_FUSED_CONSUMERS = frozenset((op.BR_IF, op.IF, op.SELECT, op.SELECT_T))


def op_prefix_fd(self, pos):
    """Dispatch of a 0xFD instruction (the compiler's handler once SIMD is loaded)."""
    sub, after = read_u32(self.code, pos)  # the sub-opcode LEB may be padded
    return SIMD_HANDLERS[sub](self, after, pos - 1)


def _binary(emit):
    def handler(self, pos, start):
        src, _ = self.pop_to_reg()
        dst, _ = self.pop_to_reg()
        emit(self.a, dst, src, XSCRATCH)
        self.free(V128, src)
        self.push(K_REG, dst, V128)
        return pos
    return handler


def _unary(emit):
    def handler(self, pos, start):
        kind, val, t = self.pop()
        if kind == K_REG:
            dst = src = val
        else:
            dst = self.alloc_xmm()
            self.load(kind, val, t, len(self.kinds), dst)
            src = dst
        emit(self.a, dst, src, XSCRATCH)
        self.push(K_REG, dst, V128)
        return pos
    return handler


def _ternary(emit):
    def handler(self, pos, start):
        mask, _ = self.pop_to_reg()
        src1, _ = self.pop_to_reg()
        dst, _ = self.pop_to_reg()
        emit(self.a, dst, src1, mask, XSCRATCH)
        self.free(V128, src1)
        self.free(V128, mask)
        self.push(K_REG, dst, V128)
        return pos
    return handler


def _shift(opcode, emit, needs_second_temp):
    emit_imm = SIMD_SHIFT_IMM.get(opcode)

    def handler(self, pos, start):
        if emit_imm is not None and self.kinds[-1] == K_CONST:
            _, count, _ = self.pop()
            dst, _ = self.pop_to_reg()
            emit_imm(self.a, dst, count, XSCRATCH)
        else:
            count, _ = self.pop_to_reg()
            dst, _ = self.pop_to_reg()
            if needs_second_temp:
                xtmp2 = self.alloc_xmm()
                emit(self.a, dst, count, XSCRATCH, xtmp2)
                self.free(V128, xtmp2)
            else:
                emit(self.a, dst, count, XSCRATCH)
            self.free(I32, count)
        self.push(K_REG, dst, V128)
        return pos
    return handler


def _to_gpr(opcode, emit):
    emit_flags = SIMD_TEST_FLAGS.get(opcode)

    def handler(self, pos, start):
        src, _ = self.pop_to_reg()
        if emit_flags is not None and self.code[pos] in _FUSED_CONSUMERS:
            cc = emit_flags(self.a, src, XSCRATCH)
            self.free(V128, src)
            self.push(K_FLAGS, cc, I32)
            return pos
        dst = self.alloc_gpr()
        emit(self.a, dst, src, XSCRATCH)
        self.free(V128, src)
        self.push(K_REG, dst, I32)
        return pos
    return handler


def _splat(emit):
    def handler(self, pos, start):
        kind, val, t = self.pop()
        if IS_FLOAT[t] and kind == K_REG:
            dst = src = val  # f32/f64 splat may work in place
        else:
            src = self.into_reg(kind, val, t, len(self.kinds))
            dst = self.alloc_xmm()
            self.free(t, src)  # dst is allocated: src may be reused by nothing before the emit
        emit(self.a, dst, src)
        self.push(K_REG, dst, V128)
        return pos
    return handler


def _extract(emit, result_type):
    in_xmm = IS_FLOAT[result_type]

    def handler(self, pos, start):
        lane = self.code[pos]
        src, _ = self.pop_to_reg()
        dst = src if in_xmm else self.alloc_gpr()
        emit(self.a, dst, src, lane)
        if not in_xmm:
            self.free(V128, src)
        self.push(K_REG, dst, result_type)
        return pos + 1
    return handler


def _replace(emit):
    def handler(self, pos, start):
        lane = self.code[pos]
        scalar, t = self.pop_to_reg()
        dst, _ = self.pop_to_reg()
        emit(self.a, dst, scalar, lane)
        self.free(t, scalar)
        self.push(K_REG, dst, V128)
        return pos + 1
    return handler


def _shuffle(emit):
    def handler(self, pos, start):
        lanes = bytes(self.code[pos:pos + 16])
        src, _ = self.pop_to_reg()
        dst, _ = self.pop_to_reg()
        emit(self.a, dst, src, lanes, XSCRATCH)
        self.free(V128, src)
        self.push(K_REG, dst, V128)
        return pos + 16
    return handler


def _const(emit):
    def handler(self, pos, start):
        self.push(K_CONST, int.from_bytes(self.code[pos:pos + 16], "little"), V128)
        return pos + 16
    return handler


def _load(opcode, emit):
    def handler(self, pos, start):
        dst = self.alloc_xmm()
        mem, pos = self.simd_address(opcode, pos, start)
        self.record_memory_access(start)
        emit(self.a, dst, mem)
        self.push(K_REG, dst, V128)
        return pos
    return handler


def _load_lane(opcode, emit):
    def handler(self, pos, start):
        # Stack: address, vector. The vector goes into its register first, under the address.
        kind, val, t = self.pop()
        dst = self.into_reg(kind, val, t, len(self.kinds))
        mem, pos = self.simd_address(opcode, pos, start)
        self.record_memory_access(start)
        emit(self.a, dst, mem, self.code[pos])
        self.push(K_REG, dst, V128)
        return pos + 1
    return handler


def _store(opcode, emit, has_lane):
    def handler(self, pos, start):
        kind, val, t = self.pop()
        src = self.into_reg(kind, val, t, len(self.kinds))
        mem, pos = self.simd_address(opcode, pos, start)
        self.record_memory_access(start)
        if has_lane:
            emit(self.a, mem, src, self.code[pos])
            pos += 1
        else:
            emit(self.a, mem, src)
        self.free(V128, src)
        return pos
    return handler


def _handler(opcode: int, emit, shape: int):
    if shape == SHAPE_BINARY:
        return _binary(emit)
    if shape == SHAPE_UNARY:
        return _unary(emit)
    if shape == SHAPE_TERNARY:
        return _ternary(emit)
    if shape in (SHAPE_SHIFT, SHAPE_SHIFT_X2):
        return _shift(opcode, emit, shape == SHAPE_SHIFT_X2)
    if shape == SHAPE_TO_GPR:
        return _to_gpr(opcode, emit)
    if shape == SHAPE_SPLAT:
        return _splat(emit)
    if shape == SHAPE_EXTRACT:
        return _extract(emit, op.OPCODES[opcode].sig[1][0])
    if shape == SHAPE_REPLACE:
        return _replace(emit)
    if shape == SHAPE_SHUFFLE:
        return _shuffle(emit)
    if shape == SHAPE_CONST:
        return _const(emit)
    if shape == SHAPE_LOAD:
        return _load(opcode, emit)
    if shape == SHAPE_LOAD_LANE:
        return _load_lane(opcode, emit)
    if shape in (SHAPE_STORE, SHAPE_STORE_LANE):
        return _store(opcode, emit, shape == SHAPE_STORE_LANE)
    raise AssertionError(f"unknown SIMD shape {shape}")


def _unknown(self, pos, start):
    raise AssertionError(f"illegal SIMD opcode at {start} after validation")


SIMD_HANDLERS = [_unknown] * 256
for _opcode, (_emit, _shape) in SIMD_OPS.items():
    SIMD_HANDLERS[_opcode & 0xFF] = _handler(_opcode, _emit, _shape)
del _opcode, _emit, _shape

__all__ = ["SIMD_HANDLERS", "op_prefix_fd"]
