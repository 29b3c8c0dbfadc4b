"""Linking a WasiCtx into a Linker: every `wasi_snapshot_preview1` function as a host function.

    from jitwasm.wasi.binding import define_wasi
    define_wasi(linker, ctx)                 # jitwasm.Linker (the default API)
    define_wasi(linker, ctx, api=wasmtime)   # the same WasiCtx on wasmtime-py's engine

The binding needs nothing beyond wasmtime-py's public names, which jitwasm.api shares:
`FuncType`, `ValType.i32/i64`, `Linker.define_func(module, name, type, fn, access_caller=True)`,
`Caller.get(name)` and `Memory.data_ptr/data_len`. So one binding serves both engines, and the
tests can check a program on wasmtime's engine and on jitwasm's with the same WASI code.

Each call hands the ctx the *calling* instance's memory export (a preloaded module calling WASI
gets its own memory, as in wasmtime). The memoryview is rebuilt only when the memory's base or
length changed since the previous call, so a syscall costs one export lookup, not a new view;
on jitwasm's own engine, `Caller.memory_view` gives the memory's cached view directly.
"""

import ctypes

from ..binary.types import I32, I64
from .signatures import MODULE

MEMORY_EXPORT = "memory"

_NO_MEMORY = memoryview(bytearray())   # a module without memory: pointers give EFAULT


class CallerMemory:
    """caller -> memoryview over the caller's exported memory, cached by (base, length)."""

    __slots__ = ("name", "_key", "_view")

    def __init__(self, name: str = MEMORY_EXPORT):
        self.name = name
        self._key = None
        self._view = _NO_MEMORY

    def __call__(self, caller) -> memoryview:
        memory_view = getattr(caller, "memory_view", None)
        if memory_view is not None:        # jitwasm's Caller: one cached view, no wrappers
            return memory_view(self.name) or _NO_MEMORY
        memory = caller.get(self.name)
        if memory is None or not hasattr(memory, "data_ptr"):
            return _NO_MEMORY
        length = memory.data_len(caller)
        if not length:
            return _NO_MEMORY
        # addressof(pointer.contents): a tenth of the cost of ctypes.cast(..., c_void_p).
        key = (ctypes.addressof(memory.data_ptr(caller).contents), length)
        if key != self._key:
            self._view = memoryview((ctypes.c_ubyte * length).from_address(key[0])).cast("B")
            self._key = key
        return self._view


def define_wasi(linker, ctx, api=None, memory_export: str = MEMORY_EXPORT,
                names=None) -> None:
    """Define each function of `ctx.host_functions()` as `wasi_snapshot_preview1.NAME`.

    `api` is the module providing FuncType/ValType (default: jitwasm's own API). `names`
    limits the definitions to those functions (e.g. what the modules import: each host function
    costs a stub at startup). proc_exit raises WasiExit out of the host function; both engines
    re-raise it to the Wasm caller's Python caller.
    """
    if api is None:
        from .. import api
    valtypes = {I32: api.ValType.i32(), I64: api.ValType.i64()}
    view_of = CallerMemory(memory_export)
    for name, (params, results, method) in ctx.host_functions(names).items():
        functype = api.FuncType([valtypes[t] for t in params], [valtypes[t] for t in results])
        linker.define_func(MODULE, name, functype, _host(method, view_of), access_caller=True)


def _host(method, view_of):
    """The host function for one syscall (a closure: the hot path is one call and one lookup)."""
    def host(caller, *args):
        return method(view_of(caller), *args)
    return host


def imported_wasi_names(modules) -> set:
    """The `wasi_snapshot_preview1` function names that `modules` (API Modules) import."""
    return {imp.name for module in modules for imp in module.imports if imp.module == MODULE}
