"""Wasm types as plain ints and tuples, so hot loops compare ints instead of objects.

Value types use their binary encoding byte, which keeps decoding a table lookup.
"""

from typing import NamedTuple

I32 = 0x7F
I64 = 0x7E
F32 = 0x7D
F64 = 0x7C
V128 = 0x7B
FUNCREF = 0x70
EXTERNREF = 0x6F

NUM_TYPES = frozenset((I32, I64, F32, F64))
VEC_TYPES = frozenset((V128,))
REF_TYPES = frozenset((FUNCREF, EXTERNREF))
VALUE_TYPES = NUM_TYPES | VEC_TYPES | REF_TYPES

VALTYPE_NAMES = {
    I32: "i32", I64: "i64", F32: "f32", F64: "f64", V128: "v128",
    FUNCREF: "funcref", EXTERNREF: "externref",
}

# External kinds (import/export descriptors), by binary encoding.
EXTERN_FUNC = 0
EXTERN_TABLE = 1
EXTERN_MEMORY = 2
EXTERN_GLOBAL = 3
EXTERN_NAMES = {EXTERN_FUNC: "func", EXTERN_TABLE: "table", EXTERN_MEMORY: "memory",
                EXTERN_GLOBAL: "global"}


class FuncType(NamedTuple):
    """A function signature; hashable, so equal signatures canonicalise through a dict."""
    params: tuple   # of valtype ints
    results: tuple  # of valtype ints

    def __str__(self) -> str:
        p = " ".join(VALTYPE_NAMES[t] for t in self.params)
        r = " ".join(VALTYPE_NAMES[t] for t in self.results)
        return f"[{p}] -> [{r}]"


class Limits(NamedTuple):
    min: int
    max: int | None


class TableType(NamedTuple):
    elem_type: int  # FUNCREF or EXTERNREF
    limits: Limits


class MemoryType(NamedTuple):
    limits: Limits  # in 64 KiB pages


class GlobalType(NamedTuple):
    valtype: int
    mutable: bool


def valtype_name(t: int) -> str:
    return VALTYPE_NAMES.get(t, f"<0x{t:02x}>")
