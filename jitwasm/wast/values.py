"""Values of converted .wast scripts as raw bit patterns, and the spec's result matching.

json-from-wast writes numbers as decimal strings of their bits (f32/f64 too), v128 as a list of
lanes with a lane type, and references as "null" or a host reference number. Everything here
works on bit patterns, so NaN payloads and signed zeros compare exactly.
"""

from ..binary.types import EXTERNREF, F32, F64, FUNCREF, I32, I64, V128

VALTYPES = {"i32": I32, "i64": I64, "f32": F32, "f64": F64, "v128": V128, "funcref": FUNCREF,
            "externref": EXTERNREF}

# lane type -> (bits per lane, float kind or None)
LANES = {"i8": (8, None), "i16": (16, None), "i32": (32, None), "i64": (64, None),
         "f32": (32, F32), "f64": (64, F64)}

# float kind -> (canonical NaN without sign, quiet bit | exponent = the arithmetic NaN mask)
_NAN = {F32: (0x7FC00000, 0x7FC00000), F64: (0x7FF8000000000000, 0x7FF8000000000000)}
_SIGN = {F32: 1 << 31, F64: 1 << 63}
_WIDTH = {I32: 32, I64: 64, F32: 32, F64: 64}


class HostRef:
    """The host reference `ref.extern N` of a script: one object per N (identity matters)."""

    __slots__ = ("n",)

    def __init__(self, n: int):
        self.n = n

    def __repr__(self) -> str:
        return f"ref.extern {self.n}"


def valtype(value: dict) -> int:
    return VALTYPES[value["type"]]


def _number(text: str, bits: int) -> int:
    return int(text) & ((1 << bits) - 1)


def _v128_bits(value: dict) -> int:
    width, _ = LANES[value["lane_type"]]
    out = 0
    for i, lane in enumerate(value["value"]):
        out |= _number(lane, width) << (width * i)
    return out


def arg_bits(value: dict, host_ref) -> int:
    """The bit pattern of an argument; `host_ref(n)` gives the externref handle of ref.extern n."""
    kind = value["type"]
    if kind == "v128":
        return _v128_bits(value)
    if kind in ("externref", "funcref"):
        text = value.get("value", "null")
        if text == "null":
            return 0
        if kind == "funcref":
            raise ValueError("funcref arguments other than null cannot be written in a script")
        return host_ref(int(text))
    return _number(value["value"], _WIDTH[VALTYPES[kind]])


def _float_matches(kind: int, text: str, bits: int) -> bool:
    if text == "nan:canonical":
        return bits & ~_SIGN[kind] == _NAN[kind][0]
    if text == "nan:arithmetic":
        mask = _NAN[kind][1]
        return bits & mask == mask
    return bits == _number(text, _WIDTH[kind])


def result_matches(expected: dict, bits: int, extern_object) -> bool:
    """Whether a result's bits satisfy the expectation; `extern_object(handle)` maps an
    externref result back to its host object."""
    kind = expected["type"]
    if kind in ("f32", "f64"):
        return _float_matches(VALTYPES[kind], expected["value"], bits)
    if kind == "v128":
        width, float_kind = LANES[expected["lane_type"]]
        mask = (1 << width) - 1
        for i, lane in enumerate(expected["value"]):
            got = (bits >> (width * i)) & mask
            if float_kind is not None:
                if not _float_matches(float_kind, lane, got):
                    return False
            elif got != _number(lane, width):
                return False
        return True
    if kind in ("externref", "funcref"):
        text = expected.get("value")
        if text is None:  # (ref.func) / (ref.extern): any non-null reference
            return bits != 0
        if text == "null":
            return bits == 0
        obj = extern_object(bits) if bits else None
        return isinstance(obj, HostRef) and obj.n == int(text)
    return bits == _number(expected["value"], _WIDTH[VALTYPES[kind]])


def format_value(kind: str, bits: int) -> str:
    """A result for failure messages: `i32:0x2a`."""
    return f"{kind}:{bits:#x}"


def format_expected(expected: dict) -> str:
    value = expected.get("value", "")
    if isinstance(value, list):
        value = f"{expected['lane_type']}x{len(value)}[{' '.join(value)}]"
    return f"{expected['type']}:{value}"
