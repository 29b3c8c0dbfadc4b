"""Value types and values at the API edge: `ValType`, `Val`, and the conversions between Python
values and what the runtime passes around.

Python sees i32/i64 as ints (signed on the way out), f32/f64 as floats, v128 as an unsigned
128-bit int, externref as any Python object (None is null) and funcref as a `Func` or None. The
runtime sees ints, floats, externref handles and FuncRef addresses (see runtime/store.py).
"""

import struct

from ..binary import types as t
from ..errors import WasmtimeError
from .managed import Managed

_MASK64 = (1 << 64) - 1
_MASK128 = (1 << 128) - 1
PLAIN_KINDS = frozenset((t.I32, t.I64, t.F32, t.F64, t.V128))  # cross without conversion


class ValType(Managed):
    """A value type; one object per type, so `==` and `is` agree. `v128()` is jitwasm's own."""

    __slots__ = ("_kind",)
    _interned: dict = {}

    def __new__(cls, kind: int):
        found = cls._interned.get(kind)
        if found is None:
            if kind not in t.VALUE_TYPES:
                raise WasmtimeError(f"not a value type: {kind!r}")
            found = cls._interned[kind] = object.__new__(cls)
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


def valtype_kinds(types) -> tuple:
    """The binary type codes of a sequence of ValTypes (TypeError for anything else)."""
    kinds = []
    for vt in types:
        if not isinstance(vt, ValType):
            raise TypeError("expected ValType")
        kinds.append(vt._kind)
    return tuple(kinds)


class Val:
    """A typed value, as wasmtime-py's `Val`; plain Python values work wherever a Val does."""

    __slots__ = ("_kind", "_val")

    def __init__(self, kind: int, val: object):
        self._kind = kind
        self._val = val

    @classmethod
    def i32(cls, val: int) -> "Val":
        if not isinstance(val, int):
            raise TypeError("expected an integer")
        return cls(t.I32, signed(val, 32))

    @classmethod
    def i64(cls, val: int) -> "Val":
        if not isinstance(val, int):
            raise TypeError("expected an integer")
        return cls(t.I64, signed(val, 64))

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
        if not isinstance(val, int):
            raise TypeError("expected an integer")
        return cls(t.V128, val & _MASK128)

    @classmethod
    def externref(cls, extern: object) -> "Val":
        return cls(t.EXTERNREF, extern)

    @classmethod
    def funcref(cls, f) -> "Val":
        return cls(t.FUNCREF, f)

    @classmethod
    def ref_null(cls, ty: ValType) -> "Val":
        if ty._kind not in t.REF_TYPES:
            raise WasmtimeError(f"Invalid reference type for `ref_null`: {ty}")
        return cls(ty._kind, None)

    @property
    def value(self) -> object:
        return self._val

    @property
    def type(self) -> ValType:
        return ValType(self._kind)

    def _as(self, kind: int):
        return self._val if self._kind == kind else None

    def as_i32(self) -> int | None:
        return self._as(t.I32)

    def as_i64(self) -> int | None:
        return self._as(t.I64)

    def as_f32(self) -> float | None:
        return self._as(t.F32)

    def as_f64(self) -> float | None:
        return self._as(t.F64)

    def as_v128(self) -> int | None:
        return self._as(t.V128)

    def as_externref(self) -> object:
        return self._as(t.EXTERNREF)

    def as_funcref(self):
        return self._as(t.FUNCREF)

    def __eq__(self, other) -> bool:
        if isinstance(other, Val):
            return self._kind == other._kind and self._val == other._val
        return self._val == other

    def __hash__(self) -> int:
        return hash((self._kind, self._val))

    def __repr__(self) -> str:
        return f"Val.{t.valtype_name(self._kind)}({self._val!r})"


def signed(value: int, bits: int) -> int:
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


def to_raw(store, kind: int, value):
    """A Python value (or Val) as the runtime passes it: int, float, handle or FuncRef address.

    `store` (a runtime Store) is needed only for references.
    """
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
        from .functions import Func  # functions.py imports this module

        if not isinstance(value, Func):
            raise TypeError(f"don't know how to convert {value!r} to funcref")
        return store.funcref(value._func)
    if kind in (t.F32, t.F64):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    elif isinstance(value, int):
        return value
    raise TypeError(f"don't know how to convert {value!r} to {t.valtype_name(kind)}")


def from_raw(store, kind: int, raw):
    """The Python value of a runtime value."""
    if kind == t.EXTERNREF:
        return store.externrefs.lookup(raw)
    if kind == t.FUNCREF:
        from .functions import Func

        func = store.function_at(raw)
        return None if func is None else Func._wrap(func)
    return raw


_BITS_FORMATS = {t.F32: ("<f", "<I"), t.F64: ("<d", "<Q")}


def to_bits(store, kind: int, value) -> int:
    """A Python value as the raw bit pattern a global cell or table slot holds."""
    raw = to_raw(store, kind, value)
    formats = _BITS_FORMATS.get(kind)
    if formats is not None:
        return struct.unpack(formats[1], struct.pack(formats[0], raw))[0]
    return raw & (_MASK128 if kind == t.V128 else _MASK64)


def from_bits(store, kind: int, bits: int):
    formats = _BITS_FORMATS.get(kind)
    if formats is not None:
        return struct.unpack(formats[0], struct.pack(formats[1], bits))[0]
    if kind == t.I32:
        return signed(bits, 32)
    if kind == t.I64:
        return signed(bits, 64)
    return from_raw(store, kind, bits)


def check_arity(given: int, expected: int) -> None:
    if given > expected:
        raise WasmtimeError(f"too many parameters provided: given {given}, expected {expected}")
    if given < expected:
        raise WasmtimeError(f"too few parameters provided: given {given}, expected {expected}")
