"""The wasmtime-py-compatible API: Engine, Store, Module, Instance, Linker, Func, Memory, ...

Names and signatures follow wasmtime-py, so code written for it runs on jitwasm by changing the
import. Each class wraps a runtime object (jitwasm/runtime/) and converts values at the edge:
i32/i64 as Python ints (signed on the way out), f32/f64 as floats, v128 as an int, externref as
any Python object (None is null), funcref as a `Func` or None. Errors are jitwasm's own
(jitwasm.errors), aliased to wasmtime's names: `WasmtimeError` is `WasmError`, `Trap` is the
trap with `.message`, `ExitTrap` is `WasiExit` with `.code`.
"""

import ctypes
import struct
from os import PathLike
from typing import Any, Callable, Iterator, Mapping, Sequence

from .binary import types as t
from .errors import LinkError, Trap, WasiExit, WasmError
from .runtime import functions as rt_functions
from .runtime.globals import Global as _RtGlobal
from .runtime.instance import Instance as _RtInstance
from .runtime.instance import Module as _RtModule
from .runtime.linear_memory import WASM_PAGE_SIZE, LinearMemory
from .runtime.linker import Linker as _RtLinker
from .runtime.store import Store as _RtStore
from .runtime.table import Table as _RtTable

WasmtimeError = WasmError
ExitTrap = WasiExit

__all__ = [
    "Config", "Engine", "Store", "Module", "Instance", "Linker", "Func", "Caller", "Global",
    "Memory", "Table", "FuncType", "GlobalType", "MemoryType", "TableType", "ValType", "Limits",
    "ImportType", "ExportType", "Val", "Trap", "WasmtimeError", "ExitTrap", "LinkError",
    "wat2wasm",
]


# ---- configuration --------------------------------------------------------------------------

class Config:
    """Engine settings, accepted for compatibility (any attribute can be set). jitwasm compiles
    every function when the Module is created, so `lazy_compilation` stays False for now."""

    def __init__(self) -> None:
        self.lazy_compilation = False
        self.max_wasm_stack = None


class Engine:
    def __init__(self, config: Config | None = None):
        self.config = config or Config()


class Store:
    """Holds instances, host objects and externrefs; pass it to every call."""

    def __init__(self, engine: Engine | None = None, data: Any = None):
        if engine is not None and not isinstance(engine, Engine):
            raise TypeError("expected an Engine")
        self.engine = engine or Engine()
        self._store = _RtStore(data)

    def data(self) -> Any:
        return self._store.data

    def gc(self) -> None:
        """Nothing to do: externrefs live as long as the store."""


def _rt_store(store) -> _RtStore:
    """The runtime store behind a Store or a Caller (both are "storelike")."""
    if isinstance(store, Store):
        return store._store
    if isinstance(store, Caller):
        return store._store
    raise TypeError("expected a Store")


# ---- types ----------------------------------------------------------------------------------

class ValType:
    """A value type; compare with ==. `ValType.v128()` is jitwasm's addition."""

    __slots__ = ("_kind",)
    _cache: dict = {}

    def __new__(cls, kind: int):
        found = cls._cache.get(kind)
        if found is None:
            found = cls._cache[kind] = object.__new__(cls)
            found._kind = kind
        return found

    @classmethod
    def i32(cls) -> "ValType":
        return cls(t.I32)

    @classmethod
    def i64(cls) -> "ValType":
        return cls(t.I64)

    @classmethod
    def f32(cls) -> "ValType":
        return cls(t.F32)

    @classmethod
    def f64(cls) -> "ValType":
        return cls(t.F64)

    @classmethod
    def v128(cls) -> "ValType":
        return cls(t.V128)

    @classmethod
    def funcref(cls) -> "ValType":
        return cls(t.FUNCREF)

    @classmethod
    def externref(cls) -> "ValType":
        return cls(t.EXTERNREF)

    def __str__(self) -> str:
        return t.valtype_name(self._kind)

    __repr__ = __str__


