"""The module-wide facts a function body is validated against, flattened for fast lookups.

Signatures become pairs of lists so the body validator can compare them directly with slices
of its operand stack (a list of valtype ints).
"""

from ..binary.module import ModuleInfo


class ModuleContext:
    """The spec's context C, minus locals/labels/return (those are per function)."""

    __slots__ = ("data", "types", "funcs", "globals", "tables", "num_memories", "elems",
                 "data_count", "refs")

    def __init__(self, info: ModuleInfo, refs: frozenset):
        self.data = info.data
        # (params, results) as lists, per type index and per function index.
        self.types = [(list(t.params), list(t.results)) for t in info.types]
        self.funcs = [(list(t.params), list(t.results)) for t in info.func_types]
        self.globals = [(g.valtype, g.mutable) for g in info.global_types]
        self.tables = [t.elem_type for t in info.table_types]
        self.num_memories = len(info.memory_types)
        self.elems = [e.elem_type for e in info.elements]
        self.data_count = info.data_count
        self.refs = refs  # function indices declared outside function bodies (C.refs)
