"""SIMD (v128) instructions: dispatch of every 0xFD opcode through masm_simd.SIMD_OPS.

v128 values live on the value stack like f32/f64 (XMM registers, K_CONST with 128 bits,
lazy locals, slots), in 16-byte frame slots: a function that may hold a v128 value gets
16-byte slots for all its locals, stack depths and temporaries (`slot_size`), the others keep
8 bytes. One handler per opcode, a closure over its emitter, built from the emitter's shape:
operands are popped, their values brought into registers (`into_reg`: a register entry's own
register, else a newly allocated one), the emitter runs with xmm15 (XSCRATCH) as its temporary,
the sources' registers are freed and the result is pushed. The destination is the first
vector operand's register (emitters may write it, and never write their sources).

Memory instructions use MemoryOps' address computation and trap-site recording (the emitter's
first instruction is the access), with the access width for explicit bounds checks taken from
the opcode's natural alignment. any_true/all_true followed by br_if, if or select leave a
pending comparison (K_FLAGS) instead of a 0/1 register; shifts by a constant use the immediate
forms.
"""

from ..backend_x64.abi import LOC_STACK, LOC_XMM
from ..backend_x64.masm import XSCRATCH
from ..backend_x64.masm_simd import (SHAPE_BINARY, SHAPE_CONST, SHAPE_EXTRACT, SHAPE_LOAD,
                                     SHAPE_LOAD_LANE, SHAPE_REPLACE, SHAPE_SHIFT,
                                     SHAPE_SHIFT_X2, SHAPE_SHUFFLE, SHAPE_SPLAT, SHAPE_STORE,
                                     SHAPE_STORE_LANE, SHAPE_TERNARY, SHAPE_TO_GPR, SHAPE_UNARY,
                                     SIMD_OPS, SIMD_SHIFT_IMM, SIMD_TEST_FLAGS)
from ..binary import opcodes as op
from ..binary.types import I32, V128
from .decoding import read_u32
from .simd_moves import store_v128
from .values import IS_FLOAT, K_CONST, K_FLAGS, K_REG

_FUSED_CONSUMERS = frozenset((op.BR_IF, op.IF, op.SELECT, op.SELECT_T))


def module_has_v128(module) -> bool:
    """Whether v128 values can enter any function through a type (calls, blocks) or a global."""
    return any(V128 in ft.params or V128 in ft.results for ft in module.types) \
        or any(t == V128 for t, _ in module.globals)


def slot_size(compiler, local_types: tuple, body) -> int:
    """Frame slot size of a function: 16 when it may hold a v128 value (a v128 local, a type or
    global of the module with v128, or a 0xFD byte in its body: a false hit only costs frame
    space), else 8."""
    if compiler.v128_in_module or V128 in local_types \
            or compiler.code.find(b"\xfd", body.code_start, body.end) >= 0:
        return 16
    return 8


def prologue_param(compiler, local, kind: int, where) -> None:
    """Copy a v128 parameter from its register or stack slot into its local."""
    if kind == LOC_XMM:
        store_v128(compiler.a, local, where)
    else:
        assert kind == LOC_STACK
        a = compiler.a
        compiler.frame_access(lambda m: a.movdqu_xm(XSCRATCH, m), 8 + where)
        store_v128(a, local, XSCRATCH)


class SimdOps:
    """The 0xFD prefix: every SIMD instruction."""

    def op_prefix_fd(self, pos):
        sub, after = read_u32(self.code, pos)  # the sub-opcode LEB may be padded
        return SIMD_HANDLERS[sub](self, after, pos - 1)

    def pop_to_reg(self) -> tuple:
        """Pop the top entry into a held register of its class; returns (register, type)."""
        kind, val, t = self.pop()
        return self.into_reg(kind, val, t, len(self.kinds)), t

    def free_all(self, *regs) -> None:
        """Free the held registers given as (register, type) pairs."""
        for reg, t in regs:
            self.free(t, reg)

    def simd_address(self, opcode: int, pos: int, start: int):
        """Read a memarg, pop the address and return (operand, next position); the caller emits
        the access right after `record_memory_access`."""
        code = self.code
        _, pos = read_u32(code, pos)  # alignment hint
        offset, pos = read_u32(code, pos)
        kind, val, _ = self.pop()
        depth = len(self.kinds)
        if self.explicit_bounds:
            mem = self.checked_address(kind, val, depth, offset, ACCESS_BYTES[opcode], start)
        else:
            mem = self.mem_address(kind, val, depth, offset, opcode, start)
        self.free_if_reg(kind, val, I32)  # the address register stays usable until the access
        return mem, pos


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


ACCESS_BYTES = {code: 1 << info.align for code, info in op.OPCODES.items()
                if code >> 8 == 0xFD and info.align is not None}
"""Memory SIMD opcode -> access width in bytes (its natural alignment)."""

SIMD_HANDLERS = [_unknown] * 256
for _opcode, (_emit, _shape) in SIMD_OPS.items():
    SIMD_HANDLERS[_opcode & 0xFF] = _handler(_opcode, _emit, _shape)
del _opcode, _emit, _shape

__all__ = ["SimdOps", "SIMD_HANDLERS", "ACCESS_BYTES", "module_has_v128", "slot_size",
           "prologue_param"]
