"""Trap codes, the registry of jitwasm code ranges, and native PC -> trap information.

Machine code reports a trap as a small int (the entry trampoline returns it); this module turns
it into the spec's message. The code-range registry has two faces: a native table that the signal
handler (itself machine code, see backend_x64/traphandler.py) scans to decide whether a faulting
PC is jitwasm's, and a sorted Python index that maps a PC back to its code object and recorded
trap site (for the precise trap kind and the Wasm backtrace).
"""

import bisect
import ctypes
import _thread  # threading's primitives, without importing threading (~2 ms at startup)
import weakref
from collections import namedtuple

from ..errors import Trap, TrapCode
from . import native

# ---- trap codes (returned in eax by the trap landing; 0 means "returned normally") ------------

TRAP_NONE = 0
TRAP_UNREACHABLE = 1
TRAP_MEMORY_OUT_OF_BOUNDS = 2
TRAP_INTEGER_DIVIDE_BY_ZERO = 3
TRAP_INTEGER_OVERFLOW = 4
TRAP_INVALID_CONVERSION = 5
TRAP_CALL_STACK_EXHAUSTED = 6
TRAP_TABLE_OUT_OF_BOUNDS = 7
TRAP_UNINITIALIZED_ELEMENT = 8
TRAP_UNDEFINED_ELEMENT = 9
TRAP_INDIRECT_CALL_TYPE_MISMATCH = 10
TRAP_NULL_FUNCTION_REFERENCE = 11
TRAP_NULL_REFERENCE = 12
TRAP_UNALIGNED_ATOMIC = 13
TRAP_OUT_OF_FUEL = 14  # fuel checks (StoreLimits.fuel_consumed, see vmctx.py)
TRAP_INTERRUPT = 15  # epoch checks (StoreLimits.epoch_deadline, see vmctx.py)
# Not a Wasm trap: a host function raised; the exception waits in the thread's state.
TRAP_HOST_EXCEPTION = 0xFF

TRAP_MESSAGES = {
    TRAP_UNREACHABLE: "unreachable",
    TRAP_MEMORY_OUT_OF_BOUNDS: "out of bounds memory access",
    TRAP_INTEGER_DIVIDE_BY_ZERO: "integer divide by zero",
    TRAP_INTEGER_OVERFLOW: "integer overflow",
    TRAP_INVALID_CONVERSION: "invalid conversion to integer",
    TRAP_CALL_STACK_EXHAUSTED: "call stack exhausted",
    TRAP_TABLE_OUT_OF_BOUNDS: "out of bounds table access",
    TRAP_UNINITIALIZED_ELEMENT: "uninitialized element",
    TRAP_UNDEFINED_ELEMENT: "undefined element",
    TRAP_INDIRECT_CALL_TYPE_MISMATCH: "indirect call type mismatch",
    TRAP_NULL_FUNCTION_REFERENCE: "null function reference",
    TRAP_NULL_REFERENCE: "null reference",
    TRAP_UNALIGNED_ATOMIC: "unaligned atomic",
    TRAP_OUT_OF_FUEL: "all fuel consumed by WebAssembly",
    TRAP_INTERRUPT: "interrupt",
}

