"""Layouts of the native structures generated code reads: vmctx, activation record, call buffer.

Each layout is a ctypes Structure, so Python reads and writes fields by name and the offsets the
code generator bakes into instructions come from the same definition (`VMCTX_*`, `ACT_*`,
`CALLBUF_*` below). See docs/architecture.md for the why of each structure.

- VMContext: one per instance (and one per host function import: a host context), pointed to by
  r14 while that instance's code runs. Holds what generated code needs about its instance.
- Activation: the record an entry trampoline keeps on its own native stack frame, pointed to by
  r13 for as long as Wasm code runs under that entry. Trap landing and stack limit live here
  rather than in the vmctx, so they are per thread and per nesting level by construction.
- CallBuffer: the memory Python and the entry trampoline exchange arguments, results and trap
  details through; one per thread (nested entries reuse it safely, see trampolines.py).
- StoreLimits: one per store, reached through vmctx.store_limits: the fuel counter and epoch
  deadline that interruption checks in generated code read (see the class for the contract).
"""

import ctypes

u32 = ctypes.c_uint32
u64 = ctypes.c_uint64


class VMContext(ctypes.Structure):
    """Per-instance context (r14). Array fields point to memory the owning instance keeps alive.

    memory_base must stay at offset 0: a call through a function reference loads the callee's
    r15 from [vmctx + 0] whatever kind of context it is (instance or host context).
    """

    _fields_ = [
        ("memory_base", u64),     # memory 0 base (also held in r15 while this instance runs)
        ("memory_length", u64),   # accessible bytes of memory 0 (explicit bounds, memory.size)
        ("funcs", u64),           # -> u64[nfuncs]: code address of each function (imports: stubs)
        ("func_refs", u64),       # -> FuncRef[nfuncs]: what ref.func / imports / tables point to
        ("type_ids", u64),        # -> u32[ntypes]: store-wide canonical id of each module type
        ("globals", u64),         # -> 16-byte slot per defined global
        ("tables", u64),          # -> TableDesc[ntables]
        ("memories", u64),        # -> MemoryDesc[nmemories] (memory 0 also at memory_base)
        ("host_callback", u64),   # host contexts: address of the ctypes callback the stub calls
        ("host_data", u64),       # host contexts: free for the host side
        ("builtins", u64),        # -> FuncRef[]: runtime builtins (runtime/builtins.py)
        ("store_limits", u64),    # -> StoreLimits of the instance's store
        ("reserved", u64 * 4),    # room to grow without moving anything above
    ]

    @property
    def address(self) -> int:
        return ctypes.addressof(self)


class StoreLimits(ctypes.Structure):
    """What fuel and epoch checks in generated code read: one per store, shared by its instances.

    Contract for code generation (checks at function entry and at loop headers, emitted only
    when the module is compiled with them, so other code pays nothing):

    - fuel: `fuel_consumed` is minus the fuel left. A check adds the cost of the code it covers
      and traps with TRAP_OUT_OF_FUEL if the sum is >= 0 (wasmtime's condition):
          mov  r11, [r14 + VMCTX_STORE_LIMITS]
          add  qword [r11 + LIMITS_FUEL_CONSUMED], cost
          jns  out_of_fuel
    - epochs: `epoch_counter` points at the engine's u64 epoch (Engine.increment_epoch bumps
      it, possibly from another thread while Wasm runs); a check traps with TRAP_INTERRUPT once
      the epoch reaches the store's deadline:
          mov  r11, [r14 + VMCTX_STORE_LIMITS]
          mov  r10, [r11 + LIMITS_EPOCH_COUNTER]
          mov  r10, [r10]
          cmp  r10, [r11 + LIMITS_EPOCH_DEADLINE]
          jae  interrupt
    """

    _fields_ = [
        ("fuel_consumed", ctypes.c_int64),  # -(fuel left); the store sets and reads it
        ("epoch_deadline", u64),            # absolute epoch at which code traps
        ("epoch_counter", u64),             # -> u64: the engine's current epoch
    ]


class FuncRef(ctypes.Structure):
    """A function as a first-class value: what funcref table slots and imports point to.

    Calling one: r14 = vmctx, r15 = [vmctx + VMCTX_MEMORY_BASE], call [code].
    """

    _fields_ = [
        ("code", u64),
        ("type_id", u64),
        ("vmctx", u64),
    ]


class MemoryDesc(ctypes.Structure):
    _fields_ = [("base", u64), ("length", u64)]


class TableDesc(ctypes.Structure):
    _fields_ = [("base", u64), ("length", u64)]


