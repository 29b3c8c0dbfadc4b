"""compile_module: every defined function of a validated module into one executable blob.

All bodies share one Assembler, so calls between them are direct `call rel32` and the constant
pool is shared; each function starts 16-byte aligned. A large module is compiled by several
processes, each a range of bodies, and their code is joined into that one Assembler (parallel.py). The trap sites recorded while compiling
(memory accesses, explicit trap stubs) are registered with the CodeMemory, which is how the
signal handler and backtraces find them; the call sites (return addresses) and each function's
frame size let a backtrace walk from the trapping frame through its callers.
"""

from ..backend_x64.abi import signature_layout
from ..backend_x64.assembler import Assembler
from ..backend_x64.operands import Label
from ..binary import opcodes as op
from ..binary.module import ModuleInfo
from ..binary.types import I32, I64
from ..runtime.builtins import BUILTINS
from ..runtime.code_memory import CodeMemory
from ..runtime.compiled import CompiledModule  # re-exported: its old home
from .codegen import FunctionCompiler
from .options import DEFAULT_OPTIONS, CompileOptions
from .parallel import body_sizes, compile_parallel, worker_count

_CONST_INITS = (op.I32_CONST, op.I64_CONST, op.F32_CONST, op.F64_CONST, op.REF_NULL)
_WIDTH_MASK = {I32: 0xFFFFFFFF, I64: 0xFFFFFFFFFFFFFFFF}


class ModuleContext:
    """What every function compiler needs to know about the module."""

    def __init__(self, info: ModuleInfo, options: CompileOptions):
        self.a = Assembler()
        self.options = options
        self.explicit_bounds = options.explicit_bounds
        self.data = info.data
        self.types = info.types
        self.func_types = info.func_types
        self.num_imported_funcs = info.num_imported_funcs
        self.info = info
        self.codes = info.codes
        self.code = None  # the bytes as the compiler reads them (codegen.code_list)
        self.list_code = True
        self.func_labels = [self.a.new_label() for _ in info.codes]
        self.table_elem_types = [t.elem_type for t in info.table_types]
        self.globals = self._globals(info)
        self.out_size = max([signature_layout(ft.params, ft.results).stack_bytes
                             for ft in info.types] +
                            [signature_layout(b.params, b.results).stack_bytes
                             for b in BUILTINS])
        self.trap_sites = {}
        self.call_sites = {}    # return-address offset -> (function index, Wasm offset)
        self.frame_sizes = {}   # function index -> bytes from its body's rsp to its return address

    def restart(self) -> None:
        """A fresh Assembler, function labels and site tables: for compiling part of the module
        apart (lazily one function, or a chunk of a parallel compile)."""
        self.a = Assembler()
        if self.func_labels is not None:  # None: lazy code calls through vmctx.funcs
            self.func_labels = [Label() for _ in self.codes]
        self.trap_sites, self.call_sites, self.frame_sizes = {}, {}, {}

    def sibling(self) -> "ModuleContext":
        """Another context for the same module and options (sharing the bytes as read)."""
        other = ModuleContext(self.info, self.options)
        other.code, other.list_code = self.code, self.list_code
        return other

    @staticmethod
    def _globals(info: ModuleInfo) -> list:
        """(type, constant bits or None) per global: an immutable global defined by a constant
        expression is folded into the code that reads it."""
        out = [(g.valtype, None) for g in info.global_types[:info.num_imported_globals]]
        for g in info.globals:
            const = None
            instrs = g.init.instrs
            if not g.type.mutable and len(instrs) == 1 and instrs[0][0] in _CONST_INITS:
                opcode, imm = instrs[0][0], instrs[0][1]
                const = 0 if opcode == op.REF_NULL else imm & _WIDTH_MASK.get(g.type.valtype, -1)
            out.append((g.type.valtype, const))
        return out


def compile_module(info: ModuleInfo, *, options: CompileOptions = DEFAULT_OPTIONS,
                   explicit_bounds: bool = False, name: str = "",
                   progress=None, workers: int | None = None) -> CompiledModule:
    """Compile every defined function of `info` (which must be validated).

    `options`: what the code contains besides the Wasm semantics (fuel/epoch checks, ...).
    `progress`: called with the number of functions compiled so far (jitwasm/progress.py).
    `explicit_bounds` (also an option): check every memory access against the memory's length
    instead of relying on the guard region (for memories whose 8 GiB reservation failed).
    `workers`: processes to compile with (None: as many as pay off, parallel.worker_count; 1:
    this process alone). The code is the same either way."""
    if explicit_bounds:
        options = options._replace(explicit_bounds=True)
    explicit_bounds = options.explicit_bounds
    ctx = ModuleContext(info, options)
    if workers is None:
        workers = worker_count(sum(body_sizes(info.codes)))
    first = info.num_imported_funcs
    if workers > 1 and len(info.codes) > 1:
        compile_parallel(ctx, FunctionCompiler, workers, progress)
    else:
        compiler = FunctionCompiler(ctx)
        for i, body in enumerate(info.codes):
            compiler.compile(first + i, body, ctx.func_labels[i])
            if progress is not None:
                progress(i + 1)
    code = ctx.a.finish()
    memory = CodeMemory(code, trap_sites=ctx.trap_sites, call_sites=ctx.call_sites,
                        frame_sizes=ctx.frame_sizes, module=info, name=name or "wasm module")
    return CompiledModule(memory, [label.pos for label in ctx.func_labels], first,
                          explicit_bounds)