def _valtype_kinds(types) -> tuple:
    kinds = []
    for vt in types:
        if not isinstance(vt, ValType):
            raise TypeError("expected ValType")
        kinds.append(vt._kind)
    return tuple(kinds)


class FuncType:
    def __init__(self, params: Sequence[ValType], results: Sequence[ValType]):
        self._type = t.FuncType(_valtype_kinds(params), _valtype_kinds(results))

    @classmethod
    def _wrap(cls, functype: t.FuncType) -> "FuncType":
        obj = cls.__new__(cls)
        obj._type = functype
        return obj

    @property
    def params(self) -> list:
        return [ValType(k) for k in self._type.params]

    @property
    def results(self) -> list:
        return [ValType(k) for k in self._type.results]

    def __eq__(self, other) -> bool:
        return isinstance(other, FuncType) and self._type == other._type

    def __repr__(self) -> str:
        return f"FuncType({self._type})"


class Limits:
    def __init__(self, min: int, max: int | None):
        self.min = min
        self.max = max

    def __eq__(self, other) -> bool:
        return isinstance(other, Limits) and (self.min, self.max) == (other.min, other.max)

    def __repr__(self) -> str:
        return f"Limits({self.min}, {self.max})"


class GlobalType:
    def __init__(self, valtype: ValType, mutable: bool):
        self._type = t.GlobalType(_valtype_kinds([valtype])[0], bool(mutable))

    @classmethod
    def _wrap(cls, globaltype: t.GlobalType) -> "GlobalType":
        obj = cls.__new__(cls)
        obj._type = globaltype
        return obj

    @property
    def content(self) -> ValType:
        return ValType(self._type.valtype)

    @property
    def mutable(self) -> bool:
        return self._type.mutable


class TableType:
    def __init__(self, valtype: ValType, limits: Limits):
        if not isinstance(limits, Limits):
            raise TypeError("expected Limits")
        kind = _valtype_kinds([valtype])[0]
        if kind not in t.REF_TYPES:
            raise WasmError(f"table elements must be references, not {valtype}")
        self._type = t.TableType(kind, t.Limits(limits.min, limits.max))

    @classmethod
    def _wrap(cls, tabletype: t.TableType) -> "TableType":
        obj = cls.__new__(cls)
        obj._type = tabletype
        return obj

    @property
    def element(self) -> ValType:
        return ValType(self._type.elem_type)

    @property
    def limits(self) -> Limits:
        return Limits(*self._type.limits)


class MemoryType:
    def __init__(self, limits: Limits, is_64: bool = False, shared: bool = False):
        if not isinstance(limits, Limits):
            raise TypeError("expected Limits")
        if is_64 or shared:
            raise WasmError("memory64 and shared memories are not supported")
        self._type = t.MemoryType(t.Limits(limits.min, limits.max))

    @classmethod
    def _wrap(cls, memorytype: t.MemoryType) -> "MemoryType":
        obj = cls.__new__(cls)
        obj._type = memorytype
        return obj

    @property
    def limits(self) -> Limits:
        return Limits(*self._type.limits)

    @property
    def is_64(self) -> bool:
        return False

    @property
    def is_shared(self) -> bool:
        return False


def _extern_type(kind: int, desc):
    if kind == t.EXTERN_FUNC:
        return FuncType._wrap(desc)
    if kind == t.EXTERN_TABLE:
        return TableType._wrap(desc)
    if kind == t.EXTERN_MEMORY:
        return MemoryType._wrap(desc)
    return GlobalType._wrap(desc)


class ImportType:
    def __init__(self, module: str, name: str, type_):
        self.module = module
        self.name = name
        self.type = type_


class ExportType:
    def __init__(self, name: str, type_):
        self.name = name
        self.type = type_


# ---- values ---------------------------------------------------------------------------------

