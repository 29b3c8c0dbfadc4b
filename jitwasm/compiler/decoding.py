"""Immediate readers for bodies that already passed validation.

u32/s32 immediates use the unrolled readers of binary/leb128.py (one comparison for the
dominant one-byte case, no loop for padded 5-byte ones); `read_signed` is the unchecked loop
for the wider signed immediates (s33 block types, i64.const), which the validator has checked.
"""

from ..binary.leb128 import read_u32
from ..binary.types import VALUE_TYPES

_EMPTY = ((), ())
_SINGLE = {t: ((), (t,)) for t in VALUE_TYPES}


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


def read_memarg(code, pos: int):
    """(offset, position after) of a load/store memarg; its alignment is only a hint. Both
    LEBs are almost always one byte: no call then."""
    if code[pos] < 0x80:
        pos += 1
    else:
        pos = read_u32(code, pos)[1]
    offset = code[pos]
    if offset < 0x80:
        return offset, pos + 1
    high = code[pos + 1]
    if high < 0x80:  # two bytes (offsets below 16 KiB: struct fields): no call
        return offset & 0x7F | high << 7, pos + 2
    return read_u32(code, pos)


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


__all__ = ["read_u32", "read_signed", "read_memarg", "block_type"]
