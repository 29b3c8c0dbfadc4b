"""Integer instructions: arithmetic, bitwise, shifts, comparisons, bit counts, conversions.

Operands come from the value stack as registers, immediates (constants, i64 when they fit a
sign-extended imm32) or memory operands (locals, spilled slots). A binary operation reuses the
left operand's register as destination (or the right one's when the operation commutes).
Operations on two constants fold at compile time (except division, which may trap).
Comparisons leave a K_FLAGS entry; branches, `select` and `eqz` consume it without setcc.
"""

from ..backend_x64 import masm
from ..backend_x64.assembler import (ALU_ADD, ALU_AND, ALU_CMP, ALU_OR, ALU_SUB, ALU_XOR, ROL,
                                     ROR, SAR, SHL, SHR)
from ..backend_x64.masm import SCRATCH, fits_simm32
from ..backend_x64.regs import (CC_A, CC_AE, CC_B, CC_BE, CC_E, CC_G, CC_GE, CC_L, CC_LE,
                                CC_NE, RAX, RCX, RDX)
from ..binary import opcodes as op
from ..binary.leb128 import read_s32
from ..binary.types import I32, I64
from ..runtime.traps import TRAP_INTEGER_DIVIDE_BY_ZERO, TRAP_INTEGER_OVERFLOW
from .decoding import read_signed
from .values import (ALL_GPRS, FLAG_CONSUMERS, GCLEAR, INT_SIZE, K_CONST, K_FLAGS, K_LOCAL,
                     K_REG, LOWEST_FREE, MASK, WITH_LOWEST_FREE)

# Condition after swapping the operands of a comparison (a < b  <=>  b > a).
SWAPPED_CC = {CC_E: CC_E, CC_NE: CC_NE, CC_L: CC_G, CC_G: CC_L, CC_LE: CC_GE, CC_GE: CC_LE,
              CC_B: CC_A, CC_A: CC_B, CC_BE: CC_AE, CC_AE: CC_BE}


def _signed(v: int, size: int) -> int:
    return v - (1 << size) if v >> (size - 1) else v


# Compile-time evaluation of a condition on two constants of `size` bits.
_CC_EVAL = {
    CC_E: lambda a, b, s: a == b, CC_NE: lambda a, b, s: a != b,
    CC_B: lambda a, b, s: a < b, CC_A: lambda a, b, s: a > b,
    CC_BE: lambda a, b, s: a <= b, CC_AE: lambda a, b, s: a >= b,
    CC_L: lambda a, b, s: _signed(a, s) < _signed(b, s),
    CC_G: lambda a, b, s: _signed(a, s) > _signed(b, s),
    CC_LE: lambda a, b, s: _signed(a, s) <= _signed(b, s),
    CC_GE: lambda a, b, s: _signed(a, s) >= _signed(b, s),
}


def _rotl(v, n, s):
    n %= s
    return (v << n | v >> (s - n)) if n else v


_ALU_FOLD = {
    ALU_ADD: lambda a, b, s: a + b, ALU_SUB: lambda a, b, s: a - b,
    ALU_AND: lambda a, b, s: a & b, ALU_OR: lambda a, b, s: a | b,
    ALU_XOR: lambda a, b, s: a ^ b,
}
_SHIFT_FOLD = {
    SHL: lambda a, n, s: a << (n % s), SHR: lambda a, n, s: a >> (n % s),
    SAR: lambda a, n, s: _signed(a, s) >> (n % s),
    ROL: _rotl, ROR: lambda a, n, s: _rotl(a, s - n % s, s),
}


def _clz(v, s):
    return s - v.bit_length()


def _ctz(v, s):
    return (v & -v).bit_length() - 1 if v else s


_UNARY_FOLD = {"clz": _clz, "ctz": _ctz, "popcnt": lambda v, s: bin(v).count("1")}
_UNARY_EMIT = {"clz": masm.clz, "ctz": masm.ctz, "popcnt": masm.popcnt}


