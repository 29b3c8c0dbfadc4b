"""External types: FuncType, GlobalType, TableType, MemoryType, Limits, ImportType, ExportType.

Each wraps the decoder's NamedTuple (binary/types.py), which is what the runtime compares.
"""

from ..binary import types as t
from ..errors import WasmtimeError
from ..runtime.memory import MAX_PAGES_32
from .managed import Managed
from .values import ValType, valtype_kinds

WASM_PAGE_SIZE_LOG2 = 16


class FuncType(Managed):
    def __init__(self, params, results):
        self._type = t.FuncType(valtype_kinds(params), valtype_kinds(results))

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

    def __hash__(self) -> int:
        return hash(self._type)

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


def _limits(limits) -> t.Limits:
    if not isinstance(limits, Limits):
        raise TypeError("expected Limits")
    if limits.max is not None and limits.min > limits.max:
        raise WasmtimeError("size minimum must not be greater than maximum")
    return t.Limits(limits.min, limits.max)


class GlobalType(Managed):
    def __init__(self, valtype: ValType, mutable: bool):
        self._type = t.GlobalType(valtype_kinds([valtype])[0], bool(mutable))

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

    def __eq__(self, other) -> bool:
        return isinstance(other, GlobalType) and self._type == other._type

    def __hash__(self) -> int:
        return hash(self._type)


class TableType(Managed):
    def __init__(self, valtype: ValType, limits: Limits):
        kind = valtype_kinds([valtype])[0]
        if kind not in t.REF_TYPES:
            raise WasmtimeError(f"table elements must be references, not {valtype}")
        self._type = t.TableType(kind, _limits(limits))

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


class MemoryType(Managed):
    """A 32-bit, unshared memory of 64 KiB pages (memory64, shared memories and custom page sizes
    are proposals jitwasm does not implement: asking for them raises WasmtimeError)."""

    def __init__(self, limits: Limits, is_64: bool = False, shared: bool = False,
                 page_size_log2: int = WASM_PAGE_SIZE_LOG2):
        if is_64:
            raise WasmtimeError("64-bit memories (memory64) are not supported by jitwasm")
        if shared:
            raise WasmtimeError("shared memories (threads) are not supported by jitwasm")
        if page_size_log2 != WASM_PAGE_SIZE_LOG2:
            raise WasmtimeError("custom page sizes are not supported by jitwasm")
        self._type = t.MemoryType(_limits(limits))
        if max(limits.min, limits.max or 0) > MAX_PAGES_32:
            raise WasmtimeError(f"memory size must be at most {MAX_PAGES_32} pages (4GiB)")

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

    @property
    def page_size(self) -> int:
        return 1 << WASM_PAGE_SIZE_LOG2

    @property
    def page_size_log2(self) -> int:
        return WASM_PAGE_SIZE_LOG2


_EXTERN_TYPES = {t.EXTERN_FUNC: FuncType, t.EXTERN_TABLE: TableType, t.EXTERN_MEMORY: MemoryType,
                 t.EXTERN_GLOBAL: GlobalType}


def extern_type(kind: int, desc):
    """The API type object of an import's or export's description."""
    return _EXTERN_TYPES[kind]._wrap(desc)


class ImportType(Managed):
    __slots__ = ("module", "name", "type")

    def __init__(self, module: str, name: str, type_):
        self.module = module
        self.name = name
        self.type = type_

    def __repr__(self) -> str:
        return f"ImportType({self.module!r}, {self.name!r}, {self.type!r})"


class ExportType(Managed):
    __slots__ = ("name", "type")

    def __init__(self, name: str, type_):
        self.name = name
        self.type = type_

    def __repr__(self) -> str:
        return f"ExportType({self.name!r}, {self.type!r})"