# The TrapCode (wasmtime-py's classification) of each trap; Trap.trap_code finds it by message,
# so traps raised by runtime code in Python ("out of bounds table access") are classified too.
_TRAP_CODES = {
    TRAP_UNREACHABLE: TrapCode.UNREACHABLE,
    TRAP_MEMORY_OUT_OF_BOUNDS: TrapCode.MEMORY_OUT_OF_BOUNDS,
    TRAP_INTEGER_DIVIDE_BY_ZERO: TrapCode.INTEGER_DIVISION_BY_ZERO,
    TRAP_INTEGER_OVERFLOW: TrapCode.INTEGER_OVERFLOW,
    TRAP_INVALID_CONVERSION: TrapCode.BAD_CONVERSION_TO_INTEGER,
    TRAP_CALL_STACK_EXHAUSTED: TrapCode.STACK_OVERFLOW,
    TRAP_TABLE_OUT_OF_BOUNDS: TrapCode.TABLE_OUT_OF_BOUNDS,
    TRAP_UNINITIALIZED_ELEMENT: TrapCode.INDIRECT_CALL_TO_NULL,
    TRAP_UNDEFINED_ELEMENT: TrapCode.TABLE_OUT_OF_BOUNDS,
    TRAP_INDIRECT_CALL_TYPE_MISMATCH: TrapCode.BAD_SIGNATURE,
    TRAP_NULL_FUNCTION_REFERENCE: TrapCode.NULL_REFERENCE,
    TRAP_NULL_REFERENCE: TrapCode.NULL_REFERENCE,
    TRAP_UNALIGNED_ATOMIC: TrapCode.HEAP_MISALIGNED,
    TRAP_OUT_OF_FUEL: TrapCode.OUT_OF_FUEL,
    TRAP_INTERRUPT: TrapCode.INTERRUPT,
}
TRAP_CODES_BY_MESSAGE = {TRAP_MESSAGES[code]: kind for code, kind in _TRAP_CODES.items()}

# The trap a hardware fault means when the faulting PC has no recorded trap site.
SIGNAL_TRAP_CODES = {
    native.SIGSEGV: TRAP_MEMORY_OUT_OF_BOUNDS,
    native.SIGBUS: TRAP_MEMORY_OUT_OF_BOUNDS,
    native.SIGILL: TRAP_UNREACHABLE,
    native.SIGFPE: TRAP_INTEGER_DIVIDE_BY_ZERO,
}


def trap_message(code: int) -> str:
    return TRAP_MESSAGES.get(code) or f"unknown trap code {code}"


class TrapSite(namedtuple("TrapSite", "code func_index wasm_offset")):
    """What the compiler recorded for an instruction that may trap (by signal or explicitly).

    code: the TRAP_* it means (overrides the signal's default kind)
    wasm_offset: byte offset in the module binary
    """
    __slots__ = ()


# ---- the code-range registry ------------------------------------------------------------------

# Native layout read by the signal handler: a fixed cell holds the address of the current table;
# a table is [count: u64][capacity: u64] then `capacity` pairs [start: u64, end: u64).  Entries
# [0, count) are scanned; a free entry has start == end == 0, which never matches.
RANGE_TABLE_COUNT = 0
RANGE_TABLE_CAPACITY = 8
RANGE_TABLE_ENTRIES = 16
RANGE_ENTRY_SIZE = 16


