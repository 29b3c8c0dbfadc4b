"""Entry trampolines (Python -> Wasm) and host-call stubs (Wasm -> Python), one per signature.

Entry: Python calls `int entry(vmctx, callee, call_buffer)` through a cached ctypes CFUNCTYPE
(which releases the GIL, so Wasm runs in parallel with other Python threads). The trampoline
saves the System V callee-saved registers, builds an Activation record on its frame (r13), sets
the stack limit to max(rsp - budget, floor) from the call buffer, pins r14/r15, loads the
arguments from the buffer's slots into the registers of the Wasm convention (abi.py), calls, stores
the results back and returns 0. Its trap landing unwinds to the saved registers from any depth
and returns the trap code, after writing the trap PC into the buffer. Wasm code runs with the
default MXCSR (round to nearest, no flush-to-zero): the entry saves the caller's and loads the
default, and restores the caller's on leaving, trap or not.

Host stub: called like any Wasm function with r14 = a host context (a VMContext whose
host_callback is a ctypes callback), it spills the arguments to 16-byte slots on its frame and
calls `int callback(host_ctx, slots)` (under the host's MXCSR, the default reloaded after it).
0 means the results are in the slots; anything else is a
trap code (TRAP_HOST_EXCEPTION: the exception waits in the thread state) and the stub leaves
through the trap landing, unwinding the Wasm frames up to the entry that the exception is then
re-raised from.

Every thread that enters Wasm has one ThreadState: its call buffer (header + slots, reused by
nested entries, which is safe because an entry reads all arguments before running any code and
writes results only after all code under it has finished), its stack floor, its alternate signal
stack and the host exception in flight.
"""

import ctypes
import functools
import _thread  # threading's primitives, without importing threading (~2 ms at startup)
from collections import namedtuple

from ..binary.types import F32, F64, I32, I64, V128
from ..runtime import native
from ..runtime.code_memory import CodeMemory
from ..errors import Trap
from ..runtime.backtrace import wasm_frames
from ..runtime.traps import TRAP_HOST_EXCEPTION, make_trap
from ..runtime.vmctx import (ACT_CALL_BUFFER, ACT_HOST_FRAME, ACT_HOST_MXCSR, ACT_PARENT,
                             ACT_SIZE, ACT_STACK_LIMIT, ACT_TRAP_LANDING, CALLBUF_ACTIVATION,
                             CALLBUF_SLOTS, CALLBUF_STACK_BUDGET, CALLBUF_STACK_FLOOR,
                             CALLBUF_STACK_COPY, CALLBUF_STACK_COPY_CAPACITY,
                             CALLBUF_STACK_COPY_LENGTH, CALLBUF_TRAP_PC, CALLBUF_TRAP_SP,
                             DEFAULT_MXCSR, SLOT_SIZE, VMCTX_HOST_CALLBACK, VMCTX_MEMORY_BASE,
                             CallBufferHeader, VMContext)
from .abi import LOC_STACK, signature_layout
from .assembler import ALU_ADD, ALU_CMP, ALU_SUB, ALU_XOR, Assembler, Mem, RipRel
from .regs import (CC_A, CC_B, CC_BE, CC_E, CC_NE, R8, R9, R11, R12, R13, R14, R15, RAX, RBP,
                   RBX, RCX, RDI, RDX, RSI, RSP, XMM15)

ENTRY_PROTOTYPE = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p)
HOST_CALLBACK_PROTOTYPE = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)

MAX_VALUES = 1000  # parameters or results of one signature (the JS API's limit too)
DEFAULT_STACK_BUDGET = 512 << 10  # native stack one entry may use (wasmtime's default too)
HOST_STACK_RESERVE = 256 << 10  # kept free below any Wasm frame for host calls and signals

_CALLEE_SAVED = (RBP, RBX, R12, R13, R14, R15)  # push order; popped in reverse


# ---- moving one value between a register and memory, by type ----------------------------------

def load_value(a: Assembler, t: int, reg: int, mem) -> None:
    """Load a value of type `t` into `reg` (a GPR or an XMM register, by type) from `mem`."""
    if t == F32:
        a.movss_xm(reg, mem)
    elif t == F64:
        a.movsd_xm(reg, mem)
    elif t == V128:
        a.movdqu_xm(reg, mem)
    else:
        a.mov_rm(32 if t == I32 else 64, reg, mem)


