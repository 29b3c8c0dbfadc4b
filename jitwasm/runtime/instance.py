"""Modules ready to instantiate, and instantiation: building an instance's vmctx.

`Module(wasm)` decodes, validates and compiles once; `Instance(store, module, externs)` follows
the spec's instantiation order (Wasm 2.0):

1. match the provided externs against the imports (runtime/linker.py);
2. allocate the defined memories, tables and globals (initialisers see the imported globals),
   assign canonical type ids, fill vmctx.funcs / func_refs (imports copy the provider's record),
   and the builtins' host contexts;
3. evaluate every element segment, then apply the active ones in order (bounds-checked: "out of
   bounds table access") and drop them and the declarative ones;
4. apply the active data segments in order ("out of bounds memory access") and drop them;
5. run the start function.

A trap in 3-5 leaves what was already written to imported tables and memories in place, as the
spec requires; the instance is then still registered with the store, because those table
entries can point at its functions.
"""

import _thread  # threading's primitives, without importing threading (~2 ms at startup)
import ctypes

from ..binary import opcodes as op
from ..binary.module import DATA_ACTIVE, ELEM_ACTIVE, ELEM_PASSIVE, ConstExpr, ModuleInfo
from ..binary.types import EXTERN_FUNC, EXTERN_GLOBAL, EXTERN_MEMORY, EXTERN_TABLE, FuncType
from .builtins import BUILTINS
from .builtins_impl import builtin_functions
from .functions import Function
from .globals import Global
from .linear_memory import LinearMemory
from .linker import check_imports
from .table import Table
from .types_registry import canonical_type_id
from .vmctx import FUNCREF_SIZE, FuncRef, VMContext

_U64 = ctypes.c_uint64
_bounded_lock = _thread.allocate_lock()   # one explicit-bounds compile per module at a time
_MASK64 = (1 << 64) - 1
_NUMERIC_CONSTS = {op.I32_CONST: 0xFFFFFFFF, op.I64_CONST: _MASK64, op.F32_CONST: 0xFFFFFFFF,
                   op.F64_CONST: _MASK64, op.V128_CONST: (1 << 128) - 1}


def compile_functions(info: ModuleInfo, options=None, workers=None):
    """The compiler's output for `info`, or None for a module without function bodies.
    `options`: a compiler.options.CompileOptions (None: the defaults); `workers`: processes
    for an eager compile (None: as many as pay off, compiler/parallel.py)."""
    if not info.codes:
        return None
    from ..compiler import compile_module

    if options is None:
        from ..compiler.lazy import default_options

        options = default_options()
    if options.lazy:
        from ..compiler.lazy import compile_lazy

        return compile_lazy(info, options)
    from ..progress import compile_progress

    bar = compile_progress(len(info.codes))  # None unless stderr is a terminal
    try:
        return compile_module(info, options=options, progress=bar, workers=workers)
    finally:
        if bar is not None:
            bar.close()


class Module:
    """A decoded, validated and compiled module; instantiate it any number of times.

    `options` (a compiler CompileOptions; None: the defaults) say how the baseline compiler
    compiles it, with `workers` processes (None: as many as pay off; 1: no parallel compile);
    `compile` instead maps ModuleInfo to an object with `func_address(i)` for each defined
    function i (and keeps the code alive).
    """

    __slots__ = ("info", "facts", "compiled", "options", "workers", "_bounded", "__weakref__")

    def __init__(self, wasm: bytes, compile=None, options=None, workers=None):
        from ..binary import decode_module
        from ..validation import validate_module

        self.info = decode_module(bytes(wasm))
        self.facts = validate_module(self.info)
        self.options, self.workers = options, workers
        self._bounded = None
        self.compiled = (compile(self.info) if compile is not None
                         else compile_functions(self.info, options, workers))

    @classmethod
    def from_compiled(cls, info: ModuleInfo, compiled, options=None) -> "Module":
        """A module whose code was compiled earlier (the code cache): not validated again."""
        module = cls.__new__(cls)
        module.info, module.facts, module.compiled = info, None, compiled
        module.options, module.workers, module._bounded = options, None, None
        return module

    def code_for(self, memories):
        """The compiled code to run with `memories`: guard-page code needs each memory's 8 GiB
        reservation; if one fell back to explicit bounds (an address-space limit, `ulimit -v`),
        the module is compiled once more with explicit bounds checks, and that code serves."""
        compiled = self.compiled
        if (compiled is None or getattr(compiled, "explicit_bounds", False)
                or not any(m.explicit_bounds for m in memories)):
            return compiled
        with _bounded_lock:
            if self._bounded is None:
                from ..compiler.lazy import default_options

                options = self.options or default_options()
                self._bounded = compile_functions(self.info,
                                                  options._replace(explicit_bounds=True),
                                                  self.workers)
            return self._bounded

    @property
    def name(self) -> str | None:
        names = self.info.names
        return names.module_name if names else None