class NumericOps:
    """Integer handlers; see the module docstring for operand placement."""

    __slots__ = ()

    def int_binop(self, alu: int, t: int, commutative: bool) -> None:
        rk, rv, lk, lv = self.pop_pair()
        depth = len(self.kinds)
        if rk == K_CONST and lk == K_CONST:
            self.push(K_CONST, _ALU_FOLD[alu](lv, rv, 0) & MASK[t], t)
            return
        size = INT_SIZE[t]
        a = self.a
        rdepth = depth + 1
        if lk == K_REG:
            dst = lv
        elif commutative and rk == K_REG:
            dst = rv
            rk, rv, rdepth = lk, lv, depth
        else:
            dst = self.alloc_gpr()
            self.load(lk, lv, t, depth, dst)
        if rk == K_REG:
            a.alu_rr(alu, size, dst, rv)
            self.gused &= GCLEAR[rv]
        else:
            is_mem, src = self.int_operand(rk, rv, t, rdepth)
            if is_mem is None:
                a.alu_ri(alu, size, dst, src)
            elif is_mem:
                a.alu_rm(alu, size, dst, src)
            else:
                a.alu_rr(alu, size, dst, src)
        self.kinds.append(K_REG)  # push, inlined
        self.vals.append(dst)
        self.types.append(t)

    def int_mul(self, t: int) -> None:
        rk, rv, lk, lv = self.pop_pair()
        depth = len(self.kinds)
        if rk == K_CONST and lk == K_CONST:
            self.push(K_CONST, (lv * rv) & MASK[t], t)
            return
        size = INT_SIZE[t]
        a = self.a
        ldepth, rdepth = depth, depth + 1
        if lk == K_CONST:  # constant on the right
            lk, lv, ldepth, rk, rv = rk, rv, rdepth, lk, lv
        if rk == K_CONST and (size == 32 or fits_simm32(rv)):
            src = self.into_reg(lk, lv, t, ldepth)
            a.imul_rri(size, src, src, rv)
            self.push(K_REG, src, t)
            return
        if lk == K_REG:
            dst = lv
        elif rk == K_REG:
            dst = rv
            rk, rv, rdepth = lk, lv, ldepth
        else:
            dst = self.alloc_gpr()
            self.load(lk, lv, t, ldepth, dst)
        is_mem, src = self.int_operand(rk, rv, t, rdepth)
        if is_mem:
            a.imul_rm(size, dst, src)
        else:
            a.imul_rr(size, dst, src)
            if rk == K_REG:
                self.gused &= GCLEAR[rv]
        self.push(K_REG, dst, t)

    def int_shift(self, shift: int, t: int) -> None:
        ck, cv, _ = self.pop()
        lk, lv, _ = self.pop()
        depth = len(self.kinds)
        size = INT_SIZE[t]
        a = self.a
        if ck == K_CONST:
            if lk == K_CONST:
                self.push(K_CONST, _SHIFT_FOLD[shift](lv, cv, size) & MASK[t], t)
                return
            dst = self.into_reg(lk, lv, t, depth)
            count = cv & (size - 1)
            if count:
                a.shift_ri(shift, size, dst, count)
            self.push(K_REG, dst, t)
            return
        # Variable count: it must be in cl; the shifted value anywhere else.
        if lk == K_REG and lv == RCX:
            dst = self.alloc_gpr()
            a.mov_rr(64, dst, RCX)
            lv = dst  # rcx stays held, now for the count
            if ck == K_REG:
                a.mov_rr(32, RCX, cv)
                self.gused &= GCLEAR[cv]
            else:
                self.load(ck, cv, t, depth + 1, RCX)
        elif ck == K_REG and cv == RCX:
            pass
        else:
            self.take_gpr(RCX)
            self.load(ck, cv, t, depth + 1, RCX)
            if ck == K_REG:
                self.gused &= GCLEAR[cv]
        dst = self.into_reg(lk, lv, t, depth)
        a.shift_rcl(shift, size, dst)
        self.gused &= GCLEAR[RCX]
        self.push(K_REG, dst, t)

    def int_divrem(self, kind: str, t: int) -> None:
        """div_s/div_u/rem_s/rem_u: dividend in rax, result from rax or rdx."""
        rk, rv, lk, lv = self.pop_pair()
        depth = len(self.kinds)
        size = INT_SIZE[t]
        a = self.a
        offset = self.op_offset
        check_zero = check_minus_one = True
        if rk == K_CONST:
            check_zero = rv == 0
            check_minus_one = rv == MASK[t]
            if not kind.endswith("_s"):
                check_minus_one = False
            if rv and not rv & (rv - 1) and kind.endswith("_u"):
                self._unsigned_pow2(kind, t, lk, lv, depth, rv)
                return
        # divisor: a register other than rax/rdx, or memory
        divisor_is_mem = False
        if rk == K_REG:
            if rv == RAX or rv == RDX:
                a.mov_rr(64, SCRATCH, rv)
                self.gused &= GCLEAR[rv]
                divisor = SCRATCH
            else:
                divisor = rv
        elif rk == K_CONST:
            a.mov_ri(size, SCRATCH, rv)
            divisor = SCRATCH
        else:
            divisor_is_mem = True
            divisor = self.mem_of(rk, rv, depth + 1)
        # dividend into rax
        if not (lk == K_REG and lv == RAX):
            self.take_gpr(RAX)
            self.load(lk, lv, t, depth, RAX)
            if lk == K_REG:
                self.gused &= GCLEAR[lv]
        self.take_gpr(RDX)
        masm.divrem(a, kind, size, divisor, divisor_is_mem, check_zero, check_minus_one,
                    check_zero and self.trap_label(TRAP_INTEGER_DIVIDE_BY_ZERO, offset),
                    kind == "div_s" and check_minus_one
                    and self.trap_label(TRAP_INTEGER_OVERFLOW, offset))
        if rk == K_REG and divisor != SCRATCH:
            self.gused &= GCLEAR[rv]
        if kind.startswith("div"):
            self.gused &= GCLEAR[RDX]
            self.push(K_REG, RAX, t)
        else:
            self.gused &= GCLEAR[RAX]
            self.push(K_REG, RDX, t)

    def _unsigned_pow2(self, kind, t, lk, lv, depth, divisor) -> None:
        if lk == K_CONST:
            result = lv // divisor if kind == "div_u" else lv % divisor
            self.push(K_CONST, result, t)
            return
        dst = self.into_reg(lk, lv, t, depth)
        size = INT_SIZE[t]
        if kind == "div_u":
            if divisor > 1:
                self.a.shift_ri(SHR, size, dst, divisor.bit_length() - 1)
        elif size == 32 or fits_simm32(divisor - 1):
            self.a.alu_ri(ALU_AND, size, dst, divisor - 1)
        else:
            self.a.mov_ri(64, SCRATCH, divisor - 1)
            self.a.alu_rr(ALU_AND, size, dst, SCRATCH)
        self.push(K_REG, dst, t)

    def int_compare(self, cc: int, t: int) -> None:
        rk, rv, lk, lv = self.pop_pair()
        depth = len(self.kinds)
        size = INT_SIZE[t]
        if rk == K_CONST and lk == K_CONST:
            self.push(K_CONST, int(_CC_EVAL[cc](lv, rv, size)), I32)
            return
        ldepth, rdepth = depth, depth + 1
        if lk == K_REG:
            left = lv
        elif lk == K_LOCAL:  # cached(), inlined
            left = self.cache[lv]
            if left >= 0 and self.local_types[lv] != t:
                left = -1
        else:
            left = -1
        if lk == K_CONST or left < 0 and (rk == K_REG or rk == K_LOCAL
                                          and self.cached(rv, t) >= 0):
            lk, lv, ldepth, rk, rv, rdepth = rk, rv, rdepth, lk, lv, ldepth
            cc = SWAPPED_CC[cc]  # a register (or cached local) on the left
            left = lv if lk == K_REG else self.cached(lv, t) if lk == K_LOCAL else -1
        a = self.a
        if left >= 0:
            if rk == K_CONST and (size == 32 or fits_simm32(rv)):  # int_operand's imm, inlined
                is_mem, src = None, rv
            else:
                is_mem, src = self.int_operand(rk, rv, t, rdepth)
            if is_mem is None:
                a.alu_ri(ALU_CMP, size, left, src)
            elif is_mem:
                a.alu_rm(ALU_CMP, size, left, src)
            else:
                a.alu_rr(ALU_CMP, size, left, src)
            if lk == K_REG:
                self.gused &= GCLEAR[lv]
            if rk == K_REG:
                self.gused &= GCLEAR[rv]
        else:  # left in memory; right is a constant or memory
            left = self.local_mems[lv] if lk == K_LOCAL else self.mem_of(lk, lv, ldepth)
            if rk == K_CONST and (size == 32 or fits_simm32(rv)):
                a.alu_mi(ALU_CMP, size, left, rv)
            elif rk == K_CONST:
                a.mov_ri(64, SCRATCH, rv)
                a.alu_mr(ALU_CMP, size, left, SCRATCH)
            else:
                a.mov_rm(size, SCRATCH, left)
                a.alu_rm(ALU_CMP, size, SCRATCH, self.mem_of(rk, rv, rdepth))
        self.kinds.append(K_FLAGS)  # push, inlined
        self.vals.append(cc)
        self.types.append(I32)

    def int_eqz(self, t: int) -> None:
        kind, val, _ = self.pop()
        a = self.a
        if kind == K_FLAGS:
            self.push(K_FLAGS, val ^ 1, I32)
            return
        if kind == K_CONST:
            self.push(K_CONST, int(val == 0), I32)
            return
        size = INT_SIZE[t]
        is_mem, src = self.int_operand(kind, val, t, len(self.kinds))
        if is_mem:
            a.alu_mi(ALU_CMP, size, src, 0)
        else:
            a.test_rr(size, src, src)
            if kind == K_REG:
                self.gused &= GCLEAR[val]
        self.push(K_FLAGS, CC_E, I32)

    def int_unary(self, name: str, t: int) -> None:
        kind, val, _ = self.pop()
        size = INT_SIZE[t]
        if kind == K_CONST:
            self.push(K_CONST, _UNARY_FOLD[name](val, size), t)
            return
        if kind == K_REG:
            _UNARY_EMIT[name](self.a, size, val, val, False)
            self.push(K_REG, val, t)
            return
        is_mem, src = self.int_operand(kind, val, t, len(self.kinds))
        dst = self.alloc_gpr()
        _UNARY_EMIT[name](self.a, size, dst, src, is_mem)
        self.push(K_REG, dst, t)

    def int_sign_extend(self, src_size: int, t: int) -> None:
        """extend8_s / extend16_s / extend32_s / i64.extend_i32_s."""
        kind, val, old_t = self.pop()
        size = INT_SIZE[t]
        if kind == K_CONST:
            v = val & ((1 << src_size) - 1)
            self.push(K_CONST, _signed(v, src_size) & MASK[t], t)
            return
        a = self.a
        if kind == K_REG:
            a.movsx_rr(size, src_size, val, val)
            self.push(K_REG, val, t)
            return
        dst = self.alloc_gpr()
        a.movsx_rm(size, src_size, dst, self.mem_of(kind, val, len(self.kinds)))
        self.push(K_REG, dst, t)

    def op_i32_const(self, pos):
        value = self.code[pos]
        if value < 0x40:  # a one-byte non-negative constant: no call, no masking
            pos += 1
        else:
            if value < 0x80:  # one byte, negative
                pos += 1
                value -= 0x80
            else:
                value, pos = read_s32(self.code, pos)
            value &= 0xFFFFFFFF
        self.kinds.append(K_CONST)
        self.vals.append(value)
        self.types.append(I32)
        return pos

    def op_i64_const(self, pos):
        value, pos = read_signed(self.code, pos)
        self.push(K_CONST, value & 0xFFFFFFFFFFFFFFFF, I64)
        return pos

    def op_i32_wrap_i64(self, pos):
        kind, val, _ = self.pop()
        if kind == K_CONST:
            self.push(K_CONST, val & 0xFFFFFFFF, I32)
        elif kind == K_REG:
            self.a.mov_rr(32, val, val)
            self.push(K_REG, val, I32)
        else:  # a local or slot read as i32 is its low half
            self.push(kind, val, I32)
        return pos

    def op_i64_extend_i32_u(self, pos):
        kind, val, _ = self.pop()
        if kind == K_CONST or kind == K_REG:  # registers hold i32 zero-extended already
            self.push(kind, val, I64)
        else:
            dst = self.alloc_gpr()
            self.load(kind, val, I32, len(self.kinds), dst)
            self.push(K_REG, dst, I64)
        return pos


