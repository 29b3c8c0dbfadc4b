"""Bounds-checked access to guest linear memory, given per call as a memoryview or bytearray.

Slicing never raises on a bad range (it truncates) and `unpack_from` with a negative offset
counts from the end, so every range is checked here and a bad one raises ErrnoError(EFAULT).
Pointers arrive unsigned (the syscall wrapper masks them), so only the upper end needs a check.
"""

from .abi import IOVEC
from .errno import EFAULT, EILSEQ, ErrnoError

_IOVEC_UNPACK = IOVEC.unpack_from


def check_range(mem, ptr: int, size: int) -> None:
    if ptr + size > len(mem):
        raise ErrnoError(EFAULT)


def read_bytes(mem, ptr: int, size: int) -> bytes:
    end = ptr + size
    if end > len(mem):
        raise ErrnoError(EFAULT)
    return bytes(mem[ptr:end])


def read_str(mem, ptr: int, size: int) -> str:
    """A UTF-8 string argument (paths); invalid UTF-8 is EILSEQ as in wasmtime."""
    try:
        return read_bytes(mem, ptr, size).decode()
    except UnicodeDecodeError:
        raise ErrnoError(EILSEQ) from None


def write_bytes(mem, ptr: int, data) -> None:
    end = ptr + len(data)
    if end > len(mem):
        raise ErrnoError(EFAULT)
    mem[ptr:end] = data


def iovecs(mem, iovs: int, count: int) -> list:
    """The iovec array at `iovs` as slices aliasing guest memory (empty ones dropped).

    On the path of every fd_read/fd_write, so the checks are inlined.
    """
    if type(mem) is not memoryview:
        mem = memoryview(mem)
    limit = len(mem)
    end = iovs + count * 8
    if end > limit:
        raise ErrnoError(EFAULT)
    buffers = []
    for at in range(iovs, end, 8):
        buf, size = _IOVEC_UNPACK(mem, at)
        if size:
            if buf + size > limit:
                raise ErrnoError(EFAULT)
            buffers.append(mem[buf:buf + size])
    return buffers
