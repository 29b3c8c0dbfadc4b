"""Global instances: a 16-byte native cell per global, shared by every instance that imports it.

vmctx.globals holds a pointer to each global's cell, so an exported global and all its importers
read and write the same bytes. Values are raw bit patterns (ints): i32/f32 in the low 4 bytes,
i64/f64/references in 8, v128 in all 16; conversion to Python values is the API's job.
"""

import ctypes

from ..binary.types import F32, I32, V128, GlobalType

_WIDTH_MASKS = {I32: (1 << 32) - 1, F32: (1 << 32) - 1, V128: (1 << 128) - 1}
_MASK64 = (1 << 64) - 1


def bits_mask(valtype: int) -> int:
    """All-ones over the bits a value of `valtype` occupies."""
    return _WIDTH_MASKS.get(valtype, _MASK64)


class GlobalCell(ctypes.Structure):
    _fields_ = [("lo", ctypes.c_uint64), ("hi", ctypes.c_uint64)]


class Global:
    """One global: its type and its cell. `bits` reads/writes the raw value."""

    __slots__ = ("type", "cell", "address", "_mask")

    def __init__(self, type_: GlobalType, bits: int = 0):
        self.type = type_
        self.cell = GlobalCell()
        self.address = ctypes.addressof(self.cell)
        self._mask = bits_mask(type_.valtype)
        self.bits = bits

    @property
    def bits(self) -> int:
        cell = self.cell
        return ((cell.hi << 64) | cell.lo) & self._mask

    @bits.setter
    def bits(self, value: int) -> None:
        value &= self._mask
        self.cell.lo = value & _MASK64
        self.cell.hi = value >> 64

    def __repr__(self) -> str:
        mut = "mut " if self.type.mutable else ""
        return f"<Global {mut}{self.type.valtype:#x} = {self.bits:#x}>"
