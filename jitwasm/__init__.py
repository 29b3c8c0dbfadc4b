"""jitwasm: a WebAssembly runtime that compiles Wasm to x86-64 machine code at load time."""

from .errors import (DecodeError, Frame, LinkError, Trap, TrapCode, ValidationError, WasiExit,
                     WasmError, WasmtimeError)

__version__ = "0.1.0"

__all__ = [
    "WasmError", "WasmtimeError", "DecodeError", "ValidationError", "LinkError", "Trap",
    "TrapCode", "Frame", "WasiExit", "validate", "__version__",
]

# The wasmtime-py-compatible API (jitwasm/api/), imported on first use so `import jitwasm`
# stays cheap for the CLI and for code that only validates.
_API_NAMES = frozenset((
    "Config", "Engine", "Store", "Module", "Instance", "InstanceExports", "InstancePre", "Linker",
    "Func", "Caller", "Global", "Memory", "Table", "FuncType", "GlobalType", "MemoryType",
    "TableType", "ValType", "Limits", "ImportType", "ExportType", "Val", "ExitTrap", "WasiConfig",
    "wat2wasm", "Storelike", "SharedMemory", "Tag", "TagType",
))


def __getattr__(name: str):
    if name in _API_NAMES:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'jitwasm' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | _API_NAMES)


def validate(wasm: bytes) -> None:
    """Decode and validate a binary module; raise DecodeError/ValidationError if it is not valid."""
    from .binary import decode_module
    from .validation import validate_module

    validate_module(decode_module(wasm))
