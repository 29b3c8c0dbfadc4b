"""Immediate readers for bodies that already passed validation (no range or length checks).

The validator has enforced every LEB128 rule, so the compiler decodes with the shortest loop;
the one-byte case, which dominates real code, returns after one comparison.
"""

from ..binary.types import VALUE_TYPES

_EMPTY = ((), ())
_SINGLE = {t: ((), (t,)) for t in VALUE_TYPES}


def read_u32(code, pos: int):
    b = code[pos]
    if b < 0x80:
        return b, pos + 1
    result = b & 0x7F
    shift = 7
    while True:
        pos += 1
        b = code[pos]
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos + 1
        shift += 7


def read_signed(code, pos: int):
    """Signed LEB128 of any width (s32, s33, s64)."""
    result = 0
    shift = 0
    while True:
        b = code[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            if b & 0x40:
                result -= 1 << shift
            return result, pos


def block_type(code, pos: int, types: list):
    """(params, results, new_pos) of a block type: empty, one value type, or a type index."""
    b = code[pos]
    if b == 0x40:
        return (), (), pos + 1
    single = _SINGLE.get(b)
    if single is not None:
        return single[0], single[1], pos + 1
    index, pos = read_signed(code, pos)
    ft = types[index]
    return ft.params, ft.results, pos


__all__ = ["read_u32", "read_signed", "block_type"]
