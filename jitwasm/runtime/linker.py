"""Import resolution: matching external values against a module's imports, and the Linker.

Matching follows the spec's import subtyping (Wasm 2.0): functions and globals by equal type,
tables and memories by element type and limits, where the provider's *current* size must be at
least the import's minimum and its maximum (if the import declares one) at most the import's.
Failures raise LinkError with the spec's wording first ("unknown import", "incompatible import
type"), then the import's module and name.
"""

from ..binary.module import Import, ModuleInfo
from ..binary.types import (EXTERN_FUNC, EXTERN_GLOBAL, EXTERN_MEMORY, EXTERN_NAMES, EXTERN_TABLE,
                            VALTYPE_NAMES)
from ..errors import LinkError
from .functions import Function
from .globals import Global
from .linear_memory import LinearMemory
from .table import Table

UNKNOWN_IMPORT = "unknown import"
INCOMPATIBLE = "incompatible import type"

EXTERN_CLASSES = {EXTERN_FUNC: Function, EXTERN_TABLE: Table, EXTERN_MEMORY: LinearMemory,
                  EXTERN_GLOBAL: Global}


def extern_kind(extern) -> int | None:
    for kind, cls in EXTERN_CLASSES.items():
        if isinstance(extern, cls):
            return kind
    return None


def _limits_match(current: int, maximum, expected) -> bool:
    if current < expected.min:
        return False
    if expected.max is None:
        return True
    return maximum is not None and maximum <= expected.max


def _mismatch(info: ModuleInfo, imp: Import, extern) -> str | None:
    """Why `extern` cannot satisfy `imp`, or None if it can."""
    kind = extern_kind(extern)
    if kind != imp.kind:
        got = EXTERN_NAMES.get(kind, type(extern).__name__)
        return f"expected {EXTERN_NAMES[imp.kind]}, got {got}"
    if kind == EXTERN_FUNC:
        expected = info.types[imp.desc]
        if tuple(extern.type) != tuple(expected):
            return f"expected function type {expected}, got {extern.type}"
    elif kind == EXTERN_GLOBAL:
        if extern.type != imp.desc:
            return f"expected global {_global_text(imp.desc)}, got {_global_text(extern.type)}"
    elif kind == EXTERN_TABLE:
        if extern.type.elem_type != imp.desc.elem_type:
            return (f"expected table of {VALTYPE_NAMES[imp.desc.elem_type]}, "
                    f"got {VALTYPE_NAMES[extern.type.elem_type]}")
        if not _limits_match(*extern.limits_now, imp.desc.limits):
            return f"expected table limits {_limits_text(imp.desc.limits)}, got " \
                   f"{_limits_text(extern.limits_now)}"
    elif kind == EXTERN_MEMORY:
        if not _limits_match(*extern.limits_now, imp.desc.limits):
            return f"expected memory limits {_limits_text(imp.desc.limits)}, got " \
                   f"{_limits_text(extern.limits_now)}"
    return None


def _global_text(t) -> str:
    name = VALTYPE_NAMES.get(t.valtype, hex(t.valtype))
    return f"(mut {name})" if t.mutable else name


def _limits_text(limits) -> str:
    low, high = limits
    return f"{low}..{'' if high is None else high}"


def check_imports(info: ModuleInfo, externs) -> list:
    """Check `externs` (one per import, in order) against the module's imports; return them."""
    externs = list(externs)
    if len(externs) != len(info.imports):
        raise LinkError(f"{UNKNOWN_IMPORT}: the module has {len(info.imports)} imports, "
                        f"{len(externs)} were provided")
    for imp, extern in zip(info.imports, externs):
        why = _mismatch(info, imp, extern)
        if why is not None:
            raise LinkError(f"{INCOMPATIBLE} for {imp.module!r} {imp.name!r}: {why}")
    return externs


class Linker:
    """Named definitions (module name, item name) -> extern, resolved against imports."""

    def __init__(self, allow_shadowing: bool = False):
        self.allow_shadowing = allow_shadowing
        self._items: dict = {}

    def define(self, module: str, name: str, extern) -> None:
        if extern_kind(extern) is None:
            raise TypeError(f"cannot define {module}::{name} as {extern!r}: not an extern")
        key = (module, name)
        if key in self._items and not self.allow_shadowing:
            raise LinkError(f"{module}::{name} is already defined")
        self._items[key] = extern

    def define_exports(self, module: str, exports: dict) -> None:
        """Define each export of an instance under `module` (the spec's `register`)."""
        for name, extern in exports.items():
            self.define(module, name, extern)

    def get(self, module: str, name: str):
        return self._items.get((module, name))

    def __contains__(self, key) -> bool:
        return key in self._items

    def resolve(self, info: ModuleInfo) -> list:
        """One extern per import of `info`, checked; LinkError for a missing or mismatched one."""
        externs = []
        for imp in info.imports:
            extern = self._items.get((imp.module, imp.name))
            if extern is None:
                raise LinkError(f"{UNKNOWN_IMPORT} {imp.module!r} {imp.name!r} "
                                f"({EXTERN_NAMES[imp.kind]})")
            externs.append(extern)
        return check_imports(info, externs)
