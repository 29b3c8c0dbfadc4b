"""The one exception hierarchy every jitwasm error belongs to.

Each message names what went wrong and where (file, byte offset, function index), so a user
can find the problem without a debugger.
"""


class WasmError(Exception):
    """Base class of every error jitwasm raises on purpose."""


class DecodeError(WasmError):
    """The bytes are not a well-formed Wasm binary (the spec's "malformed")."""

    def __init__(self, reason: str, offset: int | None = None):
        self.reason = reason
        self.offset = offset
        super().__init__(reason if offset is None else f"{reason} (at byte offset {offset:#x})")


class ValidationError(WasmError):
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


class LinkError(WasmError):
    """Imports do not match what the module requires (the spec's "unlinkable")."""


class Trap(WasmError):
    """Execution trapped; `message` is the spec's trap message."""

    def __init__(self, message: str, backtrace: list | None = None):
        self.message = message
        self.backtrace = backtrace or []
        super().__init__(message)


class WasiExit(WasmError):
    """The program called WASI `proc_exit`; `code` is its exit status."""

    def __init__(self, code: int):
        self.code = code
        super().__init__(f"exited with status {code}")
