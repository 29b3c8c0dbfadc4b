"""MemoryReservation: the address space of one 32-bit linear memory.

Generated code addresses memory as [r15 + zero-extended addr32 + offset32]. Reserving 8 GiB of
PROT_NONE address space and making only the first `pages * 64 KiB` read-write means every such
access either hits the accessible prefix or faults in the guard region; the signal handler turns
the fault into "out of bounds memory access", so compiled code needs no explicit bounds check.
`memory.grow` only calls mprotect on more of the reservation: the base never moves.

When the reservation cannot be made (an RLIMIT_AS, a small address space) the memory falls back
to a smaller reservation without guard region and sets `explicit_bounds`: code compiled for it
must compare each access against the length in the vmctx. The base still never moves; a grow
beyond what was reserved fails, which `memory.grow` is allowed to do.
"""

import ctypes
import _thread  # threading's primitives, without importing threading (~2 ms at startup)
import weakref

from . import native

WASM_PAGE_SIZE = 65536
MAX_PAGES_32 = 65536  # 4 GiB
GUARD_RESERVATION = 8 << 30  # covers addr32 + offset32 < 2**33


def _unmap(address: int, size: int) -> None:
    native.munmap(address, size)


class MemoryReservation:
    """A linear memory's reserved address range with a read-write prefix of `pages` Wasm pages."""

    __slots__ = ("base", "reserved", "pages", "maximum", "explicit_bounds", "_lock", "_finalizer",
                 "__weakref__")

    def __init__(self, initial_pages: int, maximum_pages: int | None = None, *,
                 explicit_bounds: bool = False):
        limit = MAX_PAGES_32 if maximum_pages is None else min(maximum_pages, MAX_PAGES_32)
        if initial_pages > limit:
            raise ValueError(f"initial size {initial_pages} exceeds maximum {limit} pages")
        self.maximum = limit
        self.pages = 0
        self._lock = _thread.allocate_lock()
        base = None
        if not explicit_bounds:
            try:
                base = native.mmap(GUARD_RESERVATION, native.PROT_NONE,
                                   native.MAP_PRIVATE | native.MAP_ANONYMOUS | native.MAP_NORESERVE)
                reserved = GUARD_RESERVATION
            except OSError:
                explicit_bounds = True
        if base is None:
            base, reserved = self._reserve_bounded(initial_pages, limit)
        self.base = base
        self.reserved = reserved
        self.explicit_bounds = explicit_bounds
        self._finalizer = weakref.finalize(self, _unmap, base, reserved)
        self._finalizer.atexit = False  # other threads may still use it while Python exits
        if initial_pages:
            self._make_accessible(0, initial_pages)
        self.pages = initial_pages

    @staticmethod
    def _reserve_bounded(initial_pages: int, limit: int) -> tuple[int, int]:
        """The largest reservation between `limit` and `initial_pages` pages the OS grants."""
        pages = limit
        flags = native.MAP_PRIVATE | native.MAP_ANONYMOUS | native.MAP_NORESERVE
        while True:
            size = max(pages * WASM_PAGE_SIZE, native.PAGE_SIZE)
            try:
                return native.mmap(size, native.PROT_NONE, flags), size
            except OSError:
                if pages <= initial_pages:
                    raise MemoryError(f"cannot reserve {size} bytes for a linear memory") from None
                pages = max(initial_pages, pages // 2)

    def _make_accessible(self, first_page: int, count: int) -> None:
        native.mprotect(self.base + first_page * WASM_PAGE_SIZE, count * WASM_PAGE_SIZE,
                        native.PROT_RW)

    @property
    def length(self) -> int:
        """Accessible bytes (what vmctx.memory_length must hold)."""
        return self.pages * WASM_PAGE_SIZE

    @property
    def capacity_pages(self) -> int:
        """Pages this reservation can ever hold (the maximum, or less in the fallback)."""
        return min(self.maximum, self.reserved // WASM_PAGE_SIZE)

    def grow(self, delta: int) -> int:
        """Add `delta` pages; return the old size in pages, or -1 (memory unchanged) on failure."""
        with self._lock:
            old = self.pages
            if delta < 0 or old + delta > self.capacity_pages:
                return -1
            if delta:
                try:
                    self._make_accessible(old, delta)
                except OSError:
                    return -1
                self.pages = old + delta
            return old

    def view(self) -> memoryview:
        """Writable bytes view of the accessible prefix; keeps the reservation alive.

        A view does not follow a later grow: take a new one after growing.
        """
        length = self.length
        array_type = type("LinearMemoryBytes", (ctypes.c_ubyte * length,), {})
        array = array_type.from_address(self.base)
        array.owner = self
        return memoryview(array).cast("B")

    def close(self) -> None:
        """Unmap now (idempotent); views taken earlier must no longer be used."""
        self._finalizer()

    def __repr__(self) -> str:
        kind = "explicit bounds" if self.explicit_bounds else "guard pages"
        return f"<MemoryReservation {self.pages} pages at {self.base:#x}, {kind}>"