def store_value(a: Assembler, t: int, mem, reg: int) -> None:
    """Store a value of type `t` from `reg` (a GPR or an XMM register, by type) to `mem`."""
    if t == F32:
        a.movss_mx(mem, reg)
    elif t == F64:
        a.movsd_mx(mem, reg)
    elif t == V128:
        a.movdqu_mx(mem, reg)
    else:
        a.mov_mr(32 if t == I32 else 64, mem, reg)


def _scratch(t: int) -> int:
    """A register of `t`'s class that holds no argument or result (for memory-to-memory moves)."""
    return XMM15 if t in (F32, F64, V128) else R11


def _copy(a: Assembler, t: int, dst, src) -> None:
    scratch = _scratch(t)
    load_value(a, t, scratch, src)
    store_value(a, t, dst, scratch)


def _check_arity(params: tuple, results: tuple) -> None:
    if len(params) > MAX_VALUES or len(results) > MAX_VALUES:
        raise ValueError(f"signatures are limited to {MAX_VALUES} parameters and results")


# ---- entry trampoline ---------------------------------------------------------------------------

def assemble_entry(params: tuple, results: tuple) -> bytes:
    """Machine code of the entry trampoline for params -> results (see module docstring)."""
    _check_arity(params, results)
    layout = signature_layout(params, results)
    a = Assembler()
    landing = a.new_label()
    leave = a.new_label()
    for reg in _CALLEE_SAVED:
        a.push_r(reg)
    a.alu_ri(ALU_SUB, 64, RSP, ACT_SIZE)  # rsp is now 16-byte aligned
    a.mov_rr(64, R13, RSP)
    # Wasm floats need the default MXCSR whatever the process set (a library built with
    # -ffast-math turns on flush-to-zero at load); the caller gets its own back on leaving.
    a.stmxcsr_m(Mem(R13, None, 1, ACT_HOST_MXCSR))
    a.ldmxcsr_m(a.const32(DEFAULT_MXCSR))
    a.lea(64, RAX, RipRel(landing))
    a.mov_mr(64, Mem(R13, None, 1, ACT_TRAP_LANDING), RAX)
    a.mov_mr(64, Mem(R13, None, 1, ACT_CALL_BUFFER), RDX)
    # Link into the thread's chain of activations (backtraces continue through host calls).
    a.mov_rm(64, RAX, Mem(RDX, None, 1, CALLBUF_ACTIVATION))
    a.mov_mr(64, Mem(R13, None, 1, ACT_PARENT), RAX)
    a.mov_mr(64, Mem(RDX, None, 1, CALLBUF_ACTIVATION), R13)
    a.mov_mi(64, Mem(R13, None, 1, ACT_HOST_FRAME), 0)
    # stack_limit = max(rsp - budget, floor)
    floor = Mem(RDX, None, 1, CALLBUF_STACK_FLOOR)
    a.mov_rr(64, RAX, RSP)
    a.alu_rm(ALU_SUB, 64, RAX, Mem(RDX, None, 1, CALLBUF_STACK_BUDGET))
    a.alu_rm(ALU_CMP, 64, RAX, floor)
    a.cmovcc_rm(CC_B, 64, RAX, floor)
    a.mov_mr(64, Mem(R13, None, 1, ACT_STACK_LIMIT), RAX)
    a.mov_rr(64, R14, RDI)
    a.mov_rm(64, R15, Mem(R14, None, 1, VMCTX_MEMORY_BASE))
    a.mov_rr(64, RAX, RSI)
    a.mov_rr(64, RBX, RDX)
    if layout.stack_bytes:
        a.alu_ri(ALU_SUB, 64, RSP, layout.stack_bytes)
    for i, (t, (kind, where)) in enumerate(zip(params, layout.params)):
        slot = Mem(RBX, None, 1, CALLBUF_SLOTS + SLOT_SIZE * i)
        if kind == LOC_STACK:
            _copy(a, t, Mem(RSP, None, 1, where), slot)
        else:
            load_value(a, t, where, slot)
    a.call_r(RAX)
    a.mov_rm(64, RBX, Mem(R13, None, 1, ACT_CALL_BUFFER))
    for i, (t, (kind, where)) in enumerate(zip(results, layout.results)):
        slot = Mem(RBX, None, 1, CALLBUF_SLOTS + SLOT_SIZE * i)
        if kind == LOC_STACK:
            _copy(a, t, slot, Mem(RSP, None, 1, where))
        else:
            store_value(a, t, slot, where)
    a.alu_rr(ALU_XOR, 32, RAX, RAX)
    a.bind(leave)
    a.ldmxcsr_m(Mem(R13, None, 1, ACT_HOST_MXCSR))
    a.mov_rm(64, RBX, Mem(R13, None, 1, ACT_CALL_BUFFER))
    a.mov_rm(64, RCX, Mem(R13, None, 1, ACT_PARENT))
    a.mov_mr(64, Mem(RBX, None, 1, CALLBUF_ACTIVATION), RCX)
    a.lea(64, RSP, Mem(R13, None, 1, ACT_SIZE))
    for reg in reversed(_CALLEE_SAVED):
        a.pop_r(reg)
    a.ret()
    # Trap landing: eax = trap code, rdx = trap PC, rcx = rsp there, r13 = this activation, rsp
    # anything (r13 when a signal brought us here). The Wasm frames between rcx and r13 are
    # copied out for the backtrace: Python runs only after this frame returns, on that stack.
    a.bind(landing)
    a.cld()                        # a fault inside a backward copy leaves the direction flag set
    a.mov_rm(64, RBX, Mem(R13, None, 1, ACT_CALL_BUFFER))
    a.mov_mr(64, Mem(RBX, None, 1, CALLBUF_TRAP_PC), RDX)
    a.mov_mr(64, Mem(RBX, None, 1, CALLBUF_TRAP_SP), RCX)
    a.mov_rr(64, RSI, RCX)
    a.mov_rr(64, RCX, R13)
    a.alu_rr(ALU_SUB, 64, RCX, RSI)   # bytes of Wasm frames: within the stack budget (below
    a.alu_rm(ALU_CMP, 64, RCX, Mem(RBX, None, 1, CALLBUF_STACK_BUDGET))  # which every frame's
    in_budget = a.new_label()                                           # prologue traps)
    a.jcc(CC_BE, in_budget)
    a.alu_rr(ALU_XOR, 32, RCX, RCX)   # otherwise not this activation's frames: copy nothing
    a.bind(in_budget)
    a.alu_rm(ALU_CMP, 64, RCX, Mem(RBX, None, 1, CALLBUF_STACK_COPY_CAPACITY))
    a.cmovcc_rm(CC_A, 64, RCX, Mem(RBX, None, 1, CALLBUF_STACK_COPY_CAPACITY))
    a.mov_mr(64, Mem(RBX, None, 1, CALLBUF_STACK_COPY_LENGTH), RCX)
    a.mov_rm(64, RDI, Mem(RBX, None, 1, CALLBUF_STACK_COPY))
    a.rep_movsb()
    a.jmp(leave)
    return a.finish()


