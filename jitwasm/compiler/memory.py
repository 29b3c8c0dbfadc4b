"""Linear-memory instructions: loads, stores, memory.size, memory.grow, bulk memory.

An access is `[r15 + zero-extended addr32 + offset]`: memory 0's base is pinned in r15 and the
8 GiB guard reservation turns any out-of-bounds access into a fault, which the signal handler
maps to "out of bounds memory access" through the trap site recorded at the instruction.
A constant address folds into the displacement; an offset >= 2^31 (no disp32) is added into
SCRATCH first. memory.fill and memory.copy are inline (bounds check against the memory's
current length, then rep stosb / a memmove-like sequence, masm.memory_copy); memory.grow,
memory.init and data.drop call the runtime's builtins.

A memory whose reservation has no guard region (runtime/memory.py's fallback) needs code
compiled with `explicit_bounds`: every access then compares address + offset + size with the
length in vmctx.memory_length (kept current by the runtime) before accessing.
"""

from ..backend_x64 import masm
from ..backend_x64.assembler import ALU_ADD, ALU_CMP, SHR, Mem, new_mem
from ..backend_x64.masm import (ACCESS_BYTES, FLOAT_STORES, INT_STORE_SIZES, LOADS, MOV_LOADS,
                                SCRATCH, XSCRATCH, fits_simm32)
from ..backend_x64.regs import CC_A, R14, R15, RAX, RCX, RDI, RSI
from ..binary import opcodes as op
from ..binary.types import F32, I32
from ..runtime import builtins
from ..runtime.traps import TRAP_MEMORY_OUT_OF_BOUNDS, TrapSite
from ..runtime.vmctx import VMCTX_MEMORY_LENGTH
from .decoding import read_memarg, read_u32
from .values import (ALL_GPRS, GBIT, GCLEAR, IS_FLOAT, K_CONST, K_LOCAL, K_REG, K_STACK,
                     LOWEST_FREE, WITH_LOWEST_FREE)

_DISP_LIMIT = 0x80000000
OPERANDS_LIMIT = 1 << 12  # entries of an intern_mem table (displacements are unbounded)
_COPY_REGS = (RDI, RSI, RCX)  # memory.copy d s n: rep movsb's operands
_FILL_REGS = (RDI, RAX, RCX)  # memory.fill d val n: rep stosb's operands
_COPY_MASK = GBIT[RDI] | GBIT[RSI] | GBIT[RCX]
_FILL_MASK = GBIT[RDI] | GBIT[RAX] | GBIT[RCX]


def intern_mem(table: dict, base: int, index, disp: int) -> Mem:
    """Make [base + index + disp] and keep it in `table` by disp: the miss path of the operand
    tables (heap operands here, frame operands in codegen); a table is cleared when full."""
    if len(table) >= OPERANDS_LIMIT:
        table.clear()
    mem = table[disp] = new_mem((base, index, 1, disp))
    return mem
# TrapSite(...) without the namedtuple's Python-level __new__: `new_tuple(TrapSite, fields)`,
# called directly (through a functools.partial it costs ~20% more; about one per memory access).
new_tuple = tuple.__new__
_LOAD_TYPES = {code: info.sig[1][0] for code, info in op.OPCODES.items() if code in LOADS}


