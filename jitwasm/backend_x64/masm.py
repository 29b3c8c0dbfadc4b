"""Macro-assembler: the x86-64 sequences of Wasm's integer, memory and control operations.

The compiler decides where values live (registers, immediates, frame slots); these functions emit
the instructions for one Wasm-level operation on operands it has already placed. Operands are
registers (ints) or memory operands (`Mem`); every function says which it accepts.

Scratch registers: `SCRATCH` (r11) and `XSCRATCH` (xmm15) are never allocated to values, so a
sequence may clobber them freely. Nothing here changes EFLAGS unless its docstring says so:
loading constants uses `mov` (never `xor r, r`), so a pending comparison survives value moves.
"""

from ..binary import opcodes as op
from ..runtime.vmctx import (FUNCREF_SIZE, VMCTX_BUILTINS, VMCTX_FUNC_REFS, VMCTX_GLOBALS,
                             VMCTX_MEMORIES, VMCTX_TABLES, VMCTX_TYPE_IDS)
from .abi import MEMORY_BASE_REG, VMCTX_REG
from .assembler import (ALU_ADD, ALU_AND, ALU_CMP, ALU_SUB, ALU_XOR, SHR, VEX_MAP_0F, Assembler,
                        Label, Mem, RipRel, new_mem, vex_heads)
from .regs import (CC_A, CC_AE, CC_B, CC_NE, CC_O, CC_Z, R11, RAX, RCX, RDI, RDX, RSI,
                   XMM15)

SCRATCH = R11
XSCRATCH = XMM15


# ---- CPU features -------------------------------------------------------------------------------

def _cpu_flags() -> frozenset:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


_FLAGS = _cpu_flags()
HAS_LZCNT = "abm" in _FLAGS  # AMD's name for lzcnt+popcnt; Intel reports it too
HAS_TZCNT = "bmi1" in _FLAGS
HAS_POPCNT = "popcnt" in _FLAGS
HAS_AVX = "avx" in _FLAGS  # Linux lists it only when the OS saves the ymm state


def fits_simm32(value: int) -> bool:
    """Whether a 64-bit value (either signedness) is a sign-extended imm32."""
    value &= 0xFFFFFFFFFFFFFFFF
    return value < 0x80000000 or value >= 0xFFFFFFFF80000000


# ---- moves --------------------------------------------------------------------------------------

def store_int_const(a: Assembler, size: int, mem, value: int) -> None:
    """[mem] = value; a 64-bit value that is no simm32 goes through SCRATCH."""
    if size == 64 and not fits_simm32(value):
        a.mov_ri(64, SCRATCH, value)
        a.mov_mr(64, mem, SCRATCH)
    else:
        a.mov_mi(size, mem, value & (0xFFFFFFFF if size <= 32 else 0xFFFFFFFFFFFFFFFF))


def copy_slot(a: Assembler, dst, src) -> None:
    """Copy the 8-byte frame slot `src` to `dst` through SCRATCH (any scalar type)."""
    a.mov_rm(64, SCRATCH, src)
    a.mov_mr(64, dst, SCRATCH)


def flags_to_reg(a: Assembler, cc: int, dst: int) -> None:
    """dst = cc ? 1 : 0 as a zero-extended i32 (flags preserved)."""
    a.setcc(cc, dst)
    a.movzx_rr(32, 8, dst, dst)


def flags_to_mem(a: Assembler, mem, cc: int) -> None:
    """[mem] = cc ? 1 : 0 as an i32 (flags preserved: mov, then setcc on the low byte)."""
    a.mov_mi(32, mem, 0)
    a.setcc_m(cc, mem)


def parallel_move(a: Assembler, moves: dict, xmm: bool) -> None:
    """Perform every `dst <- src` of `moves` (dst -> src, registers of one class) at once.

    Moves whose destination no pending move still reads go first; a remaining cycle is broken by
    parking one destination's old value in the class's scratch register.
    """
    if len(moves) == 1:  # the commonest case (a call with one register argument): no order
        for d, s in moves.items():
            if d != s:
                if xmm:
                    a.movaps_xx(d, s)
                else:
                    a.mov_rr(64, d, s)
        return
    move = a.movaps_xx if xmm else (lambda d, s: a.mov_rr(64, d, s))
    scratch = XSCRATCH if xmm else SCRATCH
    pending = {d: s for d, s in moves.items() if d != s}
    while pending:
        sources = set(pending.values())
        ready = [d for d in pending if d not in sources]
        if ready:
            for d in ready:
                move(d, pending.pop(d))
            continue
        d = next(iter(pending))  # every destination is read: all moves form cycles
        move(scratch, d)
        for k, s in pending.items():
            if s == d:
                pending[k] = scratch