_MASK32 = 0xFFFFFFFF
_MASK64 = (1 << 64) - 1


class Val:
    """A typed value, as wasmtime-py's Val; plain Python values work wherever a Val does."""

    __slots__ = ("_kind", "_val")

    def __init__(self, kind: int, val: Any):
        self._kind = kind
        self._val = val

    @classmethod
    def i32(cls, val: int) -> "Val":
        if not isinstance(val, int):
            raise TypeError("expected an integer")
        return cls(t.I32, _signed(val, 32))

    @classmethod
    def i64(cls, val: int) -> "Val":
        if not isinstance(val, int):
            raise TypeError("expected an integer")
        return cls(t.I64, _signed(val, 64))

    @classmethod
    def f32(cls, val: float) -> "Val":
        if not isinstance(val, float):
            raise TypeError("expected a float")
        return cls(t.F32, struct.unpack("<f", struct.pack("<f", val))[0])

    @classmethod
    def f64(cls, val: float) -> "Val":
        if not isinstance(val, float):
            raise TypeError("expected a float")
        return cls(t.F64, val)

    @classmethod
    def v128(cls, val: int) -> "Val":
        return cls(t.V128, val & ((1 << 128) - 1))

    @classmethod
    def externref(cls, extern: Any) -> "Val":
        return cls(t.EXTERNREF, extern)

    @classmethod
    def funcref(cls, f: "Func | None") -> "Val":
        return cls(t.FUNCREF, f)

    @classmethod
    def ref_null(cls, ty: ValType) -> "Val":
        if ty._kind not in t.REF_TYPES:
            raise WasmError(f"Invalid reference type for `ref_null`: {ty}")
        return cls(ty._kind, None)

    @property
    def value(self) -> Any:
        return self._val

    @property
    def type(self) -> ValType:
        return ValType(self._kind)

    def _as(self, kind):
        return self._val if self._kind == kind else None

    def as_i32(self):
        return self._as(t.I32)

    def as_i64(self):
        return self._as(t.I64)

    def as_f32(self):
        return self._as(t.F32)

    def as_f64(self):
        return self._as(t.F64)

    def as_externref(self):
        return self._as(t.EXTERNREF)

    def as_funcref(self):
        return self._as(t.FUNCREF)

    def __eq__(self, other) -> bool:
        if isinstance(other, Val):
            return self._kind == other._kind and self._val == other._val
        return self._val == other

    def __repr__(self) -> str:
        return f"Val.{t.valtype_name(self._kind)}({self._val!r})"


def _signed(value: int, bits: int) -> int:
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


def _to_raw(store: _RtStore, kind: int, value):
    """A Python value (or Val) as the runtime passes it: int, float, handle or address."""
    if isinstance(value, Val):
        if value._kind != kind:
            raise TypeError(f"wrong type of `Val` provided: {value.type}, expected "
                            f"{t.valtype_name(kind)}")
        value = value._val
    if kind == t.EXTERNREF:
        return store.externrefs.intern(value)
    if kind == t.FUNCREF:
        if value is None:
            return 0
        if not isinstance(value, Func):
            raise TypeError(f"don't know how to convert {value!r} to funcref")
        return store.funcref(value._func)
    if kind in (t.F32, t.F64):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        return value
    raise TypeError(f"don't know how to convert {value!r} to {t.valtype_name(kind)}")


def _from_raw(store: _RtStore, kind: int, raw):
    if kind == t.EXTERNREF:
        return store.externrefs.lookup(raw)
    if kind == t.FUNCREF:
        func = store.function_at(raw)
        return None if func is None else Func._wrap(func)
    return raw


_BITS_FORMATS = {t.F32: ("<f", "<I"), t.F64: ("<d", "<Q")}


def _to_bits(store: _RtStore, kind: int, value) -> int:
    """A Python value as the raw bit pattern a global cell or table slot holds."""
    raw = _to_raw(store, kind, value)
    formats = _BITS_FORMATS.get(kind)
    if formats is not None:
        return struct.unpack(formats[1], struct.pack(formats[0], raw))[0]
    return raw & ((1 << 128) - 1 if kind == t.V128 else _MASK64)


