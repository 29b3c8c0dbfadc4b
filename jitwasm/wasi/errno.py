"""WASI errno values (witx `errno`) and the mapping from host `OSError`s to them.

`ErrnoError` is the internal way a syscall gives up: every exported function catches it (and
OSError) at its boundary and returns the code, so nothing but `WasiExit` reaches the guest's
caller.
"""

import errno as _host

SUCCESS = 0
E2BIG = 1
EACCES = 2
EADDRINUSE = 3
EADDRNOTAVAIL = 4
EAFNOSUPPORT = 5
EAGAIN = 6
EALREADY = 7
EBADF = 8
EBADMSG = 9
EBUSY = 10
ECANCELED = 11
ECHILD = 12
ECONNABORTED = 13
ECONNREFUSED = 14
ECONNRESET = 15
EDEADLK = 16
EDESTADDRREQ = 17
EDOM = 18
EDQUOT = 19
EEXIST = 20
EFAULT = 21
EFBIG = 22
EHOSTUNREACH = 23
EIDRM = 24
EILSEQ = 25
EINPROGRESS = 26
EINTR = 27
EINVAL = 28
EIO = 29
EISCONN = 30
EISDIR = 31
ELOOP = 32
EMFILE = 33
EMLINK = 34
EMSGSIZE = 35
EMULTIHOP = 36
ENAMETOOLONG = 37
ENETDOWN = 38
ENETRESET = 39
ENETUNREACH = 40
ENFILE = 41
ENOBUFS = 42
ENODEV = 43
ENOENT = 44
ENOEXEC = 45
ENOLCK = 46
ENOLINK = 47
ENOMEM = 48
ENOMSG = 49
ENOPROTOOPT = 50
ENOSPC = 51
ENOSYS = 52
ENOTCONN = 53
ENOTDIR = 54
ENOTEMPTY = 55
ENOTRECOVERABLE = 56
ENOTSOCK = 57
ENOTSUP = 58
ENOTTY = 59
ENXIO = 60
EOVERFLOW = 61
EOWNERDEAD = 62
EPERM = 63
EPIPE = 64
EPROTO = 65
EPROTONOSUPPORT = 66
EPROTOTYPE = 67
ERANGE = 68
EROFS = 69
ESPIPE = 70
ESRCH = 71
ESTALE = 72
ETIMEDOUT = 73
ETXTBSY = 74
EXDEV = 75
ENOTCAPABLE = 76

# WASI names are the POSIX names, so the host table is built by name; host codes WASI lacks
# (e.g. EOPNOTSUPP when it differs from ENOTSUP, EWOULDBLOCK aliases) are added explicitly.
_WASI_BY_NAME = {name: value for name, value in globals().items()
                 if name.startswith("E") and isinstance(value, int)}
HOST_TO_WASI = {getattr(_host, name): value for name, value in _WASI_BY_NAME.items()
                if hasattr(_host, name)}
for _alias, _target in (("EOPNOTSUPP", ENOTSUP), ("EWOULDBLOCK", EAGAIN),
                        ("EDEADLOCK", EDEADLK)):
    if hasattr(_host, _alias):
        HOST_TO_WASI.setdefault(getattr(_host, _alias), _target)

NAMES = {value: name for name, value in _WASI_BY_NAME.items()}
NAMES[SUCCESS] = "SUCCESS"


class ErrnoError(Exception):
    """A syscall fails with `code`; raised deep inside, turned into a return value at the edge."""

    __slots__ = ("code",)

    def __init__(self, code: int):
        self.code = code
        super().__init__(NAMES.get(code, str(code)))


def from_oserror(err: OSError) -> int:
    """The WASI errno for a host error; EIO when the host gives none WASI can express."""
    return HOST_TO_WASI.get(err.errno, EIO)