class MemoryOps:
    """Loads, stores and memory-wide operations of memory 0."""

    __slots__ = ()

    def mem_address(self, kind: int, val: int, depth: int, offset: int, opcode: int,
                    start: int) -> Mem:
        """The operand addressing `offset` bytes past the popped i32 address entry (clobbers
        SCRATCH when the address is not a register or the sum needs more than a disp32)."""
        if self.explicit_bounds:
            return self.checked_address(kind, val, depth, offset, ACCESS_BYTES[opcode], start)
        a = self.a
        if kind == K_CONST:
            disp = val + offset
            if disp >= _DISP_LIMIT:
                a.mov_ri(64, SCRATCH, disp)
                return Mem(R15, SCRATCH, 1, 0)
            index = None
        else:
            if kind == K_LOCAL:
                reg = self.cache[val]  # cache_for_read's cached case, inlined
                if reg < 0:
                    reg = self.cache_for_read(val, I32)
                elif self.local_types[val] != I32:
                    reg = -1
                if reg >= 0:
                    kind, val = K_REG, reg  # read-only use as the index
            if kind == K_REG:
                if offset >= _DISP_LIMIT:
                    a.mov_ri(64, SCRATCH, offset)
                    a.alu_rr(ALU_ADD, 64, SCRATCH, val)
                    return Mem(R15, SCRATCH, 1, 0)
                index = val
            else:
                a.mov_rm(32, SCRATCH, self.mem_of(kind, val, depth))
                if offset >= _DISP_LIMIT:
                    # offset = 2^31 + low with low < 2^31: add 2^31 as two simm32 halves.
                    a.alu_ri(ALU_ADD, 64, SCRATCH, _DISP_LIMIT >> 1)
                    a.alu_ri(ALU_ADD, 64, SCRATCH, _DISP_LIMIT >> 1)
                    return Mem(R15, SCRATCH, 1, offset - _DISP_LIMIT)
                index = SCRATCH
            disp = offset
        # [r15 + index + disp] operands recur (a module has few distinct ones): one object per
        # (index, disp), found by a list index and a dict lookup of the bare displacement (no
        # key to build: ints above 256 are allocated), costs a fraction of building a Mem.
        mems = self.heap_mems[16 if index is None else index]
        mem = mems.get(disp)
        if mem is None:
            mem = intern_mem(mems, R15, index, disp)
        return mem

    def checked_address(self, kind: int, val: int, depth: int, offset: int, width: int,
                        start: int) -> Mem:
        """For memories without a guard region: SCRATCH = address + offset + access size, trap
        if that exceeds the memory's length, and address the access relative to SCRATCH."""
        a = self.a
        end = offset + width
        if kind == K_CONST:
            a.mov_ri(64, SCRATCH, val + end)
        else:
            if kind == K_REG:
                a.mov_rr(32, SCRATCH, val)
            else:
                a.mov_rm(32, SCRATCH, self.mem_of(kind, val, depth))
            rest = end
            while rest:  # at most three simm32 steps for end <= 2^32 + 8
                step = min(rest, _DISP_LIMIT - 1)
                a.alu_ri(ALU_ADD, 64, SCRATCH, step)
                rest -= step
        a.alu_rm(ALU_CMP, 64, SCRATCH, Mem(R14, None, 1, VMCTX_MEMORY_LENGTH))
        a.jcc(CC_A, self.trap_label(TRAP_MEMORY_OUT_OF_BOUNDS, start))
        return Mem(R15, SCRATCH, 1, -width)

    def record_memory_access(self, wasm_offset: int) -> None:
        """The next instruction may fault: map its native offset to this Wasm instruction."""
        self.trap_sites[len(self.a.buf)] = new_tuple(
            TrapSite, (TRAP_MEMORY_OUT_OF_BOUNDS, self.func_index, wasm_offset))

    def op_memory_size(self, pos):
        dst = self.alloc_gpr()
        a = self.a
        masm.load_memory_desc(a, dst, 0)
        a.mov_rm(64, dst, Mem(dst, None, 1, 8))
        a.shift_ri(SHR, 64, dst, 16)
        self.push(K_REG, dst, I32)
        return pos + 1  # memory index byte

    def op_memory_grow(self, pos):
        self.call_builtin(builtins.MEMORY_GROW, (0,), pos - 1)
        return pos + 1

    # ---- 0xFC bulk memory (pos: after the sub-opcode) ----------------------------------------

    def op_memory_init(self, pos, start):
        seg, pos = read_u32(self.code, pos)
        self.call_builtin(builtins.MEMORY_INIT, (0, seg), start)
        return pos + 1

    def op_data_drop(self, pos, start):
        seg, pos = read_u32(self.code, pos)
        self.call_builtin(builtins.DATA_DROP, (seg,), start)
        return pos

    def op_memory_copy(self, pos, start):
        self.pop_to_registers(_COPY_REGS)
        self.take_gpr(RAX)
        xtmp = self.alloc_xmm()
        masm.memory_copy(self.a, self.trap_label(TRAP_MEMORY_OUT_OF_BOUNDS, start), RAX, xtmp)
        self.gused &= ~(_COPY_MASK | GBIT[RAX])
        self.xfree |= 1 << xtmp
        return pos + 2

    def op_memory_fill(self, pos, start):
        self.pop_to_registers(_FILL_REGS)
        masm.memory_fill(self.a, self.trap_label(TRAP_MEMORY_OUT_OF_BOUNDS, start))
        self.gused &= ~_FILL_MASK
        return pos + 1


