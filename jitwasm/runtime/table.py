"""Table instances: a TableDesc {base, length} over a native array of u64 elements.

Elements are funcref values (addresses of FuncRef records) or externref handles; 0 is null.
vmctx.tables points at each table's desc, shared by every instance that imports the table, so
compiled code reloads base and length from the desc at each access and a grow (which may move
the array) is seen everywhere. Bounds checks here raise the spec's trap, for the builtins
(table.fill/copy/init) and for active element segments at instantiation.
"""

import ctypes

from ..binary.types import TableType
from ..errors import Trap
from .vmctx import TableDesc

OUT_OF_BOUNDS = "out of bounds table access"
MAX_ELEMENTS = 10_000_000  # an implementation limit: growing past it fails (grow returns -1)
_ELEMENT = ctypes.c_uint64


class Table:
    """A growable table of `type.elem_type` values, up to the declared maximum and what its
    store's `limiter` (a ResourceLimiter, or None) allows."""

    __slots__ = ("type", "desc", "desc_address", "maximum", "limiter", "_array", "_capacity")

    def __init__(self, type_: TableType, init: int = 0, limiter=None):
        if limiter is not None:
            limiter.check_new_table(type_.limits.min)
        self.limiter = limiter
        self.type = type_
        limit = type_.limits.max
        self.maximum = MAX_ELEMENTS if limit is None else min(limit, MAX_ELEMENTS)
        size = type_.limits.min
        if size > self.maximum:
            raise MemoryError(f"table of {size} elements exceeds the limit of {MAX_ELEMENTS}")
        self.desc = TableDesc()
        self.desc_address = ctypes.addressof(self.desc)
        self._array = None
        self._capacity = 0
        self._reallocate(size)
        self.desc.length = size
        if init:
            self._fill_raw(0, init, size)

    # -- storage -----------------------------------------------------------------------------

    def _reallocate(self, capacity: int) -> None:
        array = (_ELEMENT * max(capacity, 1))()
        if self._array is not None:
            ctypes.memmove(array, self._array, self.desc.length * 8)
        self._array = array
        self._capacity = capacity
        self.desc.base = ctypes.addressof(array)

    def _fill_raw(self, start: int, value: int, count: int) -> None:
        array = self._array
        for i in range(start, start + count):
            array[i] = value

    @property
    def size(self) -> int:
        return self.desc.length

    @property
    def limits_now(self) -> tuple:
        """(current size, declared maximum) — what import matching compares."""
        return self.desc.length, self.type.limits.max

    # -- element access (raw values) -----------------------------------------------------------

    def get(self, index: int) -> int:
        if not 0 <= index < self.desc.length:
            raise Trap(OUT_OF_BOUNDS)
        return self._array[index]

    def set(self, index: int, value: int) -> None:
        if not 0 <= index < self.desc.length:
            raise Trap(OUT_OF_BOUNDS)
        self._array[index] = value

    def grow(self, delta: int, init: int = 0) -> int:
        """Add `delta` elements set to `init`; return the old size, or -1 (unchanged)."""
        old = self.desc.length
        new = old + delta
        if delta < 0 or new > self.maximum:
            return -1
        if self.limiter is not None and not self.limiter.allows_table_elements(new):
            return -1
        if new > self._capacity:
            self._reallocate(min(max(new, 2 * self._capacity), self.maximum))
        self._fill_raw(old, init, delta)
        self.desc.length = new
        return old

    def fill(self, start: int, value: int, count: int) -> None:
        if start + count > self.desc.length:
            raise Trap(OUT_OF_BOUNDS)
        self._fill_raw(start, value, count)

    def copy_from(self, dst: int, src_table: "Table", src: int, count: int) -> None:
        """table.copy: overlapping ranges behave like memmove."""
        if src + count > src_table.desc.length or dst + count > self.desc.length:
            raise Trap(OUT_OF_BOUNDS)
        if count:
            ctypes.memmove(self.desc.base + 8 * dst, src_table.desc.base + 8 * src, 8 * count)

    def init(self, dst: int, values, src: int, count: int) -> None:
        """table.init / active element segment: copy values[src:src+count] to [dst, ...)."""
        if src + count > len(values) or dst + count > self.desc.length:
            raise Trap(OUT_OF_BOUNDS)
        array = self._array
        for i in range(count):
            array[dst + i] = values[src + i]

    def __repr__(self) -> str:
        return f"<Table {self.desc.length}/{self.type.limits.max} of {self.type.elem_type:#x}>"
