"""ctypes bindings to the few libc calls the runtime needs, plus Linux x86-64 constants and layouts.

Everything that touches the OS below Python's own modules goes through here, so struct layouts
(`struct sigaction`, `stack_t`, `ucontext_t`, `siginfo_t`) and their offsets are written down once.
The layouts are those of glibc on Linux x86-64, the only host jitwasm generates code for.
"""

import ctypes
import os
import signal
import sys

if sys.platform != "linux" or ctypes.sizeof(ctypes.c_void_p) != 8:
    raise ImportError("jitwasm's native layer supports Linux x86-64 only")

libc = ctypes.CDLL(None, use_errno=True)

# ---- memory mapping -------------------------------------------------------------------------

PROT_NONE = 0x0
PROT_READ = 0x1
PROT_WRITE = 0x2
PROT_EXEC = 0x4
PROT_RW = PROT_READ | PROT_WRITE
PROT_RX = PROT_READ | PROT_EXEC

MAP_SHARED = 0x01
MAP_PRIVATE = 0x02
MAP_FIXED = 0x10
MAP_ANONYMOUS = 0x20
MAP_NORESERVE = 0x4000
MAP_FAILED = (1 << 64) - 1

MADV_DONTNEED = 4

PAGE_SIZE = os.sysconf("SC_PAGESIZE")

_mmap = libc.mmap
_mmap.restype = ctypes.c_void_p
_mmap.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                  ctypes.c_long)
_munmap = libc.munmap
_munmap.restype = ctypes.c_int
_munmap.argtypes = (ctypes.c_void_p, ctypes.c_size_t)
_mprotect = libc.mprotect
_mprotect.restype = ctypes.c_int
_mprotect.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
_madvise = libc.madvise
_madvise.restype = ctypes.c_int
_madvise.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)


def _oserror(what: str) -> OSError:
    err = ctypes.get_errno()
    return OSError(err, f"{what}: {os.strerror(err)}")


def page_align(size: int) -> int:
    """`size` rounded up to a whole number of OS pages."""
    return (size + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1)


def mmap(size: int, prot: int, flags: int = MAP_PRIVATE | MAP_ANONYMOUS) -> int:
    """Map `size` bytes of anonymous memory; return the address or raise OSError."""
    addr = _mmap(None, size, prot, flags, -1, 0)
    if addr is None or addr == MAP_FAILED:
        raise _oserror(f"mmap of {size} bytes")
    return addr


def munmap(addr: int, size: int) -> None:
    if _munmap(addr, size) != 0:
        raise _oserror("munmap")


def mprotect(addr: int, size: int, prot: int) -> None:
    if _mprotect(addr, size, prot) != 0:
        raise _oserror("mprotect")


def madvise(addr: int, size: int, advice: int) -> None:
    if _madvise(addr, size, advice) != 0:
        raise _oserror("madvise")


memmove = ctypes.memmove
memset = ctypes.memset

# ---- signals --------------------------------------------------------------------------------

SIGILL = int(signal.SIGILL)
SIGBUS = int(signal.SIGBUS)
SIGFPE = int(signal.SIGFPE)
SIGSEGV = int(signal.SIGSEGV)
NSIG = 65

SIG_DFL = 0
SIG_IGN = 1

SA_SIGINFO = 0x00000004
SA_ONSTACK = 0x08000000
SA_RESTART = 0x10000000
SA_NODEFER = 0x40000000

SS_ONSTACK = 1
SS_DISABLE = 2


class SigAction(ctypes.Structure):
    """glibc's `struct sigaction` (152 bytes); glibc's sigaction() fills in sa_restorer itself."""

    _fields_ = [
        ("sa_handler", ctypes.c_void_p),  # union with sa_sigaction
        ("sa_mask", ctypes.c_uint64 * 16),  # sigset_t: 1024 bits
        ("sa_flags", ctypes.c_int),
        ("sa_restorer", ctypes.c_void_p),
    ]


class StackT(ctypes.Structure):
    """`stack_t`, the alternate signal stack descriptor."""

    _fields_ = [
        ("ss_sp", ctypes.c_void_p),
        ("ss_flags", ctypes.c_int),
        ("ss_size", ctypes.c_size_t),
    ]


