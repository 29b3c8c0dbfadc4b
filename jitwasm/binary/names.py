"""Wasm names (length-prefixed UTF-8) and the `name` custom section.

`read_name` is shared by the decoder (imports, exports, custom section ids) and by the name
section parser. The name section is debug information: a malformed one is ignored (as
wasmtime and V8 do) instead of making the module invalid, so `parse_name_section` returns
None rather than raising.
"""

from ..errors import DecodeError
from .leb128 import read_u32
from .module import NameSection

# Name subsection ids this runtime uses; others (labels, types, tables, ...) are skipped.
SUBSECTION_MODULE = 0
SUBSECTION_FUNCTIONS = 1
SUBSECTION_LOCALS = 2


def read_length(data, pos: int):
    """A u32 length (vector count, byte count), checked against the bytes left in the module.

    As in the spec's reference decoder, a length larger than everything that follows its
    own field is "length out of bounds".
    """
    n = data[pos]
    if n < 0x80:
        npos = pos + 1
    else:
        n, npos = read_u32(data, pos)
    if n > len(data) - pos:
        raise DecodeError("length out of bounds", pos)
    return n, npos


def read_name(data, pos: int):
    """A `name` in `data` (bytes): u32 byte length, then that many bytes of valid UTF-8.

    Returns (str, pos).
    """
    n, start = read_length(data, pos)
    end = start + n
    if end > len(data):
        raise DecodeError("unexpected end", len(data))
    try:
        return data[start:end].decode(), end  # bytes.decode is strict UTF-8
    except UnicodeDecodeError:
        raise DecodeError("malformed UTF-8 encoding", pos) from None


def parse_name_section(data, start: int, end: int):
    """Parse the payload `data[start:end]` of a `name` section; None if it is malformed.

    Only the structure is checked (every subsection consumed exactly by its size, valid
    LEBs and UTF-8); ordering rules on indices are not, since names are only debug help.
    """
    try:
        return _parse(data, start, end)
    except (DecodeError, IndexError):  # IndexError: ran off the end of the module
        return None


def _parse(data, pos: int, end: int) -> NameSection | None:
    names = NameSection()
    while pos < end:
        sub_id = data[pos]
        size, pos = read_length(data, pos + 1)
        sub_end = pos + size
        if sub_end > end:
            return None
        if sub_id == SUBSECTION_MODULE:
            names.module_name, pos = read_name(data, pos)
        elif sub_id == SUBSECTION_FUNCTIONS:
            names.function_names, pos = _read_name_map(data, pos)
        elif sub_id == SUBSECTION_LOCALS:
            count, pos = read_length(data, pos)
            local_names = names.local_names
            for _ in range(count):
                func, pos = read_u32(data, pos)
                local_names[func], pos = _read_name_map(data, pos)
        else:
            pos = sub_end
        if pos != sub_end:
            return None
    return names


def _read_name_map(data, pos: int):
    """vec(index name): the spec's `namemap`, as a dict."""
    count, pos = read_length(data, pos)
    result = {}
    for _ in range(count):
        index, pos = read_u32(data, pos)
        result[index], pos = read_name(data, pos)
    return result, pos
