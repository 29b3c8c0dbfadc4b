"""General-purpose integer instruction forms (mov, ALU, shifts, mul/div, jumps, calls, ...).

Integer forms take the operand size in bits first. Each opcode has a per-size table of `heads`
(encoder.heads), so 8/16/32/64-bit variants share one code path: 16-bit adds the 0x66 prefix
(before REX), 64-bit sets REX.W, 8-bit uses the byte opcode and forces a REX prefix when an
operand is spl/bpl/sil/dil (register numbers 4..7, `BYTE_REX`), so AH..BH are never produced.
"""

from .encoder import (BYTE_REX, Encoder, _pack_i16, _pack_i32, _pack_u32, heads, pack_imm,
                      signed_imm)
from .operands import AssemblerError, Label, RipRel

# ALU operations: the /digit of 80/81/83 and bits 3..5 of the two-operand opcodes.
ALU_ADD, ALU_OR, ALU_ADC, ALU_SBB, ALU_AND, ALU_SUB, ALU_XOR, ALU_CMP = range(8)
# Shift/rotate operations: the /digit of C0/C1/D0..D3.
ROL, ROR, RCL, RCR, SHL, SHR, SAL, SAR = range(8)
SHIFT_OPS = (ROL, ROR, RCL, RCR, SHL, SHR, SAR)


class _NoSuchSize:
    """The entry of a size with no form: any use of it (a caller bug) raises AssemblerError."""

    __slots__ = ()

    def __getitem__(self, key):
        raise AssemblerError("operand size not encodable for this instruction")


_NO_SUCH_SIZE = _NoSuchSize()
_SIZE_LIMIT = 129  # sizes 0..128 (bits) index a size table


def _size_table(entries: dict) -> list:
    """size -> entry, as a list indexed by the size in bits; a missing size (a caller bug) gets
    an entry whose use raises AssemblerError. A list, not a dict: CPython specialises
    subscripting an exact list by an int, not a dict subclass such as defaultdict (a generic
    PyObject_GetItem per lookup, ~15K lookups per compile of a large module)."""
    table = [_NO_SUCH_SIZE] * _SIZE_LIMIT
    for size, entry in entries.items():
        table[size] = entry
    return table


def _sized(op8, op, prefix=b"", byte_src=False):
    """Per-size `heads` of an instruction with byte opcode `op8` (None: no 8-bit form);
    `byte_src` marks forms whose ModRM.rm is a byte register at every size (movzx/movsx r8)."""
    table = _size_table({16: heads(b"\x66" + prefix, 0, op, byte_src),
                         32: heads(prefix, 0, op, byte_src), 64: heads(prefix, 8, op, byte_src)})
    if op8 is not None:
        table[8] = heads(prefix, 0, op8, True)
    return table


def _b(*values) -> bytes:
    return bytes(values)


