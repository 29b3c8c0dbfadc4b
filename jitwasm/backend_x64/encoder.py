"""The assembler core: code buffer, labels and fixups, ModRM/SIB/REX encoding, data and constants.

Instruction forms (gpr.py, sse.py) are thin table-driven wrappers around two primitives:
`_op_r` (register ModRM operand) and `_op_m` (memory ModRM operand). Each instruction form owns a
precomputed `heads` tuple (see `heads()`): for every combination of the REX.R/X/B bits it holds the
finished `prefixes + REX + opcode` bytes, so encoding is one index computation, one append of the
head and the ModRM/SIB/displacement bytes. One code path thus handles every instruction's REX
rules, the rsp/r12 SIB and rbp/r13 disp8 special cases and RIP-relative displacements (measured
from the end of the instruction, trailing immediate included).
"""

import struct

from .operands import AssemblerError, Label, RipRel, new_label

_pack_i8 = struct.Struct("<b").pack
_pack_i16 = struct.Struct("<h").pack
_pack_i32 = struct.Struct("<i").pack
_pack_u32 = struct.Struct("<I").pack
_pack_u64 = struct.Struct("<Q").pack
_pack_i32_into = struct.Struct("<i").pack_into

_SCALE_BITS = {1: 0x00, 2: 0x40, 4: 0x80, 8: 0xC0}

# Recommended multi-byte NOPs (Intel SDM vol. 2B, "NOP"), index = length.
_NOPS = (
    b"",
    b"\x90",
    b"\x66\x90",
    b"\x0f\x1f\x00",
    b"\x0f\x1f\x40\x00",
    b"\x0f\x1f\x44\x00\x00",
    b"\x66\x0f\x1f\x44\x00\x00",
    b"\x0f\x1f\x80\x00\x00\x00\x00",
    b"\x0f\x1f\x84\x00\x00\x00\x00\x00",
    b"\x66\x0f\x1f\x84\x00\x00\x00\x00\x00",
)


