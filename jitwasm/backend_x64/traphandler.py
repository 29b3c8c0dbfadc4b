"""The SIGSEGV/SIGBUS/SIGILL/SIGFPE handler, generated as machine code, and its installation.

A handler written in Python cannot run inside a signal (ctypes callbacks need the GIL, which the
faulting thread may not hold, and are not async-signal-safe), so the handler is a few dozen
instructions that only read memory:

- A fault raised by the kernel (si_code > 0) whose RIP lies in a registered jitwasm code range
  (the native table of runtime/traps.py) is a Wasm trap: the handler rewrites the ucontext so the
  thread resumes at the landing of the activation in r13 (RIP = landing, RSP = r13, RAX = the
  trap code of the signal, RDX = the faulting PC, RCX = its RSP) and returns.
- Anything else goes to the handler that was installed before (Python's faulthandler, another
  runtime's), called with the same three arguments; one that repairs the ucontext and returns
  works as before. If that was SIG_DFL or SIG_IGN, the default action is restored and the
  handler returns, so the fault happens again and the process dies of it as it would have
  without jitwasm. When the previous handler chains back into ours (a cycle: faulthandler or
  another runtime installed after jitwasm, then jitwasm re-installed in front of it), the
  handler goes to the one that was installed before jitwasm's first install instead.

Installed with SA_SIGINFO | SA_ONSTACK | SA_NODEFER. Each thread that runs Wasm gets an
alternate signal stack if it has none or a small one (`ensure_altstack`, done by the thread's
ThreadState).
"""

import ctypes
import _thread  # threading's primitives, without importing threading (~2 ms at startup)
import weakref

from ..runtime import native
from ..runtime.traps import (RANGE_TABLE_COUNT, RANGE_TABLE_ENTRIES, RANGE_ENTRY_SIZE,
                             SIGNAL_TRAP_CODES, registry)
from ..runtime.vmctx import ACT_TRAP_LANDING
from .assembler import ALU_ADD, ALU_CMP, ALU_SUB, Assembler, Mem
from .regs import CC_B, CC_BE, CC_E, CC_LE, CC_NE, R8, R9, R10, RAX, RDI, RDX, RSI, RSP

HANDLED_SIGNALS = (native.SIGSEGV, native.SIGBUS, native.SIGILL, native.SIGFPE)
HANDLER_FLAGS = native.SA_SIGINFO | native.SA_ONSTACK | native.SA_NODEFER
ALTSTACK_SIZE = 256 << 10
# A smaller alternate stack than this (Python's faulthandler allocates ~12 KB from the heap) is
# replaced by ours: the kernel's signal frame (~3 KB with AVX-512 state) plus a handler chain
# (another runtime's handler before ours, a nested fault under SA_NODEFER) could run past its
# end into whatever memory lies below it.
MIN_ALTSTACK_SIZE = 64 << 10
CHAIN_WINDOW = 64 << 10  # stack a previous handler may use before it re-enters ours

_SIGACTION_SIZE = ctypes.sizeof(native.SigAction)


class _HandlerData(ctypes.Structure):
    """Native data the handler reads: previous actions, the default action, trap codes."""

    _fields_ = [
        ("previous", native.SigAction * native.NSIG),  # what to chain to, by signal number
        ("original", native.SigAction * native.NSIG),  # what was there before our first install
        ("default", native.SigAction),  # all zero: SIG_DFL, no flags
        ("trap_codes", ctypes.c_uint8 * native.NSIG),  # trap code per signal number
        ("chaining_rsp", ctypes.c_uint64),  # rsp of an in-progress call to a previous handler
    ]