# ---- vmctx access -------------------------------------------------------------------------------

def load_vmctx_array_entry(a: Assembler, dst: int, field: int, index: int) -> None:
    """dst = ((u64 *) vmctx->field)[index] (a global cell, table or memory descriptor pointer)."""
    a.mov_rm(64, dst, new_mem((VMCTX_REG, None, 1, field)))  # new_mem: global accesses are hot
    a.mov_rm(64, dst, new_mem((dst, None, 1, 8 * index)))


def load_global_cell(a: Assembler, dst: int, index: int) -> None:
    load_vmctx_array_entry(a, dst, VMCTX_GLOBALS, index)


def load_table_desc(a: Assembler, dst: int, index: int) -> None:
    load_vmctx_array_entry(a, dst, VMCTX_TABLES, index)


def load_memory_desc(a: Assembler, dst: int, index: int) -> None:
    load_vmctx_array_entry(a, dst, VMCTX_MEMORIES, index)


def load_type_id(a: Assembler, dst: int, type_index: int) -> None:
    load_vmctx_array_entry(a, dst, VMCTX_TYPE_IDS, type_index)


def load_func_ref(a: Assembler, dst: int, func_index: int) -> None:
    """dst = &vmctx->func_refs[func_index] (a funcref value)."""
    a.mov_rm(64, dst, Mem(VMCTX_REG, None, 1, VMCTX_FUNC_REFS))
    if func_index:
        a.lea(64, dst, Mem(dst, None, 1, FUNCREF_SIZE * func_index))


def load_builtin_ref(a: Assembler, dst: int, builtin: int) -> None:
    """dst = &vmctx->builtins[builtin] (a FuncRef to call with abi.emit_funcref_call)."""
    a.mov_rm(64, dst, Mem(VMCTX_REG, None, 1, VMCTX_BUILTINS))
    if builtin:
        a.lea(64, dst, Mem(dst, None, 1, FUNCREF_SIZE * builtin))


# ---- linear memory ------------------------------------------------------------------------------

def _load_form(size, dst_size=None, extend=None):
    if extend is None:
        return lambda a, dst, mem: a.mov_rm(size, dst, mem)
    if extend == "s":
        return lambda a, dst, mem: a.movsx_rm(dst_size, size, dst, mem)
    return lambda a, dst, mem: a.movzx_rm(32, size, dst, mem)  # 32-bit writes zero-extend


# opcode -> size of the loads that are one plain `mov` (the compiler emits those directly)
MOV_LOADS = {op.I32_LOAD: 32, op.I64_LOAD: 64, op.I64_LOAD32_U: 32}
LOADS = {  # opcode -> emit(a, dst, mem); integer loads produce zero-extended registers
    **{code: _load_form(size) for code, size in MOV_LOADS.items()},
    op.F32_LOAD: lambda a, dst, mem: a.movss_xm(dst, mem),
    op.F64_LOAD: lambda a, dst, mem: a.movsd_xm(dst, mem),
    op.I32_LOAD8_S: _load_form(8, 32, "s"),
    op.I32_LOAD8_U: _load_form(8, 32, "u"),
    op.I32_LOAD16_S: _load_form(16, 32, "s"),
    op.I32_LOAD16_U: _load_form(16, 32, "u"),
    op.I64_LOAD8_S: _load_form(8, 64, "s"),
    op.I64_LOAD8_U: _load_form(8, 64, "u"),
    op.I64_LOAD16_S: _load_form(16, 64, "s"),
    op.I64_LOAD16_U: _load_form(16, 64, "u"),
    op.I64_LOAD32_S: lambda a, dst, mem: a.movsxd_rm(dst, mem),
}

