"""The abstract value stack and the register allocator (Liftoff's model).

Each Wasm operand-stack entry is described by three parallel lists, `kinds`, `vals` and `types`:

- K_CONST: `val` is the value's bits (unsigned, masked to the type's width);
- K_REG:   `val` is the register (GPR or XMM by the type's class) holding the value;
- K_LOCAL: `val` is a local index: the value is that local's current contents (a lazy
  `local.get`; `local.set` of that local first materialises such entries);
- K_STACK: the value is in the frame slot of the entry's own depth (slot d for entry d);
- K_FLAGS: `val` is a condition code; the i32 is `cc ? 1 : 0` of the flags. Only ever on top.

The lists start with STACK_BASE K_STACK sentinels, so the entry of stack depth d is at index
STACK_BASE + d, and every "depth" below (slots, frame bases, floors) is such an index. Why:
CPython reallocates a list's storage whenever it shrinks below half its capacity, and an emptied
list even moves to the C allocator; the stack empties after most statements, which cost ~75K
reallocations (3% of compile time) per compile of a large module before the sentinels.

Registers: a free set per class as a bitmask (GPRs in preference order, so the registers
division and shifts need come last). A register is owned by at most one stack entry or by the
instruction being compiled ("held": popped but not yet freed); `alloc_*` never returns a held
register. When a class runs dry, a cached local is dropped or else the bottom-most register
entry of that class is spilled. Scans of the stack start at `floor`/`reg_floor` (below them
every entry is spilled / not in a register), so deep stacks cost linear time.

Frame slots are [rsp + off] with fixed offsets: locals first, then one slot per stack depth,
8 bytes each, or 16 in functions that may hold v128 values (`slot_size`). A value occupies its
slot's low bytes (i32/f32: 4, i64/f64/refs: 8, v128: 16). A v128 constant's `val` is its 128
bits; simd_moves.py holds the v128 moves.

Local cache (write-through): a local's slot is always current, and a register may in addition
hold its value (`cache[x]`), owned by the cache. local.set of a register value hands that
register to the cache, local.tee of one turns the stack entry into a lazy read of the local;
reads of a cached local use the register instead of memory. Because the slot stays current,
dropping the cache never emits code: it is dropped where control flow merges (a loop header,
else, the end of an if or of a block something branches to) and before calls, and a cache
register is the first thing the allocator evicts. Whatever claims a fixed register (division,
shifts, bulk memory) evicts it from the cache too.
"""

from ..backend_x64 import masm
from ..backend_x64.assembler import Mem
from ..backend_x64.masm import SCRATCH, fits_simm32
from ..backend_x64.masm_float import emit_f32_const, emit_f64_const
from ..backend_x64.regs import R8, R9, R10, R12, RAX, RBP, RBX, RCX, RDI, RDX, RSI
from ..binary import opcodes as op
from ..binary.types import F32, F64, I32, V128
from ..errors import WasmError
from .simd_moves import copy_v128, load_v128, load_v128_const, store_v128, store_v128_const

K_STACK, K_REG, K_CONST, K_LOCAL, K_FLAGS = range(5)

# Allocation order: general registers first, then those division (rax, rdx) and variable
# shifts (rcx) need; rsi/rdi/r8/r9 early is harmless (calls spill all registers anyway).
GPR_ORDER = (RBX, RSI, RDI, R8, R9, R10, R12, RBP, RAX, RDX, RCX)
GBIT = [0] * 16
for _i, _r in enumerate(GPR_ORDER):
    GBIT[_r] = 1 << _i
del _i, _r
GPR_BY_BIT = {1 << i: r for i, r in enumerate(GPR_ORDER)}
ALL_GPRS = (1 << len(GPR_ORDER)) - 1
# The GPRs are tracked by a mask of the used ones (`gused`), not of the free ones: it is
# mostly below 256 (rax, rdx and rcx, bits 8..10, are allocated last), ints CPython does not
# allocate, where a free mask is mostly above. By used mask: the register of the lowest clear
# bit (what alloc_gpr takes) and the mask with that bit set, tables of preallocated ints.
LOWEST_FREE = tuple(GPR_BY_BIT[~m & (m + 1)] if m != ALL_GPRS else -1
                    for m in range(ALL_GPRS + 1))