_MOV_MR = _sized(b"\x88", b"\x89")
_MOV_RM = _sized(b"\x8a", b"\x8b")
_MOV_MI = _sized(b"\xc6", b"\xc7")
_ALU_MR = tuple(_sized(_b(op * 8), _b(op * 8 + 1)) for op in range(8))
_ALU_RM = tuple(_sized(_b(op * 8 + 2), _b(op * 8 + 3)) for op in range(8))
_ALU_ACC_I = tuple(_sized(_b(op * 8 + 4), _b(op * 8 + 5)) for op in range(8))  # al/ax/eax/rax, imm
_GRP1_I = _sized(b"\x80", b"\x81")  # /op imm8 / imm16/32
_GRP1_I8 = _sized(None, b"\x83")  # /op sign-extended imm8
_TEST_MR = _sized(b"\x84", b"\x85")
_TEST_ACC_I = _sized(b"\xa8", b"\xa9")
_GRP3 = _sized(b"\xf6", b"\xf7")  # /0 test imm, /2 not, /3 neg, /4 mul, /5 imul, /6 div, /7 idiv
_SHIFT_1 = _sized(b"\xd0", b"\xd1")
_SHIFT_CL = _sized(b"\xd2", b"\xd3")
_SHIFT_I = _sized(b"\xc0", b"\xc1")
_XCHG = _sized(b"\x86", b"\x87")
_LEA = _sized(None, b"\x8d")
_IMUL_RM = _sized(None, b"\x0f\xaf")
_IMUL_RMI8 = _sized(None, b"\x6b")
_IMUL_RMI = _sized(None, b"\x69")
_MOVZX8 = _sized(None, b"\x0f\xb6", byte_src=True)
_MOVZX16 = _sized(None, b"\x0f\xb7")
_MOVSX8 = _sized(None, b"\x0f\xbe", byte_src=True)
_MOVSX16 = _sized(None, b"\x0f\xbf")
_LZCNT = _sized(None, b"\x0f\xbd", b"\xf3")
_TZCNT = _sized(None, b"\x0f\xbc", b"\xf3")
_POPCNT = _sized(None, b"\x0f\xb8", b"\xf3")
_BSR = _sized(None, b"\x0f\xbd")
_BSF = _sized(None, b"\x0f\xbc")
_CMOV = tuple(_sized(None, _b(0x0F, 0x40 + cc)) for cc in range(16))
_SETCC = tuple(heads(b"", 0, _b(0x0F, 0x90 + cc), True) for cc in range(16))
_MOVSXD = heads(b"", 8, b"\x63")
_POP_M = heads(b"", 0, b"\x8f")
_JCC32 = tuple(_b(0x0F, 0x80 + cc) for cc in range(16))
_JCC32_UNBOUND = tuple(head + b"\0\0\0\0" for head in _JCC32)  # rel32 patched at bind
_FF = heads(b"", 0, b"\xff")
_BR = BYTE_REX


# [size | op][reg]: the bytes of `op reg, imm8` (83 /op) before the immediate, as `_op_r` emits
# them; a row is built on first use (import time matters: every run loads the assembler).
_ALU_RI8: list = [None] * 72


# [size][op << 4 | reg]: the bytes of `op reg, imm32` (81 /op) before the immediate, built on
# first use (None before).
_ALU_RI32 = _size_table({32: [None] * 128, 64: [None] * 128})


def _grp1_imm32_head(size: int, op: int, reg: int) -> bytes:
    """The bytes of `op reg, imm32` (81 /op) before the immediate, memoised in _ALU_RI32."""
    row = _ALU_RI32[size]
    key = op << 4 | reg
    head = row[key]
    if head is None:
        e = Encoder()
        e._op_r(_GRP1_I[size], op, reg)
        head = row[key] = bytes(e.buf)
    return head


def _alu_ri8_row(size: int, op: int) -> tuple:
    row = []
    for reg in range(16):
        e = Encoder()
        e._op_r(_GRP1_I8[size], op, reg)
        row.append(bytes(e.buf))
    row = _ALU_RI8[size | op] = tuple(row)
    return row


# Register-register forms, the commonest instructions, memoised: [size]([ALU op])[reg << 4 | rm]
# -> the bytes `_op_r` emits for them, computed on first use (None before). Small-int indices:
# CPython allocates every int above 256, so a key packing size and op into one int costs more
# than the extra subscripts.
_MOV_RR = _size_table({size: [None] * 256 for size in (8, 16, 32, 64)})
_ALU_RR = _size_table({size: tuple([None] * 256 for _ in range(8)) for size in (8, 16, 32, 64)})
_TEST_RR = _size_table({size: [None] * 256 for size in (8, 16, 32, 64)})


# [size][reg] -> {Mem: bytes} of mov loads and stores (see GprForms._memoised_op_m).
_MOV_RM_MEMO = _size_table({size: tuple({} for _ in range(16)) for size in (8, 16, 32, 64)})
_MOV_MR_MEMO = _size_table({size: tuple({} for _ in range(16)) for size in (8, 16, 32, 64)})
# The same before the immediate of `mov [mem], imm` ([size]), `op reg, [mem]` ([size][op][reg])
# and `op [mem], imm8` ([size][op]): constants stored to slots, compares with memory operands.
_MOV_MI_MEMO = _size_table({size: {} for size in (8, 16, 32, 64)})
_ALU_RM_MEMO = _size_table({size: tuple(tuple({} for _ in range(16)) for _ in range(8))
                            for size in (8, 16, 32, 64)})
