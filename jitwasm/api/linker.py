"""`Linker` (named definitions resolved against a module's imports) and `InstancePre`."""

from collections.abc import Callable

from ..binary import types as t
from ..errors import WasmtimeError
from ..runtime.functions import Function
from ..runtime.globals import Global as RtGlobal
from ..runtime.instance import Instance as RtInstance
from ..runtime.linear_memory import LinearMemory
from ..runtime.linker import Linker as RtLinker
from ..runtime.table import Table as RtTable
from .config import Engine
from .externs import unwrap_extern, wrap_extern
from .functions import Func, host_function
from .managed import Managed
from .module import Instance, Module, instantiate
from .store import rt_store
from .types import FuncType

# Non-function exports a WASI command may have (wasmtime's list): not linkable, but allowed.
_COMMAND_EXTRA_EXPORTS = {"memory": t.EXTERN_MEMORY, "__indirect_function_table": t.EXTERN_TABLE,
                          "table": t.EXTERN_TABLE, "__data_end": t.EXTERN_GLOBAL,
                          "__heap_base": t.EXTERN_GLOBAL, "__rtti_base": t.EXTERN_GLOBAL}


class Linker(Managed):
    """Definitions by (module, name), shared by every module this linker instantiates."""

    __slots__ = ("engine", "_linker")

    def __init__(self, engine: Engine):
        if not isinstance(engine, Engine):
            raise TypeError("expected an Engine")
        self.engine = engine
        self._linker = RtLinker()

    @property
    def allow_shadowing(self) -> bool:
        return self._linker.allow_shadowing

    @allow_shadowing.setter
    def allow_shadowing(self, allow: bool) -> None:
        self._linker.allow_shadowing = bool(allow)

    def define(self, store, module: str, name: str, item) -> None:
        self._linker.define(module, name, unwrap_extern(item))

    def define_func(self, module: str, name: str, ty: FuncType, func: Callable,
                    access_caller: bool = False) -> None:
        """A host function usable from any store: values convert through the store of the
        instance that imports it."""
        if not isinstance(ty, FuncType):
            raise TypeError("expected a FuncType")
        self._linker.define(module, name, host_function(ty._type, func, access_caller, None))

    def define_instance(self, store, name: str, instance: Instance) -> None:
        if not isinstance(instance, Instance):
            raise TypeError("expected an `Instance`")
        self._linker.define_exports(name, instance._instance.exports)

    def define_wasi(self) -> None:
        """Define `wasi_snapshot_preview1`: each function uses the WASI context of the calling
        instance's store (Store.set_wasi)."""
        from .wasi import MODULE, wasi_functions

        for name, func in wasi_functions().items():
            self._linker.define(MODULE, name, func)

    def define_module(self, store, name: str, module: Module) -> None:
        """Define `module`'s exports under `name`, following the WASI application ABI: a
        reactor is instantiated once (running `_initialize`), a command (it exports `_start`)
        gets a fresh instance for every call of one of its exported functions."""
        if not isinstance(module, Module):
            raise TypeError("expected a `Module`")
        exports = {e.name: e for e in module._module.info.exports}
        if "_start" not in exports:
            instance = self.instantiate(store, module)
            init = instance._instance.exports.get("_initialize")
            if isinstance(init, Function):
                Func._wrap(init)(store)
            self.define_instance(store, name, instance)
            return
        if "_initialize" in exports:
            raise WasmtimeError("module has both `_start` and `_initialize` exports")
        externs = self._linker.resolve(module._module.info)
        rt = rt_store(store)
        for export in exports.values():
            if export.kind == t.EXTERN_FUNC:
                functype = module._module.info.func_types[export.index]
                run = _command_export(rt, module, externs, export.name)
                self._linker.define(name, export.name, Function.from_host(functype, run))
            elif _COMMAND_EXTRA_EXPORTS.get(export.name) != export.kind:
                raise WasmtimeError(f"command export '{export.name}' is not a function")

    def instantiate(self, store, module: Module) -> Instance:
        if not isinstance(module, Module):
            raise TypeError("expected a `Module`")
        return instantiate(store, module, self._linker.resolve(module._module.info))

    def instantiate_pre(self, module: Module) -> "InstancePre":
        """Resolve `module`'s imports now, to instantiate it cheaply later."""
        if not isinstance(module, Module):
            raise TypeError("expected a `Module`")
        return InstancePre(module, self._linker.resolve(module._module.info))

    def get(self, store, module: str, name: str):
        extern = self._linker.get(module, name)
        if extern is None:
            raise WasmtimeError("item not defined in linker")
        return wrap_extern(extern)

    def get_default(self, store, name: str) -> Func:
        """The export "" of module `name`, else its `_start`, else a function doing nothing."""
        for export in ("", "_start"):
            extern = self._linker.get(name, export)
            if extern is not None:
                if not isinstance(extern, Function):
                    raise WasmtimeError(f"default export {export!r} in {name!r} is not a function")
                return Func._wrap(extern)
        return Func._wrap(Function.from_host(t.FuncType((), ()), lambda: None))

    def define_unknown_imports_as_traps(self, module: Module) -> None:
        """Define each function import of `module` not yet defined as a function that fails
        (with a WasmtimeError) when called."""
        for imp in self._unknown_imports(module):
            if imp.kind == t.EXTERN_FUNC:
                functype = module._module.info.types[imp.desc]
                self._linker.define(imp.module, imp.name,
                                    Function.from_host(functype, _trap(imp.module, imp.name)))

    def define_unknown_imports_as_default_values(self, store, module: Module) -> None:
        """Define each import of `module` not yet defined as a default: functions returning
        zeros (null references), zero globals, minimal memories and null-filled tables."""
        limiter = rt_store(store).limiter
        for imp in self._unknown_imports(module):
            self._linker.define(imp.module, imp.name, _default_extern(module, imp, limiter))

    def _unknown_imports(self, module: Module) -> list:
        if not isinstance(module, Module):
            raise TypeError("expected a `Module`")
        return [imp for imp in module._module.info.imports
                if self._linker.get(imp.module, imp.name) is None]


def _command_export(rt, module: Module, externs: list, name: str):
    def run(*raw):
        return RtInstance(rt, module._module, externs).exports[name].call(*raw)
    return run


def _trap(module: str, name: str):
    def trap(*args):  # wasmtime-py raises this as a WasmtimeError, not a Trap
        raise WasmtimeError(f"unknown import: `{module}::{name}` has not been defined")
    return trap


_ZERO = {t.F32: 0.0, t.F64: 0.0}


def _default_extern(module: Module, imp, limiter):
    """The default value of an import; memories and tables are the store's (its limits)."""
    if imp.kind == t.EXTERN_FUNC:
        functype = module._module.info.types[imp.desc]
        zeros = tuple(_ZERO.get(k, 0) for k in functype.results)
        result = zeros[0] if len(zeros) == 1 else (zeros or None)
        return Function.from_host(functype, lambda *args: result)
    if imp.kind == t.EXTERN_GLOBAL:
        return RtGlobal(imp.desc, 0)
    if imp.kind == t.EXTERN_MEMORY:
        return LinearMemory(imp.desc, limiter)
    return RtTable(imp.desc, 0, limiter)


class InstancePre(Managed):
    """A module whose imports a Linker resolved; instantiate it in any store."""

    __slots__ = ("_module", "_externs")

    def __init__(self, module: Module, externs: list):
        self._module = module
        self._externs = externs

    @property
    def module(self) -> Module:
        return self._module

    def instantiate(self, store) -> Instance:
        return instantiate(store, self._module, self._externs)


__all__ = ["Linker", "InstancePre"]