def _load(opcode):
    t = _LOAD_TYPES[opcode]
    emit = LOADS[opcode]
    mov_size = MOV_LOADS.get(opcode)  # plain mov loads: emitted directly, not through `emit`
    is_float = IS_FLOAT[t]

    def handler(self, pos):
        """A load: the address entry is replaced in place by the loaded register (pop and
        push inlined: loads are among the commonest instructions)."""
        start = pos - 1
        code = self.code
        if code[pos] < 0x80 and code[pos + 1] < 0x80:  # read_memarg's commonest case, inlined
            offset = code[pos + 1]
            pos += 2
        else:
            offset, pos = read_memarg(code, pos)
        kinds, vals, types = self.kinds, self.vals, self.types
        depth = len(kinds) - 1
        kind = kinds[depth]
        val = vals[depth]
        if kind == K_LOCAL:
            self.local_refs[val] -= 1
        kinds[depth] = K_STACK  # popped meanwhile: spills and register scans skip it
        if self.reg_floor > depth:
            self.reg_floor = depth
            if self.floor > depth:
                self.floor = depth
        reuse = kind == K_REG and not is_float  # load over the address register
        if reuse:
            dst = val
        elif is_float:
            dst = self.alloc_xmm()
        elif self.gused != ALL_GPRS:  # alloc_gpr, inlined
            used = self.gused
            dst = LOWEST_FREE[used]
            self.gused = WITH_LOWEST_FREE[used]
        else:
            dst = self.alloc_gpr()
        mem = self.mem_address(kind, val, depth, offset, opcode, start)
        a = self.a  # record_memory_access, inlined
        self.trap_sites[len(a.buf)] = new_tuple(
            TrapSite, (TRAP_MEMORY_OUT_OF_BOUNDS, self.func_index, start))
        if mov_size:
            a.mov_rm(mov_size, dst, mem)
        else:
            emit(a, dst, mem)
        if kind == K_REG and not reuse:
            self.gused &= GCLEAR[val]
        kinds[depth] = K_REG
        vals[depth] = dst
        types[depth] = t
        return pos
    return handler


def _store(opcode):
    vt = op.OPCODES[opcode].sig[0][0]  # the value's type (the signature pops it first)
    is_float = opcode in FLOAT_STORES
    float_store = FLOAT_STORES.get(opcode)
    int_size = INT_STORE_SIZES.get(opcode)
    imm_mask = (1 << int_size) - 1 if int_size else 0  # a constant value's stored bits

    def handler(self, pos):
        """A store: the value (register, cached local, immediate or a loaded GPR), then the
        address (mem_address)."""
        start = pos - 1
        code = self.code
        if code[pos] < 0x80 and code[pos + 1] < 0x80:  # read_memarg's commonest case, inlined
            offset = code[pos + 1]
            pos += 2
        else:
            offset, pos = read_memarg(code, pos)
        vk, vv, ak, av = self.pop_pair()
        depth = len(self.kinds)
        a = self.a
        held = -1  # a GPR loaded here for the value
        # The value first, never into SCRATCH: the address may need it.
        if is_float:
            cached = self.cached(vv, vt) if vk == K_LOCAL else -1
            if vk == K_REG or cached >= 0:
                src, form = (vv if vk == K_REG else cached), 1
            elif vk == K_CONST and (vt == F32 or fits_simm32(vv)):
                src, form = vv, 2
            else:
                self.load(vk, vv, vt, depth + 1, XSCRATCH)
                src, form = XSCRATCH, 1
            size = 32 if vt == F32 else 64
        else:
            size = int_size
            cached = -1
            if vk == K_LOCAL:  # cached(), inlined
                cached = self.cache[vv]
                if cached >= 0 and self.local_types[vv] != vt:
                    cached = -1
            if vk == K_REG or cached >= 0:
                src, form = (vv if vk == K_REG else cached), 0
            elif vk == K_CONST and (size < 64 or fits_simm32(vv)):
                src, form = vv & imm_mask, 2
            else:
                src = held = self.alloc_gpr()
                self.load(vk, vv, vt, depth + 1, src)
                form = 0
        mem = self.mem_address(ak, av, depth, offset, opcode, start)
        # record_memory_access, inlined
        self.trap_sites[len(a.buf)] = new_tuple(
            TrapSite, (TRAP_MEMORY_OUT_OF_BOUNDS, self.func_index, start))
        if form == 0:
            a.mov_mr(size, mem, src)
        elif form == 1:
            float_store(a, mem, src)
        else:
            a.mov_mi(size, mem, src)
        if ak == K_REG:
            self.gused &= GCLEAR[av]
        if vk == K_REG:  # free_if_reg, inlined
            if is_float:
                self.xfree |= 1 << vv
            else:
                self.gused &= GCLEAR[vv]
        if held >= 0:
            self.gused &= GCLEAR[held]
        return pos
    return handler


HANDLERS = {
    **{code: _load(code) for code in LOADS},
    **{code: _store(code) for code in (*INT_STORE_SIZES, *FLOAT_STORES)},
    op.MEMORY_SIZE: MemoryOps.op_memory_size,
    op.MEMORY_GROW: MemoryOps.op_memory_grow,
}
FC_HANDLERS = {
    0x08: MemoryOps.op_memory_init, 0x09: MemoryOps.op_data_drop,
    0x0A: MemoryOps.op_memory_copy, 0x0B: MemoryOps.op_memory_fill,
}
