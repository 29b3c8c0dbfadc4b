"""The function compiler: frame layout, prologue/epilogue and the one-pass dispatch loop.

Frame (rsp-relative, fixed for the whole body; rsp = 0 mod 16 inside the body):

    [rsp + 0, out)                 outgoing stack arguments/results of calls (module maximum)
    [rsp + out]                    the function's own vmctx (restored after calls through FuncRefs)
    [rsp + out + 8 + S*i]          local i (parameters first)
    [slot_base + S*d]              value-stack slot of depth d
    [rsp + FRAME - S*(k+1)]        temporary k (parameters of open `if`s)

S (`slot_size`) is 8, or 16 in functions that may hold v128 values (simd.slot_size).
    [rsp + FRAME]                  return address; stack parameters/results at FRAME + 8 + offset

FRAME is known only after the body; every use of it (prologue, epilogues, the stack check,
accesses relative to the frame's top) is a 32-bit field patched at the end.

Dispatch: one `handlers[opcode](self, pos)` call per instruction; each handler reads its
immediates from `pos` and returns the position after them; the function's `end` raises
control.BodyDone.
A handler that pushes a pending comparison (K_FLAGS) materialises it unless the next
instruction consumes it (values.settle_flags), so the loop itself checks nothing.
"""


from ..backend_x64 import masm
from ..backend_x64.abi import (LOC_GPR, LOC_STACK, LOC_XMM, emit_stack_check,
                               emit_trap_exit, signature_layout)
from ..backend_x64.assembler import ALU_ADD, ALU_SUB, Assembler, Label, Mem
from ..backend_x64.masm import SCRATCH, XSCRATCH, fits_simm32
from ..backend_x64.operands import new_label
from ..backend_x64.regs import R14, RAX, RCX, RDI, RSP
from ..binary import opcodes as op
from ..binary.types import F32, V128
from ..runtime.traps import TRAP_CALL_STACK_EXHAUSTED, TrapSite
from . import calls, control, floats, memory, numeric, simd, tables
from .calls import CallOps
from .control import FUNC, BodyDone, ControlOps, new_frame
from .decoding import read_u32
from .floats import FloatOps
from .interrupts import InterruptChecks
from .memory import MemoryOps, intern_mem, new_tuple
from .numeric import NumericOps
from .simd import SimdOps, module_has_v128, slot_size
from .tables import TableOps
from .values import (ALL_GPRS, GBIT, GCLEAR, INT_SIZE, IS_FLOAT, K_CONST, K_FLAGS, K_LOCAL,
                     K_REG, MASK, STACK_BASE, ValueStack)

_FRAME_PLACEHOLDER = Mem(RSP, None, 1, 0x7FFF0000)  # forces a disp32, patched to FRAME + extra
_UNROLLED_ZEROING = 16  # locals zeroed by single stores; more take a `rep stosq`
_GLOBAL_CELL = Mem(SCRATCH, None, 1, 0)  # a global's cell, its address in SCRATCH
# The operands of frame slots [rsp + disp] by disp (locals and slots of every function) and
# memory.mem_address's heap operands [r15 + index + disp] by [index register, or 16 for none]
# [disp], made once per process rather than per module: the assembler's encoding memos are
# keyed by operands, and a lookup with the very key object it holds skips comparing them
# (one compile finds its own operands; later compiles find those of the first). Cleared when
# large (displacements are unbounded).
_FRAME_MEMS: dict = {}
_HEAP_MEMS = tuple({} for _ in range(17))


def _function_entry(a, stack_trap, vmctx_mem) -> tuple:
    """The prologue's fixed part: stack check, frame allocation (both with a frame size field
    patched at the end), vmctx save. The same bytes in every function of a module but for the
    stack trap's jump: emitted as a template (masm.emit_templated). Returns the offsets of the
    frame size fields from its start."""
    start = len(a.buf)
    check = emit_stack_check(a, stack_trap, 0)
    alloc = a.alu_ri32(ALU_SUB, 64, RSP, 0)
    a.mov_mr(64, vmctx_mem, R14)
    return check - start, alloc - start


