"""LEB128 readers with the spec's length and range rules.

Each returns `(value, new_pos)`. An encoding longer than ceil(N/7) bytes is "integer
representation too long"; unused bits of the last byte that are not a proper extension are
"integer too large". Both raise DecodeError at the offset of the number.
"""

from ..errors import DecodeError


def _eof(start: int):
    raise DecodeError("unexpected end", start)


def read_u32(data, pos: int):
    """Unsigned 32-bit LEB128. Fast path for the one-byte case, which dominates real code."""
    try:
        b = data[pos]
    except IndexError:
        _eof(pos)
    if b < 0x80:
        return b, pos + 1
    return _read_unsigned(data, pos, 32)


def read_u64(data, pos: int):
    return _read_unsigned(data, pos, 64)


def _read_unsigned(data, pos: int, bits: int):
    start = pos
    result = 0
    shift = 0
    maxbytes = (bits + 6) // 7
    n = len(data)
    for i in range(maxbytes):
        if pos >= n:
            _eof(start if pos == start else pos)
        b = data[pos]
        pos += 1
        if i == maxbytes - 1:
            if b & 0x80:
                raise DecodeError("integer representation too long", start)
            unused = bits - shift  # bits still allowed in this last byte
            if b >> unused:
                raise DecodeError("integer too large", start)
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
    raise DecodeError("integer representation too long", start)  # pragma: no cover


def read_s32(data, pos: int):
    try:
        b = data[pos]
    except IndexError:
        _eof(pos)
    if b < 0x40:
        return b, pos + 1
    if b < 0x80:
        return b - 0x80, pos + 1
    return _read_signed(data, pos, 32)


def read_s64(data, pos: int):
    return _read_signed(data, pos, 64)


def read_s33(data, pos: int):
    """Signed 33-bit, used by block types (type indices)."""
    return _read_signed(data, pos, 33)


def _read_signed(data, pos: int, bits: int):
    start = pos
    result = 0
    shift = 0
    maxbytes = (bits + 6) // 7
    n = len(data)
    for i in range(maxbytes):
        if pos >= n:
            _eof(start if pos == start else pos)
        b = data[pos]
        pos += 1
        if i == maxbytes - 1:
            if b & 0x80:
                raise DecodeError("integer representation too long", start)
            # The remaining high bits of the last byte must all equal the sign bit.
            used = bits - shift            # value bits carried by this byte (1..7)
            if used < 7:
                rest = b >> (used - 1)     # sign bit and unused bits
                if rest != 0 and rest != (0x7F >> (used - 1)):
                    raise DecodeError("integer too large", start)
        result |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            if b & 0x40:
                result -= 1 << shift
            return result, pos
    raise DecodeError("integer representation too long", start)  # pragma: no cover