# opcode -> access width in bits of an integer store (floats: see FLOAT_STORES)
INT_STORE_SIZES = {
    op.I32_STORE: 32, op.I64_STORE: 64, op.I32_STORE8: 8, op.I32_STORE16: 16,
    op.I64_STORE8: 8, op.I64_STORE16: 16, op.I64_STORE32: 32,
}
FLOAT_STORES = {
    op.F32_STORE: lambda a, mem, src: a.movss_mx(mem, src),
    op.F64_STORE: lambda a, mem, src: a.movsd_mx(mem, src),
}
# opcode -> access width in bytes, for explicit bounds checks
ACCESS_BYTES = {
    **{o: s // 8 for o, s in INT_STORE_SIZES.items()}, op.F32_STORE: 4, op.F64_STORE: 8,
    op.I32_LOAD: 4, op.I64_LOAD: 8, op.F32_LOAD: 4, op.F64_LOAD: 8, op.I32_LOAD8_S: 1,
    op.I32_LOAD8_U: 1, op.I32_LOAD16_S: 2, op.I32_LOAD16_U: 2, op.I64_LOAD8_S: 1,
    op.I64_LOAD8_U: 1, op.I64_LOAD16_S: 2, op.I64_LOAD16_U: 2, op.I64_LOAD32_S: 4,
    op.I64_LOAD32_U: 4,
}


def bulk_bounds_check(a: Assembler, starts: tuple, count: int, oob: Label) -> None:
    """Jump to `oob` unless [start, start + count) lies in memory 0 for each start register
    (zero-extended i32s, compared in 64 bits so nothing wraps). Clobbers SCRATCH."""
    load_memory_desc(a, SCRATCH, 0)
    a.mov_rm(64, SCRATCH, Mem(SCRATCH, None, 1, 8))
    a.alu_rr(ALU_SUB, 64, SCRATCH, count)  # length - count
    a.jcc(CC_B, oob)
    for start in starts:
        a.alu_rr(ALU_CMP, 64, start, SCRATCH)
        a.jcc(CC_A, oob)


_TEMPLATES: dict = {}  # (build, *args) -> emit_templated's copy of what build emits


def _build_template(build, args: tuple) -> tuple:
    """((bytes before a rel32 to the exit label, that field's origin), ...), trailing bytes:
    `build(t, exit_label, *args)`'s code in a scratch assembler, cut at its exit jumps."""
    t = Assembler()
    exit_label = t.new_label()
    build(t, exit_label, *args)
    pieces = []
    prev = 0
    for field, origin in exit_label.fixups or ():  # in emission order
        pieces.append((bytes(t.buf[prev:field]), origin))
        prev = field + 4
    return tuple(pieces), bytes(t.buf[prev:])


def emit_templated(a: Assembler, exit_label: Label, build, *args) -> None:
    """Emit `build(a, exit_label, *args)`, a sequence whose only outside reference is rel32
    jumps to `exit_label` (an unbound trap stub): built once per (build, args) and copied with
    those jumps re-pointed; the rest is position-independent (its own labels are relative).
    For the long inline bulk-memory sequences (~60 instructions for memory.copy)."""
    if exit_label.pos >= 0:  # bound: a jump might take the rel8 form; emit it in place
        build(a, exit_label, *args)
        return
    key = (build, *args)
    template = _TEMPLATES.get(key)
    if template is None:
        template = _TEMPLATES[key] = _build_template(build, args)
    pieces, tail = template
    start = len(a.buf)
    for chunk, origin in pieces:
        a.buf += chunk
        a.emit_label_offset(exit_label, start + origin)
    a.buf += tail


def memory_fill(a: Assembler, oob: Label) -> None:
    """memory.fill of memory 0 with rdi = destination, al = byte, rcx = count (all clobbered)."""
    emit_templated(a, oob, _memory_fill)


def _memory_fill(a: Assembler, oob: Label) -> None:
    bulk_bounds_check(a, (RDI,), RCX, oob)
    a.alu_rr(ALU_ADD, 64, RDI, MEMORY_BASE_REG)
    a.rep_stosb()


def memory_copy(a: Assembler, oob: Label, tmp: int, xtmp: int) -> None:
    """See _memory_copy (emitted from a template, one per registers and HAS_AVX)."""
    emit_templated(a, oob, _memory_copy, tmp, xtmp, HAS_AVX)


def _memory_copy(a: Assembler, oob: Label, tmp: int, xtmp: int, avx: bool) -> None:
    """memory.copy within memory 0 with rdi = destination, rsi = source, rcx = count (all
    clobbered, as are `tmp` (a GPR), `xtmp` (an XMM, upper half included), SCRATCH and
    XSCRATCH).

    Like a libc memmove: up to two chunks (16 bytes, 32 with AVX) are copied by loading the
    first and the last 1/2/4/8/16/32 bytes before storing both (overlap-safe); longer copies move
    chunks forwards (or backwards when the destination overlaps the source from above) with the
    opposite end preloaded; long disjoint copies use rep movsb. `avx`: 32-byte chunks (HAS_AVX,
    a parameter so that each setting gets its own template).
    """
    bulk_bounds_check(a, (RDI, RSI), RCX, oob)
    a.alu_rr(ALU_ADD, 64, RDI, MEMORY_BASE_REG)
    a.alu_rr(ALU_ADD, 64, RSI, MEMORY_BASE_REG)
    done, wide_done, over16, below8, below4, below2 = (a.new_label() for _ in range(6))
    first = Mem(RSI, None, 1, 0)
    a.alu_ri(ALU_CMP, 64, RCX, 16)
    a.jcc(CC_A, over16)
    for width, smaller in ((8, below8), (4, below4), (2, below2)):  # n in [width, 2 * width]
        a.alu_ri(ALU_CMP, 32, RCX, width)
        a.jcc(CC_B, smaller)
        size = width * 8
        a.movzx_rm(32, size, SCRATCH, first) if size == 16 else a.mov_rm(size, SCRATCH, first)
        last = Mem(RSI, RCX, 1, -width)
        a.movzx_rm(32, size, tmp, last) if size == 16 else a.mov_rm(size, tmp, last)
        a.mov_mr(size, Mem(RDI, None, 1, 0), SCRATCH)
        a.mov_mr(size, Mem(RDI, RCX, 1, -width), tmp)
        a.jmp(done)
        a.bind(smaller)
    a.test_rr(32, RCX, RCX)  # n is 0 or 1
    a.jcc(CC_Z, done)
    a.movzx_rm(32, 8, SCRATCH, first)
    a.mov_mr(8, Mem(RDI, None, 1, 0), SCRATCH)
    a.jmp(done)
    a.bind(over16)
    chunks = (_CHUNK_SSE, _CHUNK_AVX) if avx else (_CHUNK_SSE,)
    for chunk_size, load, store in chunks:  # n in (chunk_size, 2 * chunk_size]
        larger = a.new_label()
        a.alu_ri(ALU_CMP, 64, RCX, 2 * chunk_size)
        a.jcc(CC_A, larger)
        load(a, XSCRATCH, first)
        load(a, xtmp, Mem(RSI, RCX, 1, -chunk_size))
        store(a, Mem(RDI, None, 1, 0), XSCRATCH)
        store(a, Mem(RDI, RCX, 1, -chunk_size), xtmp)
        a.jmp(done if chunk_size == 16 else wide_done)
        a.bind(larger)
    chunk_size, load, store = chunks[-1]
    backward, forward, forward_loop, backward_loop, rep = (a.new_label() for _ in range(5))
    a.mov_rr(64, tmp, RDI)
    a.alu_rr(ALU_SUB, 64, tmp, RSI)
    a.alu_rr(ALU_CMP, 64, tmp, RCX)
    a.jcc(CC_B, backward)  # 0 <= d - s < n: the destination overlaps from above
    a.alu_ri(ALU_CMP, 64, RCX, _REP_MOVSB_MIN)
    a.jcc(CC_B, forward)
    a.neg_r(64, tmp)  # s - d
    a.alu_rr(ALU_CMP, 64, tmp, RCX)
    a.jcc(CC_AE, rep)  # disjoint (rep movsb is slow on close overlaps)
    # forwards: chunks at i = 0, C, 2C, ... while i < n - C, then the preloaded last C bytes
    a.bind(forward)
    load(a, xtmp, Mem(RSI, RCX, 1, -chunk_size))
    a.mov_ri(32, tmp, 0)
    a.bind(forward_loop)
    load(a, XSCRATCH, Mem(RSI, tmp, 1, 0))
    store(a, Mem(RDI, tmp, 1, 0), XSCRATCH)
    a.alu_ri(ALU_ADD, 64, tmp, chunk_size)
    a.lea(64, SCRATCH, Mem(tmp, None, 1, chunk_size))
    a.alu_rr(ALU_CMP, 64, SCRATCH, RCX)
    a.jcc(CC_B, forward_loop)
    store(a, Mem(RDI, RCX, 1, -chunk_size), xtmp)
    a.jmp(done if chunk_size == 16 else wide_done)
    a.bind(rep)
    a.rep_movsb()
    a.jmp(done)
    # backwards: chunks at i = n - C, n - 2C, ... while i > C, then the preloaded first C bytes
    a.bind(backward)
    load(a, xtmp, first)
    a.mov_rr(64, tmp, RCX)
    a.bind(backward_loop)
    a.alu_ri(ALU_SUB, 64, tmp, chunk_size)
    load(a, XSCRATCH, Mem(RSI, tmp, 1, 0))
    store(a, Mem(RDI, tmp, 1, 0), XSCRATCH)
    a.alu_ri(ALU_CMP, 64, tmp, chunk_size)
    a.jcc(CC_A, backward_loop)
    store(a, Mem(RDI, None, 1, 0), xtmp)
    if chunk_size > 16:
        a.bind(wide_done)
        a.emit_bytes(_VZEROUPPER)  # no AVX-SSE transition penalty in the code that follows
    a.bind(done)


def _sse_load(a, x, mem):
    a.movdqu_xm(x, mem)


def _sse_store(a, mem, x):
    a.movdqu_mx(mem, x)


_VMOVDQU_LOAD = vex_heads(b"\xf3", VEX_MAP_0F, 0, 1, 0x6F)  # vmovdqu ymm, [mem]
_VMOVDQU_STORE = vex_heads(b"\xf3", VEX_MAP_0F, 0, 1, 0x7F)  # vmovdqu [mem], ymm
_VZEROUPPER = b"\xc5\xf8\x77"


def _avx_load(a, x, mem):
    a.vex_xxm(_VMOVDQU_LOAD, x, 0, mem)


def _avx_store(a, mem, x):
    a.vex_xxm(_VMOVDQU_STORE, x, 0, mem)


_CHUNK_SSE = (16, _sse_load, _sse_store)
_CHUNK_AVX = (32, _avx_load, _avx_store)
_REP_MOVSB_MIN = 512  # shorter copies are faster in 16-byte chunks


# ---- integer arithmetic -------------------------------------------------------------------------

def divrem(a: Assembler, opcode_kind: str, size: int, divisor, divisor_is_mem: bool,
           check_zero: bool, check_minus_one: bool, div_zero: Label, overflow: Label) -> None:
    """Division with the dividend in rax; quotient to rax / remainder to rdx (both clobbered).

    `opcode_kind` is one of "div_s", "div_u", "rem_s", "rem_u"; `divisor` a register other than
    rax/rdx, or memory. `check_zero`/`check_minus_one` may be False when the divisor is a
    constant known not to be 0 / -1. Traps: zero divisor -> div_zero; INT_MIN / -1 -> overflow
    (div_s only); rem_s by -1 gives 0 without dividing (idiv would fault).
    """
    if check_zero:
        if divisor_is_mem:
            a.alu_mi(ALU_CMP, size, divisor, 0)
        else:
            a.test_rr(size, divisor, divisor)
        a.jcc(CC_Z, div_zero)
    signed = opcode_kind.endswith("_s")
    if not signed:
        a.mov_ri(32, RDX, 0)
        (a.div_m if divisor_is_mem else a.div_r)(size, divisor)
        return
    done = None
    if check_minus_one:
        normal = a.new_label()
        if divisor_is_mem:
            a.alu_mi(ALU_CMP, size, divisor, -1)
        else:
            a.alu_ri(ALU_CMP, size, divisor, -1)
        a.jcc(CC_NE, normal)
        if opcode_kind == "div_s":  # rax - 1 overflows exactly for INT_MIN
            a.alu_ri(ALU_CMP, size, RAX, 1)
            a.jcc(CC_O, overflow)
        else:  # x rem -1 = 0
            done = a.new_label()
            a.mov_ri(32, RDX, 0)
            a.jmp(done)
        a.bind(normal)
    if size == 32:
        a.cdq()
    else:
        a.cqo()
    (a.idiv_m if divisor_is_mem else a.idiv_r)(size, divisor)
    if done is not None:
        a.bind(done)


def clz(a: Assembler, size: int, dst: int, src, src_is_mem: bool) -> None:
    """dst = count of leading zero bits of src (size if src is 0). Clobbers flags (and SCRATCH
    without lzcnt)."""
    if HAS_LZCNT:
        (a.lzcnt_rm if src_is_mem else a.lzcnt_rr)(size, dst, src)
        return
    (a.bsr_rm if src_is_mem else a.bsr_rr)(size, dst, src)
    a.mov_ri(32, SCRATCH, 2 * size - 1)  # bsr leaves dst undefined for 0: pick 2*size-1
    a.cmovcc(CC_Z, size, dst, SCRATCH)
    a.alu_ri(ALU_XOR, size, dst, size - 1)  # (size-1) - index, for an index < size


def ctz(a: Assembler, size: int, dst: int, src, src_is_mem: bool) -> None:
    """dst = count of trailing zero bits of src (size if src is 0)."""
    if HAS_TZCNT:
        (a.tzcnt_rm if src_is_mem else a.tzcnt_rr)(size, dst, src)
        return
    (a.bsf_rm if src_is_mem else a.bsf_rr)(size, dst, src)
    a.mov_ri(32, SCRATCH, size)
    a.cmovcc(CC_Z, size, dst, SCRATCH)


def popcnt(a: Assembler, size: int, dst: int, src, src_is_mem: bool) -> None:
    """dst = number of set bits of src. Without the popcnt instruction: the SWAR reduction
    (dst and SCRATCH as temporaries)."""
    if HAS_POPCNT:
        (a.popcnt_rm if src_is_mem else a.popcnt_rr)(size, dst, src)
        return
    if src_is_mem:
        a.mov_rm(size, dst, src)
    elif dst != src:
        a.mov_rr(size, dst, src)
    # x -= (x >> 1) & m1
    a.mov_rr(size, SCRATCH, dst)
    a.shift_ri(SHR, size, SCRATCH, 1)
    _and_const(a, size, SCRATCH, 0x5555555555555555)
    a.alu_rr(ALU_SUB, size, dst, SCRATCH)
    # (x & m2) + ((x >> 2) & m2)
    a.mov_rr(size, SCRATCH, dst)
    a.shift_ri(SHR, size, SCRATCH, 2)
    _and_const(a, size, SCRATCH, 0x3333333333333333)
    _and_const(a, size, dst, 0x3333333333333333)
    a.alu_rr(ALU_ADD, size, dst, SCRATCH)
    # (x + (x >> 4)) & m4
    a.mov_rr(size, SCRATCH, dst)
    a.shift_ri(SHR, size, SCRATCH, 4)
    a.alu_rr(ALU_ADD, size, dst, SCRATCH)
    _and_const(a, size, dst, 0x0F0F0F0F0F0F0F0F)
    # sum the bytes: (x * 0x0101..) >> (size - 8)
    _mul_const(a, size, dst, 0x0101010101010101)
    a.shift_ri(SHR, size, dst, size - 8)


def _and_const(a: Assembler, size: int, reg: int, pattern: int) -> None:
    """reg &= pattern (a 64-bit mask is no imm32: it comes from the constant pool)."""
    if size == 32:
        a.alu_ri(ALU_AND, 32, reg, pattern & 0xFFFFFFFF)
        return
    a.alu_rm(ALU_AND, 64, reg, a.const64(pattern))


def _mul_const(a: Assembler, size: int, reg: int, pattern: int) -> None:
    if size == 32:
        a.imul_rri(32, reg, reg, pattern & 0xFFFFFFFF)
    else:
        a.imul_rm(64, reg, a.const64(pattern))


# ---- control ------------------------------------------------------------------------------------

def jump_table(a: Assembler, index: int, targets: list, default: Label) -> None:
    """Jump to targets[index] (labels), or `default` when index >= len(targets) (unsigned).

    `index` is a 64-bit register holding a zero-extended i32; it is clobbered, as are SCRATCH and
    flags. The table (rel32 entries relative to its start) follows the jump in the code.
    """
    a.alu_ri(ALU_CMP, 32, index, len(targets))
    a.jcc(CC_AE, default)
    table = a.new_label()
    a.lea(64, SCRATCH, RipRel(table))
    a.movsxd_rm(index, Mem(SCRATCH, index, 4, 0))
    a.alu_rr(ALU_ADD, 64, SCRATCH, index)
    a.jmp_r(SCRATCH)
    a.align(4, 0xCC)
    a.bind(table)
    base = table.pos
    for label in targets:
        a.emit_label_offset(label, base)


__all__ = [
    "SCRATCH", "XSCRATCH", "HAS_LZCNT", "HAS_TZCNT", "HAS_POPCNT", "fits_simm32",
    "store_int_const", "copy_slot", "flags_to_reg",
    "flags_to_mem", "parallel_move", "load_vmctx_array_entry", "load_global_cell",
    "load_table_desc", "load_memory_desc", "load_type_id", "load_func_ref", "load_builtin_ref",
    "LOADS", "MOV_LOADS", "INT_STORE_SIZES", "FLOAT_STORES", "ACCESS_BYTES", "divrem", "clz", "ctz",
    "popcnt", "jump_table", "bulk_bounds_check", "memory_fill", "memory_copy",
]
