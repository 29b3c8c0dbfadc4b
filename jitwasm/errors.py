"""The one exception hierarchy every jitwasm error belongs to.

    WasmError
    ├── WasmtimeError        every error that is not a trap (wasmtime-py's name and role)
    │   ├── DecodeError      malformed binary
    │   ├── ValidationError  invalid module
    │   ├── LinkError        unlinkable imports
    │   └── WasiExit         WASI proc_exit (wasmtime-py's ExitTrap)
    └── Trap                 execution trapped

The split under WasmError mirrors wasmtime-py's, so `except WasmtimeError` / `except Trap` clauses
written for it catch the same errors here. Each message names what went wrong and where (file,
byte offset, function index), so a user can find the problem without a debugger.
"""

import enum
from collections import namedtuple


class WasmError(Exception):
    """Base class of every error jitwasm raises on purpose."""


class WasmtimeError(WasmError):
    """Any error that is not a trap: a bad module, failed linking, misuse of the API."""


class DecodeError(WasmtimeError):
    """The bytes are not a well-formed Wasm binary (the spec's "malformed")."""

    def __init__(self, reason: str, offset: int | None = None):
        self.reason = reason
        self.offset = offset
        super().__init__(reason if offset is None else f"{reason} (at byte offset {offset:#x})")


class ValidationError(WasmtimeError):
    """The module is well-formed but breaks a typing rule (the spec's "invalid")."""

    def __init__(self, reason: str, func_index: int | None = None, offset: int | None = None):
        self.reason = reason
        self.func_index = func_index
        self.offset = offset
        where = []
        if func_index is not None:
            where.append(f"function {func_index}")
        if offset is not None:
            where.append(f"byte offset {offset:#x}")
        super().__init__(reason if not where else f"{reason} (in {', at '.join(where)})")


class LinkError(WasmtimeError):
    """Imports do not match what the module requires (the spec's "unlinkable")."""


class TrapCode(enum.Enum):
    """The kind of a trap, with wasmtime-py's names and numbers (its `TrapCode`)."""

    STACK_OVERFLOW = 0
    MEMORY_OUT_OF_BOUNDS = 1
    HEAP_MISALIGNED = 2
    TABLE_OUT_OF_BOUNDS = 3
    INDIRECT_CALL_TO_NULL = 4
    BAD_SIGNATURE = 5
    INTEGER_OVERFLOW = 6
    INTEGER_DIVISION_BY_ZERO = 7
    BAD_CONVERSION_TO_INTEGER = 8
    UNREACHABLE = 9
    INTERRUPT = 10
    OUT_OF_FUEL = 11
    ATOMIC_WAIT_NON_SHARED_MEMORY = 12
    NULL_REFERENCE = 13


class Frame(namedtuple("Frame", "func_index module_offset func_name module_name func_offset",
                       defaults=(None, None, None))):
    """One frame of a trap's Wasm backtrace (wasmtime-py's `Frame` attributes): function
    index, byte offset in the module, and when known the function's and module's names and
    the offset within the function."""
    __slots__ = ()


class Trap(WasmError):
    """Execution trapped; `message` is the spec's trap message."""

    message: str
    backtrace: list  # (function index, Wasm byte offset) pairs, innermost first

    def __init__(self, message: str, backtrace: list | None = None):
        self.message = message
        self.set_frames(backtrace or [])
        super().__init__(message)

    def set_frames(self, frames: list) -> None:
        """The backtrace from (function index, Wasm offset[, ModuleInfo]) per frame."""
        self.backtrace = [(frame[0], frame[1]) for frame in frames]
        self._modules = [frame[2] if len(frame) > 2 else None for frame in frames]

    @property
    def trap_code(self) -> TrapCode | None:
        """The kind of trap; None for a message that is not one of the spec's trap messages
        (a trap a host function made up)."""
        from .runtime.traps import TRAP_CODES_BY_MESSAGE  # lazy: the runtime imports this module

        return TRAP_CODES_BY_MESSAGE.get(self.message)

    @property
    def frames(self) -> list:
        """The backtrace as Frames (with names from the modules' name sections), innermost
        first."""
        from .runtime.backtrace import describe_frame  # lazy: the runtime imports this module

        modules = self._modules if len(self._modules) == len(self.backtrace) else ()
        return [Frame(func_index, offset, *describe_frame(func_index, offset, module))
                for (func_index, offset), module in zip(self.backtrace, modules or
                                                        [None] * len(self.backtrace))]


class WasiExit(WasmtimeError):
    """The program called WASI `proc_exit`; `code` is its exit status."""

    code: int

    def __init__(self, code: int):
        self.code = code
        super().__init__(f"exited with status {code}")