def _from_bits(store: _RtStore, kind: int, bits: int):
    formats = _BITS_FORMATS.get(kind)
    if formats is not None:
        return struct.unpack(formats[0], struct.pack(formats[1], bits))[0]
    if kind == t.I32:
        return _signed(bits, 32)
    if kind == t.I64:
        return _signed(bits, 64)
    return _from_raw(store, kind, bits)


_PLAIN = frozenset((t.I32, t.I64, t.F32, t.F64, t.V128))


def _check_arity(given: int, expected: int) -> None:
    if given > expected:
        raise WasmError(f"too many parameters provided: given {given}, expected {expected}")
    if given < expected:
        raise WasmError(f"too few parameters provided: given {given}, expected {expected}")


# ---- functions ------------------------------------------------------------------------------

class Func:
    """A function: call it as `func(store, *args)`."""

    def __init__(self, store: Store, ty: FuncType, func: Callable, access_caller: bool = False):
        if not isinstance(store, Store):
            raise TypeError("expected a Store")
        if not isinstance(ty, FuncType):
            raise TypeError("expected a FuncType")
        self._func = _host_function(ty._type, func, access_caller, store._store)
        self._caller = None

    @classmethod
    def _wrap(cls, func: rt_functions.Function) -> "Func":
        obj = cls.__new__(cls)
        obj._func = func
        obj._caller = None
        return obj

    def type(self, store=None) -> FuncType:
        return FuncType._wrap(self._func.type)

    def __call__(self, store, *params) -> Any:
        caller = self._caller
        if caller is None:
            caller = self._caller = _python_caller(self._func)
        return caller(store, params)

    def __eq__(self, other) -> bool:
        return isinstance(other, Func) and other._func is self._func

    def __hash__(self) -> int:
        return id(self._func)

    def __repr__(self) -> str:
        return f"<Func {self._func.type}>"


def _python_caller(func: rt_functions.Function):
    """call(store, params) with wasmtime-py's conventions: None, a value, or a list."""
    params_t, results_t = func.type
    raw = func.call
    nparams = len(params_t)
    multi = len(results_t) > 1
    if all(k in _PLAIN for k in params_t + results_t):
        def call(store, params):
            if len(params) != nparams:
                _check_arity(len(params), nparams)
            if Val in map(type, params):
                params = [_to_raw(None, k, v) for k, v in zip(params_t, params)]
            out = raw(*params)
            return list(out) if multi else out
        return call

    def call_with_refs(store, params):
        _check_arity(len(params), nparams)
        rt_store = _rt_store(store)
        out = raw(*[_to_raw(rt_store, k, v) for k, v in zip(params_t, params)])
        if not results_t:
            return None
        if not multi:
            return _from_raw(rt_store, results_t[0], out)
        return [_from_raw(rt_store, k, v) for k, v in zip(results_t, out)]
    return call_with_refs


class Caller:
    """What a host function defined with access_caller=True gets first: the calling instance's
    exports by name, and a store-like handle for memory and value access."""

    def __init__(self, instance: _RtInstance | None, store: _RtStore):
        self._instance = instance
        self._store = store

    def get(self, name: str):
        if self._instance is None:
            return None
        extern = self._instance.exports.get(name)
        return None if extern is None else _wrap_extern(extern)

    def __getitem__(self, name: str):
        found = self.get(name)
        if found is None:
            raise KeyError(f"failed to find export {name}")
        return found


