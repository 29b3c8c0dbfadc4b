"""CompiledModule: a module's eagerly compiled machine code.

Lives apart from the compiler so that a code-cache hit, which rebuilds one from a cache entry,
imports neither the code generator nor the assembler.
"""

from .code_memory import CodeMemory


class CompiledModule:
    """The machine code of a module's defined functions."""

    __slots__ = ("code", "func_offsets", "num_imported_funcs", "explicit_bounds")

    def __init__(self, code: CodeMemory, func_offsets: list, num_imported_funcs: int,
                 explicit_bounds: bool):
        self.code = code
        self.func_offsets = func_offsets
        self.num_imported_funcs = num_imported_funcs
        self.explicit_bounds = explicit_bounds  # safe with memories without a guard region

    def func_address(self, index: int) -> int:
        """Absolute code address of the `index`-th defined function (as in func_offsets; the
        runtime's Instance calls it so)."""
        return self.code.address + self.func_offsets[index]
