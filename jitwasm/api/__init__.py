"""The wasmtime-py-compatible embedding API: `import jitwasm as wasmtime` keeps such code working.

Names, signatures, defaults and error types follow wasmtime-py's core-Wasm surface; docs/api.md
lists each entry as supported, differing (how) or not supported, and what jitwasm adds (v128
values, readable Config settings, Module.name, ...). Errors: `WasmtimeError` is the base of
every error that is not a trap (DecodeError, ValidationError, LinkError, and `ExitTrap`, which
is jitwasm's WasiExit); `Trap` carries `.message`, `.trap_code` and `.frames`.

Modules: values (ValType, Val, conversions), types, config (Config, Engine), store, functions
(Func, Caller), externs (Global, Memory, Table), module (Module, Instance, wat2wasm), linker
(Linker, InstancePre), wasi (WasiConfig, define_wasi's functions), unsupported.
"""


from ..errors import Frame, LinkError, Trap, TrapCode, WasiExit, WasmtimeError
from .config import Config, Engine
from .externs import Global, Memory, Table
from .functions import Caller, Func
from .linker import InstancePre, Linker
from .module import Instance, InstanceExports, Module, wat2wasm
from .store import Store
from .types import ExportType, FuncType, GlobalType, ImportType, Limits, MemoryType, TableType
from .unsupported import SharedMemory, Tag, TagType
from .values import Val, ValType
from .wasi import WasiConfig

ExitTrap = WasiExit
Storelike = Store | Caller

__all__ = [
    "Config", "Engine", "Store", "Module", "Instance", "InstanceExports", "InstancePre", "Linker",
    "Func", "Caller", "Global", "Memory", "Table", "FuncType", "GlobalType", "MemoryType",
    "TableType", "ValType", "Limits", "ImportType", "ExportType", "Val", "Trap", "TrapCode",
    "Frame", "WasmtimeError", "ExitTrap", "LinkError", "WasiConfig", "wat2wasm", "Storelike",
    "SharedMemory", "Tag", "TagType",
]

# Classes defined here report this package as their module (where users import them from).
for _cls in (Config, Engine, Store, Module, Instance, InstanceExports, InstancePre, Linker, Func,
             Caller, Global, Memory, Table, FuncType, GlobalType, MemoryType, TableType, ValType,
             Limits, ImportType, ExportType, Val, WasiConfig, SharedMemory, Tag, TagType):
    _cls.__module__ = __name__
del _cls