_ENTRY_FRAME_FIELDS = _function_entry(Assembler(), Label(), Mem(RSP, None, 1, 0))


def code_list(module) -> list:
    """The module's bytes up to the end of its last function body, as a list: the compiler
    reads them one at a time (~25K reads per compile of a large module), and CPython specialises
    indexing a list, not bytes (for which it goes through the generic subscript). Positions stay
    those of the module; FunctionCompiler.data keeps the bytes for what needs them (find,
    struct). Made once per module context (parallel chunks make a compiler per chunk), and
    only while it compiles many bodies: a context that lives with its module and compiles one
    body at a time (lazy compilation) reads the bytes themselves rather than keep a list of 8
    bytes per byte (`ModuleContext.list_code`)."""
    code = module.code
    if code is None:
        bodies = module.codes
        if not module.list_code:
            code = module.data
        else:
            code = list(module.data[:bodies[-1].end]) if bodies else []
        module.code = code
    return code


class VariableOps:
    """local.get, global.get/set, select (local.set/tee: `_local_write`)."""

    __slots__ = ()

    def op_local_get(self, pos):  # the most frequent instruction: push inlined
        index = self.code[pos]
        if index < 0x80:
            pos += 1
        else:
            index, pos = read_u32(self.code, pos)
        self.kinds.append(K_LOCAL)
        self.vals.append(index)
        self.types.append(self.local_types[index])
        self.local_refs[index] += 1
        return pos

    def write_local(self, index: int, kind: int, val: int, t: int, depth: int) -> bool:
        """Store a value (a popped entry or the top one) into local `index` and cache it in a
        register when it is in one (a register entry gives its register to the cache) or can be
        put in a free one (copies from locals and slots). Returns whether it is cached. (An
        integer register is handled by the local.set/tee handler itself.)"""
        if kind != K_REG and kind != K_CONST and kind != K_FLAGS \
                and (self.xfree if IS_FLOAT[t] else self.gused != ALL_GPRS):
            reg = self.alloc(t)
            self.load(kind, val, t, depth, reg)
            kind, val = K_REG, reg
        self.store_entry(kind, val, t, depth, self.local_mems[index])
        if kind == K_REG:
            self.cache_local(index, val)
            return True
        self.uncache_local(index)
        return False

    def op_global_get(self, pos):
        index, pos = read_u32(self.code, pos)
        t, const = self.globals[index]
        if const is not None:
            self.push(K_CONST, const, t)
            return pos
        reg = self.alloc(t)
        masm.load_global_cell(self.a, SCRATCH, index)
        self._load_cell(t, reg)
        self.push(K_REG, reg, t)
        return pos

    def _load_cell(self, t: int, reg: int) -> None:
        a = self.a
        cell = _GLOBAL_CELL
        if t == V128:
            a.movdqu_xm(reg, cell)
        elif IS_FLOAT[t]:
            (a.movss_xm if t == F32 else a.movsd_xm)(reg, cell)
        else:
            a.mov_rm(INT_SIZE[t], reg, cell)

    def op_global_set(self, pos):
        index, pos = read_u32(self.code, pos)
        kind, val, t = self.pop()
        a = self.a
        cell = _GLOBAL_CELL
        size = 32 if MASK[t] == 0xFFFFFFFF else 64
        if kind == K_CONST and t != V128 and (size == 32 or fits_simm32(val)):
            masm.load_global_cell(a, SCRATCH, index)
            a.mov_mi(size, cell, val)
            return pos
        if kind == K_REG:
            reg = val
        else:  # the value must not occupy SCRATCH, which addresses the cell
            reg = XSCRATCH if IS_FLOAT[t] else self.alloc_gpr()
            self.load(kind, val, t, len(self.kinds), reg)
            if not IS_FLOAT[t]:
                kind = K_REG  # free it below
        masm.load_global_cell(a, SCRATCH, index)
        if t == V128:
            a.movdqu_mx(cell, reg)
        elif IS_FLOAT[t]:
            (a.movss_mx if t == F32 else a.movsd_mx)(cell, reg)
        else:
            a.mov_mr(size, cell, reg)
        self.free_if_reg(kind, reg, t)
        return pos

    def op_select(self, pos):
        cc, cond = self.pop_condition()
        t = self.types[-1]
        bk, bv, ak, av = self.pop_pair()
        depth = len(self.kinds)
        if cc is None:  # constant condition
            if cond:
                self.free_if_reg(bk, bv, t)
                self.push(ak, av, t)
            else:
                self.free_if_reg(ak, av, t)
                self.push(bk, bv, t)
            return pos
        a = self.a
        dst = self.into_reg(ak, av, t, depth)
        if IS_FLOAT[t]:
            self.test_condition(cond)
            keep = a.new_label()
            a.jcc(cc, keep)
            self.load(bk, bv, t, depth + 1, dst)
            a.bind(keep)
        else:
            is_mem, src = self.int_operand(bk, bv, t, depth + 1)
            if is_mem is None:  # constant: cmov has no immediate form
                a.mov_ri(INT_SIZE[t], SCRATCH, src)
                src = SCRATCH
            self.test_condition(cond)
            if is_mem:
                a.cmovcc_rm(cc ^ 1, INT_SIZE[t], dst, src)
            else:
                a.cmovcc(cc ^ 1, INT_SIZE[t], dst, src)
        self.free_if_reg(bk, bv, t)
        self.push(K_REG, dst, t)
        return pos

    def op_select_t(self, pos):
        n, pos = read_u32(self.code, pos)
        return self.op_select(pos + n)