class EntryTrampoline(namedtuple("EntryTrampoline", "code function")):
    """Fields:
    function: ENTRY_PROTOTYPE instance: function(vmctx, callee, call_buffer) -> int
    """
    __slots__ = ()


def _cached(build):
    """Process-wide cache by signature: trampolines are immutable and tiny, never freed."""
    cache: dict = {}
    lock = _thread.allocate_lock()

    def get(params: tuple, results: tuple):
        key = (tuple(params), tuple(results))
        found = cache.get(key)
        if found is None:
            with lock:
                found = cache.get(key)
                if found is None:
                    found = cache[key] = build(*key)
        return found

    get.__doc__ = build.__doc__
    return get


@_cached
def entry_trampoline(params: tuple, results: tuple) -> EntryTrampoline:
    """The entry trampoline for params -> results (cached)."""
    code = CodeMemory(assemble_entry(params, results), traps=False, name="entry")
    return EntryTrampoline(code, code.function(ENTRY_PROTOTYPE))


# ---- host-call stub -----------------------------------------------------------------------------

def assemble_host_stub(params: tuple, results: tuple) -> bytes:
    """Machine code of the host-call stub for params -> results (see module docstring)."""
    _check_arity(params, results)
    layout = signature_layout(params, results)
    frame = SLOT_SIZE * max(len(params), len(results), 1)
    a = Assembler()
    fail = a.new_label()
    a.push_r(RBP)
    a.mov_rr(64, RBP, RSP)  # rsp is now 16-byte aligned; stack arguments at [rbp + 16 + offset]
    a.alu_ri(ALU_SUB, 64, RSP, frame)
    for i, (t, (kind, where)) in enumerate(zip(params, layout.params)):
        slot = Mem(RSP, None, 1, SLOT_SIZE * i)
        if kind == LOC_STACK:
            _copy(a, t, slot, Mem(RBP, None, 1, 16 + where))
        else:
            store_value(a, t, slot, where)
    a.mov_rr(64, RDI, R14)
    a.mov_rr(64, RSI, RSP)
    a.ldmxcsr_m(Mem(R13, None, 1, ACT_HOST_MXCSR))  # Python runs with the host's MXCSR
    a.mov_mr(64, Mem(R13, None, 1, ACT_HOST_FRAME), RBP)   # where a nested trap's walk goes on
    a.call_m(Mem(R14, None, 1, VMCTX_HOST_CALLBACK))
    a.mov_mi(64, Mem(R13, None, 1, ACT_HOST_FRAME), 0)
    a.ldmxcsr_m(a.const32(DEFAULT_MXCSR))           # whatever the host function left
    a.test_rr(32, RAX, RAX)
    a.jcc(CC_NE, fail)
    for i, (t, (kind, where)) in enumerate(zip(results, layout.results)):
        if kind == LOC_STACK:
            _copy(a, t, Mem(RBP, None, 1, 16 + where), Mem(RSP, None, 1, SLOT_SIZE * i))
    for i, (t, (kind, where)) in enumerate(zip(results, layout.results)):
        if kind != LOC_STACK:
            load_value(a, t, where, Mem(RSP, None, 1, SLOT_SIZE * i))
    a.mov_rr(64, RSP, RBP)
    a.pop_r(RBP)
    a.ret()
    a.bind(fail)  # eax = the callback's trap code, reported at the Wasm caller's call site
    a.mov_rm(64, RDX, Mem(RBP, None, 1, 8))   # the return address
    a.lea(64, RCX, Mem(RBP, None, 1, 16))     # the caller's rsp
    a.jmp_m(Mem(R13, None, 1, ACT_TRAP_LANDING))
    return a.finish()