def _nops(n: int) -> bytes:
    """`n` bytes of no-ops, the fewest multi-byte NOPs (what `Encoder.nop` emits)."""
    return _NOPS[9] * (n // 9) + _NOPS[n % 9]


# Code padding by length below 16: `align` of code to 16 bytes (every function entry) is then
# one append.
_CODE_PADS = tuple(_nops(n) for n in range(16))


# 8 for spl/bpl/sil/dil: byte forms must carry a REX prefix or the bits would mean ah/ch/dh/bh.
BYTE_REX = tuple(8 if 4 <= r <= 7 else 0 for r in range(16))


_REX = tuple(bytes((0x40 | i,)) for i in range(16))


def heads(prefix: bytes, w: int, opcode: bytes, byte_form: bool = False) -> tuple:
    """`prefix [REX] opcode` for each index R<<2|X<<1|B (0..7); 8..15 are the same with a REX
    forced when `byte_form` (the operand is a byte register 4..7), else equal to 0..7.

    The legacy/mandatory prefix (66/F2/F3) precedes REX, as the ISA requires; `w` is 8 for REX.W.
    """
    low = tuple(prefix + _REX[w | i] + opcode if w | i else prefix + opcode for i in range(8))
    if byte_form:
        return low + tuple(prefix + _REX[w | i] + opcode for i in range(8))
    return low + low


def pack_imm(imm: int, nbytes: int) -> bytes:
    """Little-endian immediate of `nbytes`, accepting the signed or the unsigned reading."""
    bits = nbytes * 8
    if not -(1 << (bits - 1)) <= imm < (1 << bits):
        raise AssemblerError(f"immediate {imm:#x} does not fit in {bits} bits")
    return (imm & ((1 << bits) - 1)).to_bytes(nbytes, "little")


_HALF = {8: 0x80, 16: 0x8000, 32: 0x80000000, 64: 1 << 63}


def signed_imm(imm: int, size: int) -> int:
    """`imm` read as a signed `size`-bit value (both readings accepted, anything else rejected)."""
    half = _HALF.get(size)
    if half is None:
        raise AssemblerError(f"operand size {size} not encodable")
    if imm >= half:
        if imm >= half << 1:
            raise AssemblerError(f"immediate {imm:#x} does not fit in {size} bits")
        return imm - (half << 1)
    if imm < -half:
        raise AssemblerError(f"immediate {imm:#x} does not fit in {size} bits")
    return imm


# [reg][Mem] -> (REX index bits R|X|B, ModRM [SIB] [disp] bytes); a dict per register number
# (GPR or XMM), so a lookup builds no key tuple. Cleared when full: keys include heap offsets.
_MEM_TAILS = tuple({} for _ in range(16))
_MEM_TAILS_LIMIT = 1 << 12


def _mem_tail(reg: int, mem) -> tuple:
    """The REX bits and the ModRM/SIB/displacement bytes of `reg` with a Mem operand (memoised
    in _MEM_TAILS). Handles the rsp/r12 SIB and rbp/r13 disp8 special cases."""
    r = (reg & 7) << 3
    i = (reg & 8) >> 1
    base, index, scale, disp = mem
    if index is not None:
        if index == 4:
            raise AssemblerError("rsp cannot be an index register")
        i |= (index & 8) >> 2
    if not -0x80000000 <= disp <= 0x7FFFFFFF:
        raise AssemblerError(f"displacement {disp:#x} exceeds 32 bits")
    if base is None:
        # mod=00 rm=100 with SIB.base=101: [index*scale + disp32]; SIB.index=100 means none.
        sib = 0x25 if index is None else _SCALE_BITS[scale] | ((index & 7) << 3) | 5
        tail = bytes((r | 4, sib)) + _pack_i32(disp)
    else:
        i |= base >> 3
        b = base & 7
        if disp == 0 and b != 5:  # rbp/r13 with mod=00 would mean RIP/no base: use disp8 0
            mod = 0
        elif -128 <= disp <= 127:
            mod = 0x40
        else:
            mod = 0x80
        if index is None:
            if b == 4:  # rsp/r12 as base need a SIB byte (index=100: none)
                tail = bytes((mod | r | 4, 0x24))
            else:
                tail = bytes((mod | r | b,))
        else:
            tail = bytes((mod | r | 4, _SCALE_BITS[scale] | ((index & 7) << 3) | b))
        if mod == 0x40:
            tail += bytes((disp & 0xFF,))
        elif mod:
            tail += _pack_i32(disp)
    tails = _MEM_TAILS[reg]
    if len(tails) >= _MEM_TAILS_LIMIT:
        tails.clear()
    result = tails[mem] = (i, tail)
    return result


class Encoder:
    """Code buffer with labels, fixups, a constant pool and the ModRM encoding primitives."""

    __slots__ = ("buf", "_pending", "_pool")

    def __init__(self) -> None:
        self.buf = bytearray()
        self._pending: list = []  # labels that have (or had) unresolved fixups
        self._pool: dict = {}  # (alignment, bytes) -> Label, emitted by emit_pool()

    # ---- positions and labels -------------------------------------------------------------

    @property
    def offset(self) -> int:
        return len(self.buf)

    # A fresh unbound Label (operands.new_label; the compiler's hot paths call that directly:
    # a staticmethod looked up on an instance is an unspecialised attribute access).
    new_label = staticmethod(new_label)

    def bind(self, label: Label) -> None:
        """Bind `label` to the current offset and patch every rel32 that referred to it."""
        if label.pos >= 0:
            raise AssemblerError("label bound twice")
        pos = label.pos = len(self.buf)
        fixups = label.fixups
        if fixups:  # _patch, inlined: about one bind per block and trap stub
            buf = self.buf
            for field, origin in fixups:
                _pack_i32_into(buf, field, pos - origin)
            label.fixups = None

    def bind_at(self, label: Label, pos: int) -> None:
        """Bind `label` to buffer offset `pos` (code appended as a whole, see add_refs)."""
        if label.pos >= 0:
            raise AssemblerError("label bound twice")
        label.pos = pos
        if label.fixups:
            self._patch(label, pos)

    def _patch(self, label: Label, pos: int) -> None:
        buf = self.buf
        for field, origin in label.fixups:
            _pack_i32_into(buf, field, pos - origin)
        label.fixups = None

    def _ref32(self, label: Label, origin: int) -> None:
        """Append a rel32 field holding `label.pos - origin` (patched at bind when unbound)."""
        buf = self.buf
        if label.pos >= 0:
            buf += _pack_i32(label.pos - origin)
            return
        fixups = label.fixups
        if fixups is None:
            label.fixups = [(len(buf), origin)]
            self._pending.append(label)
        else:
            fixups.append((len(buf), origin))
        buf += b"\0\0\0\0"

    def add_refs(self, base: int, refs) -> None:
        """Register rel32 fields of code appended at `base`: `refs` holds (label, fixups) pairs
        whose (field, origin) positions are relative to that code (see unbound_refs)."""
        buf = self.buf
        for label, fixups in refs:
            if label.pos >= 0:
                for field, origin in fixups:
                    _pack_i32_into(buf, base + field, label.pos - base - origin)
                continue
            if label.fixups is None:
                label.fixups = []
                self._pending.append(label)
            label.fixups.extend((base + field, base + origin) for field, origin in fixups)

    @staticmethod
    def unbound_refs(labels) -> list:
        """(index in `labels`, fixups) of each label there that is still unbound but referred
        to: what code built in a separate Encoder leaves for the one it is appended to."""
        return [(i, label.fixups) for i, label in enumerate(labels)
                if label.pos < 0 and label.fixups]

    def pool_refs(self) -> list:
        """(constant key, fixups) of the pending constant pool in its order (see add_refs and
        pool_label: appended code keeps its constants)."""
        return [(key, label.fixups) for key, label in self._pool.items() if label.fixups]

    def pool_label(self, key: tuple):
        """The pool label of constant `key` = (alignment, bytes), created when new."""
        label = self._pool.get(key)
        if label is None:
            label = self._pool[key] = Label()
        return label

    def finish(self) -> bytes:
        """Emit the constant pool, check every referenced label is bound, return the code."""
        if self._pool:
            self.emit_pool()
        for label in self._pending:
            if label.pos < 0:
                raise AssemblerError(f"label referenced but never bound ({len(label.fixups)} uses)")
        self._pending = []
        return bytes(self.buf)

    # ---- ModRM encoding primitives ----------------------------------------------------------

    def _op_r(self, heads: tuple, reg: int, rm: int, force: int = 0) -> None:
        """heads[REX bits] ModRM(mod=11, reg, rm); `force` is 8 to demand a REX (byte regs)."""
        buf = self.buf
        buf += heads[((reg & 8) >> 1) | (rm >> 3) | force]
        buf.append(0xC0 | ((reg & 7) << 3) | (rm & 7))

    def _op_m(self, heads: tuple, reg: int, mem, imm_len: int = 0, force: int = 0) -> None:
        """heads[REX bits] ModRM [SIB] [disp] for a memory operand; `imm_len` bytes of immediate
        follow (a RIP-relative displacement is measured from the end of the instruction).

        A Mem operand's encoding does not depend on the instruction or its position, so it is
        computed once per reg and mem and memoised (`_mem_tail`): most operands are the same few
        frame slots and heap addresses over and over."""
        tail = _MEM_TAILS[reg].get(mem)  # never holds a RipRel (a 2-tuple equals no Mem)
        if tail is not None or type(mem) is not RipRel:
            if tail is None:
                tail = _mem_tail(reg, mem)
            buf = self.buf
            buf += heads[tail[0] | force]
            buf += tail[1]
            return
        buf = self.buf
        buf += heads[((reg & 8) >> 1) | force]
        buf.append((reg & 7) << 3 | 5)
        target, extra = mem
        origin = len(buf) + 4 + imm_len
        if type(target) is int:
            buf += _pack_i32(target + extra - origin)
        else:
            self._ref32(target, origin - extra)

    # ---- data, alignment, patching ----------------------------------------------------------

    def emit_bytes(self, data: bytes) -> None:
        self.buf += data

    def emit_u8(self, value: int) -> None:
        self.buf.append(value & 0xFF)

    def emit_u32(self, value: int) -> None:
        self.buf += pack_imm(value, 4)

    def emit_u64(self, value: int) -> None:
        self.buf += pack_imm(value, 8)

    def emit_label_offset(self, label: Label, base: int) -> None:
        """A 32-bit `label - base` entry (e.g. a br_table jump table relative to its start)."""
        self._ref32(label, base)

    def patch_i32(self, pos: int, value: int) -> None:
        """Overwrite a 32-bit field emitted earlier (e.g. the frame size of a prologue)."""
        _pack_i32_into(self.buf, pos, value)

    def nop(self, n: int = 1) -> None:
        """`n` bytes of no-ops using the fewest multi-byte NOP instructions."""
        self.buf += _CODE_PADS[n] if n < 16 else _nops(n)

    def align(self, n: int, fill=None) -> None:
        """Pad to a multiple of `n` with NOPs (code) or with the byte `fill` (data)."""
        pad = -len(self.buf) % n
        if fill is None:
            self.buf += _CODE_PADS[pad] if pad < 16 else _nops(pad)
        else:
            self.buf += bytes((fill,)) * pad

    # ---- constant pool ----------------------------------------------------------------------

    def const_bytes(self, data: bytes, alignment: int = 0) -> RipRel:
        """RIP-relative operand for `data` in the constant pool placed after the code.

        Equal constants share one slot. Alignment defaults to the data size (16 for a 128-bit
        constant, which non-VEX SSE memory operands require); it holds relative to the start of the
        buffer, so the buffer must be loaded at a 16-byte aligned address.
        """
        return RipRel(self.pool_label((alignment or len(data), bytes(data))))

    def const32(self, value: int) -> RipRel:
        return self.const_bytes(pack_imm(value, 4))

    def const64(self, value: int) -> RipRel:
        return self.const_bytes(pack_imm(value, 8))

    def const128(self, value) -> RipRel:
        """A 16-byte constant from an int (little endian) or 16 bytes."""
        data = value if isinstance(value, (bytes, bytearray)) else pack_imm(value, 16)
        return self.const_bytes(data, 16)

    def emit_pool(self) -> None:
        """Place the pending constants here (largest alignment first) and bind their labels."""
        pool, self._pool = self._pool, {}
        for (alignment, data), label in sorted(pool.items(), key=lambda kv: -kv[0][0]):
            self.align(alignment, 0)
            self.bind(label)
            self.buf += data
