"""`Global`, `Memory` and `Table`, and the mapping between API objects and runtime externs.

Two deliberate differences from wasmtime-py (docs/api.md): memory and table types report the
*current* size as their minimum (the spec's type of the instance, which import matching uses),
and a null reference read from a global or table is None, as wasmtime-py documents (its
implementation returns a Val wrapping None; `== None` holds for both).
"""

import ctypes

from ..binary import types as t
from ..errors import WasmtimeError
from ..runtime import functions as rt_functions
from ..runtime.globals import Global as RtGlobal
from ..runtime.linear_memory import WASM_PAGE_SIZE, LinearMemory
from ..runtime.table import Table as RtTable
from .functions import Func
from .store import rt_store
from .types import GlobalType, MemoryType, TableType
from .values import from_bits, from_raw, to_bits, to_raw


class Global:
    __slots__ = ("_global",)

    def __init__(self, store, ty: GlobalType, val: object):
        if not isinstance(ty, GlobalType):
            raise TypeError("expected a GlobalType")
        self._global = RtGlobal(ty._type, to_bits(rt_store(store), ty._type.valtype, val))

    @classmethod
    def _wrap(cls, glob: RtGlobal) -> "Global":
        obj = cls.__new__(cls)
        obj._global = glob
        return obj

    def type(self, store=None) -> GlobalType:
        return GlobalType._wrap(self._global.type)

    def value(self, store) -> object:
        g = self._global
        return from_bits(rt_store(store), g.type.valtype, g.bits)

    def set_value(self, store, val: object) -> None:
        g = self._global
        bits = to_bits(rt_store(store), g.type.valtype, val)
        if not g.type.mutable:
            raise WasmtimeError("immutable global cannot be set")
        g.bits = bits


class Memory:
    __slots__ = ("_memory",)

    def __init__(self, store, ty: MemoryType):
        if not isinstance(ty, MemoryType):
            raise TypeError("expected a MemoryType")
        limiter = rt_store(store).limiter
        try:
            self._memory = LinearMemory(ty._type, limiter)
        except (MemoryError, OSError) as e:
            raise WasmtimeError(f"failed to create memory: {e}") from None

    @classmethod
    def _wrap(cls, memory: LinearMemory) -> "Memory":
        obj = cls.__new__(cls)
        obj._memory = memory
        return obj

    def type(self, store=None) -> MemoryType:
        memory = self._memory
        return MemoryType._wrap(t.MemoryType(t.Limits(memory.pages, memory.type.limits.max)))

    def grow(self, store, delta: int) -> int:
        """Add `delta` pages; return the previous size in pages."""
        if delta < 0:
            raise WasmtimeError("cannot grow by negative amount")
        old = self._memory.grow(delta)
        if old < 0:
            raise WasmtimeError(f"failed to grow memory by `{delta}`")
        return old

    def size(self, store=None) -> int:
        return self._memory.pages

    def data_len(self, store=None) -> int:
        return self._memory.length

    def data_ptr(self, store=None):
        """A ctypes pointer to byte 0 (it never moves: memories are fixed reservations)."""
        return ctypes.cast(self._memory.base, ctypes.POINTER(ctypes.c_ubyte))

    def page_size(self, store=None) -> int:
        return WASM_PAGE_SIZE

    def page_size_log2(self, store=None) -> int:
        return WASM_PAGE_SIZE.bit_length() - 1

    def get_buffer_ptr(self, store=None, size: int | None = None, offset: int = 0):
        """A ctypes byte array over memory (zero-copy, e.g. for numpy.frombuffer)."""
        if size is None:
            size = self._memory.length
        return (ctypes.c_ubyte * size).from_address(self._memory.base + offset)

    def read(self, store, start: int | None = 0, stop: int | None = None) -> bytearray:
        """A copy of memory[start:stop] (slice semantics: negative indices count from the end)."""
        start, stop, _ = slice(start, stop).indices(self._memory.length)
        if stop <= start:
            return bytearray()
        return bytearray(ctypes.string_at(self._memory.base + start, stop - start))

    def write(self, store, value, start: int | None = None) -> int:
        """Copy `value` to memory at `start`; IndexError if it does not fit."""
        size = self._memory.length
        start = slice(start, None).indices(size)[0]
        if start >= size:
            raise IndexError("index out of range")
        data = bytes(value)
        if start + len(data) > size:
            raise IndexError("index out of range")
        ctypes.memmove(self._memory.base + start, data, len(data))
        return len(data)


class Table:
    __slots__ = ("_table",)

    def __init__(self, store, ty: TableType, init: object):
        if not isinstance(ty, TableType):
            raise TypeError("expected a TableType")
        rt = rt_store(store)
        raw = to_raw(rt, ty._type.elem_type, init)
        try:
            self._table = RtTable(ty._type, raw, rt.limiter)
        except MemoryError as e:
            raise WasmtimeError(str(e)) from None

    @classmethod
    def _wrap(cls, table: RtTable) -> "Table":
        obj = cls.__new__(cls)
        obj._table = table
        return obj

    def type(self, store=None) -> TableType:
        table = self._table
        return TableType._wrap(t.TableType(table.type.elem_type,
                                           t.Limits(table.size, table.type.limits.max)))

    def size(self, store=None) -> int:
        return self._table.size

    def grow(self, store, amt: int, init: object) -> int:
        """Add `amt` elements set to `init`; return the previous size."""
        table = self._table
        old = table.grow(amt, to_raw(rt_store(store), table.type.elem_type, init))
        if old < 0:
            raise WasmtimeError(f"failed to grow table by `{amt}`")
        return old

    def get(self, store, idx: int) -> object:
        """Element `idx`; None if it is null or out of bounds."""
        table = self._table
        if not 0 <= idx < table.size:
            return None
        return from_raw(rt_store(store), table.type.elem_type, table.get(idx))

    def set(self, store, idx: int, val: object) -> None:
        table = self._table
        raw = to_raw(rt_store(store), table.type.elem_type, val)
        if not 0 <= idx < table.size:
            raise WasmtimeError("out of bounds table access")
        table.set(idx, raw)


_WRAPPERS = {rt_functions.Function: Func, RtTable: Table, LinearMemory: Memory, RtGlobal: Global}


def wrap_extern(extern):
    """The API object of a runtime extern."""
    return _WRAPPERS[type(extern)]._wrap(extern)


_INNER = {Func: "_func", Table: "_table", Memory: "_memory", Global: "_global"}


def unwrap_extern(item):
    """The runtime extern of an API object (TypeError for anything else)."""
    attr = _INNER.get(type(item))
    if attr is None:
        raise TypeError("expected a Func, Global, Memory, or Table")
    return getattr(item, attr)
