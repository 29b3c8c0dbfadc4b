"""A decode-only walk over instructions, used after a typing error has been found.

The spec decodes the whole module before validating it, so a body that is malformed further
on must be reported as malformed (DecodeError) even if a typing error comes first. The body
validator decodes and types in one pass; when it meets a typing error it asks this walk
whether the rest of the module is well formed. Error paths only: speed does not matter here.
"""

from ..binary import opcodes as op
from ..errors import DecodeError

_OPENERS = frozenset((op.BLOCK, op.LOOP, op.IF))
_NEEDS_DATA_COUNT = frozenset((op.MEMORY_INIT, op.DATA_DROP))


def check_well_formed(code: bytes, pos: int, depth: int, has_data_count: bool) -> None:
    """Decode `code` (one body's instructions) from `pos`, inside `depth` open blocks (the
    body itself counts as one), up to the final `end`. Offsets in errors are relative to
    `code`."""
    n = len(code)
    while True:
        if pos >= n:
            raise DecodeError("unexpected end of section or function", n)
        opcode, npos = op.read_opcode(code, pos)
        if opcode in _OPENERS:
            depth += 1
        elif opcode == op.END:
            depth -= 1
            if depth == 0:
                if npos != n:
                    raise DecodeError("section size mismatch", npos)
                return
        elif opcode in _NEEDS_DATA_COUNT and not has_data_count:
            raise DecodeError("data count section required", pos)
        try:
            pos = op.skip_immediates(code, npos, opcode)
        except IndexError:
            raise DecodeError("unexpected end of section or function", n) from None


def instruction_start(code: bytes, pos: int) -> int:
    """Offset of the instruction that was being decoded when the reader stood at `pos`.

    The validator does not keep instruction starts (one store per instruction on the hot
    path); on an error it re-walks the body, whose earlier instructions are known to decode.
    """
    start = 0
    while True:
        try:
            opcode, npos = op.read_opcode(code, start)
            nxt = op.skip_immediates(code, npos, opcode)
        except (DecodeError, IndexError):
            return start
        if nxt >= pos:
            return start
        start = nxt
