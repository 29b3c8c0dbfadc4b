"""The single-pass baseline compiler: `compile_module(info) -> CompiledModule`.

Its names load on first use (module `__getattr__`), so importing a light submodule such as
compiler.options (the code cache's key) does not pull in the code generator.
"""

from importlib import import_module

_HOMES = {"compile_module": ".module", "CompiledModule": "..runtime.compiled",
          "NotSupported": ".values"}

__all__ = ["compile_module", "CompiledModule", "NotSupported"]


def __getattr__(name: str):
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(home, __name__), name)
    globals()[name] = value
    return value
