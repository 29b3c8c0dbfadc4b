"""Host calls the `os` module lacks: utimensat/futimens with UTIME_NOW and UTIME_OMIT.

`os.utime` always sets both timestamps; WASI can set one, leave the other (OMIT) or use the
kernel's clock (NOW), so libc's utimensat is called through ctypes (Linux constants).
"""

import ctypes
import os

from . import abi
from .errno import EINVAL, ErrnoError

UTIME_NOW = (1 << 30) - 1
UTIME_OMIT = (1 << 30) - 2
AT_SYMLINK_NOFOLLOW = 0x100
_FSTFLAGS_ALL = (abi.FSTFLAGS_ATIM | abi.FSTFLAGS_ATIM_NOW | abi.FSTFLAGS_MTIM
                 | abi.FSTFLAGS_MTIM_NOW)


class _Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


_TimespecPair = _Timespec * 2
_libc = ctypes.CDLL(None, use_errno=True)
_utimensat = _libc.utimensat
_utimensat.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.POINTER(_TimespecPair), ctypes.c_int]
_utimensat.restype = ctypes.c_int
_futimens = _libc.futimens          # glibc's utimensat refuses a NULL path
_futimens.argtypes = [ctypes.c_int, ctypes.POINTER(_TimespecPair)]
_futimens.restype = ctypes.c_int


def _timespec(ts: int, set_flag: int, now_flag: int, fst_flags: int) -> tuple:
    if fst_flags & now_flag:
        if fst_flags & set_flag:
            raise ErrnoError(EINVAL)
        return 0, UTIME_NOW
    if fst_flags & set_flag:
        return divmod(ts, 1_000_000_000)
    return 0, UTIME_OMIT


def timespecs(atim: int, mtim: int, fst_flags: int):
    """The utimensat argument for WASI times (ns) and fstflags; EINVAL for bad flags.

    Checked before the fd and the path, as wasmtime does.
    """
    if fst_flags & ~_FSTFLAGS_ALL:
        raise ErrnoError(EINVAL)
    return _TimespecPair(
        _Timespec(*_timespec(atim, abi.FSTFLAGS_ATIM, abi.FSTFLAGS_ATIM_NOW, fst_flags)),
        _Timespec(*_timespec(mtim, abi.FSTFLAGS_MTIM, abi.FSTFLAGS_MTIM_NOW, fst_flags)))


def set_times(dir_fd: int, name, times, follow: bool) -> None:
    """utimensat(dir_fd, name), or futimens(dir_fd) when name is None."""
    if name is None:
        failed = _futimens(dir_fd, ctypes.byref(times))
    else:
        flags = 0 if follow else AT_SYMLINK_NOFOLLOW
        failed = _utimensat(dir_fd, os.fsencode(name), ctypes.byref(times), flags)
    if failed:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