def assemble_handler(data_address: int, range_cell_address: int, sigaction_address: int) -> bytes:
    """Machine code of `void handler(int signo, siginfo_t *info, ucontext_t *uc)`."""
    greg = native.ucontext_greg
    a = Assembler()
    scan, next_entry, hit, chain, nested, restore_default = (a.new_label() for _ in range(6))
    # Only faults the kernel raised at an instruction can be traps (kill/raise give si_code <= 0).
    a.alu_mi(ALU_CMP, 32, Mem(RSI, None, 1, native.SIGINFO_CODE), 0)
    a.jcc(CC_LE, chain)
    a.mov_rm(64, RAX, Mem(RDX, None, 1, greg(native.REG_RIP)))
    a.mov_ri(64, R8, range_cell_address)
    a.mov_rm(64, R8, Mem(R8))
    a.mov_rm(64, R9, Mem(R8, None, 1, RANGE_TABLE_COUNT))
    a.alu_ri(ALU_ADD, 64, R8, RANGE_TABLE_ENTRIES)
    a.test_rr(64, R9, R9)
    a.jcc(CC_E, chain)
    a.bind(scan)  # for each [start, end): start <= rip < end -> hit
    a.alu_rm(ALU_CMP, 64, RAX, Mem(R8))
    a.jcc(CC_B, next_entry)
    a.alu_rm(ALU_CMP, 64, RAX, Mem(R8, None, 1, 8))
    a.jcc(CC_B, hit)
    a.bind(next_entry)
    a.alu_ri(ALU_ADD, 64, R8, RANGE_ENTRY_SIZE)
    a.alu_ri(ALU_SUB, 64, R9, 1)
    a.jcc(CC_NE, scan)
    a.bind(chain)  # r8 = signo * sizeof(struct sigaction), r9 = data
    a.mov_rr(32, R8, RDI)
    a.imul_rri(64, R8, R8, _SIGACTION_SIZE)
    a.mov_ri(64, R9, data_address)
    # Re-entered while chaining (the previous handler chains back to us: faulthandler or another
    # runtime installed after us, then ours re-installed in front): 0 < chaining_rsp - rsp <=
    # window means this invocation runs on top of our own chained call on the same stack.
    # Break the cycle by going to the handler that was there before jitwasm's first install.
    a.mov_rm(64, R10, Mem(R9, None, 1, _HandlerData.chaining_rsp.offset))
    a.alu_rr(ALU_SUB, 64, R10, RSP)
    a.alu_ri(ALU_SUB, 64, R10, 1)
    a.alu_ri(ALU_CMP, 64, R10, CHAIN_WINDOW)
    a.jcc(CC_B, nested)
    a.mov_rm(64, RAX, Mem(R9, R8, 1, _HandlerData.previous.offset + native.SIGACTION_HANDLER))
    a.alu_ri(ALU_CMP, 64, RAX, native.SIG_IGN)
    a.jcc(CC_BE, restore_default)
    a.alu_ri(ALU_SUB, 64, RSP, 8)  # align for the call
    a.mov_mr(64, Mem(R9, None, 1, _HandlerData.chaining_rsp.offset), RSP)
    a.call_r(RAX)  # same rdi, rsi, rdx; a handler that fixes the ucontext and returns works
    a.mov_ri(64, R9, data_address)
    a.mov_mi(64, Mem(R9, None, 1, _HandlerData.chaining_rsp.offset), 0)
    a.alu_ri(ALU_ADD, 64, RSP, 8)
    a.ret()
    a.bind(nested)  # the original handler predates jitwasm, so it cannot lead back here
    a.mov_rm(64, RAX, Mem(R9, R8, 1, _HandlerData.original.offset + native.SIGACTION_HANDLER))
    a.alu_ri(ALU_CMP, 64, RAX, native.SIG_IGN)
    a.jcc(CC_BE, restore_default)
    a.jmp_r(RAX)  # tail call with the same arguments
    a.bind(restore_default)  # sigaction(signo, &default, NULL); return into the fault again
    a.alu_ri(ALU_SUB, 64, RSP, 8)
    a.mov_ri(64, RSI, data_address + _HandlerData.default.offset)
    a.mov_ri(32, RDX, 0)
    a.mov_ri(64, RAX, sigaction_address)
    a.call_r(RAX)
    a.alu_ri(ALU_ADD, 64, RSP, 8)
    a.ret()
    a.bind(hit)  # resume at the landing of the activation in r13
    a.mov_rm(64, R9, Mem(RDX, None, 1, greg(native.REG_R13)))
    a.mov_rm(64, R10, Mem(R9, None, 1, ACT_TRAP_LANDING))
    a.mov_mr(64, Mem(RDX, None, 1, greg(native.REG_RIP)), R10)
    a.mov_rm(64, R10, Mem(RDX, None, 1, greg(native.REG_RSP)))
    a.mov_mr(64, Mem(RDX, None, 1, greg(native.REG_RCX)), R10)
    a.mov_mr(64, Mem(RDX, None, 1, greg(native.REG_RSP)), R9)
    a.mov_mr(64, Mem(RDX, None, 1, greg(native.REG_RDX)), RAX)
    a.mov_rr(32, R8, RDI)
    a.mov_ri(64, R10, data_address + _HandlerData.trap_codes.offset)
    a.movzx_rm(32, 8, R10, Mem(R10, R8, 1, 0))
    a.mov_mr(64, Mem(RDX, None, 1, greg(native.REG_RAX)), R10)
    a.ret()
    return a.finish()