class Activation(ctypes.Structure):
    """The entry trampoline's record on the native stack (r13 points at it).

    Right above it (at higher addresses) the trampoline saved r15, r14, r13, r12, rbx, rbp in that
    order, so `lea rsp, [r13 + sizeof]` followed by six pops unwinds any trap.
    """

    _fields_ = [
        ("trap_landing", u64),    # code address: eax = trap code, rdx = trap PC, r13 = this
        ("stack_limit", u64),     # prologues trap with "call stack exhausted" below this rsp
        ("call_buffer", u64),     # the CallBuffer the entry was called with
        ("host_mxcsr", u32),      # the caller's MXCSR, restored on leaving (and for host calls)
        ("reserved", u32),
        ("parent", u64),          # the thread's previous innermost activation (0: none)
        ("host_frame", u64),      # rbp of the host stub calling out of this activation, else 0
        ("reserved2", u64),       # keeps the size = 8 mod 16 (rsp 16-aligned under it)
    ]


class CallBufferHeader(ctypes.Structure):
    """Start of a CallBuffer; the 16-byte value slots follow at CALLBUF_SLOTS.

    A slot holds a value's bits from its low byte: i32/f32 in 4 bytes, i64/f64/references in 8,
    v128 in 16. Bytes beyond a value's width are undefined.
    """

    _fields_ = [
        ("stack_floor", u64),     # in: no stack limit may be set below this (thread's stack end)
        ("stack_budget", u64),    # in: bytes of native stack one entry may use
        ("trap_pc", u64),         # out: native PC of the trap (0 if unknown)
        ("trap_sp", u64),         # out: rsp at the trap PC (for walking the Wasm frames)
        ("stack_copy", u64),      # in: a buffer the landing copies [trap_sp, activation) into,
        ("stack_copy_capacity", u64),  # at most this many bytes (the frames are gone by the
        ("stack_copy_length", u64),    # time Python looks); out: the bytes copied
        ("activation", u64),      # the innermost live Activation of this thread (0: none)
    ]


VMCTX_SIZE = ctypes.sizeof(VMContext)
VMCTX_MEMORY_BASE = VMContext.memory_base.offset
VMCTX_MEMORY_LENGTH = VMContext.memory_length.offset
VMCTX_FUNCS = VMContext.funcs.offset
VMCTX_FUNC_REFS = VMContext.func_refs.offset
VMCTX_TYPE_IDS = VMContext.type_ids.offset
VMCTX_GLOBALS = VMContext.globals.offset
VMCTX_TABLES = VMContext.tables.offset
VMCTX_MEMORIES = VMContext.memories.offset
VMCTX_HOST_CALLBACK = VMContext.host_callback.offset
VMCTX_HOST_DATA = VMContext.host_data.offset
VMCTX_BUILTINS = VMContext.builtins.offset
VMCTX_STORE_LIMITS = VMContext.store_limits.offset

LIMITS_FUEL_CONSUMED = StoreLimits.fuel_consumed.offset
LIMITS_EPOCH_DEADLINE = StoreLimits.epoch_deadline.offset
LIMITS_EPOCH_COUNTER = StoreLimits.epoch_counter.offset

FUNCREF_SIZE = ctypes.sizeof(FuncRef)
FUNCREF_CODE = FuncRef.code.offset
FUNCREF_TYPE_ID = FuncRef.type_id.offset
FUNCREF_VMCTX = FuncRef.vmctx.offset

ACT_SIZE = ctypes.sizeof(Activation)
ACT_TRAP_LANDING = Activation.trap_landing.offset
ACT_STACK_LIMIT = Activation.stack_limit.offset
ACT_CALL_BUFFER = Activation.call_buffer.offset
ACT_HOST_MXCSR = Activation.host_mxcsr.offset
ACT_PARENT = Activation.parent.offset
ACT_HOST_FRAME = Activation.host_frame.offset

CALLBUF_STACK_FLOOR = CallBufferHeader.stack_floor.offset
CALLBUF_STACK_BUDGET = CallBufferHeader.stack_budget.offset
CALLBUF_TRAP_PC = CallBufferHeader.trap_pc.offset
CALLBUF_TRAP_SP = CallBufferHeader.trap_sp.offset
CALLBUF_STACK_COPY = CallBufferHeader.stack_copy.offset
CALLBUF_STACK_COPY_CAPACITY = CallBufferHeader.stack_copy_capacity.offset
CALLBUF_STACK_COPY_LENGTH = CallBufferHeader.stack_copy_length.offset
CALLBUF_ACTIVATION = CallBufferHeader.activation.offset
CALLBUF_SLOTS = ctypes.sizeof(CallBufferHeader)
SLOT_SIZE = 16

# Wasm's float semantics: round to nearest, all exceptions masked, no flush-to-zero/DAZ.
DEFAULT_MXCSR = 0x1F80

assert VMCTX_MEMORY_BASE == 0 and ACT_SIZE % 16 == 8 and CALLBUF_SLOTS % 16 == 0
