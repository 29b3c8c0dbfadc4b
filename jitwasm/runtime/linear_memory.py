"""Memory instances: a MemoryReservation plus the MemoryDesc that compiled code reads.

vmctx.memories points at each memory's desc {base, length in bytes}, shared by every instance
that imports the memory; memory.size reads the length from there. The base never moves (the
reservation is fixed), so vmctx.memory_base and r15 stay valid across grows. Each instance that
has this memory as its memory 0 also caches the length in vmctx.memory_length (explicit bounds
checks); a grow updates the desc and every such vmctx.
"""

import ctypes
import weakref

from ..binary.types import MemoryType
from ..errors import Trap
from .memory import MAX_PAGES_32, WASM_PAGE_SIZE, MemoryReservation
from .vmctx import MemoryDesc

OUT_OF_BOUNDS = "out of bounds memory access"


class LinearMemory:
    """A linear memory of `type`, growable up to its declared maximum (at most 4 GiB) and what
    its store's `limiter` (a ResourceLimiter, or None) allows."""

    __slots__ = ("type", "reservation", "desc", "desc_address", "base", "limiter", "_users",
                 "_view", "__weakref__")

    def __init__(self, type_: MemoryType, limiter=None):
        limits = type_.limits
        if limiter is not None:
            limiter.check_new_memory(limits.min)
        self.limiter = limiter
        self.type = type_
        self.reservation = MemoryReservation(limits.min, limits.max)
        self.base = self.reservation.base
        self.desc = MemoryDesc(self.base, self.reservation.length)
        self.desc_address = ctypes.addressof(self.desc)
        self._users: list = []  # weakrefs to the VMContexts whose memory 0 this is
        self._view = None       # view()'s, while the length is unchanged

    @property
    def pages(self) -> int:
        return self.reservation.pages

    @property
    def length(self) -> int:
        return self.desc.length

    @property
    def explicit_bounds(self) -> bool:
        return self.reservation.explicit_bounds

    @property
    def limits_now(self) -> tuple:
        """(current pages, declared maximum) — what import matching compares."""
        return self.reservation.pages, self.type.limits.max

    def attach(self, vmctx) -> None:
        """Keep vmctx.memory_base/memory_length in step with this memory (its memory 0)."""
        vmctx.memory_base = self.base
        vmctx.memory_length = self.desc.length
        self._users.append(weakref.ref(vmctx))

    def grow(self, delta: int) -> int:
        """Add `delta` pages; return the old size in pages, or -1 (unchanged) on failure."""
        if delta < 0 or delta > MAX_PAGES_32:
            return -1
        limiter = self.limiter
        if limiter is not None and not limiter.allows_memory_pages(self.reservation.pages + delta):
            return -1
        old = self.reservation.grow(delta)
        if old >= 0 and delta:
            length = self.reservation.length
            self.desc.length = length
            alive = []
            for ref in self._users:
                vmctx = ref()
                if vmctx is not None:
                    vmctx.memory_length = length
                    alive.append(ref)
            self._users = alive
        return old

    # -- bulk access from the runtime (bounds-checked, raising the spec's trap) ---------------

    def check(self, address: int, count: int) -> None:
        if address + count > self.desc.length:
            raise Trap(OUT_OF_BOUNDS)

    def write(self, address: int, data) -> None:
        self.check(address, len(data))
        if data:
            ctypes.memmove(self.base + address, bytes(data), len(data))

    def read(self, address: int, count: int) -> bytes:
        self.check(address, count)
        return ctypes.string_at(self.base + address, count)

    def fill(self, address: int, value: int, count: int) -> None:
        self.check(address, count)
        ctypes.memset(self.base + address, value & 0xFF, count)

    def copy_from(self, dst: int, src_memory: "LinearMemory", src: int, count: int) -> None:
        src_memory.check(src, count)
        self.check(dst, count)
        ctypes.memmove(self.base + dst, src_memory.base + src, count)

    def view(self) -> memoryview:
        """Writable view of the current bytes (take a new one after a grow). The same view
        while the length is unchanged: making one costs ~50 us, and WASI takes one per call.
        (The view refers to the reservation, not to this object: no reference cycle.)"""
        view = self._view
        try:
            if view is not None and len(view) == self.length:
                return view
        except ValueError:      # released by its user
            pass
        view = self._view = self.reservation.view()
        return view

    def __repr__(self) -> str:
        return f"<LinearMemory {self.pages}/{self.type.limits.max} pages at {self.base:#x}>"


__all__ = ["LinearMemory", "WASM_PAGE_SIZE", "OUT_OF_BOUNDS"]
