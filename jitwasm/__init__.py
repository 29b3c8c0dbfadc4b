"""jitwasm: a WebAssembly runtime that compiles Wasm to x86-64 machine code at load time."""

from .errors import DecodeError, LinkError, Trap, ValidationError, WasiExit, WasmError

__version__ = "0.1.0"

__all__ = [
    "WasmError", "DecodeError", "ValidationError", "LinkError", "Trap", "WasiExit",
    "validate", "__version__",
]


def validate(wasm: bytes) -> None:
    """Decode and validate a binary module; raise DecodeError/ValidationError if it is not valid."""
    from .binary import decode_module
    from .validate import validate_module

    validate_module(decode_module(wasm))