_ALU_MI8_MEMO = _size_table({size: tuple({} for _ in range(8)) for size in (16, 32, 64)})
_MEMO_LIMIT = 1 << 12  # a memo is cleared when full: keys include heap displacements


# Other register forms of the compiler's paths, memoised the same way (None before first use):
# shifts [size][op << 4 | reg] by an imm8 (its head), by 1 and by cl; setcc [cc][reg]; cmovcc
# [cc][size][dst << 4 | src]; movzx from 8/16 bits [src_size][dst_size][dst << 4 | src]; movzx
# loads [src_size][dst_size][dst] -> {Mem: bytes}.
_SHIFT_I_CODE = _size_table({size: [None] * 128 for size in (8, 16, 32, 64)})
_SHIFT_1_CODE = _size_table({size: [None] * 128 for size in (8, 16, 32, 64)})
_SHIFT_CL_CODE = _size_table({size: [None] * 128 for size in (8, 16, 32, 64)})
_SETCC_CODE = tuple([None] * 16 for _ in range(16))
_CMOV_CODE = tuple(_size_table({size: [None] * 256 for size in (16, 32, 64)}) for _ in range(16))
_MOVZX_CODE = {src_size: _size_table({size: [None] * 256 for size in (16, 32, 64)})
               for src_size in (8, 16)}
_MOVZX_RM_MEMO = {src_size: _size_table({size: tuple({} for _ in range(16))
                                         for size in (16, 32, 64)}) for src_size in (8, 16)}


def _reg_code(row: list, key: int, heads: tuple, reg: int, rm: int, force: int) -> bytes:
    """What `_op_r(heads, reg, rm, force)` emits, stored in row[key]."""
    e = Encoder()
    e._op_r(heads, reg, rm, force)
    code = row[key] = bytes(e.buf)
    return code


def _reg_reg(row: list, key: int, heads: tuple, reg: int, rm: int) -> bytes:
    return _reg_code(row, key, heads, reg, rm, _BR[reg] | _BR[rm])


def _imm(imm: int, size: int) -> bytes:
    """The immediate of a `size`-bit instruction (imm32 sign-extended for 64-bit)."""
    if 0 <= imm < 0x80000000 and size >= 32:  # the commonest: the same bits either reading
        return _pack_i32(imm)
    if size == 8:
        return pack_imm(imm, 1)
    imm = signed_imm(imm, size)
    if size == 16:
        return _pack_i16(imm)
    if not -0x80000000 <= imm <= 0x7FFFFFFF:
        raise AssemblerError(f"immediate {imm:#x} is not a sign-extended imm32")
    return _pack_i32(imm)


