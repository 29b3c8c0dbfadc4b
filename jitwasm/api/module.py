"""`Module` (decode, validate, compile), `Instance` and its exports, and `wat2wasm`."""

from collections.abc import Iterator, Mapping, Sequence
from os import PathLike

from ..binary import types as t
from ..errors import WasmtimeError
from ..runtime.instance import Instance as RtInstance
from ..runtime.instance import Module as RtModule
from .config import Engine
from .externs import unwrap_extern, wrap_extern
from .functions import stack_budget, stack_budget_of
from .managed import Managed
from .store import rt_store
from .types import ExportType, ImportType, extern_type


def wat2wasm(wat: str | bytes) -> bytearray:
    """The binary of a text-format module (runs `wasm-tools parse`, as the CLI does)."""
    import subprocess

    from ..wast.conversion import WASM_TOOLS_HINT, find_wasm_tools

    executable = find_wasm_tools()
    if executable is None:
        raise WasmtimeError(WASM_TOOLS_HINT)
    text = wat.encode() if isinstance(wat, str) else bytes(wat)
    proc = subprocess.run([executable, "parse", "-"], input=text, capture_output=True)
    if proc.returncode != 0:
        raise WasmtimeError(proc.stderr.decode(errors="replace").strip())
    return bytearray(proc.stdout)


def to_wasm(wasm) -> bytes:
    """Binary module bytes from bytes or text: like wasmtime-py, anything not starting with a
    NUL byte is taken as the text format."""
    if isinstance(wasm, str):
        if wasm and wasm[0] != "\0":
            return bytes(wat2wasm(wasm))
        raise TypeError("expected wasm bytes")
    if not isinstance(wasm, (bytes, bytearray, memoryview)):
        raise TypeError("expected wasm bytes")
    wasm = bytes(wasm)
    return bytes(wat2wasm(wasm)) if wasm and wasm[0] != 0 else wasm


class Module(Managed):
    """A validated, compiled module (DecodeError/ValidationError, both WasmtimeErrors)."""

    __slots__ = ("engine", "_module")

    def __init__(self, engine: Engine, wasm):
        if not isinstance(engine, Engine):
            raise TypeError("expected an Engine")
        self.engine = engine
        wasm, cache = to_wasm(wasm), engine.code_cache
        if cache is None:
            self._module = RtModule(wasm, options=engine.compile_options,
                                    workers=engine.compile_workers)
        else:
            from ..cache.modules import cached_module

            self._module = cached_module(wasm, cache, engine.compile_options,
                                         engine.compile_workers)[0]

    @classmethod
    def from_file(cls, engine: Engine, path: str | bytes | PathLike) -> "Module":
        with open(path, "rb") as f:
            return cls(engine, f.read())

    @classmethod
    def validate(cls, engine: Engine, wasm) -> None:
        """Raise DecodeError/ValidationError (WasmtimeErrors) unless `wasm` is a valid module."""
        from ..binary import decode_module
        from ..validation import validate_module

        if not isinstance(engine, Engine):
            raise TypeError("expected an Engine")
        validate_module(decode_module(to_wasm(wasm)))

    @classmethod
    def deserialize(cls, engine: Engine, encoded) -> "Module":
        """A module from `serialize`'s bytes: checked (checksum, jitwasm version, CPU features,
        the engine's compile options), neither validated nor compiled again."""
        from ..cache import CacheEntryError, cache_key, decode_entry
        from ..cache.modules import module_from_entry

        if not isinstance(engine, Engine):
            raise TypeError("expected an Engine")
        try:
            decoded = decode_entry(bytes(encoded))
            if decoded.key != cache_key(decoded.wasm, engine.compile_options):
                raise CacheEntryError("compiled by another jitwasm version, for another CPU "
                                      "or with other compile options")
        except CacheEntryError as e:
            raise WasmtimeError(f"cannot deserialize the module: {e}") from None
        return cls._wrap(engine, module_from_entry(decoded, engine.compile_options))

    @classmethod
    def _wrap(cls, engine: Engine, module: RtModule) -> "Module":
        """The API Module of a runtime Module made elsewhere (deserialize, the code cache)."""
        obj = cls.__new__(cls)
        obj.engine = engine
        obj._module = module
        return obj

    @classmethod
    def deserialize_file(cls, engine: Engine, path: str) -> "Module":
        with open(path, "rb") as f:
            return cls.deserialize(engine, f.read())

    def serialize(self) -> bytearray:
        """The compiled code (compiled up front if it was lazy), its metadata and the module
        bytes, for `deserialize` (and `jitwasm compile`'s output format)."""
        from ..cache.modules import serialize_module

        module = self._module
        return bytearray(serialize_module(module, module.info.data, self.engine.compile_options))

    @property
    def name(self) -> str | None:
        """The module's name from its `name` section (jitwasm's addition)."""
        return self._module.name

    @property
    def imports(self) -> list:
        info = self._module.info
        out = []
        for imp in info.imports:
            desc = info.types[imp.desc] if imp.kind == t.EXTERN_FUNC else imp.desc
            out.append(ImportType(imp.module, imp.name, extern_type(imp.kind, desc)))
        return out

    @property
    def exports(self) -> list:
        info = self._module.info
        spaces = {t.EXTERN_FUNC: info.func_types, t.EXTERN_TABLE: info.table_types,
                  t.EXTERN_MEMORY: info.memory_types, t.EXTERN_GLOBAL: info.global_types}
        return [ExportType(e.name, extern_type(e.kind, spaces[e.kind][e.index]))
                for e in info.exports]


class InstanceExports(Mapping):
    """Exports by name (`exports["f"]`, `.get`) and in order (`by_index`, or an int key)."""

    def __init__(self, instance: RtInstance):
        self._map = {name: wrap_extern(e) for name, e in instance.exports.items()}
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


def instantiate(store, module: Module, externs: list) -> "Instance":
    """Instantiate with runtime externs (one per import), running the start function with the
    engine's stack budget."""
    rt = rt_store(store)
    with stack_budget(stack_budget_of(store)):
        return Instance._wrap(RtInstance(rt, module._module, externs))


class Instance:
    """An instantiated module; `imports` are Func/Table/Memory/Global objects in import order."""

    __slots__ = ("_instance", "_exports")

    def __init__(self, store, module: Module, imports: Sequence):
        if not isinstance(module, Module):
            raise TypeError("expected a Module")
        externs = [unwrap_extern(item) for item in imports]
        self._instance = instantiate(store, module, externs)._instance
        self._exports = None

    @classmethod
    def _wrap(cls, instance: RtInstance) -> "Instance":
        obj = cls.__new__(cls)
        obj._instance = instance
        obj._exports = None
        return obj

    def exports(self, store=None) -> InstanceExports:
        if self._exports is None:
            self._exports = InstanceExports(self._instance)
        return self._exports