WITH_LOWEST_FREE = tuple(m | (m + 1) for m in range(ALL_GPRS + 1))
GCLEAR = [ALL_GPRS ^ bit for bit in GBIT]  # by register: `used & GCLEAR[reg]` releases it
XMM_COUNT = 15  # xmm0-xmm14; xmm15 is masm.XSCRATCH
ALL_XMMS = (1 << XMM_COUNT) - 1

IS_FLOAT = bytearray(256)
IS_FLOAT[F32] = IS_FLOAT[F64] = IS_FLOAT[V128] = 1
IS_FLOAT = tuple(IS_FLOAT)  # tuples: CPython specialises indexing them, not bytes
INT_SIZE = [64] * 256
INT_SIZE[I32] = 32
MASK = [0xFFFFFFFFFFFFFFFF] * 256
MASK[I32] = MASK[F32] = 0xFFFFFFFF

SLOT_SIZE = 8
# Sentinel entries below the value stack (see the module docstring); 8 keeps stacks up to 8
# values deep free of reallocations (capacity 16 once past the sentinels, halving at 8).
STACK_BASE = 8

# Instructions that consume a pending comparison (a K_FLAGS top) as it is; before any other,
# the handler that pushed it materialises it (`settle_flags`), so the dispatch loop never checks.
FLAG_CONSUMERS = bytearray(256)
for _code in (op.IF, op.BR_IF, op.DROP, op.I32_EQZ, op.SELECT, op.SELECT_T, op.LOCAL_SET):
    FLAG_CONSUMERS[_code] = 1
FLAG_CONSUMERS = tuple(FLAG_CONSUMERS)
del _code
FREE_COUNT = tuple(len(GPR_ORDER) - bin(m).count("1") for m in range(ALL_GPRS + 1))  # by used
_READ_CACHE_MIN_FREE = 4  # keep this many GPRs free when caching a local on a read


class NotSupported(WasmError):
    """The module uses a feature the compiler does not implement yet."""


