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


class _FreshLabel(Label):
    """A Label made by `new_label`: object's C __init__, so creating one runs no Python frame."""

    __slots__ = ()
    __init__ = object.__init__


def new_label() -> Label:
    """A fresh unbound Label, as Label() makes. Cheaper: CPython 3.11 runs a class's Python
    __init__ through type.__call__ in a nested interpreter call, which costs more than this
    call and the two stores (about one label per block, loop and trap site in a compile)."""
    label = _FreshLabel()
    label.pos = -1
    label.fixups = None
    return label


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
