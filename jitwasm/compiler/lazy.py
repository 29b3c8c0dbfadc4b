"""Lazy compilation: a function body becomes machine code at its first call.

`compile_lazy(info)` compiles nothing. Each defined function gets a permanent thunk
(`jmp [slots[i]]`, backend_x64/trampolines.lazy_thunks) that the instance's funcs/func_refs
entries start out pointing at; slots[i] first leads to the resolver, which calls back into
Python, compiles the body into its own CodeMemory, re-points slots[i] (so thunk copies held by
other instances go straight to the code) and the calling instance's funcs[f] and func_refs[f]
(so its later calls skip the thunk), and jumps to the code with the arguments intact. Calls
between defined functions go through vmctx.funcs (the compiler's lazy call form: no labels).

Compiled code is per module (every instance shares it). Compilation runs with the GIL held under
a per-module lock, so two threads racing for one function compile it once.
"""

import ctypes
import os
import _thread  # threading's primitives, without importing threading (~2 ms at startup)

from ..backend_x64.trampolines import (LAZY_CALLBACK_PROTOTYPE, LAZY_THUNK_SIZE, lazy_resolve_offset,
                                       lazy_thunks, thread_state)
from ..binary.module import ModuleInfo
from ..runtime import native
from ..runtime.code_memory import CodeMemory
from ..runtime.vmctx import FUNCREF_CODE, FUNCREF_SIZE, VMContext
from .codegen import FunctionCompiler
from .module import ModuleContext
from .options import DEFAULT_OPTIONS, CompileOptions

DEFAULT_MODE = "eager"  # JITWASM_COMPILE when unset

_U64 = ctypes.c_uint64


class LazyCompiledModule:
    """A module's functions as thunks, compiled on first call; the same interface as
    CompiledModule (`func_address(i)`, `num_imported_funcs`, `explicit_bounds`)."""

    def __init__(self, info: ModuleInfo, options: CompileOptions, name: str = ""):
        count = len(info.codes)
        self.info = info
        self.name = name or "wasm module"
        self.num_imported_funcs = info.num_imported_funcs
        self.explicit_bounds = options.explicit_bounds
        self.context = ModuleContext(info, options)
        self.context.func_labels = None  # calls between functions go through vmctx.funcs
        self.context.list_code = False   # kept for the module's life: no list of its bytes
        self.codes: list = [None] * count  # CodeMemory per compiled function
        self.slots = (_U64 * max(count, 1))()
        self._lock = _thread.allocate_lock()
        self._callback = LAZY_CALLBACK_PROTOTYPE(self._resolve)
        slots_address = ctypes.addressof(self.slots)
        self.thunks = lazy_thunks(count, slots_address,
                                  native.function_address(self._callback))
        base = self.thunks.address
        for i in range(count):
            self.slots[i] = base + lazy_resolve_offset(count, i)

    def func_address(self, index: int) -> int:
        """The thunk of the `index`-th defined function (valid for the module's lifetime)."""
        return self.thunks.address + LAZY_THUNK_SIZE * index

    @property
    def compiled_count(self) -> int:
        return sum(code is not None for code in self.codes)

    def compile_function(self, index: int) -> int:
        """Compile the `index`-th defined function unless done; return its code address."""
        with self._lock:
            code = self.codes[index]
            if code is None:
                ctx = self.context
                ctx.restart()
                label = ctx.a.new_label()
                FunctionCompiler(ctx).compile(self.num_imported_funcs + index,
                                              self.info.codes[index], label)
                code = CodeMemory(ctx.a.finish(), trap_sites=ctx.trap_sites,
                                  call_sites=ctx.call_sites, frame_sizes=ctx.frame_sizes,
                                  module=self.info,
                                  name=f"{self.name} function {self.num_imported_funcs + index}")
                self.codes[index] = code
                self.slots[index] = code.address + label.pos
            return self.slots[index]

    def compile_all(self) -> None:
        for i in range(len(self.codes)):
            self.compile_function(i)

    def _resolve(self, vmctx: int, index: int) -> int:
        """The resolver's callback (native stack, GIL taken by ctypes): 0 on an exception."""
        try:
            address = self.compile_function(index)
            vm = VMContext.from_address(vmctx)
            f = self.num_imported_funcs + index
            _U64.from_address(vm.funcs + 8 * f).value = address
            _U64.from_address(vm.func_refs + FUNCREF_SIZE * f + FUNCREF_CODE).value = address
            return address
        except BaseException as exc:  # re-raised by the entry that unwinds to Python
            thread_state().pending = exc
            return 0


def compile_lazy(info: ModuleInfo, options: CompileOptions = DEFAULT_OPTIONS, *,
                 name: str = "") -> LazyCompiledModule:
    """Prepare `info` (validated) for compilation on first call."""
    return LazyCompiledModule(info, options, name)


def default_options() -> CompileOptions:
    """The process-wide default: lazy unless JITWASM_COMPILE=eager (the CLI's --compile sets
    it, so the spec runner and tests can run either mode)."""
    mode = os.environ.get("JITWASM_COMPILE", DEFAULT_MODE)
    return DEFAULT_OPTIONS._replace(lazy=mode == "lazy")
