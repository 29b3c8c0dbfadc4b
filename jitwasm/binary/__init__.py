"""The Wasm binary format: `decode_module(bytes) -> ModuleInfo` and the types it is made of."""

from .decoder import decode_module
from .module import (
    DATA_ACTIVE, DATA_PASSIVE, ELEM_ACTIVE, ELEM_DECLARATIVE, ELEM_PASSIVE, ConstExpr,
    CustomSection, DataSegment, ElementSegment, Export, FuncBody, Global, Import, ModuleInfo,
    NameSection,
)
from .types import (
    EXTERN_FUNC, EXTERN_GLOBAL, EXTERN_MEMORY, EXTERN_TABLE, EXTERNREF, F32, F64, FUNCREF, I32,
    I64, V128, FuncType, GlobalType, Limits, MemoryType, TableType,
)

__all__ = [
    "decode_module",
    "ModuleInfo", "ConstExpr", "Import", "Export", "Global", "FuncBody", "ElementSegment",
    "DataSegment", "CustomSection", "NameSection",
    "ELEM_PASSIVE", "ELEM_ACTIVE", "ELEM_DECLARATIVE", "DATA_ACTIVE", "DATA_PASSIVE",
    "FuncType", "Limits", "TableType", "MemoryType", "GlobalType",
    "I32", "I64", "F32", "F64", "V128", "FUNCREF", "EXTERNREF",
    "EXTERN_FUNC", "EXTERN_TABLE", "EXTERN_MEMORY", "EXTERN_GLOBAL",
]
