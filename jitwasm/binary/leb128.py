"""LEB128 readers with the spec's length and range rules, shared by the decoder, the
validator and (for validated code) the compiler.

Each `read_*` returns `(value, new_pos)`; `skip_u32`/`skip_s32` return only the new position
(the validator often needs no value). An encoding longer than ceil(N/7) bytes is "integer
representation too long"; unused bits of the last byte that are not a proper extension are
"integer too large". Both raise DecodeError at the offset of the number; running out of
bytes is DecodeError("unexpected end").

The `next_*` variants continue a number whose first byte an iterator over the data has just
returned (the validator walks bodies that way); they run out of bytes with StopIteration.

Speed: u32/s32 are read with an unrolled fast path for every well-formed encoding of 1 to 5
bytes (one-byte values dominate real code; linkers pad relocated indices and offsets to 5
bytes). Only irregular input (too long, too large, truncated) reaches the checked loop, which
owns the rules and the messages. `data` may be bytes or a list of byte values.
"""

from ..errors import DecodeError


def _eof(start: int):
    raise DecodeError("unexpected end", start)


def read_u32(data, pos: int):
    """Unsigned 32-bit LEB128."""
    try:
        b = data[pos]
        if b < 0x80:
            return b, pos + 1
        result = b & 0x7F
        b = data[pos + 1]
        if b < 0x80:
            return result | b << 7, pos + 2
        result |= (b & 0x7F) << 7
        b = data[pos + 2]
        if b < 0x80:
            return result | b << 14, pos + 3
        result |= (b & 0x7F) << 14
        b = data[pos + 3]
        if b < 0x80:
            return result | b << 21, pos + 4
        result |= (b & 0x7F) << 21
        b = data[pos + 4]
        if b < 0x10:
            return result | b << 28, pos + 5
    except IndexError:
        pass
    return _read_unsigned(data, pos, 32)


def skip_u32(data, pos: int) -> int:
    """The position after an unsigned 32-bit LEB128 (checked like read_u32)."""
    try:
        if data[pos] < 0x80:
            return pos + 1
        if data[pos + 1] < 0x80:
            return pos + 2
        if data[pos + 2] < 0x80:
            return pos + 3
        if data[pos + 3] < 0x80:
            return pos + 4
        if data[pos + 4] < 0x10:
            return pos + 5
    except IndexError:
        pass
    return _read_unsigned(data, pos, 32)[1]


def next_u32(it, first: int, data) -> int:
    """The rest of an unsigned 32-bit LEB128 read from `it`, an iterator over `data` that has
    just returned its first byte `first` (>= 0x80). For readers that walk `data` with an
    iterator (the validator); running out of bytes raises StopIteration."""
    result = first & 0x7F
    b = next(it)
    if b < 0x80:
        return result | b << 7
    result |= (b & 0x7F) << 7
    b = next(it)
    if b < 0x80:
        return result | b << 14
    result |= (b & 0x7F) << 14
    b = next(it)
    if b < 0x80:
        return result | b << 21
    result |= (b & 0x7F) << 21
    b = next(it)
    if b < 0x10:
        return result | b << 28
    _read_unsigned(data, iter_position(data, it) - 5, 32)  # raises: too long or too large
    raise AssertionError("unreachable")  # pragma: no cover


def next_skip_u32(it, data) -> None:
    """Skip the rest of an unsigned 32-bit LEB128 whose first byte (>= 0x80) `it`, an
    iterator over `data`, has just returned (checked like read_u32)."""
    if next(it) < 0x80 or next(it) < 0x80 or next(it) < 0x80 or next(it) < 0x10:
        return
    _read_unsigned(data, iter_position(data, it) - 5, 32)  # raises: too long or too large


def next_skip_s32(it, data) -> None:
    """Skip the rest of a signed 32-bit LEB128 whose first byte (>= 0x80) `it`, an iterator
    over `data`, has just returned (checked like read_s32)."""
    if next(it) < 0x80 or next(it) < 0x80 or next(it) < 0x80:
        return
    b = next(it)
    if b < 0x08 or 0x78 <= b < 0x80:
        return
    _read_signed(data, iter_position(data, it) - 5, 32)  # raises: too long or too large


def iter_position(data, it) -> int:
    """Where the iterator `it` over `data` (bytes) stands: the index of its next byte."""
    return len(data) - it.__length_hint__()


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
    """Signed 32-bit LEB128."""
    try:
        b = data[pos]
        if b < 0x40:
            return b, pos + 1
        if b < 0x80:
            return b - 0x80, pos + 1
        result = b & 0x7F
        b = data[pos + 1]
        if b < 0x80:
            result |= b << 7
            return (result - 0x4000 if b & 0x40 else result), pos + 2
        result |= (b & 0x7F) << 7
        b = data[pos + 2]
        if b < 0x80:
            result |= b << 14
            return (result - 0x20_0000 if b & 0x40 else result), pos + 3
        result |= (b & 0x7F) << 14
        b = data[pos + 3]
        if b < 0x80:
            result |= b << 21
            return (result - 0x1000_0000 if b & 0x40 else result), pos + 4
        result |= (b & 0x7F) << 21
        b = data[pos + 4]
        if b < 0x08:  # the unused high bits of the last byte must extend the sign bit
            return result | b << 28, pos + 5
        if 0x78 <= b < 0x80:
            return (result | b << 28) - 0x8_0000_0000, pos + 5
    except IndexError:
        pass
    return _read_signed(data, pos, 32)


def skip_s32(data, pos: int) -> int:
    """The position after a signed 32-bit LEB128 (checked like read_s32)."""
    try:
        if data[pos] < 0x80:
            return pos + 1
        if data[pos + 1] < 0x80:
            return pos + 2
        if data[pos + 2] < 0x80:
            return pos + 3
        if data[pos + 3] < 0x80:
            return pos + 4
        b = data[pos + 4]
        if b < 0x08 or 0x78 <= b < 0x80:
            return pos + 5
    except IndexError:
        pass
    return _read_signed(data, pos, 32)[1]


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
