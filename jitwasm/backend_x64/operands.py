"""Operand and label types of the x86-64 assembler.

Registers are plain ints (see regs.py); only memory operands and labels are objects, because they
carry several fields. `Mem` and `RipRel` are NamedTuples so building one is cheap and the encoder
can unpack them positionally.
"""

from collections import namedtuple
from functools import partial


class AssemblerError(ValueError):
    """An instruction was asked for that x86-64 cannot encode (a bug in the caller, not in Wasm)."""


class Label:
    """A code position that may be referenced before it is known.

    `pos` is the buffer offset once bound (-1 before). `fixups` collects the rel32 fields that
    referenced the label while unbound, as (field position, origin) pairs: at bind time each field
    receives `pos - origin` (origin = the end of the referencing instruction, or a table base).
    """

    __slots__ = ("pos", "fixups")

    def __init__(self) -> None:
        self.pos = -1
        self.fixups: list | None = None

    @property
    def bound(self) -> bool:
        return self.pos >= 0

    def __repr__(self) -> str:
        return f"Label({self.pos})" if self.pos >= 0 else f"Label(unbound @{id(self):#x})"


class Mem(namedtuple("Mem", "base index scale disp", defaults=(None, 1, 0))):
    """[base + index*scale + disp]; base None gives [index*scale + disp32] or absolute [disp32]."""
    __slots__ = ()


# Mem((base, index, scale, disp)) without NamedTuple's Python-level __new__ (all four fields
# given): for the compiler's hot paths.
new_mem = partial(tuple.__new__, Mem)


class RipRel(namedtuple("RipRel", "target extra_disp", defaults=(0,))):
    """[rip + rel32] addressing `target` (a Label or a buffer offset) plus `extra_disp` bytes."""
    __slots__ = ()


MemOperand = Mem | RipRel