def _host_adapter(functype: t.FuncType, func: Callable, with_caller: bool, store_of):
    """Wrap a Python callable so it takes and returns the runtime's raw values.

    `store_of(caller_instance)` names the store whose externrefs/funcrefs the values belong to.
    """
    params, results = functype
    plain = all(k in _PLAIN for k in params + results)
    single = len(results) == 1

    def adapter(instance, *raw):
        store = store_of(instance)
        args = raw if plain else [_from_raw(store, k, v) for k, v in zip(params, raw)]
        if with_caller:
            out = func(Caller(instance, store), *args)
        else:
            out = func(*args)
        if not results:
            if out is not None:
                raise WasmError("callback produced results when it shouldn't")
            return None
        if single:
            return _to_raw(store, results[0], out)
        out = list(out)
        if len(out) != len(results):
            raise WasmError("callback produced wrong number of results")
        return [_to_raw(store, k, v) for k, v in zip(results, out)]

    return adapter


def _host_function(functype: t.FuncType, func: Callable, access_caller: bool,
                   store: _RtStore | None) -> rt_functions.Function:
    """A runtime host function. With a store (Func) values convert through it; without one
    (Linker.define_func) through the store of each importing instance."""
    if store is None:
        adapter = _host_adapter(functype, func, access_caller,
                                lambda instance: instance.store if instance else _RtStore())
        return rt_functions.Function.from_host(functype, adapter, with_caller=True)
    adapter = _host_adapter(functype, func, access_caller, lambda instance: store)
    if access_caller:
        return rt_functions.Function.from_host(functype, adapter, with_caller=True)
    return rt_functions.Function.from_host(functype, lambda *raw: adapter(None, *raw))


# ---- globals, memories, tables ----------------------------------------------------------------

class Global:
    def __init__(self, store: Store, ty: GlobalType, val: Any):
        if not isinstance(ty, GlobalType):
            raise TypeError("expected a GlobalType")
        kind = ty._type.valtype
        self._global = _RtGlobal(ty._type, _to_bits(_rt_store(store), kind, val))

    @classmethod
    def _wrap(cls, glob: _RtGlobal) -> "Global":
        obj = cls.__new__(cls)
        obj._global = glob
        return obj

    def type(self, store=None) -> GlobalType:
        return GlobalType._wrap(self._global.type)

    def value(self, store) -> Any:
        g = self._global
        return _from_bits(_rt_store(store), g.type.valtype, g.bits)

    def set_value(self, store, val: Any) -> None:
        g = self._global
        if not g.type.mutable:
            raise WasmError("cannot set the value of an immutable global")
        g.bits = _to_bits(_rt_store(store), g.type.valtype, val)


class Memory:
    def __init__(self, store: Store, ty: MemoryType):
        if not isinstance(ty, MemoryType):
            raise TypeError("expected a MemoryType")
        _rt_store(store)
        self._memory = LinearMemory(ty._type)

    @classmethod
    def _wrap(cls, memory: LinearMemory) -> "Memory":
        obj = cls.__new__(cls)
        obj._memory = memory
        return obj

    def type(self, store=None) -> MemoryType:
        return MemoryType._wrap(t.MemoryType(t.Limits(self._memory.pages,
                                                      self._memory.type.limits.max)))

    def grow(self, store, delta: int) -> int:
        if delta < 0:
            raise WasmError("cannot grow by negative amount")
        old = self._memory.grow(delta)
        if old < 0:
            raise WasmError(f"failed to grow memory by {delta} pages")
        return old

    def size(self, store=None) -> int:
        return self._memory.pages

    def data_len(self, store=None) -> int:
        return self._memory.length

    def data_ptr(self, store=None):
        return ctypes.cast(self._memory.base, ctypes.POINTER(ctypes.c_ubyte))

    def page_size(self, store=None) -> int:
        return WASM_PAGE_SIZE

    def get_buffer_ptr(self, store=None, size: int | None = None, offset: int = 0):
        if size is None:
            size = self._memory.length
        return (ctypes.c_ubyte * size).from_address(self._memory.base + offset)

    def read(self, store, start: int | None = 0, stop: int | None = None) -> bytearray:
        start, stop, _ = slice(start, stop).indices(self._memory.length)
        if stop <= start:
            return bytearray()
        return bytearray(ctypes.string_at(self._memory.base + start, stop - start))

    def write(self, store, value, start: int | None = None) -> int:
        size = self._memory.length
        start = slice(start, None).indices(size)[0]
        data = bytes(value)
        if start >= size or start + len(data) > size:
            raise IndexError("index out of range")
        ctypes.memmove(self._memory.base + start, data, len(data))
        return len(data)


