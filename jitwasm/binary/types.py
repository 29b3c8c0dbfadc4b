"""Wasm types as plain ints and tuples, so hot loops compare ints instead of objects.

Value types use their binary encoding byte, which keeps decoding a table lookup.
"""

from collections import namedtuple

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


class FuncType(namedtuple("FuncType", "params results")):
    """A function signature (tuples of valtype ints); hashable, so equal signatures
    canonicalise through a dict."""
    __slots__ = ()

    def __str__(self) -> str:
        p = " ".join(VALTYPE_NAMES[t] for t in self.params)
        r = " ".join(VALTYPE_NAMES[t] for t in self.results)
        return f"[{p}] -> [{r}]"


class Limits(namedtuple("Limits", "min max")):
    """min and max (None: unbounded) of a table (elements) or memory (64 KiB pages)."""
    __slots__ = ()


class TableType(namedtuple("TableType", "elem_type limits")):
    """elem_type: FUNCREF or EXTERNREF; limits: a Limits."""
    __slots__ = ()


class MemoryType(namedtuple("MemoryType", "limits")):
    """limits: a Limits in 64 KiB pages."""
    __slots__ = ()


class GlobalType(namedtuple("GlobalType", "valtype mutable")):
    __slots__ = ()


def valtype_name(t: int) -> str:
    return VALTYPE_NAMES.get(t, f"<0x{t:02x}>")