def _binop(alu, t, commutative):
    size = INT_SIZE[t]

    def handler(self, pos):
        """`x <alu> imm` for a register or local x below a constant that fits an immediate
        (the commonest shape of arithmetic) is done in place: the constant is dropped and x's
        entry becomes the result, the code being what int_binop emits."""
        kinds, vals = self.kinds, self.vals
        if kinds[-1] == K_CONST and (kinds[-2] == K_REG or kinds[-2] == K_LOCAL):
            imm = vals[-1]
            if t == I32 or fits_simm32(imm):
                kinds.pop()
                vals.pop()
                self.types.pop()
                n = len(kinds) - 1  # the left operand's entry
                if self.reg_floor > n:
                    self.reg_floor = n
                if self.floor > n:
                    self.floor = n
                dst = vals[n]
                a = self.a
                if kinds[n] == K_LOCAL:
                    self.local_refs[dst] -= 1
                    used = self.gused  # alloc_gpr, inlined
                    if used != ALL_GPRS:
                        reg = LOWEST_FREE[used]
                        self.gused = WITH_LOWEST_FREE[used]
                    else:
                        reg = self.alloc_gpr()
                    cached = self.cache[dst]  # load of a local, inlined
                    if cached >= 0 and self.local_types[dst] == t:
                        a.mov_rr(64, reg, cached)
                    else:
                        a.mov_rm(size, reg, self.local_mems[dst])
                    kinds[n] = K_REG
                    vals[n] = dst = reg
                a.alu_ri(alu, size, dst, imm)
                return pos
        self.int_binop(alu, t, commutative)
        return pos
    return handler