class Table:
    def __init__(self, store: Store, ty: TableType, init: Any):
        if not isinstance(ty, TableType):
            raise TypeError("expected a TableType")
        raw = _to_raw(_rt_store(store), ty._type.elem_type, init)
        self._table = _RtTable(ty._type, raw)

    @classmethod
    def _wrap(cls, table: _RtTable) -> "Table":
        obj = cls.__new__(cls)
        obj._table = table
        return obj

    def type(self, store=None) -> TableType:
        table = self._table
        return TableType._wrap(t.TableType(table.type.elem_type,
                                           t.Limits(table.size, table.type.limits.max)))

    def size(self, store=None) -> int:
        return self._table.size

    def grow(self, store, amt: int, init: Any) -> int:
        table = self._table
        old = table.grow(amt, _to_raw(_rt_store(store), table.type.elem_type, init))
        if old < 0:
            raise WasmError(f"failed to grow table by {amt} elements")
        return old

    def get(self, store, idx: int) -> Any:
        table = self._table
        if not 0 <= idx < table.size:
            return None
        return _from_raw(_rt_store(store), table.type.elem_type, table.get(idx))

    def set(self, store, idx: int, val: Any) -> None:
        table = self._table
        raw = _to_raw(_rt_store(store), table.type.elem_type, val)
        if not 0 <= idx < table.size:
            raise WasmError("table index out of bounds")
        table.set(idx, raw)


_WRAPPERS = {rt_functions.Function: Func, _RtTable: Table, LinearMemory: Memory,
             _RtGlobal: Global}


def _wrap_extern(extern):
    return _WRAPPERS[type(extern)]._wrap(extern)


def _unwrap_extern(item):
    for attr in ("_func", "_table", "_memory", "_global"):
        inner = getattr(item, attr, None)
        if inner is not None:
            return inner
    raise TypeError(f"expected an external item (Func, Table, Memory, Global), got {item!r}")


# ---- modules and instances ------------------------------------------------------------------

def wat2wasm(wat: str | bytes) -> bytes:
    """The binary of a text-format module (needs `wasm-tools`, as the CLI does)."""
    import subprocess

    from .wast.conversion import WASM_TOOLS_HINT, find_wasm_tools

    executable = find_wasm_tools()
    if executable is None:
        raise WasmError(WASM_TOOLS_HINT)
    text = wat.encode() if isinstance(wat, str) else bytes(wat)
    proc = subprocess.run([executable, "parse", "-"], input=text, capture_output=True)
    if proc.returncode != 0:
        raise WasmError(proc.stderr.decode(errors="replace").strip())
    return proc.stdout


def _to_wasm(wasm) -> bytes:
    if isinstance(wasm, str):
        return wat2wasm(wasm)
    if not isinstance(wasm, (bytes, bytearray, memoryview)):
        raise TypeError("expected wasm bytes")
    wasm = bytes(wasm)
    if wasm and wasm[0] != 0:
        return wat2wasm(wasm)
    return wasm