class FunctionCompiler(ValueStack, ControlOps, VariableOps, NumericOps, FloatOps, MemoryOps,
                       CallOps, TableOps, InterruptChecks, SimdOps):
    """Compiles one function body after another into the module's assembler."""

    # Slots, not an instance dict: the compiler's state is read on every instruction, and with
    # this many attributes a dict would lose CPython's fast attribute and method access.
    __slots__ = (
        # module-wide (set in __init__)
        "a", "code", "data", "module_types", "func_types", "num_imported_funcs", "func_labels",
        "table_types", "globals", "out_size", "trap_sites", "call_sites", "frame_sizes",
        "explicit_bounds", "fuel", "epoch", "interrupts", "vmctx_mem", "v128_in_module",
        "heap_mems", "call_plans", "local_rows", "local_setups",
        # per function (compile)
        "func_index", "local_types", "frame_fixups", "trap_stubs", "live_temps", "max_temps",
        "reachable", "done", "op_offset", "results", "layout", "ctrl", "fuel_costs",
        # value stack, registers, frame slots, local cache (values.init_values)
        "slot_size", "cache", "gcache", "xcache", "cache_of_gpr", "cache_of_xmm", "kinds",
        "vals", "types", "floor", "reg_floor", "gused", "xfree", "local_mems", "local_refs",
        "slot_base", "slot_mems", "nslots",
    )

    def __init__(self, module) -> None:
        self.a = module.a
        self.data = module.data
        self.code = code_list(module)
        self.module_types = module.types
        self.func_types = module.func_types
        self.num_imported_funcs = module.num_imported_funcs
        self.func_labels = module.func_labels
        self.table_types = module.table_elem_types
        self.globals = module.globals
        self.out_size = module.out_size
        self.trap_sites = module.trap_sites
        self.call_sites = module.call_sites
        self.frame_sizes = module.frame_sizes
        self.explicit_bounds = module.explicit_bounds
        self.fuel, self.epoch = module.options.fuel, module.options.epoch
        self.interrupts = self.fuel or self.epoch  # checks at entry and loop headers
        self.vmctx_mem = self.frame_mem(module.out_size)
        self.v128_in_module = module_has_v128(module)
        self.heap_mems = _HEAP_MEMS
        self.call_plans = {}  # calls.call_plan's results by callee
        self.local_rows = {8: [], 16: []}  # local_operands' operands of locals 0, 1, ...
        self.local_setups = {}  # emit_local_setup's results by (params, locals, slot size)

    # ---- per-function state -----------------------------------------------------------------

    def compile(self, func_index: int, body, label) -> None:
        params, results = self.func_types[func_index]
        local_types = params + body.locals
        self.func_index = func_index
        self.local_types = local_types
        size = slot_size(self, local_types, body)
        self.init_values(self.local_operands(size, len(local_types)), local_types,
                         self.out_size + 8 + size * len(local_types), size)
        self.frame_fixups = []
        self.trap_stubs = {}
        self.live_temps = self.max_temps = 0
        self.reachable = True
        self.done = False
        self.op_offset = 0
        self.results = results
        self.layout = signature_layout(params, results)
        self.ctrl = [new_frame(FUNC, None, STACK_BASE, (), results)]
        a = self.a
        a.align(16)
        a.bind(label)
        self.prologue(params, self.layout, body)
        if self.interrupts:
            self.emit_entry_checks(body)
        self.run(body.code_start)
        self.check_no_leaks()
        self.emit_trap_stubs()
        self.patch_frame()

    def local_operands(self, size: int, count: int) -> list:
        """The operands of locals 0 to count - 1 in `size`-byte slots: a slice of a row made
        once per module (every function's locals start at the same offset)."""
        row = self.local_rows[size]
        if len(row) < count:
            base = self.out_size + 8
            row += [self.frame_mem(base + size * i) for i in range(len(row), count)]
        return row[:count]

    @staticmethod
    def frame_mem(disp: int) -> Mem:
        """The operand [rsp + disp], made once (see _FRAME_MEMS)."""
        mem = _FRAME_MEMS.get(disp)
        if mem is None:
            mem = intern_mem(_FRAME_MEMS, RSP, None, disp)
        return mem

    def prologue(self, params, layout, body) -> None:
        a = self.a
        stack_trap = self.trap_label(TRAP_CALL_STACK_EXHAUSTED, body.offset)
        start = len(a.buf)
        masm.emit_templated(a, stack_trap, _function_entry, self.vmctx_mem)
        check, alloc = _ENTRY_FRAME_FIELDS
        self.frame_fixups += ((start + check, 0), (start + alloc, 0))
        key = (params, body.locals, self.slot_size)
        setup = self.local_setups.get(key)
        if setup is None:
            setup = self.emit_local_setup(params, layout, key)
        else:
            a.buf += setup[0]
        clobbered = setup[1]
        # The parameters still in their registers start out cached there.
        for i, (kind, where) in enumerate(layout.params):
            if kind == LOC_GPR and where not in clobbered:
                self.gused ^= GBIT[where]
                self.cache_local(i, where)
            elif kind == LOC_XMM:
                self.xfree ^= 1 << where
                self.cache_local(i, where)

    def emit_local_setup(self, params, layout, key) -> tuple:
        """Store the parameters into their locals and zero the other locals; returns (that
        code, the parameter registers it clobbers). Memoised by `key` (params, declared
        locals, slot size) in local_setups when the code is plain bytes (no stack parameter:
        those take frame fixups): functions of a module share signatures and locals."""
        a = self.a
        start = len(a.buf)
        fixups = len(self.frame_fixups)
        local_mems = self.local_mems
        for i, (t, (kind, where)) in enumerate(zip(params, layout.params)):
            if t == V128:
                simd.prologue_param(self, local_mems[i], kind, where)
            elif kind == LOC_STACK:
                self.frame_load(SCRATCH, 8 + where)
                a.mov_mr(64, local_mems[i], SCRATCH)
            elif kind == LOC_GPR:
                a.mov_mr(INT_SIZE[t], local_mems[i], where)
            else:
                (a.movss_mx if t == F32 else a.movsd_mx)(local_mems[i], where)
        first, count = len(params), len(self.local_types) - len(params)
        qwords = count * self.slot_size // 8
        clobbered = ()
        if qwords > _UNROLLED_ZEROING:
            a.lea(64, RDI, local_mems[first])
            a.mov_ri(32, RCX, qwords)
            a.mov_ri(32, RAX, 0)
            a.emit_bytes(b"\xf3\x48\xab")  # rep stosq
            clobbered = (RDI, RCX)
        elif count:
            a.mov_ri(32, SCRATCH, 0)
            for i in range(first, first + count):
                a.mov_mr(64, local_mems[i], SCRATCH)
                if self.local_types[i] == V128:
                    a.mov_mr(64, local_mems[i]._replace(disp=local_mems[i].disp + 8), SCRATCH)
        setup = (bytes(a.buf[start:]), clobbered)
        if len(self.frame_fixups) == fixups:
            self.local_setups[key] = setup
        return setup

    def emit_return(self) -> None:
        """Place the function's results (top of the stack) and return. Emits code only."""
        a = self.a
        kinds, vals, types = self.kinds, self.vals, self.types
        first = len(kinds) - len(self.results)
        locations = self.layout.results
        for j, (kind, where) in enumerate(locations):  # stack results first: they use scratch
            if kind == LOC_STACK:
                i = first + j
                t = types[i]
                if IS_FLOAT[t]:
                    self.load(kinds[i], vals[i], t, i, XSCRATCH)
                    store = a.movdqu_mx if t == V128 else a.movsd_mx
                    self.frame_access(lambda m: store(m, XSCRATCH), 8 + where)
                else:
                    self.load(kinds[i], vals[i], t, i, SCRATCH)
                    self.frame_store(SCRATCH, 8 + where)
        for j, (kind, where) in enumerate(locations):
            if kind != LOC_STACK:
                i = first + j
                self.load(kinds[i], vals[i], types[i], i, where)
        self.frame_fixups.append((a.alu_ri32(ALU_ADD, 64, RSP, 0), 0))
        a.ret()

    # ---- frame-relative accesses and patching -----------------------------------------------

    def frame_access(self, emit, extra: int) -> None:
        """Emit one instruction `emit(mem)` whose memory operand is [rsp + FRAME + extra] (it
        must end with the displacement: no immediate)."""
        emit(_FRAME_PLACEHOLDER)
        self.frame_fixups.append((len(self.a.buf) - 4, extra))

    def frame_load(self, reg: int, extra: int) -> None:
        self.frame_access(lambda m: self.a.mov_rm(64, reg, m), extra)

    def frame_store(self, reg: int, extra: int) -> None:
        self.frame_access(lambda m: self.a.mov_mr(64, m, reg), extra)

    def temp_extra(self, k: int) -> int:
        return -self.slot_size * (k + 1)

    def patch_frame(self) -> None:
        size = self.slot_base + self.slot_size * (self.nslots + self.max_temps)
        size += (8 - size) % 16  # entered at rsp = 8 mod 16: keep calls aligned
        patch = self.a.patch_i32
        for pos, extra in self.frame_fixups:
            patch(pos, size + extra)
        self.frame_sizes[self.func_index] = size

    # ---- traps ------------------------------------------------------------------------------

    def trap_label(self, code: int, wasm_offset: int):
        """The out-of-line stub raising trap `code` for the instruction at `wasm_offset`."""
        key = (code, wasm_offset)
        label = self.trap_stubs.get(key)
        if label is None:
            label = self.trap_stubs[key] = new_label()
        return label

    def record_trap_site(self, native_offset: int, code: int, wasm_offset: int) -> None:
        self.trap_sites[native_offset] = new_tuple(TrapSite, (code, self.func_index, wasm_offset))

    def record_call_site(self, returns_to: int, wasm_offset: int) -> None:
        """A call emitted for the Wasm instruction at `wasm_offset` returns to native offset
        `returns_to` (what a backtrace finds on the stack)."""
        self.call_sites[returns_to] = (self.func_index, wasm_offset)

    def emit_trap_stubs(self) -> None:
        a = self.a
        trap_sites, func_index = self.trap_sites, self.func_index
        for (code, wasm_offset), label in self.trap_stubs.items():
            a.bind(label)
            # record_trap_site, inlined (about two stubs per function)
            trap_sites[emit_trap_exit(a, code)] = new_tuple(TrapSite,
                                                            (code, func_index, wasm_offset))

    # ---- dispatch ---------------------------------------------------------------------------

    def run(self, pos: int) -> None:
        code = self.code
        handlers = HANDLERS
        try:
            while True:
                pos = handlers[code[pos]](self, pos + 1)
        except BodyDone:
            pass

    def op_prefix_fc(self, pos):
        sub, after = read_u32(self.code, pos)  # the sub-opcode LEB may be padded
        return FC_HANDLERS[sub](self, after, pos - 1)

    def op_prefix_fd(self, pos):
        """The first SIMD instruction compiled in this process: load the SIMD code generator
        (simd_handlers.py and the backend's SIMD emitters) and put its dispatcher in the table
        for good (a measurable import most modules never need)."""
        from .simd_handlers import op_prefix_fd
        HANDLERS[0xFD] = op_prefix_fd
        return op_prefix_fd(self, pos)

    def op_illegal(self, pos):
        raise AssertionError(f"illegal opcode 0x{self.code[pos - 1]:02x} after validation")


