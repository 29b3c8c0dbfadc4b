"""Cache keys: everything the machine code depends on, hashed.

The code depends on the module bytes, the compiler (jitwasm's version, plus COMPILER_VERSION
bumped on ABI or code-shape changes between releases), the CPU features the emitters test
(backend_x64's HAS_* flags) and the compile options (fuel/epoch checks, explicit bounds).
"""

from .digest import digest

COMPILER_VERSION = 3  # bump when generated code or its metadata changes shape


def cpu_features() -> str:
    """The HAS_* flags of the x86-64 backend that select instruction sequences."""
    from ..backend_x64 import masm

    return ",".join(f"{name}={int(value)}" for name, value in sorted(vars(masm).items())
                    if name.startswith("HAS_") and isinstance(value, bool))


def cache_key(wasm: bytes, options) -> str:
    """A hex digest naming the compiled code of `wasm` under `options` (a CompileOptions; only
    its code-shaping fields count: lazy and eager code are cached alike)."""
    from .. import __version__

    tag = options._replace(lazy=False).cache_tag()
    return digest(digest(wasm), f"|jitwasm {__version__}|compiler {COMPILER_VERSION}|"
                                f"{cpu_features()}|{tag}".encode()).hex()