def _mul(t):
    def handler(self, pos):
        self.int_mul(t)
        return pos
    return handler


def _shift(shift, t):
    def handler(self, pos):
        self.int_shift(shift, t)
        return pos
    return handler


def _divrem(kind, t):
    def handler(self, pos):
        self.op_offset = pos - 1
        self.int_divrem(kind, t)
        return pos
    return handler


def _compare(cc, t):
    def handler(self, pos):
        self.int_compare(cc, t)
        if self.kinds[-1] == K_FLAGS and not FLAG_CONSUMERS[self.code[pos]]:
            self.materialize_flags()  # settle_flags, inlined
        return pos
    return handler


def _eqz(t):
    def handler(self, pos):
        self.int_eqz(t)
        if self.kinds[-1] == K_FLAGS and not FLAG_CONSUMERS[self.code[pos]]:
            self.materialize_flags()  # settle_flags, inlined as in _compare
        return pos
    return handler


def _unary(name, t):
    def handler(self, pos):
        self.int_unary(name, t)
        return pos
    return handler


def _sign_extend(src_size, t):
    def handler(self, pos):
        self.int_sign_extend(src_size, t)
        return pos
    return handler


def _handlers() -> dict:
    h = {}
    for t, p in ((I32, "I32_"), (I64, "I64_")):
        g = lambda name: getattr(op, p + name)  # noqa: E731
        h[g("ADD")] = _binop(ALU_ADD, t, True)
        h[g("SUB")] = _binop(ALU_SUB, t, False)
        h[g("AND")] = _binop(ALU_AND, t, True)
        h[g("OR")] = _binop(ALU_OR, t, True)
        h[g("XOR")] = _binop(ALU_XOR, t, True)
        h[g("MUL")] = _mul(t)
        h[g("SHL")] = _shift(SHL, t)
        h[g("SHR_S")] = _shift(SAR, t)
        h[g("SHR_U")] = _shift(SHR, t)
        h[g("ROTL")] = _shift(ROL, t)
        h[g("ROTR")] = _shift(ROR, t)
        for kind in ("div_s", "div_u", "rem_s", "rem_u"):
            h[g(kind.upper())] = _divrem(kind, t)
        for name, cc in (("EQ", CC_E), ("NE", CC_NE), ("LT_S", CC_L), ("LT_U", CC_B),
                         ("GT_S", CC_G), ("GT_U", CC_A), ("LE_S", CC_LE), ("LE_U", CC_BE),
                         ("GE_S", CC_GE), ("GE_U", CC_AE)):
            h[g(name)] = _compare(cc, t)
        h[g("EQZ")] = _eqz(t)
        for name in ("clz", "ctz", "popcnt"):
            h[g(name.upper())] = _unary(name, t)
        h[g("EXTEND8_S")] = _sign_extend(8, t)
        h[g("EXTEND16_S")] = _sign_extend(16, t)
    h[op.I64_EXTEND32_S] = _sign_extend(32, I64)
    h[op.I64_EXTEND_I32_S] = _sign_extend(32, I64)
    h[op.I32_CONST] = NumericOps.op_i32_const
    h[op.I64_CONST] = NumericOps.op_i64_const
    h[op.I32_WRAP_I64] = NumericOps.op_i32_wrap_i64
    h[op.I64_EXTEND_I32_U] = NumericOps.op_i64_extend_i32_u
    return h


HANDLERS = _handlers()