class ValueStack:
    """Value stack, register allocation and frame slots of one function being compiled."""

    __slots__ = ()

    # Set up by the function compiler: a (Assembler), locals' Mem operands, slot base offset.
    def init_values(self, local_mems: list, local_types: tuple, slot_base: int,
                    slot_size: int = SLOT_SIZE) -> None:
        self.local_types = local_types
        self.slot_size = slot_size
        self.cache = [-1] * len(local_mems)  # register holding local x's value, or -1
        self.gcache = 0  # GBIT mask of the GPRs the cache owns
        self.xcache = 0  # mask of the XMMs the cache owns
        self.cache_of_gpr = [-1] * 16  # the local each cache register holds
        self.cache_of_xmm = [-1] * 16
        self.kinds = [K_STACK] * STACK_BASE
        self.vals = [0] * STACK_BASE
        self.types = [I32] * STACK_BASE
        # Scan bounds, so deep stacks cost no quadratic time: every entry below `floor` is
        # K_STACK, every entry below `reg_floor` is not K_REG; floor <= reg_floor.
        self.floor = STACK_BASE
        self.reg_floor = STACK_BASE
        self.gused = 0
        self.xfree = ALL_XMMS
        self.local_mems = local_mems
        self.local_refs = [0] * len(local_mems)
        self.slot_base = slot_base
        self.slot_mems = []
        self.nslots = 0

    # ---- frame slots ------------------------------------------------------------------------

    def slot(self, index: int) -> Mem:
        """The frame slot of the entry at `index` (depth index - STACK_BASE; grows the frame
        as needed)."""
        mems = self.slot_mems
        depth = index - STACK_BASE
        if depth < len(mems):
            return mems[depth]
        base, size = self.slot_base, self.slot_size
        while len(mems) <= depth:
            mems.append(self.frame_mem(base + size * len(mems)))
        self.nslots = len(mems)
        return mems[depth]

    def mem_of(self, kind: int, val: int, depth: int) -> Mem:
        """Memory operand of a K_LOCAL or K_STACK entry that was at `depth`."""
        if kind == K_LOCAL:
            return self.local_mems[val]
        return self.slot(depth)

    # ---- registers --------------------------------------------------------------------------

    def alloc_gpr(self) -> int:
        used = self.gused
        if used == ALL_GPRS:
            if self.gcache:
                self.uncache_gpr(GPR_BY_BIT[self.gcache & -self.gcache])
            else:
                self.spill_bottom_reg(False)
            used = self.gused
        self.gused = WITH_LOWEST_FREE[used]
        return LOWEST_FREE[used]

    def alloc_xmm(self) -> int:
        free = self.xfree
        if not free:
            if self.xcache:
                self.uncache_xmm((self.xcache & -self.xcache).bit_length() - 1)
            else:
                self.spill_bottom_reg(True)
            free = self.xfree
        bit = free & -free
        self.xfree = free ^ bit
        return bit.bit_length() - 1

    def alloc(self, t: int) -> int:
        return self.alloc_xmm() if IS_FLOAT[t] else self.alloc_gpr()

    def free(self, t: int, reg: int) -> None:
        if IS_FLOAT[t]:
            self.xfree |= 1 << reg
        else:
            self.gused &= GCLEAR[reg]

    def free_if_reg(self, kind: int, val: int, t: int) -> None:
        if kind == K_REG:
            if IS_FLOAT[t]:
                self.xfree |= 1 << val
            else:
                self.gused &= GCLEAR[val]

    def owner(self, reg: int, xmm: bool) -> int:
        """Index of the stack entry in `reg`, or -1."""
        kinds, vals, types = self.kinds, self.vals, self.types
        for i in range(len(kinds) - 1, self.reg_floor - 1, -1):
            if kinds[i] == K_REG and vals[i] == reg and IS_FLOAT[types[i]] == xmm:
                return i
        return -1

    def take_gpr(self, reg: int) -> None:
        """Hold GPR `reg` for the current instruction: free it of any stack entry (moved to
        another register, or spilled when none is free) or cached local. The caller must not
        hold it already."""
        bit = GBIT[reg]
        if self.gcache & bit:
            self.uncache_gpr(reg)
        if not self.gused & bit:
            self.gused ^= bit
            return
        i = self.owner(reg, False)
        if i < 0:
            raise AssertionError(f"register {reg} is held by the current instruction")
        if self.gused != ALL_GPRS or self.gcache:
            new = self.alloc_gpr()
            self.a.mov_rr(64, new, reg)
            self.vals[i] = new
        else:
            self.spill_entry(i)
            self.gused ^= bit

    def pop_to_registers(self, targets: tuple) -> None:
        """Pop the top len(targets) integer entries into the GPRs `targets` (in order), which
        the caller then holds; stack entries below that occupy a target are relocated."""
        kinds, vals = self.kinds, self.vals
        first = len(kinds) - len(targets)
        for reg in targets:  # claim the free targets first, so relocation cannot pick them
            if self.gcache & GBIT[reg]:
                self.uncache_gpr(reg)
            if not self.gused & GBIT[reg]:
                self.gused ^= GBIT[reg]
        for reg in targets:
            i = self.owner(reg, False)
            if 0 <= i < first:
                if self.gused != ALL_GPRS or self.gcache:
                    new = self.alloc_gpr()
                    self.a.mov_rr(64, new, reg)
                    vals[i] = new
                else:
                    self.spill_entry(i)
                    self.gused ^= GBIT[reg]
        sources = [self.pop() + (first + j,) for j in range(len(targets) - 1, -1, -1)][::-1]
        moves = {}
        for reg, (kind, val, _, _) in zip(targets, sources):
            if kind == K_REG:
                moves[reg] = val
        if moves:
            masm.parallel_move(self.a, moves, False)
        for reg, (kind, val, t, depth) in zip(targets, sources):
            if kind != K_REG:
                self.load(kind, val, t, depth, reg)
            elif val not in targets:
                self.gused &= GCLEAR[val]

    def spill_bottom_reg(self, xmm: bool) -> None:
        """Spill the bottom-most register entry of a class (frees one register)."""
        kinds, types = self.kinds, self.types
        other = -1  # the first register entry of the other class
        for i in range(self.reg_floor, len(kinds)):
            if kinds[i] == K_REG:
                if IS_FLOAT[types[i]] == xmm:
                    self.spill_entry(i)
                    self.reg_floor = other if other >= 0 else i + 1
                    return
                if other < 0:
                    other = i
        raise AssertionError("no register to spill: too many held registers")

    # ---- spilling ---------------------------------------------------------------------------

    def spill_entry(self, i: int) -> None:
        """Write entry i to its own slot and make it K_STACK (frees its register)."""
        kind = self.kinds[i]
        if kind == K_STACK:
            return
        self.store_entry(kind, self.vals[i], self.types[i], i, self.slot(i))
        if kind == K_REG:
            self.free(self.types[i], self.vals[i])
        elif kind == K_LOCAL:
            self.local_refs[self.vals[i]] -= 1
        self.kinds[i] = K_STACK

    def spill_all(self, keep_top: int = 0) -> None:
        """Spill every entry except the top `keep_top` (block entries: the values at a label
        are all in their slots)."""
        kinds = self.kinds
        end = len(kinds) - keep_top
        for i in range(self.floor, end):
            if kinds[i] != K_STACK:
                self.spill_entry(i)
        if end > self.floor:
            self.floor = end
        if end > self.reg_floor:
            self.reg_floor = end

    def spill_registers(self, keep_top: int = 0) -> None:
        """Spill the register entries except the top `keep_top` (before a call: every register
        is caller-saved; constants and locals stay valid across it)."""
        kinds = self.kinds
        end = len(kinds) - keep_top
        for i in range(self.reg_floor, end):
            if kinds[i] == K_REG:
                self.spill_entry(i)
        if end > self.reg_floor:
            self.reg_floor = end

    def store_entry(self, kind: int, val: int, t: int, depth: int, dst: Mem) -> None:
        """Emit `[dst] = value of the entry` (which was at `depth`); the entry is unchanged."""
        a = self.a
        if t == V128:
            if kind == K_LOCAL:
                reg = self.cached(val, t)
                if reg >= 0:
                    kind, val = K_REG, reg
            if kind == K_CONST:
                store_v128_const(a, dst, val)
            elif kind == K_REG:
                store_v128(a, dst, val)
            else:
                src = self.mem_of(kind, val, depth)
                if src is not dst:
                    copy_v128(a, dst, src)
        elif kind == K_REG:
            if IS_FLOAT[t]:
                (a.movss_mx if t == F32 else a.movsd_mx)(dst, val)
            else:
                a.mov_mr(INT_SIZE[t], dst, val)
        elif kind == K_CONST:
            masm.store_int_const(a, 32 if MASK[t] == 0xFFFFFFFF else 64, dst, val)
        elif kind == K_FLAGS:
            masm.flags_to_mem(a, dst, val)
        else:
            if kind == K_LOCAL:
                reg = self.cached(val, t)
                if reg >= 0:
                    self.store_entry(K_REG, reg, t, depth, dst)
                    return
            src = self.mem_of(kind, val, depth)
            if src is not dst:
                masm.copy_slot(a, dst, src)

    # ---- loading ----------------------------------------------------------------------------

    def load(self, kind: int, val: int, t: int, depth: int, dst: int) -> None:
        """Emit `dst = value of the entry` into a register of the type's class."""
        a = self.a
        if kind == K_LOCAL:  # cached(), inlined: the commonest load
            reg = self.cache[val]
            if reg >= 0 and self.local_types[val] == t:
                kind, val = K_REG, reg
            elif not IS_FLOAT[t]:
                a.mov_rm(INT_SIZE[t], dst, self.local_mems[val])
                return
        if IS_FLOAT[t]:
            if kind == K_REG:
                if val != dst:
                    a.movaps_xx(dst, val)
            elif t == V128:
                if kind == K_CONST:
                    load_v128_const(a, dst, val)
                else:
                    load_v128(a, dst, self.mem_of(kind, val, depth))
            elif kind == K_CONST:
                (emit_f32_const if t == F32 else emit_f64_const)(a, dst, val)
            else:
                (a.movss_xm if t == F32 else a.movsd_xm)(dst, self.mem_of(kind, val, depth))
        elif kind == K_REG:
            if val != dst:
                a.mov_rr(64, dst, val)
        elif kind == K_CONST:
            a.mov_ri(INT_SIZE[t], dst, val)
        elif kind == K_FLAGS:
            masm.flags_to_reg(a, val, dst)
        else:
            a.mov_rm(INT_SIZE[t], dst, self.mem_of(kind, val, depth))

    def into_reg(self, kind: int, val: int, t: int, depth: int) -> int:
        """A held register with the value of a popped entry (its own register if it has one)."""
        if kind == K_REG:
            return val
        reg = self.alloc_xmm() if IS_FLOAT[t] else self.alloc_gpr()
        self.load(kind, val, t, depth, reg)
        return reg

    def int_operand(self, kind: int, val: int, t: int, depth: int):
        """(is_mem, operand) for a popped integer entry used as a source: a register, a memory
        operand, or SCRATCH loaded with a constant that is no simm32 (is_mem None: an imm)."""
        if kind == K_REG:
            return False, val
        if kind == K_CONST:
            if t == I32 or fits_simm32(val):
                return None, val
            self.a.mov_ri(64, SCRATCH, val)
            return False, SCRATCH
        if kind == K_FLAGS:
            masm.flags_to_reg(self.a, val, SCRATCH)
            return False, SCRATCH
        if kind == K_LOCAL:
            reg = self.cache[val]  # cached(), inlined
            if reg >= 0 and self.local_types[val] == t:
                return False, reg
            return True, self.local_mems[val]
        return True, self.mem_of(kind, val, depth)

    # ---- push and pop -----------------------------------------------------------------------

    def pop(self):
        """Remove the top entry; returns (kind, val, type). A register stays held."""
        kinds = self.kinds
        kind = kinds.pop()
        val = self.vals.pop()
        if kind == K_LOCAL:
            self.local_refs[val] -= 1
        n = len(kinds)
        if self.reg_floor > n:  # floor <= reg_floor always (a spilled entry is no register)
            self.reg_floor = n
            if self.floor > n:
                self.floor = n
        return kind, val, self.types.pop()

    def pop_pair(self):
        """Remove the top two entries of a binary operator, whose types the caller knows;
        returns (right kind, right val, left kind, left val). One call instead of two pops
        on the hottest paths (arithmetic, comparisons, stores)."""
        kinds, vals = self.kinds, self.vals
        rk = kinds.pop()
        rv = vals.pop()
        lk = kinds.pop()
        lv = vals.pop()
        types = self.types
        types.pop()  # two pops beat `del types[-2:]` (no slice object)
        types.pop()
        if rk == K_LOCAL:
            self.local_refs[rv] -= 1
        if lk == K_LOCAL:
            self.local_refs[lv] -= 1
        n = len(kinds)
        if self.reg_floor > n:  # floor <= reg_floor always
            self.reg_floor = n
            if self.floor > n:
                self.floor = n
        return rk, rv, lk, lv

    def push(self, kind: int, val: int, t: int) -> None:
        self.kinds.append(kind)
        self.vals.append(val)
        self.types.append(t)
        if kind == K_LOCAL:
            self.local_refs[val] += 1

    def push_stack(self, t: int) -> None:
        """Push an entry whose value is already in the slot of its depth."""
        self.kinds.append(K_STACK)
        self.vals.append(0)
        self.types.append(t)

    def drop(self) -> None:
        kind, val, t = self.pop()
        self.free_if_reg(kind, val, t)

    def materialize_flags(self) -> None:
        """Turn a K_FLAGS top entry into a register (setcc + movzx)."""
        reg = self.alloc_gpr()
        masm.flags_to_reg(self.a, self.vals[-1], reg)
        self.kinds[-1] = K_REG
        self.vals[-1] = reg
        if self.reg_floor >= len(self.kinds):
            self.reg_floor = len(self.kinds) - 1

    def settle_flags(self, pos: int) -> None:
        """After a handler that may have pushed a pending comparison: materialise it unless the
        instruction at `pos` (the next one) consumes it."""
        if self.kinds[-1] == K_FLAGS and not FLAG_CONSUMERS[self.code[pos]]:
            self.materialize_flags()

    def materialize_local(self, index: int) -> None:
        """Load every pending K_LOCAL entry of `index` (before the local is written)."""
        kinds, vals, types = self.kinds, self.vals, self.types
        for i in range(self.floor, len(kinds)):
            if kinds[i] == K_LOCAL and vals[i] == index:
                reg = self.alloc(types[i])
                self.load(K_LOCAL, index, types[i], i, reg)
                kinds[i] = K_REG
                vals[i] = reg
                if i < self.reg_floor:
                    self.reg_floor = i
        self.local_refs[index] = 0

    def check_no_leaks(self) -> None:
        """With the stack and cache empty every register must be free (catches ownership
        bugs)."""
        if len(self.kinds) > STACK_BASE or self.gcache or self.xcache:
            raise AssertionError("values left at the end of the function")
        if self.gused or self.xfree != ALL_XMMS:
            raise AssertionError("register leaked by the compiler")

    # ---- the local cache --------------------------------------------------------------------

    def cached(self, index: int, t: int) -> int:
        """The register caching local `index` for a read as type `t`, or -1 (an entry retyped
        by a reinterpretation or wrap reads the slot instead)."""
        reg = self.cache[index]
        if reg >= 0 and self.local_types[index] == t:
            return reg
        return -1

    def cache_for_read(self, index: int, t: int) -> int:
        """The register caching local `index` (read as `t`); an uncached integer local is loaded
        into a new cache register while registers are plentiful (for addresses: the next access
        then needs no load). -1: read the slot."""
        cache = self.cache
        reg = cache[index]
        if reg < 0:
            used = self.gused
            if FREE_COUNT[used] < _READ_CACHE_MIN_FREE or IS_FLOAT[t] \
                    or self.local_types[index] != t:
                return -1
            # alloc_gpr and cache_local inlined: registers are free, the local is uncached (the
            # commonest read into the cache)
            reg = LOWEST_FREE[used]
            self.gused = WITH_LOWEST_FREE[used]
            self.a.mov_rm(INT_SIZE[t], reg, self.local_mems[index])
            cache[index] = reg
            self.gcache |= GBIT[reg]
            self.cache_of_gpr[reg] = index
            return reg
        return reg if self.local_types[index] == t else -1

    def cache_local(self, index: int, reg: int) -> None:
        """Hand the held register `reg` (holding local `index`'s new value) to the cache."""
        if self.cache[index] >= 0:
            self.uncache_local(index)
        self.cache[index] = reg
        if IS_FLOAT[self.local_types[index]]:
            self.xcache |= 1 << reg
            self.cache_of_xmm[reg] = index
        else:
            self.gcache |= GBIT[reg]
            self.cache_of_gpr[reg] = index

    def uncache_local(self, index: int) -> None:
        reg = self.cache[index]
        if reg >= 0:
            if IS_FLOAT[self.local_types[index]]:
                self.uncache_xmm(reg)
            else:
                self.uncache_gpr(reg)

    def uncache_gpr(self, reg: int) -> None:
        keep = GCLEAR[reg]
        self.gcache &= keep
        self.gused &= keep
        self.cache[self.cache_of_gpr[reg]] = -1

    def uncache_xmm(self, reg: int) -> None:
        bit = 1 << reg
        self.xcache &= ~bit
        self.xfree |= bit
        self.cache[self.cache_of_xmm[reg]] = -1

    def uncache_all(self) -> None:
        """Forget every cached local (no code: the slots are current). A fresh `cache` list
        beats walking the register masks (cache_of_* are only read for cached registers)."""
        if not (self.gcache or self.xcache):
            return
        self.cache = [-1] * len(self.cache)
        self.gused &= ~self.gcache
        self.xfree |= self.xcache
        self.gcache = self.xcache = 0