class CodeRegistry:
    """All executable ranges jitwasm owns, for the signal handler and for PC lookups.

    Updates are ordered so a handler running concurrently on another thread always sees either
    the old or the new entry: an entry becomes live when its `end` is written (after `start`) and
    dies when `end` is cleared. A full table is replaced by a bigger copy published through the
    cell; old tables stay allocated (a handler may still be scanning one) and a dying entry is
    cleared in all of them, so no copy can resurrect it.

    The lock is reentrant and every step tolerates an `unregister` slipping in between (a
    CodeMemory finalizer run by a garbage collection that an allocation here triggered).
    """

    def __init__(self, capacity: int = 256):
        self._lock = _thread.RLock()
        self._cell = (ctypes.c_uint64 * 1)()
        self._tables: list = []  # every table ever published (kept alive, see above)
        self._table = None
        self._publish(self._new_table(capacity))
        self._free: list[int] = []
        self._dead: list[int] = []  # slots unregistered but not yet reaped (see unregister)
        self._entries: dict[int, tuple] = {}  # slot -> (start, end, weakref to owner)
        self._sorted: list | None = None  # [(start, end, slot)] by start, rebuilt on demand

    @property
    def cell_address(self) -> int:
        """Address of the cell holding the current table's address (baked into the handler)."""
        return ctypes.addressof(self._cell)

    def _new_table(self, capacity: int):
        table = (ctypes.c_uint64 * (2 + 2 * capacity))()
        table[1] = capacity
        self._tables.append(table)
        return table

    def _publish(self, table) -> None:
        self._table = table
        self._cell[0] = ctypes.addressof(table)

    def register(self, start: int, end: int, owner) -> int:
        """Make [start, end) a jitwasm code range owned by `owner`; return its slot."""
        with self._lock:
            self._reap()
            ref = weakref.ref(owner)
            table = self._table
            if self._free:
                slot = self._free.pop()
            else:
                slot = table[0]
                if slot == table[1]:
                    bigger = self._new_table(2 * slot)
                    ctypes.memmove(bigger, table, (2 + 2 * slot) * 8)
                    bigger[1] = 2 * slot
                    self._publish(bigger)
                    table = bigger
            table[2 + 2 * slot] = start
            table[3 + 2 * slot] = end  # the entry is live from here on
            if slot >= table[0]:
                table[0] = slot + 1
            self._entries[slot] = (start, end, ref)
            self._sorted = None
            return slot

    def unregister(self, slot: int) -> None:
        """Kill the native entry now; forget the Python side at the next `_reap`.

        Finalizers call this from inside any allocation, including one in the middle of
        `find` or `register` on this very thread (the lock is reentrant), so it must not touch
        the dict those may be iterating: it only clears native cells and appends to a list.
        """
        with self._lock:
            for table in self._tables:
                if 2 + 2 * slot < len(table):
                    table[3 + 2 * slot] = 0  # dead from here on
                    table[2 + 2 * slot] = 0
            self._dead.append(slot)

    def _reap(self) -> None:
        dead = self._dead
        while dead:
            slot = dead.pop()
            self._entries.pop(slot, None)
            self._free.append(slot)
            self._sorted = None

    def find(self, pc: int):
        """(owner, offset of pc inside it) for a registered PC, else None."""
        with self._lock:
            self._reap()
            ranges = self._sorted
            if ranges is None:
                ranges = sorted((start, end, slot) for slot, (start, end, _) in
                                list(self._entries.items()))
                self._sorted = ranges
            i = bisect.bisect(ranges, (pc, 1 << 64)) - 1
            if i < 0 or pc >= ranges[i][1]:
                return None
            entry = self._entries.get(ranges[i][2])
        owner = entry[2]() if entry else None
        return None if owner is None else (owner, pc - ranges[i][0])

    def live_ranges(self) -> list[tuple[int, int]]:
        """The [start, end) pairs the native table currently holds (for tests and tools)."""
        table = self._table
        return [(table[2 + 2 * i], table[3 + 2 * i]) for i in range(table[0])
                if table[3 + 2 * i]]


registry = CodeRegistry()


def trap_site(pc: int) -> TrapSite | None:
    """The trap site recorded at native `pc`, if `pc` is in registered code that recorded one."""
    found = registry.find(pc)
    if found is None:
        return None
    owner, offset = found
    sites = getattr(owner, "trap_sites", None)
    return sites.get(offset) if sites else None


def make_trap(code: int, pc: int = 0, sp: int = 0, stack: bytes = b"", outer: int = 0) -> Trap:
    """The Trap for an exit with trap `code` at native `pc` (0 if unknown), `sp` the rsp there,
    `stack` the bytes of the Wasm frames above it and `outer` the next live activation out
    (see backtrace.py).

    A recorded trap site refines the kind (a SIGFPE may be "integer overflow"); the backtrace
    lists (function index, Wasm byte offset) per frame, innermost first.
    """
    from .backtrace import wasm_frames   # it imports this module

    site = trap_site(pc) if pc else None
    message = trap_message(site.code if site is not None else code)
    return Trap(message, wasm_frames(pc, sp, stack, outer))