assert ctypes.sizeof(SigAction) == 152 and ctypes.sizeof(StackT) == 24

SIGACTION_HANDLER = SigAction.sa_handler.offset
SIGACTION_FLAGS = SigAction.sa_flags.offset

_sigaction = libc.sigaction
_sigaction.restype = ctypes.c_int
_sigaction.argtypes = (ctypes.c_int, ctypes.POINTER(SigAction), ctypes.POINTER(SigAction))
_sigaltstack = libc.sigaltstack
_sigaltstack.restype = ctypes.c_int
_sigaltstack.argtypes = (ctypes.POINTER(StackT), ctypes.POINTER(StackT))


def sigaction(signum: int, new: SigAction | None) -> SigAction:
    """Install `new` (None: only query) for `signum`; return the previous action."""
    old = SigAction()
    if _sigaction(signum, new, old) != 0:
        raise _oserror(f"sigaction({signum})")
    return old


def sigaltstack(new: StackT | None) -> StackT:
    """Install `new` (None: only query) as this thread's alternate signal stack; return the old."""
    old = StackT()
    if _sigaltstack(new, old) != 0:
        raise _oserror("sigaltstack")
    return old


def function_address(fn) -> int:
    """Entry address of a ctypes foreign function (a libc symbol or a CFUNCTYPE object)."""
    return ctypes.cast(fn, ctypes.c_void_p).value


SIGACTION_ADDRESS = function_address(_sigaction)

# siginfo_t: int si_signo, si_errno, si_code; then (after padding) the union, whose first field
# for SIGSEGV/SIGBUS/SIGILL/SIGFPE is `void *si_addr`.
SIGINFO_SIGNO = 0
SIGINFO_CODE = 8
SIGINFO_ADDR = 16

# ucontext_t: uc_flags (8), uc_link (8), uc_stack (stack_t, 24), then mcontext_t whose first
# member is gregset_t gregs[23] (<sys/ucontext.h>, REG_* indices below).
UCONTEXT_GREGS = 40
REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15 = range(8)
REG_RDI, REG_RSI, REG_RBP, REG_RBX, REG_RDX, REG_RAX, REG_RCX, REG_RSP, REG_RIP = range(8, 17)
REG_EFL = 17


def ucontext_greg(reg: int) -> int:
    """Offset of general register `reg` (a REG_* index) inside ucontext_t."""
    return UCONTEXT_GREGS + 8 * reg


# ---- threads --------------------------------------------------------------------------------

_pthread_attr_t = ctypes.c_byte * 64  # 56 bytes on x86-64 glibc; padded
_pthread_self = libc.pthread_self
_pthread_self.restype = ctypes.c_ulong
_pthread_self.argtypes = ()
_pthread_getattr_np = libc.pthread_getattr_np
_pthread_getattr_np.restype = ctypes.c_int
_pthread_getattr_np.argtypes = (ctypes.c_ulong, ctypes.c_void_p)
_pthread_attr_getstack = libc.pthread_attr_getstack
_pthread_attr_getstack.restype = ctypes.c_int
_pthread_attr_getstack.argtypes = (ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p),
                                   ctypes.POINTER(ctypes.c_size_t))
_pthread_attr_destroy = libc.pthread_attr_destroy
_pthread_attr_destroy.restype = ctypes.c_int
_pthread_attr_destroy.argtypes = (ctypes.c_void_p,)


def current_thread_stack() -> tuple[int, int]:
    """(lowest address, size) of the calling thread's stack, guard page excluded.

    For the main thread glibc reports the RLIMIT_STACK-sized region the stack may grow into.
    """
    attr = _pthread_attr_t()
    err = _pthread_getattr_np(_pthread_self(), attr)
    if err:
        raise OSError(err, f"pthread_getattr_np: {os.strerror(err)}")
    try:
        low = ctypes.c_void_p()
        size = ctypes.c_size_t()
        err = _pthread_attr_getstack(attr, ctypes.byref(low), ctypes.byref(size))
        if err:
            raise OSError(err, f"pthread_attr_getstack: {os.strerror(err)}")
        return low.value, size.value
    finally:
        _pthread_attr_destroy(attr)