class Instance:
    """An instantiated module: its memories, tables, globals, functions, exports and vmctx."""

    def __init__(self, store, module: Module, externs=()):
        info = module.info
        externs = check_imports(info, externs)
        limiter = store.limiter  # counts first: nothing of the instance exists yet
        limiter.admit_instance(len(info.memories), len(info.tables))
        self.store = store
        self.module = module
        self.vmctx = vm = VMContext()
        nfuncs = len(info.func_types)
        self.functions: list = [None] * nfuncs  # Function objects, made on demand
        self.memories: list = []
        self.tables: list = []
        self.globals: list = []
        imported_funcs = []
        for imp, extern in zip(info.imports, externs):
            kind = imp.kind
            if kind == EXTERN_FUNC:
                imported_funcs.append(extern.bind(self))
            elif kind == EXTERN_TABLE:
                self.tables.append(extern)
            elif kind == EXTERN_MEMORY:
                self.memories.append(extern)
            elif kind == EXTERN_GLOBAL:
                self.globals.append(extern)
        self.functions[:len(imported_funcs)] = imported_funcs

        # Types and functions.
        self._type_ids = (_U64 * max(len(info.types), 1))(*map(canonical_type_id, info.types))
        self._funcs = (_U64 * max(nfuncs, 1))()
        self._func_refs = refs = (FuncRef * max(nfuncs, 1))()
        self.func_refs_address = ctypes.addressof(refs)
        for f, func in enumerate(imported_funcs):
            ctypes.memmove(ctypes.addressof(refs[f]), func.ref_address, FUNCREF_SIZE)
        self.memories += [LinearMemory(t, limiter) for t in info.memories]
        compiled = module.code_for(self.memories)
        first = len(imported_funcs)
        type_ids = self._type_ids
        for i, type_index in enumerate(info.func_type_indices):
            code = compiled.func_address(i)
            self._funcs[first + i] = code
            refs[first + i] = FuncRef(code, type_ids[type_index], ctypes.addressof(vm))

        # Tables, globals (the memories came first: they decide which code runs).
        self.tables += [Table(t, limiter=limiter) for t in info.tables]
        for g in info.globals:
            self.globals.append(Global(g.type, self.evaluate(g.init)))
        self._memory_descs = (_U64 * max(len(self.memories), 1))(
            *(m.desc_address for m in self.memories))
        self._table_descs = (_U64 * max(len(self.tables), 1))(
            *(t.desc_address for t in self.tables))
        self._global_cells = (_U64 * max(len(self.globals), 1))(
            *(g.address for g in self.globals))
        if self.memories:
            self.memories[0].attach(vm)

        # Segments (kept for the bulk-memory builtins; dropped ones become empty).
        data = info.data
        self.data_segments = [data[d.data_start:d.data_end] for d in info.datas]
        self.elem_segments = [self._element_values(seg) for seg in info.elements]

        # Builtins: one host function per entry of BUILTINS, bound to this instance (only code
        # calls them, so a module without functions needs none).
        self._builtins = [Function.from_host(FuncType(b.params, b.results), fn)
                          for b, fn in zip(BUILTINS, builtin_functions(self))] if info.codes else []
        self._builtin_refs = (FuncRef * len(BUILTINS))()
        for slot, func in zip(self._builtin_refs, self._builtins):
            ctypes.memmove(ctypes.addressof(slot), func.ref_address, FUNCREF_SIZE)

        vm.funcs = ctypes.addressof(self._funcs)
        vm.func_refs = self.func_refs_address
        vm.type_ids = ctypes.addressof(self._type_ids)
        vm.globals = ctypes.addressof(self._global_cells)
        vm.tables = ctypes.addressof(self._table_descs)
        vm.memories = ctypes.addressof(self._memory_descs)
        vm.builtins = ctypes.addressof(self._builtin_refs)
        vm.store_limits = store.limits_address

        self.exports = {e.name: self._extern(e.kind, e.index) for e in info.exports}
        store.add_instance(self, self.func_refs_address, nfuncs)
        self._initialise(info)

    # -- instantiation steps 3-5 -------------------------------------------------------------

    def _initialise(self, info: ModuleInfo) -> None:
        for i, seg in enumerate(info.elements):
            if seg.mode == ELEM_ACTIVE:
                values = self.elem_segments[i]
                self.tables[seg.table_index].init(self._offset(seg.offset_expr), values, 0,
                                                  len(values))
            if seg.mode != ELEM_PASSIVE:
                self.elem_segments[i] = ()
        for i, seg in enumerate(info.datas):
            if seg.mode == DATA_ACTIVE:
                self.memories[seg.memory_index].write(self._offset(seg.offset_expr),
                                                      self.data_segments[i])
                self.data_segments[i] = b""
        if info.start is not None:
            self.function(info.start).call_bits()

    def _offset(self, expr: ConstExpr) -> int:
        return self.evaluate(expr) & 0xFFFFFFFF

    def evaluate(self, expr: ConstExpr) -> int:
        """The bit pattern a (validated) constant expression produces in this instance."""
        (opcode, imm, _), = expr.instrs
        mask = _NUMERIC_CONSTS.get(opcode)
        if mask is not None:
            return imm & mask
        if opcode == op.REF_NULL:
            return 0
        if opcode == op.REF_FUNC:
            return self.func_refs_address + FUNCREF_SIZE * imm
        if opcode == op.GLOBAL_GET:
            return self.globals[imm].bits
        raise ValueError(f"not a constant instruction: {opcode:#x}")

    def _element_values(self, seg) -> tuple:
        if seg.func_indices is not None:
            base = self.func_refs_address
            return tuple(base + FUNCREF_SIZE * f for f in seg.func_indices)
        return tuple(self.evaluate(e) for e in seg.exprs)

    # -- access -----------------------------------------------------------------------------

    def function(self, index: int) -> Function:
        """The Function of function index `index` (imports: the provider's function)."""
        func = self.functions[index]
        if func is None:
            info = self.module.info
            func = self.functions[index] = Function(
                info.func_types[index], self.func_refs_address + FUNCREF_SIZE * index, self)
        return func

    def _extern(self, kind: int, index: int):
        if kind == EXTERN_FUNC:
            return self.function(index)
        if kind == EXTERN_TABLE:
            return self.tables[index]
        if kind == EXTERN_MEMORY:
            return self.memories[index]
        return self.globals[index]

    def __repr__(self) -> str:
        name = self.module.name
        return f"<Instance{' ' + name if name else ''} at vmctx {ctypes.addressof(self.vmctx):#x}>"