def _local_write(tee: bool):
    """The local.set (tee False) or local.tee handler: one body, so the commonest write (an
    integer register stored and handed to the cache) is inlined once for both."""

    def handler(self, pos):
        index = self.code[pos]
        if index < 0x80:
            pos += 1
        else:
            index, pos = read_u32(self.code, pos)
        kinds, vals = self.kinds, self.vals
        if tee:  # the value stays on the stack
            if kinds[-1] == K_LOCAL and vals[-1] == index:
                return pos
            if self.local_refs[index]:
                self.materialize_local(index)  # may spill: read the top entry afterwards
            depth = len(kinds) - 1
            kind, val, t = kinds[depth], vals[depth], self.types[depth]
        else:  # pop(), inlined
            kind = kinds.pop()
            val = vals.pop()
            t = self.types.pop()
            depth = len(kinds)
            if self.reg_floor > depth:
                self.reg_floor = depth
                if self.floor > depth:
                    self.floor = depth
            if kind == K_LOCAL:
                self.local_refs[val] -= 1
                if val == index:
                    return pos
            if self.local_refs[index]:
                self.materialize_local(index)
        if kind == K_REG and not IS_FLOAT[t]:  # store_entry's integer store, cache_local
            self.a.mov_mr(INT_SIZE[t], self.local_mems[index], val)
            cache = self.cache
            old = cache[index]
            if old >= 0:  # uncache_gpr's register release (cache[index] is overwritten below)
                keep = GCLEAR[old]
                self.gcache &= keep
                self.gused &= keep
            cache[index] = val
            self.gcache |= GBIT[val]
            self.cache_of_gpr[val] = index
        elif not self.write_local(index, kind, val, t, depth):
            return pos  # not cached (a constant or flags stays on the stack as it is)
        if tee:  # the entry now reads the (cached) local
            if kind == K_LOCAL:
                self.local_refs[val] -= 1
            kinds[-1] = K_LOCAL
            if self.floor == len(kinds):
                self.floor -= 1
            vals[-1] = index
            self.local_refs[index] += 1
        return pos

    return handler


def _build_tables():
    handlers = [FunctionCompiler.op_illegal] * 256
    merged = {
        **control.HANDLERS, **numeric.HANDLERS, **floats.HANDLERS, **memory.HANDLERS,
        **calls.HANDLERS, **tables.HANDLERS,
        op.LOCAL_GET: VariableOps.op_local_get, op.LOCAL_SET: _local_write(False),
        op.LOCAL_TEE: _local_write(True), op.GLOBAL_GET: VariableOps.op_global_get,
        op.GLOBAL_SET: VariableOps.op_global_set, op.SELECT: VariableOps.op_select,
        op.SELECT_T: VariableOps.op_select_t,
        0xFC: FunctionCompiler.op_prefix_fc, 0xFD: FunctionCompiler.op_prefix_fd,
    }
    for code, handler in merged.items():
        handlers[code] = handler
    fc = {**memory.FC_HANDLERS, **tables.FC_HANDLERS, **floats.FC_HANDLERS}
    return handlers, fc


HANDLERS, FC_HANDLERS = _build_tables()