class _Handler:
    """The installed handler: its code, data and the lock guarding (re)installation."""

    def __init__(self):
        from ..runtime.code_memory import CodeMemory

        self.data = _HandlerData()
        for signo, code in SIGNAL_TRAP_CODES.items():
            self.data.trap_codes[signo] = code
        code = assemble_handler(ctypes.addressof(self.data), registry.cell_address,
                                native.SIGACTION_ADDRESS)
        self.code = CodeMemory(code, traps=False, name="signal handler")
        self.address = self.code.address
        self.lock = _thread.allocate_lock()
        self.installed: set[int] = set()  # signals we installed for at least once

    def ensure_installed(self) -> None:
        """Install for every handled signal where it is not the current handler already."""
        with self.lock:
            for signo in HANDLED_SIGNALS:
                current = native.sigaction(signo, None)
                if current.sa_handler == self.address:
                    continue
                # Record what to chain to before our handler can run.
                targets = [self.data.previous[signo]]
                if signo not in self.installed:
                    targets.append(self.data.original[signo])
                    self.installed.add(signo)
                for target in targets:
                    ctypes.memmove(ctypes.byref(target), ctypes.byref(current), _SIGACTION_SIZE)
                action = native.SigAction()
                action.sa_handler = self.address
                action.sa_flags = HANDLER_FLAGS
                native.sigaction(signo, action)


_handler: _Handler | None = None
_handler_lock = _thread.allocate_lock()


def handler() -> _Handler:
    global _handler
    if _handler is None:
        with _handler_lock:
            if _handler is None:
                _handler = _Handler()
    return _handler


def ensure_installed() -> None:
    """Make jitwasm's handler the current one for the handled signals (cheap when it is).

    Called whenever trap-capable code is loaded, so a handler installed later by someone else
    (e.g. faulthandler.enable()) ends up chained behind jitwasm's instead of in front of it.
    """
    handler().ensure_installed()


def is_installed() -> bool:
    h = _handler
    return h is not None and all(native.sigaction(s, None).sa_handler == h.address
                                 for s in HANDLED_SIGNALS)


# ---- alternate signal stacks --------------------------------------------------------------------

class _AltStack:
    """An alternate signal stack this thread installed; removed and unmapped at thread exit."""

    def __init__(self):
        size = ALTSTACK_SIZE + native.PAGE_SIZE
        self.mapping = native.mmap(size, native.PROT_RW)
        self.size = size
        native.mprotect(self.mapping, native.PAGE_SIZE, native.PROT_NONE)  # overflow guard
        self.thread = _thread.get_ident()
        stack = native.StackT()
        stack.ss_sp = self.mapping + native.PAGE_SIZE
        stack.ss_size = ALTSTACK_SIZE
        native.sigaltstack(stack)
        weakref.finalize(self, _AltStack._remove, self.thread, self.mapping, size).atexit = False

    @staticmethod
    def _remove(thread: int, mapping: int, size: int) -> None:
        # Only the owning thread can take its altstack down; from any other thread leaking the
        # mapping is the safe choice (it may still be in use).
        if _thread.get_ident() != thread:
            return
        if native.sigaltstack(None).ss_sp == mapping + native.PAGE_SIZE:
            off = native.StackT()
            off.ss_flags = native.SS_DISABLE
            native.sigaltstack(off)
        native.munmap(mapping, size)  # not (or no longer) this thread's altstack


def ensure_altstack() -> _AltStack | None:
    """Give the calling thread an alternate signal stack if it has none or only a small one
    (MIN_ALTSTACK_SIZE).

    Returns the new one (keep it as long as the thread runs Wasm) or None if one that is large
    enough existed.
    """
    current = native.sigaltstack(None)
    if current.ss_flags & native.SS_DISABLE or current.ss_size < MIN_ALTSTACK_SIZE:
        return _AltStack()
    return None