class GprForms(Encoder):
    """Integer, control-flow and stack instructions."""

    __slots__ = ()

    # ---- moves ------------------------------------------------------------------------------

    def mov_rr(self, size: int, dst: int, src: int) -> None:
        row = _MOV_RR[size]
        key = dst << 4 | src
        code = row[key]
        if code is None:
            code = _reg_reg(row, key, _MOV_MR[size], src, dst)
        self.buf += code

    def mov_rm(self, size: int, dst: int, mem) -> None:
        """Load."""
        memo = _MOV_RM_MEMO[size][dst]
        code = memo.get(mem)
        if code is not None:
            self.buf += code
        else:
            self._memoised_op_m(memo, _MOV_RM[size], dst, mem, _BR[dst])

    def mov_mr(self, size: int, mem, src: int) -> None:
        """Store."""
        memo = _MOV_MR_MEMO[size][src]
        code = memo.get(mem)
        if code is not None:
            self.buf += code
        else:
            self._memoised_op_m(memo, _MOV_MR[size], src, mem, _BR[src])

    def _memoised_op_m(self, memo: dict, heads: tuple, reg: int, mem, force: int) -> None:
        """`_op_m` for a form memoised per memory operand in `memo` (loads and stores of frame
        slots and heap addresses, the commonest instructions); a RipRel operand is never
        memoised."""
        buf = self.buf
        start = len(buf)
        self._op_m(heads, reg, mem, 0, force)
        if type(mem) is not RipRel:
            if len(memo) >= _MEMO_LIMIT:
                memo.clear()
            memo[mem] = bytes(buf[start:])

    def mov_ri(self, size: int, dst: int, imm: int) -> None:
        """Shortest mov of a constant: for 64-bit, `mov r32, imm32` when it zero-extends, else
        `mov r/m64, simm32` when it sign-extends, else `movabs r64, imm64`. Flags are preserved."""
        buf = self.buf
        if 0 <= imm <= 0xFFFFFFFF and (size == 32 or size == 64):  # zero-extending imm32
            if dst >= 8:
                buf.append(0x41)
            buf.append(0xB8 | (dst & 7))
            buf += _pack_u32(imm)
            return
        if size == 64:
            imm = signed_imm(imm, 64)
            if 0 <= imm <= 0xFFFFFFFF:
                size = 32
            elif -0x80000000 <= imm < 0:
                self._op_r(_MOV_MI[64], 0, dst)
                buf += _pack_i32(imm)
                return
            else:
                buf.append(0x48 | (dst >> 3))
                buf.append(0xB8 | (dst & 7))
                buf += (imm & 0xFFFFFFFFFFFFFFFF).to_bytes(8, "little")
                return
        if size == 32:
            if dst >= 8:
                buf.append(0x41)
            buf.append(0xB8 | (dst & 7))
            buf += pack_imm(imm, 4)
        elif size == 16:
            buf.append(0x66)
            if dst >= 8:
                buf.append(0x41)
            buf.append(0xB8 | (dst & 7))
            buf += pack_imm(imm, 2)
        elif size == 8:
            if dst >= 4:
                buf.append(0x40 | (dst >> 3))
            buf.append(0xB0 | (dst & 7))
            buf += pack_imm(imm, 1)
        else:
            raise AssemblerError(f"operand size {size} not encodable for mov")

    def mov_mi(self, size: int, mem, imm: int) -> None:
        # _imm's commonest case inlined (stores of constants: frame slots, globals, heap)
        data = _pack_i32(imm) if 0 <= imm < 0x80000000 and size >= 32 else _imm(imm, size)
        memo = _MOV_MI_MEMO[size]
        head = memo.get(mem)
        if head is not None:
            self.buf += head
        elif type(mem) is RipRel:  # measured from the end: the immediate's length counts
            self._op_m(_MOV_MI[size], 0, mem, len(data))
        else:
            self._memoised_op_m(memo, _MOV_MI[size], 0, mem, 0)
        self.buf += data

    def movzx_rr(self, dst_size: int, src_size: int, dst: int, src: int) -> None:
        """Zero-extend; src_size 32 (to 64) is the implicit zero-extension of `mov r32, r32`."""
        if src_size == 32:
            self.mov_rr(32, dst, src)
            return
        row = _MOVZX_CODE[src_size][dst_size]
        key = dst << 4 | src
        code = row[key]
        if code is None:
            table = _MOVZX8 if src_size == 8 else _MOVZX16
            code = _reg_code(row, key, table[dst_size], dst, src, _BR[src])
        self.buf += code

    def movzx_rm(self, dst_size: int, src_size: int, dst: int, mem) -> None:
        if src_size == 32:
            self.mov_rm(32, dst, mem)
            return
        memo = _MOVZX_RM_MEMO[src_size][dst_size][dst]
        code = memo.get(mem)
        if code is not None:
            self.buf += code
        else:
            self._memoised_op_m(memo, (_MOVZX8 if src_size == 8 else _MOVZX16)[dst_size], dst,
                                mem, 0)

    def movsx_rr(self, dst_size: int, src_size: int, dst: int, src: int) -> None:
        """Sign-extend; src_size 32 (to 64) is movsxd."""
        if src_size == 32:
            self.movsxd_rr(dst, src)
            return
        table = _MOVSX8 if src_size == 8 else _MOVSX16
        self._op_r(table[dst_size], dst, src, _BR[src])

    def movsx_rm(self, dst_size: int, src_size: int, dst: int, mem) -> None:
        if src_size == 32:
            self.movsxd_rm(dst, mem)
            return
        self._op_m((_MOVSX8 if src_size == 8 else _MOVSX16)[dst_size], dst, mem)

    def movsxd_rr(self, dst: int, src: int) -> None:
        """dst64 = sign-extended src32."""
        self._op_r(_MOVSXD, dst, src)

    def movsxd_rm(self, dst: int, mem) -> None:
        self._op_m(_MOVSXD, dst, mem)

    def lea(self, size: int, dst: int, mem) -> None:
        self._op_m(_LEA[size], dst, mem)

    def xchg_rr(self, size: int, a: int, b: int) -> None:
        self._op_r(_XCHG[size], b, a, _BR[a] | _BR[b])

    # ---- ALU --------------------------------------------------------------------------------

    def alu_rr(self, op: int, size: int, dst: int, src: int) -> None:
        """dst = dst <op> src (ALU_CMP only sets flags)."""
        row = _ALU_RR[size][op]
        key = dst << 4 | src
        code = row[key]
        if code is None:
            code = _reg_reg(row, key, _ALU_MR[op][size], src, dst)
        self.buf += code

    def alu_rm(self, op: int, size: int, dst: int, mem) -> None:
        memo = _ALU_RM_MEMO[size][op][dst]
        code = memo.get(mem)
        if code is not None:
            self.buf += code
        else:
            self._memoised_op_m(memo, _ALU_RM[op][size], dst, mem, _BR[dst])

    def alu_mr(self, op: int, size: int, mem, src: int) -> None:
        self._op_m(_ALU_MR[op][size], src, mem, 0, _BR[src])

    def alu_ri(self, op: int, size: int, dst: int, imm: int) -> None:
        """Shortest form: sign-extended imm8 (83 /op), else the accumulator short form for
        al/ax/eax/rax, else 81 /op with imm16/imm32."""
        if size == 8:
            if dst == 0:
                self.buf += _ALU_ACC_I[op][8][0]
            else:
                self._op_r(_GRP1_I[8], op, dst, _BR[dst])
            self.buf += pack_imm(imm, 1)
            return
        if 0 <= imm < 0x80 and (size == 32 or size == 64):  # common: no range checks
            row = _ALU_RI8[size | op] or _alu_ri8_row(size, op)
            buf = self.buf
            buf += row[dst]
            buf.append(imm)
            return
        # signed_imm, skipped for the common non-negative imm32 and i32 bit patterns (8-bit
        # sizes returned above)
        if 0 <= imm < 0x80000000 and size != 16:
            s = imm
        elif size == 32 and 0x80000000 <= imm <= 0xFFFFFFFF:
            s = imm - 0x100000000
        else:
            s = signed_imm(imm, size)
        if -128 <= s <= 127:
            row = _ALU_RI8[size | op] or _alu_ri8_row(size, op)
            buf = self.buf
            buf += row[dst]
            buf.append(s & 0xFF)
            return
        if size != 16 and -0x80000000 <= s <= 0x7FFFFFFF:  # imm32 (_imm's case), head memoised
            buf = self.buf
            buf += _ALU_ACC_I[op][size][0] if dst == 0 else _grp1_imm32_head(size, op, dst)
            buf += _pack_i32(s)
            return
        data = _imm(s, size)
        if dst == 0:
            self.buf += _ALU_ACC_I[op][size][0]
        else:
            self._op_r(_GRP1_I[size], op, dst)
        self.buf += data

    def alu_ri32(self, op: int, size: int, dst: int, imm: int = 0) -> int:
        """Always the imm32 form (81 /op); returns the immediate's offset for `patch_i32`
        (a prologue's frame size is only known after the body is compiled)."""
        if size < 32:
            raise AssemblerError("alu_ri32 needs a 32- or 64-bit operand")
        buf = self.buf
        buf += _grp1_imm32_head(size, op, dst)
        pos = len(buf)
        buf += _pack_i32(imm) if 0 <= imm < 0x80000000 else _imm(imm, size)  # as in mov_mi
        return pos

    def alu_mi(self, op: int, size: int, mem, imm: int) -> None:
        if size == 8:
            self._op_m(_GRP1_I[8], op, mem, 1)
            self.buf += pack_imm(imm, 1)
            return
        s = imm if 0 <= imm < 0x80000000 and size != 16 else signed_imm(imm, size)  # as alu_ri
        if -128 <= s <= 127:
            memo = _ALU_MI8_MEMO[size][op]
            head = memo.get(mem)
            if head is not None:
                self.buf += head
            elif type(mem) is RipRel:  # measured from the end: the immediate's length counts
                self._op_m(_GRP1_I8[size], op, mem, 1)
            else:
                self._memoised_op_m(memo, _GRP1_I8[size], op, mem, 0)
            self.buf.append(s & 0xFF)
            return
        data = _imm(s, size)
        self._op_m(_GRP1_I[size], op, mem, len(data))
        self.buf += data

    def test_rr(self, size: int, a: int, b: int) -> None:
        row = _TEST_RR[size]
        key = a << 4 | b
        code = row[key]
        if code is None:
            code = _reg_reg(row, key, _TEST_MR[size], b, a)
        self.buf += code

    def test_mr(self, size: int, mem, r: int) -> None:
        self._op_m(_TEST_MR[size], r, mem, 0, _BR[r])

    def test_ri(self, size: int, r: int, imm: int) -> None:
        data = _imm(imm, size)
        if r == 0:
            self.buf += _TEST_ACC_I[size][0]
        else:
            self._op_r(_GRP3[size], 0, r, _BR[r])
        self.buf += data

    def test_mi(self, size: int, mem, imm: int) -> None:
        data = _imm(imm, size)
        self._op_m(_GRP3[size], 0, mem, len(data))
        self.buf += data

    # ---- shifts and rotates -----------------------------------------------------------------

    def shift_ri(self, op: int, size: int, r: int, imm: int) -> None:
        """r <op>= imm (the D1 /op form for a count of 1)."""
        key = op << 4 | r
        if imm == 1:
            row = _SHIFT_1_CODE[size]
            self.buf += row[key] or _reg_code(row, key, _SHIFT_1[size], op, r, _BR[r])
        else:
            row = _SHIFT_I_CODE[size]
            self.buf += row[key] or _reg_code(row, key, _SHIFT_I[size], op, r, _BR[r])
            self.buf += pack_imm(imm, 1)

    def shift_rcl(self, op: int, size: int, r: int) -> None:
        """r <op>= cl."""
        row = _SHIFT_CL_CODE[size]
        key = op << 4 | r
        self.buf += row[key] or _reg_code(row, key, _SHIFT_CL[size], op, r, _BR[r])

    def shift_mi(self, op: int, size: int, mem, imm: int) -> None:
        if imm == 1:
            self._op_m(_SHIFT_1[size], op, mem)
        else:
            self._op_m(_SHIFT_I[size], op, mem, 1)
            self.buf += pack_imm(imm, 1)

    def shift_mcl(self, op: int, size: int, mem) -> None:
        self._op_m(_SHIFT_CL[size], op, mem)

    # ---- multiply, divide, unary (group 3) ---------------------------------------------------

    def imul_rr(self, size: int, dst: int, src: int) -> None:
        self._op_r(_IMUL_RM[size], dst, src)

    def imul_rm(self, size: int, dst: int, mem) -> None:
        self._op_m(_IMUL_RM[size], dst, mem)

    def imul_rri(self, size: int, dst: int, src: int, imm: int) -> None:
        """dst = src * imm (imm8 form when it fits)."""
        s = signed_imm(imm, size)
        if -128 <= s <= 127:
            self._op_r(_IMUL_RMI8[size], dst, src)
            self.buf.append(s & 0xFF)
        else:
            self._op_r(_IMUL_RMI[size], dst, src)
            self.buf += _imm(s, size)

    def _grp3_r(self, ext: int, size: int, r: int) -> None:
        self._op_r(_GRP3[size], ext, r, _BR[r])

    def _grp3_m(self, ext: int, size: int, mem) -> None:
        self._op_m(_GRP3[size], ext, mem)

    def not_r(self, size: int, r: int) -> None:
        self._grp3_r(2, size, r)

    def neg_r(self, size: int, r: int) -> None:
        self._grp3_r(3, size, r)

    def mul_r(self, size: int, r: int) -> None:
        """rdx:rax = rax * r (unsigned)."""
        self._grp3_r(4, size, r)

    def imul_r(self, size: int, r: int) -> None:
        """rdx:rax = rax * r (signed, one-operand form)."""
        self._grp3_r(5, size, r)

    def div_r(self, size: int, r: int) -> None:
        """rax, rdx = rdx:rax divmod r (unsigned)."""
        self._grp3_r(6, size, r)

    def idiv_r(self, size: int, r: int) -> None:
        self._grp3_r(7, size, r)

    def not_m(self, size: int, mem) -> None:
        self._grp3_m(2, size, mem)

    def neg_m(self, size: int, mem) -> None:
        self._grp3_m(3, size, mem)

    def mul_m(self, size: int, mem) -> None:
        self._grp3_m(4, size, mem)

    def imul_m(self, size: int, mem) -> None:
        self._grp3_m(5, size, mem)

    def div_m(self, size: int, mem) -> None:
        self._grp3_m(6, size, mem)

    def idiv_m(self, size: int, mem) -> None:
        self._grp3_m(7, size, mem)

    def cdq(self) -> None:
        """edx = sign of eax (before a 32-bit idiv)."""
        self.buf.append(0x99)

    def cqo(self) -> None:
        """rdx = sign of rax (before a 64-bit idiv)."""
        self.buf += b"\x48\x99"

    # ---- bit counting -----------------------------------------------------------------------

    def lzcnt_rr(self, size: int, dst: int, src: int) -> None:
        self._op_r(_LZCNT[size], dst, src)

    def lzcnt_rm(self, size: int, dst: int, mem) -> None:
        self._op_m(_LZCNT[size], dst, mem)

    def tzcnt_rr(self, size: int, dst: int, src: int) -> None:
        self._op_r(_TZCNT[size], dst, src)

    def tzcnt_rm(self, size: int, dst: int, mem) -> None:
        self._op_m(_TZCNT[size], dst, mem)

    def popcnt_rr(self, size: int, dst: int, src: int) -> None:
        self._op_r(_POPCNT[size], dst, src)

    def popcnt_rm(self, size: int, dst: int, mem) -> None:
        self._op_m(_POPCNT[size], dst, mem)

    def bsr_rr(self, size: int, dst: int, src: int) -> None:
        self._op_r(_BSR[size], dst, src)

    def bsr_rm(self, size: int, dst: int, mem) -> None:
        self._op_m(_BSR[size], dst, mem)

    def bsf_rr(self, size: int, dst: int, src: int) -> None:
        self._op_r(_BSF[size], dst, src)

    def bsf_rm(self, size: int, dst: int, mem) -> None:
        self._op_m(_BSF[size], dst, mem)

    # aliases: the contract names them without an operand-kind suffix
    lzcnt, tzcnt, popcnt, bsr, bsf = lzcnt_rr, tzcnt_rr, popcnt_rr, bsr_rr, bsf_rr

    # ---- flags to values --------------------------------------------------------------------

    def setcc(self, cc: int, r: int) -> None:
        """r8 = cc ? 1 : 0 (REX forced for spl/bpl/sil/dil)."""
        row = _SETCC_CODE[cc]
        self.buf += row[r] or _reg_code(row, r, _SETCC[cc], 0, r, _BR[r])

    def setcc_m(self, cc: int, mem) -> None:
        self._op_m(_SETCC[cc], 0, mem)

    def cmovcc(self, cc: int, size: int, dst: int, src: int) -> None:
        row = _CMOV_CODE[cc][size]
        key = dst << 4 | src
        self.buf += row[key] or _reg_code(row, key, _CMOV[cc][size], dst, src, 0)

    def cmovcc_rm(self, cc: int, size: int, dst: int, mem) -> None:
        self._op_m(_CMOV[cc][size], dst, mem)

    # ---- control flow -----------------------------------------------------------------------

    def jcc(self, cc: int, label: Label) -> None:
        """rel8 when the label is bound and within reach, else rel32 (forward: patched at bind)."""
        buf = self.buf
        pos = label.pos
        if pos >= 0:
            rel = pos - len(buf) - 2
            if rel >= -128:
                buf.append(0x70 | cc)
                buf.append(rel & 0xFF)
                return
            buf += _JCC32[cc]
            buf += _pack_i32(pos - len(buf) - 4)
            return
        # _ref32's unbound case, inlined: forward branches are the commonest
        field = len(buf) + 2
        fixups = label.fixups
        if fixups is None:
            label.fixups = [(field, field + 4)]
            self._pending.append(label)
        else:
            fixups.append((field, field + 4))
        buf += _JCC32_UNBOUND[cc]

    def jmp(self, label: Label) -> None:
        buf = self.buf
        pos = label.pos
        if pos >= 0:
            rel = pos - len(buf) - 2
            if rel >= -128:
                buf.append(0xEB)
                buf.append(rel & 0xFF)
                return
            buf.append(0xE9)
            buf += _pack_i32(pos - len(buf) - 4)
            return
        # _ref32's unbound case, inlined as in jcc
        field = len(buf) + 1
        fixups = label.fixups
        if fixups is None:
            label.fixups = [(field, field + 4)]
            self._pending.append(label)
        else:
            fixups.append((field, field + 4))
        buf += b"\xe9\0\0\0\0"

    def jmp32(self, label: Label) -> int:
        """jmp rel32 even when rel8 would reach; returns the rel32 field's offset (patchable)."""
        buf = self.buf
        buf.append(0xE9)
        pos = len(buf)
        self._ref32(label, pos + 4)
        return pos

    def jmp_r(self, r: int) -> None:
        self._op_r(_FF, 4, r)

    def jmp_m(self, mem) -> None:
        self._op_m(_FF, 4, mem)

    def call(self, target) -> int:
        """call rel32 to a Label or a buffer offset (may lie outside the buffer, e.g. negative);
        returns the rel32 field's offset so the caller can re-patch it."""
        buf = self.buf
        buf.append(0xE8)
        pos = len(buf)
        if type(target) is int:
            buf += _pack_i32(target - pos - 4)
        else:
            self._ref32(target, pos + 4)
        return pos

    def call_r(self, r: int) -> None:
        self._op_r(_FF, 2, r)

    def call_m(self, mem) -> None:
        self._op_m(_FF, 2, mem)

    def call_abs(self, address: int, scratch: int = 0) -> None:
        """Call a fixed address via `scratch` (default rax): mov scratch, imm64; call scratch."""
        self.mov_ri(64, scratch, address)
        self.call_r(scratch)

    def jmp_abs(self, address: int, scratch: int = 0) -> None:
        self.mov_ri(64, scratch, address)
        self.jmp_r(scratch)

    # ---- string ops (memory.copy / memory.fill): rdi = dst, rsi = src, rcx = count, al = byte ---

    def rep_movsb(self) -> None:
        self.buf += b"\xf3\xa4"

    def rep_stosb(self) -> None:
        self.buf += b"\xf3\xaa"

    def std(self) -> None:
        """Direction flag set: string ops walk downwards (overlapping copy to a higher address)."""
        self.buf.append(0xFD)

    def cld(self) -> None:
        """Direction flag clear, as the System V ABI requires at calls and returns."""
        self.buf.append(0xFC)

    def ret(self) -> None:
        self.buf.append(0xC3)

    def ud2(self) -> None:
        self.buf += b"\x0f\x0b"

    def int3(self) -> None:
        self.buf.append(0xCC)

    # ---- stack ------------------------------------------------------------------------------

    def push_r(self, r: int) -> None:
        buf = self.buf
        if r >= 8:
            buf.append(0x41)
        buf.append(0x50 | (r & 7))

    def pop_r(self, r: int) -> None:
        buf = self.buf
        if r >= 8:
            buf.append(0x41)
        buf.append(0x58 | (r & 7))

    def push_m(self, mem) -> None:
        self._op_m(_FF, 6, mem)

    def pop_m(self, mem) -> None:
        self._op_m(_POP_M, 0, mem)

    def push_i(self, imm: int) -> None:
        """push a sign-extended imm8/imm32 (8 bytes on the stack)."""
        s = signed_imm(imm, 64)
        if -128 <= s <= 127:
            self.buf.append(0x6A)
            self.buf.append(s & 0xFF)
        else:
            self.buf.append(0x68)
            self.buf += _imm(s, 64)
