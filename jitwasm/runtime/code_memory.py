"""CodeMemory: an executable mapping for generated machine code, never writable and executable.

The code is copied into a fresh read-write mapping, which is then flipped to read-execute, so no
page is ever W+X. The mapping is unmapped when the last Python reference to its CodeMemory goes
(a weakref finalizer), so modules that hold their CodeMemory keep their code alive exactly as
long as needed. Code that may trap is registered with the trap registry, which is how the signal
handler tells a jitwasm fault from a crash.
"""

import ctypes
import weakref

from . import native
from .traps import TrapSite, registry


def _release(address: int, size: int, slot: int | None) -> None:
    if slot is not None:
        registry.unregister(slot)
    native.munmap(address, size)


class CodeMemory:
    """Immutable executable copy of `code`.

    `trap_sites` maps code offsets to TrapSite for instructions that may fault or that jump to
    the trap landing; `traps=False` leaves the range out of the registry (trampolines: a fault
    there is a bug, never a Wasm trap). For backtraces, `call_sites` maps the offset a call
    returns to to (function index, Wasm offset of the call), `frame_sizes` gives each
    function's distance from its body's rsp to its return address, and `module` is the
    ModuleInfo the code was compiled from (its names).
    """

    __slots__ = ("address", "size", "length", "trap_sites", "call_sites", "frame_sizes",
                 "module", "name", "_finalizer", "__weakref__")

    def __init__(self, code: bytes, *, trap_sites: dict[int, TrapSite] | None = None,
                 call_sites: dict | None = None, frame_sizes: dict | None = None,
                 module=None, traps: bool = True, name: str = ""):
        length = len(code)
        size = native.page_align(max(length, 1))
        address = native.mmap(size, native.PROT_RW)
        try:
            ctypes.memmove(address, code, length)
            native.mprotect(address, size, native.PROT_RX)
        except BaseException:
            native.munmap(address, size)
            raise
        self.address = address
        self.size = size
        self.length = length
        self.trap_sites = trap_sites or {}
        self.call_sites = call_sites or {}
        self.frame_sizes = frame_sizes or {}
        self.module = module
        self.name = name
        slot = None
        if traps:
            from ..backend_x64.traphandler import ensure_installed

            ensure_installed()
            slot = registry.register(address, address + length, self)
        self._finalizer = weakref.finalize(self, _release, address, size, slot)
        self._finalizer.atexit = False  # other threads may still run it while Python exits

    def __contains__(self, pc: int) -> bool:
        return self.address <= pc < self.address + self.length

    def function(self, prototype, offset: int = 0):
        """A ctypes foreign function of type `prototype` (a CFUNCTYPE) at `offset`.

        The returned object does not keep this CodeMemory alive; its caller must.
        """
        return prototype(self.address + offset)

    def read(self) -> bytes:
        """The code bytes as mapped (for disassembly and tests)."""
        return ctypes.string_at(self.address, self.length)

    def free(self) -> None:
        """Unmap now (idempotent). Calling into the code afterwards crashes."""
        self._finalizer()

    @property
    def freed(self) -> bool:
        return not self._finalizer.alive

    def __repr__(self) -> str:
        state = "freed" if self.freed else f"{self.address:#x}+{self.length}"
        return f"<CodeMemory {self.name or ''} {state}>"