class Module:
    """A validated, compiled module (raises DecodeError/ValidationError, both WasmtimeError)."""

    def __init__(self, engine: Engine, wasm):
        if not isinstance(engine, Engine):
            raise TypeError("expected an Engine")
        self.engine = engine
        self._module = _RtModule(_to_wasm(wasm))

    @classmethod
    def from_file(cls, engine: Engine, path: str | bytes | PathLike) -> "Module":
        with open(path, "rb") as f:
            return cls(engine, f.read())

    @classmethod
    def validate(cls, engine: Engine, wasm) -> None:
        from .binary import decode_module
        from .validation import validate_module

        validate_module(decode_module(_to_wasm(wasm)))

    @property
    def name(self) -> str | None:
        return self._module.name

    @property
    def imports(self) -> list:
        info = self._module.info
        out = []
        for imp in info.imports:
            desc = info.types[imp.desc] if imp.kind == t.EXTERN_FUNC else imp.desc
            out.append(ImportType(imp.module, imp.name, _extern_type(imp.kind, desc)))
        return out

    @property
    def exports(self) -> list:
        info = self._module.info
        spaces = {t.EXTERN_FUNC: info.func_types, t.EXTERN_TABLE: info.table_types,
                  t.EXTERN_MEMORY: info.memory_types, t.EXTERN_GLOBAL: info.global_types}
        return [ExportType(e.name, _extern_type(e.kind, spaces[e.kind][e.index]))
                for e in info.exports]


class InstanceExports(Mapping):
    """Exports by name (`exports["f"]`, `.get`) and in order (`by_index`)."""

    def __init__(self, instance: _RtInstance):
        self._map = {name: _wrap_extern(e) for name, e in instance.exports.items()}
        self._seq = tuple(self._map.values())

    @property
    def by_index(self) -> Sequence:
        return self._seq

    def __getitem__(self, key):
        if isinstance(key, int):
            return self._seq[key]
        return self._map[key]

    def __len__(self) -> int:
        return len(self._seq)

    def __iter__(self) -> Iterator[str]:
        return iter(self._map)


class Instance:
    def __init__(self, store: Store, module: Module, imports: Sequence):
        if not isinstance(module, Module):
            raise TypeError("expected a Module")
        externs = [_unwrap_extern(item) for item in imports]
        self._instance = _RtInstance(_rt_store(store), module._module, externs)
        self._exports = None

    @classmethod
    def _wrap(cls, instance: _RtInstance) -> "Instance":
        obj = cls.__new__(cls)
        obj._instance = instance
        obj._exports = None
        return obj

    def exports(self, store=None) -> InstanceExports:
        if self._exports is None:
            self._exports = InstanceExports(self._instance)
        return self._exports


class Linker:
    def __init__(self, engine: Engine):
        self.engine = engine
        self._linker = _RtLinker()

    @property
    def allow_shadowing(self) -> bool:
        return self._linker.allow_shadowing

    @allow_shadowing.setter
    def allow_shadowing(self, allow: bool) -> None:
        self._linker.allow_shadowing = bool(allow)

    def define(self, store, module: str, name: str, item) -> None:
        self._linker.define(module, name, _unwrap_extern(item))

    def define_func(self, module: str, name: str, ty: FuncType, func: Callable,
                    access_caller: bool = False) -> None:
        """A host function usable from any store: values convert through the store of the
        instance that imports it."""
        if not isinstance(ty, FuncType):
            raise TypeError("expected a FuncType")
        self._linker.define(module, name, _host_function(ty._type, func, access_caller, None))

    def define_instance(self, store, name: str, instance: Instance) -> None:
        if not isinstance(instance, Instance):
            raise TypeError("expected an `Instance`")
        self._linker.define_exports(name, instance._instance.exports)

    def instantiate(self, store, module: Module) -> Instance:
        externs = self._linker.resolve(module._module.info)
        return Instance._wrap(_RtInstance(_rt_store(store), module._module, externs))

    def get(self, store, module: str, name: str):
        extern = self._linker.get(module, name)
        if extern is None:
            raise WasmError("item not defined in linker")
        return _wrap_extern(extern)

    def get_default(self, store, name: str) -> Func:
        extern = self._linker.get(name, "")
        if extern is None:
            raise WasmError(f"no default export for {name!r}")
        return _wrap_extern(extern)