@_cached
def host_stub(params: tuple, results: tuple) -> CodeMemory:
    """The host-call stub for params -> results (cached)."""
    return CodeMemory(assemble_host_stub(params, results), traps=False, name="host stub")


# ---- per-thread state ---------------------------------------------------------------------------

_BUFFER_WORDS = (CALLBUF_SLOTS + SLOT_SIZE * MAX_VALUES) // 8

# Python reads and writes slots through ctypes arrays laid over them, one per element type;
# a value is (view kind, element index). v128 travels as two u64 halves.
VIEW_I32, VIEW_I64, VIEW_F32, VIEW_F64, VIEW_U64, VIEW_V128 = range(6)
_VIEW_CTYPES = (ctypes.c_int32, ctypes.c_int64, ctypes.c_float, ctypes.c_double, ctypes.c_uint64)
_VIEW_OF_TYPE = {I32: VIEW_I32, I64: VIEW_I64, F32: VIEW_F32, F64: VIEW_F64, V128: VIEW_V128}
_MASK64 = (1 << 64) - 1


@functools.lru_cache(maxsize=None)
def _view_arrays(n_slots: int) -> tuple:
    """Array types covering n_slots 16-byte slots, indexed by view kind (v128 uses u64);
    cached: making a ctypes array type costs ~50 us, and a program's WASI imports alone ask
    for dozens."""
    types = [ct * (n_slots * SLOT_SIZE // ctypes.sizeof(ct)) for ct in _VIEW_CTYPES]
    return tuple(types + [types[VIEW_U64]])


def _value_plan(types: tuple) -> tuple:
    """(view kind, element index) of each value in a slot array."""
    plan = []
    for i, t in enumerate(types):
        kind = _VIEW_OF_TYPE.get(t, VIEW_U64)  # references: raw addresses
        per_slot = SLOT_SIZE // ctypes.sizeof(_VIEW_CTYPES[VIEW_U64 if kind == VIEW_V128 else kind])
        plan.append((kind, per_slot * i))
    return tuple(plan)


def write_values(views, plan: tuple, values) -> None:
    for (kind, index), value in zip(plan, values):
        if kind == VIEW_V128:
            halves = views[VIEW_V128]
            halves[index] = value & _MASK64
            halves[index + 1] = (value >> 64) & _MASK64
        else:
            views[kind][index] = value


def read_values(views, plan: tuple) -> list:
    out = []
    for kind, index in plan:
        if kind == VIEW_V128:
            halves = views[VIEW_V128]
            out.append(halves[index] | (halves[index + 1] << 64))
        else:
            out.append(views[kind][index])
    return out


# Bytes of Wasm frames the trap landing keeps for the backtrace: the innermost ~1000 calls.
STACK_COPY_CAPACITY = 64 * 1024


class ThreadState:
    """What one thread needs to run Wasm: call buffer, stack floor, altstack, pending exception."""

    def __init__(self, stack_budget: int = DEFAULT_STACK_BUDGET):
        from .traphandler import ensure_altstack

        self.buffer = (ctypes.c_uint64 * _BUFFER_WORDS)()
        self.address = ctypes.addressof(self.buffer)
        self.header = CallBufferHeader.from_buffer(self.buffer)
        slots = self.address + CALLBUF_SLOTS
        self.views = tuple(array.from_address(slots) for array in _view_arrays(MAX_VALUES))
        low, size = native.current_thread_stack()
        self.header.stack_floor = low + min(HOST_STACK_RESERVE, size // 2)
        self.header.stack_budget = stack_budget
        self.stack_copy = (ctypes.c_char * STACK_COPY_CAPACITY)()   # see the trap landing
        self.header.stack_copy = ctypes.addressof(self.stack_copy)
        self.header.stack_copy_capacity = STACK_COPY_CAPACITY
        self.pending: BaseException | None = None
        self.altstack = ensure_altstack()

    def set_stack_budget(self, budget: int) -> None:
        self.header.stack_budget = budget

    def exit_error(self, code: int) -> BaseException:
        """The exception for a non-zero entry result: the host's own, or a Trap."""
        header = self.header
        stack = self.stack_copy.raw[:header.stack_copy_length]
        # The entry has unlinked its activation: header.activation is the next one out.
        where = (header.trap_pc, header.trap_sp, stack, header.activation)
        if code == TRAP_HOST_EXCEPTION:
            exc, self.pending = self.pending, None
            if exc is not None:
                if isinstance(exc, Trap) and not exc.backtrace:   # raised by a builtin or host
                    exc.set_frames(wasm_frames(*where))           # function
                return exc
        return make_trap(code, *where)


_tls = _thread._local()


def thread_state() -> ThreadState:
    """This thread's ThreadState, created on first use."""
    try:
        return _tls.state
    except AttributeError:
        state = _tls.state = ThreadState()
        return state


# ---- Python-side callers and callbacks (raw values: ints, floats, v128 as int) ------------------

def make_entry_caller(params: tuple, results: tuple, vmctx_address: int, code_address: int):
    """A Python function calling the Wasm function at `code_address` with `vmctx_address`.

    Arguments and results are Python ints (i32, i64, references as addresses, v128 as an
    unsigned 128-bit int) and floats (f32, f64). No result gives None, one gives the value,
    several give a tuple. A trap raises jitwasm.Trap; a host exception is re-raised as is.
    The caller must keep the code and vmctx alive.
    """
    entry = entry_trampoline(params, results).function
    arg_plan = _value_plan(params)
    result_plan = _value_plan(results)
    nparams = len(params)
    wide_args = V128 in params
    # One plain result, the common case, is read without building a list.
    single_kind, single_index = result_plan[0] if len(results) == 1 else (VIEW_V128, 0)

    def call(*args):
        try:
            state = _tls.state
        except AttributeError:
            state = thread_state()
        views = state.views
        if len(args) != nparams:
            raise TypeError(f"expected {nparams} arguments, got {len(args)}")
        if wide_args:
            write_values(views, arg_plan, args)
        else:
            for (kind, index), value in zip(arg_plan, args):
                views[kind][index] = value
        code = entry(vmctx_address, code_address, state.address)
        if code:
            raise state.exit_error(code)
        if single_kind != VIEW_V128:
            return views[single_kind][single_index]
        out = read_values(views, result_plan)
        return out[0] if len(out) == 1 else (tuple(out) if out else None)

    return call


class HostFunction:
    """A Python function callable from Wasm: a host context + the stub for its signature.

    Import it as FuncRef(code=stub_address, vmctx=vmctx.address). `fn` receives raw values
    (as make_entry_caller returns them) and returns None, one value, or a sequence of values.
    """

    def __init__(self, params: tuple, results: tuple, fn):
        self.params = tuple(params)
        self.results = tuple(results)
        self.fn = fn
        self.stub = host_stub(self.params, self.results)
        self.callback = HOST_CALLBACK_PROTOTYPE(self._make_callback())
        self.vmctx = VMContext()
        self.vmctx.host_callback = native.function_address(self.callback)

    @property
    def stub_address(self) -> int:
        return self.stub.address

    def _make_callback(self):
        fn = self.fn
        arrays = _view_arrays(max(len(self.params), len(self.results), 1))
        arg_plan = _value_plan(self.params)
        result_plan = _value_plan(self.results)
        kinds = sorted({kind for kind, _ in arg_plan + result_plan})
        single = len(self.results) == 1

        # The views of the previous call's slots: a call from the same stack depth (a loop)
        # reuses them. One (address, views) tuple, swapped whole, so threads cannot mix them.
        previous = [(None, None)]

        def callback(_ctx, slots):
            try:
                seen, views = previous[0]
                if seen != slots:
                    views = [None] * len(arrays)
                    for kind in kinds:
                        views[kind] = arrays[kind].from_address(slots)
                    previous[0] = (slots, views)
                value = fn(*read_values(views, arg_plan))
                values = (value,) if single else (value or ())
                if len(values) != len(result_plan):
                    raise TypeError(f"host function returned {len(values)} values, "
                                    f"expected {len(result_plan)}")
                write_values(views, result_plan, values)
                return 0
            except BaseException as exc:  # re-raised by the entry that unwinds to Python
                thread_state().pending = exc
                return TRAP_HOST_EXCEPTION

        return callback


# ---- lazy compilation: per-function thunks and the shared resolver ------------------------------

LAZY_CALLBACK_PROTOTYPE = ctypes.CFUNCTYPE(ctypes.c_uint64, ctypes.c_void_p, ctypes.c_uint32)
LAZY_THUNK_SIZE = 16
_ARG_GPRS = (RDI, RSI, RDX, RCX, R8, R9)
_LAZY_FRAME = 8 + 8 * len(_ARG_GPRS) + 16 * 8  # entered at rsp = 8 mod 16: keeps rsp aligned


def lazy_thunks(count: int, slots_address: int, callback_address: int) -> CodeMemory:
    """`count` thunks of LAZY_THUNK_SIZE bytes, thunk i = `jmp [slots[i]]`, then per function a
    resolve entry (which slots[i] initially points to, at `lazy_resolve_offset(count, i)`) and
    the shared resolver.

    The resolver is entered like the Wasm function itself (r14 = its instance): it saves every
    argument register (stack arguments stay untouched above the return address), calls
    `address = callback(vmctx, i)` (which compiles function i and re-points slots[i] and the
    instance's funcs/func_refs entries), restores the arguments and jumps to `address`. 0 means
    the compilation raised: the exception waits in the thread state and the resolver leaves
    through the trap landing with TRAP_HOST_EXCEPTION. Thunks stay valid forever, so FuncRef
    copies made before the compilation (imports of other instances) keep working.
    """
    from .abi import emit_trap_exit

    a = Assembler()
    for i in range(count):
        a.mov_ri(64, R11, slots_address + 8 * i)
        a.jmp_m(Mem(R11, None, 1, 0))
        a.align(LAZY_THUNK_SIZE, 0xCC)
    resolver = a.new_label()
    for i in range(count):
        a.mov_ri(32, RAX, i)
        a.jmp32(resolver)
    a.bind(resolver)
    a.alu_ri32(ALU_SUB, 64, RSP, _LAZY_FRAME)
    for k, r in enumerate(_ARG_GPRS):
        a.mov_mr(64, Mem(RSP, None, 1, 8 * k), r)
    xbase = 8 * len(_ARG_GPRS)
    for k in range(8):
        a.movdqu_mx(Mem(RSP, None, 1, xbase + 16 * k), k)
    a.mov_rr(64, RDI, R14)
    a.mov_rr(32, RSI, RAX)
    a.mov_ri(64, RAX, callback_address)
    a.call_r(RAX)
    a.mov_rr(64, R11, RAX)
    for k, r in enumerate(_ARG_GPRS):
        a.mov_rm(64, r, Mem(RSP, None, 1, 8 * k))
    for k in range(8):
        a.movdqu_xm(k, Mem(RSP, None, 1, xbase + 16 * k))
    a.alu_ri32(ALU_ADD, 64, RSP, _LAZY_FRAME)
    a.test_rr(64, R11, R11)
    failed = a.new_label()
    a.jcc(CC_E, failed)
    a.jmp_r(R11)
    a.bind(failed)
    emit_trap_exit(a, TRAP_HOST_EXCEPTION)
    return CodeMemory(a.finish(), traps=False, name="lazy thunks")


def lazy_resolve_offset(count: int, index: int) -> int:
    """Offset of function `index`'s resolve entry in lazy_thunks(count, ...) (10 bytes each)."""
    return count * LAZY_THUNK_SIZE + 10 * index
