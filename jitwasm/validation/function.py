"""The function-body validator: the spec's validation algorithm in one tight loop.

Decoding follows the spec's reference decoder: a body is read instruction by instruction, not
bounded by its declared size, and its final `end` must land exactly on that size ("section
size mismatch" otherwise); running out of module is "unexpected end of section or function".

The operand stack is a preallocated list of valtype ints with `sp` the index of its top entry.
`UNKNOWN` (0) stands for a value popped from the polymorphic stack of unreachable code. Every
open block leaves a `_BARRIER` (-1) on the stack below its values: no type equals it, so the
common checks ("is the top an i32?", "are the top two i32?") need no separate comparison
with the frame's base. The control stack is a preallocated list of one list per open block,
`[kind, params, results, base, unreachable, label_types]` where `base` is the index of the
block's barrier, with `depth` the index of the current frame; the current frame's `base` and
`unreachable` live in locals.

Speed: this loop is most of the time of loading a module, and CPython 3.11 prices it per
bytecode and per int allocated, so:

- The body is read through one bytes iterator (`for b in it`, immediates with `next`): no
  position arithmetic, which would allocate an int per byte. Positions are recovered from the
  iterator (`leb128.iter_position`) for the rare long immediates and for errors.
- Stack slots are addressed with non-negative indices (`stack[sp]`, `ctrls[depth]`), which
  CPython's specialised list subscripts handle inline; a push is `sp += 1; stack[sp] = t`
  into room made up front. An instruction pushes at most one value and takes at least one
  byte, so `slack` = body size suffices between the multi-value pushes, which make room
  again (`_push_vals`); running out of room means the reading went past the body's end.
- After `local.get` and `i32.const`, single-byte opcodes dispatch on a per-opcode "kind" in
  a tree of range tests; numeric ops and memory accesses are grouped by stack shape and
  check the top of the stack with one or two int compares against per-opcode type lists.
- `i32.const` reads one opcode ahead: followed by an i32 binary op (the most common pair:
  address arithmetic, compares with constants) both are typed in one step.

Only a mismatch (an UNKNOWN entry, the polymorphic base, a real type error) takes the slow
path `_pop_vals`, which is the spec's `pop_vals` exactly. Opcode facts (signatures,
alignments, lane counts) come from `binary.opcodes`.
"""

from collections import namedtuple

from ..binary import opcodes as op
from ..binary.decoder import (
    BODY_FRAME, END_OF_SECTION, check_body_well_formed, instruction_start,
)
from ..binary.leb128 import (
    iter_position, next_skip_s32, next_skip_u32, next_u32, read_s33, read_s64,
)
from ..binary.types import (
    EXTERNREF, F32, F64, FUNCREF, I32, I64, NUM_TYPES, V128, VALUE_TYPES,
)
from ..errors import DecodeError, ValidationError

UNKNOWN = 0
_BARRIER = -1
_REF_TYPES = (FUNCREF, EXTERNREF)
_NON_REF = frozenset(NUM_TYPES | {V128, UNKNOWN})
_I32 = [I32]
_EMPTY = []  # shared, never mutated

# Frame kinds: the opcode that opened the frame (BODY_FRAME for the body itself).
_IF, _ELSE = op.IF, op.ELSE


class FuncFacts(namedtuple("FuncFacts", "max_stack max_depth has_calls uses_memory grows_memory")):
    """What validation learned about one function, for the compiler to reuse.

    max_stack: deepest operand stack (values; params and locals excluded)
    max_depth: deepest control nesting (the body itself counts as 1)
    has_calls: contains call / call_indirect
    uses_memory: touches linear memory (loads, stores, memory.*)
    grows_memory: contains memory.grow
    """
    __slots__ = ()


# NamedTuple construction without the generated Python-level __new__ (once per function).
_tuple_new = tuple.__new__


class _Invalid(Exception):
    """A typing error inside the loop; converted to ValidationError with function and offset."""


class _Malformed(Exception):
    """A binary-format error inside the loop; converted to DecodeError with its offset."""


# Dispatch kinds of single-byte opcodes other than i32.const and local.get (which the loop
# tests first), numbered for the loop's tree of range tests: the kinds of a group are
# contiguous, the most frequent groups first. K_OTHER: the rare ones, a plain chain on the
# opcode byte.
(K_MEMORY, K_END, K_BR_IF, K_BLOCK, K_LOCAL_SET, K_LOCAL_TEE, K_I32_BINOP, K_BR, K_CALL,
 K_I32_UNOP, K_BINOP, K_UNOP, K_GLOBAL_GET, K_OTHER) = range(14)
_KIND_BY_OPCODE = {
    op.LOCAL_SET: K_LOCAL_SET, op.LOCAL_TEE: K_LOCAL_TEE, op.END: K_END, op.BR_IF: K_BR_IF,
    op.BLOCK: K_BLOCK, op.LOOP: K_BLOCK, op.IF: K_BLOCK, op.BR: K_BR, op.CALL: K_CALL,
    op.GLOBAL_GET: K_GLOBAL_GET,
}


def _tables():
    """Per-opcode dispatch data derived from the opcode table.

    For single-byte ops: `kinds[b]`; `args[b]` the operand type of a unary/binary op or the
    stored type of a store; `results[b]` the result type of a unary/binary op or a load (0
    for a store); `aligns[b]` the natural alignment of a memory access; `sigs[b]` (params,
    results) as bottom-to-top lists for the slow path. Prefixed (0xFC/0xFD) ops with a fixed
    signature map to (imm kind, params, results, align, lanes). Lists rather than bytes:
    indexing a list is the faster lookup.
    """
    kinds = [K_OTHER] * 256
    args = [0] * 256
    results = [0] * 256
    aligns = [0] * 256
    sigs = [None] * 256
    prefixed = {}
    for code, info in op.OPCODES.items():
        if code in _KIND_BY_OPCODE:
            kinds[code] = _KIND_BY_OPCODE[code]
            continue
        if info.sig is None:
            continue
        params = list(reversed(info.sig[0]))
        pushes = list(info.sig[1])
        if code >= 0x100:
            prefixed[code] = (info.imm, params, pushes, info.align, info.lanes)
            continue
        if not params or info.imm not in (op.IMM_NONE, op.IMM_MEMARG):
            continue  # nop, constants, memory.size/grow: handled in the loop by opcode
        sigs[code] = (params, pushes)
        if info.imm == op.IMM_MEMARG:
            kinds[code] = K_MEMORY
            aligns[code] = info.align
            if pushes:                       # load: [i32] -> [t]
                results[code] = pushes[0]
            else:                            # store: [i32 t] -> []
                args[code] = params[1]
            continue
        if len(pushes) != 1 or len(set(params)) != 1:
            raise ValueError(f"no dispatch kind for {info.name}")  # the table changed
        args[code] = params[0]
        results[code] = pushes[0]
        i32_only = params[0] == pushes[0] == I32
        if len(params) == 2:
            kinds[code] = K_I32_BINOP if i32_only else K_BINOP
        else:
            kinds[code] = K_I32_UNOP if i32_only else K_UNOP
    # Without a memory every access is "unknown memory": send them to the rare chain.
    no_memory = [K_OTHER if k == K_MEMORY else k for k in kinds]
    return kinds, no_memory, args, results, aligns, sigs, prefixed


_KINDS, _KINDS_NO_MEMORY, _ARGS, _RESULTS, _ALIGNS, _SIGS, _PREFIXED = _tables()
_MEMORY_ACCESSES = frozenset(b for b in range(256) if _KINDS[b] == K_MEMORY)


# ---------------------------------------------------------------------------------------
# Slow paths of the operand stack


def _pop_vals(stack, sp, base, unreachable, types):
    """The spec's pop_vals on stack[base + 1..sp]: pop `types` (bottom-to-top). Returns the
    new sp and the actual values popped (UNKNOWN where the polymorphic stack supplied one)."""
    n = len(types)
    if sp - n >= base and stack[sp - n + 1:sp + 1] == types:
        return sp - n, types
    popped = [UNKNOWN] * n
    for i in range(n - 1, -1, -1):
        expect = types[i]
        if sp <= base:
            if not unreachable:
                raise _Invalid("type mismatch")
            continue
        actual = stack[sp]
        if actual != expect and actual != UNKNOWN and expect != UNKNOWN:
            raise _Invalid("type mismatch")
        popped[i] = actual
        sp -= 1
    return sp, popped


def _push_vals(stack, sp, types, slack):
    """Push `types` (bottom-to-top); return the new sp. Keeps `slack` free slots above it, the
    room single pushes count on."""
    n = len(types)
    stack[sp + 1:sp + 1 + n] = types
    sp += n
    if len(stack) <= sp + slack:
        stack.extend([UNKNOWN] * (sp + slack + 1 - len(stack)))
    return sp


def _retype(stack, sp, base, unreachable, pops, pushes, slack):
    """Pop `pops`, push `pushes` (the slow path of every fixed-signature op); return sp."""
    sp = _pop_vals(stack, sp, base, unreachable, pops)[0]
    return _push_vals(stack, sp, pushes, slack)


def _pop_any(stack, sp, base, unreachable):
    """Pop one value of any type: (value, new sp)."""
    if sp > base:
        return stack[sp], sp - 1
    if unreachable:
        return UNKNOWN, sp
    raise _Invalid("type mismatch")


def _open_with_params(stack, sp, base, unreachable, params, slack):
    """Enter a block whose type takes `params`: check them and slide them above a new
    barrier. Returns (sp, base of the new frame: the index of its barrier)."""
    sp = _retype(stack, sp, base, unreachable, params, params, slack)
    base = sp - len(params) + 1
    stack[base + 1:sp + 2] = stack[base:sp + 1]
    stack[base] = _BARRIER
    return _push_vals(stack, sp + 1, _EMPTY, slack), base


# ---------------------------------------------------------------------------------------
# Immediates: read from the iterator over `code` (positions, where a reader needs one, come
# from the iterator)


def _local_index(code, it, first, nlocals) -> int:
    """A local index whose first byte `first` `it` has just returned, when that byte alone
    did not name a local (a multi-byte index, or an unknown local)."""
    idx = first if first < 0x80 else next_u32(it, first, code)
    if idx >= nlocals:
        raise _Invalid("unknown local")
    return idx


def _u32(code, it) -> int:
    b = next(it)
    return b if b < 0x80 else next_u32(it, b, code)


def _skip_bytes(code, it, n: int) -> None:
    """Skip `n` bytes (past the end of `code`, the next read raises StopIteration)."""
    it.__setstate__(iter_position(code, it) + n)


def _block_type(code, it, first, types):
    """A block type other than empty, whose first byte `first` `it` has just returned:
    (params, results)."""
    if first in VALUE_TYPES:
        return _EMPTY, [first]
    index, pos = read_s33(code, iter_position(code, it) - 1)
    it.__setstate__(pos)
    if index < 0:
        raise _Malformed("malformed value type")
    if index >= len(types):
        raise _Invalid("unknown type")
    return types[index]


def _zero_byte(it) -> None:
    if next(it) != 0:
        raise _Malformed("zero byte expected")


# ---------------------------------------------------------------------------------------
# The loop


def validate_function(ctx, func_index: int, body, params: list, results: list) -> FuncFacts:
    """Validate one function body; raise DecodeError/ValidationError, return its FuncFacts.

    Offsets in errors are module offsets (the body is read in place from `ctx.data`)."""
    code = ctx.data
    start = body.code_start
    end = body.end
    it = iter(code)
    it.__setstate__(start)
    next_ = next
    locals_ = params + list(body.locals)
    nlocals = len(locals_)
    nshort = nlocals if nlocals < 0x80 else 0x80  # a one-byte index below this is in range
    types = ctx.types
    funcs = ctx.funcs
    nfuncs = len(funcs)
    globals_ = ctx.globals
    tables = ctx.tables
    has_memory = ctx.num_memories > 0
    kinds = _KINDS if has_memory else _KINDS_NO_MEMORY
    args = _ARGS
    rtypes = _RESULTS
    aligns = _ALIGNS
    sigs = _SIGS
    i32 = I32
    barrier = _BARRIER
    empty = _EMPTY
    (k_memory, k_br_if, k_local_set, k_local_tee, k_i32_binop, k_br, k_call, k_binop, k_unop,
     k_other) = (K_MEMORY, K_BR_IF, K_LOCAL_SET, K_LOCAL_TEE, K_I32_BINOP, K_BR, K_CALL, K_BINOP,
                 K_UNOP, K_OTHER)

    slack = end - start + 2
    stack = [UNKNOWN] * (slack + 1)
    stack[0] = barrier
    sp = 0             # index of the top entry
    frame = [BODY_FRAME, _EMPTY, results, 0, False, results]
    ctrls = [None] * (slack // 2 + 2)  # a block opener takes 2 bytes or more
    ctrls[0] = frame
    depth = 0          # index of the current frame in ctrls (= barriers on the stack - 1)
    base = 0           # index of the current frame's barrier on the stack
    unreachable = False
    high = 0           # max over time of sp - depth, plus the current depth
    has_calls = uses_memory = grows_memory = False
    try:
        for b in it:
            while b == 0x41:  # i32.const, reading the next opcode ahead (maybe i32.const)
                if next_(it) >= 0x80:
                    next_skip_s32(it, code)
                b = next_(it)
                if kinds[b] == k_i32_binop and stack[sp] == i32:
                    # The binary op pops this constant and the i32 below it and pushes an
                    # i32: the stack is as before, one entry higher for a moment.
                    if sp >= high:
                        high = sp + 1
                    b = next_(it)
                else:
                    sp += 1
                    stack[sp] = i32
                    if sp > high:
                        high = sp

            if b == 0x20:  # local.get
                idx = next_(it)
                if idx >= nshort:
                    idx = _local_index(code, it, idx, nlocals)
                sp += 1
                stack[sp] = locals_[idx]
                if sp > high:
                    high = sp
                continue

            # The other frequent kinds, in a tree of range tests. Each test is written so that
            # its conditional jump is short (`if k >= X: pass` / `else:` subtree): CPython 3.11
            # cannot specialise a compare whose jump needs EXTENDED_ARG (over 255 code units).
            k = kinds[b]
            if k >= k_local_set:
                pass
            else:  # memory access, end, br_if, block
                if k >= k_br_if:
                    pass
                else:
                    if k == k_memory:  # loads and stores
                        natural = aligns[b]
                        align = next_(it)
                        if align > natural:
                            if align >= 0x80:
                                align = next_u32(it, align, code)
                            if align > natural:
                                raise _Invalid("alignment must not be larger than natural")
                        if next_(it) >= 0x80:  # offset
                            next_skip_u32(it, code)
                        uses_memory = True
                        t = rtypes[b]
                        if t:  # load: [i32] -> [t]
                            if stack[sp] == i32:
                                stack[sp] = t
                            else:
                                sp = _pop_vals(stack, sp, base, unreachable, _I32)[0] + 1
                                stack[sp] = t
                        elif stack[sp] == args[b] and stack[sp - 1] == i32:
                            sp -= 2  # store: [i32 t] -> []
                        else:
                            sp = _pop_vals(stack, sp, base, unreachable, sigs[b][0])[0]
                        continue

                    # end
                    fresults = frame[2]
                    if fresults or sp != base:
                        if stack[base + 1:sp + 1] != fresults:
                            sp = _pop_vals(stack, sp, base, unreachable, fresults)[0]
                            if sp != base:
                                raise _Invalid("type mismatch")
                            sp = _push_vals(stack, sp, fresults, slack)
                            if sp > high:
                                high = sp
                        # Drop the block's barrier: its results slide down one slot.
                        stack[base:sp] = stack[base + 1:sp + 1]
                    if frame[0] == _IF and frame[1] != fresults:
                        raise _Invalid("type mismatch")  # `if` without `else`: [t*] -> [t*]
                    if not depth:
                        if iter_position(code, it) != end:
                            raise _Malformed("section size mismatch")
                        break
                    sp -= 1
                    high -= 1
                    depth -= 1
                    frame = ctrls[depth]
                    base = frame[3]
                    unreachable = frame[4]
                    continue

                if k == k_br_if:
                    idx = next_(it)
                    if idx >= 0x80:
                        idx = next_u32(it, idx, code)
                    if idx > depth:
                        raise _Invalid("unknown label")
                    if stack[sp] == i32:
                        sp -= 1
                    else:
                        sp = _pop_vals(stack, sp, base, unreachable, _I32)[0]
                    labels = ctrls[depth - idx][5]
                    if labels:
                        sp = _retype(stack, sp, base, unreachable, labels, labels, slack)
                    continue

                # block, loop, if
                bt = next_(it)
                if bt == 0x40:
                    bparams = bresults = empty
                else:
                    bparams, bresults = _block_type(code, it, bt, types)
                if b == 0x04:
                    if stack[sp] == i32:
                        sp -= 1
                    else:
                        sp = _pop_vals(stack, sp, base, unreachable, _I32)[0]
                if bparams:
                    sp, base = _open_with_params(stack, sp, base, unreachable, bparams,
                                                   slack)
                    if sp > high:
                        high = sp
                else:
                    sp += 1
                    stack[sp] = barrier
                    base = sp
                unreachable = False
                frame = [b, bparams, bresults, base, False,
                         bparams if b == 0x03 else bresults]
                depth += 1
                ctrls[depth] = frame
                high += 1
                continue

            if k >= k_br:
                pass
            else:  # local.set, local.tee, i32 binary op
                if k == k_local_set:
                    idx = next_(it)
                    if idx >= nshort:
                        idx = _local_index(code, it, idx, nlocals)
                    t = locals_[idx]
                    if stack[sp] == t:
                        sp -= 1
                    else:
                        sp = _pop_vals(stack, sp, base, unreachable, [t])[0]
                    continue

                if k == k_local_tee:
                    idx = next_(it)
                    if idx >= nshort:
                        idx = _local_index(code, it, idx, nlocals)
                    t = locals_[idx]
                    if stack[sp] != t:
                        sp = _pop_vals(stack, sp, base, unreachable, [t])[0] + 1
                        stack[sp] = t
                    continue

                # i32 binary op
                if stack[sp] == i32 and stack[sp - 1] == i32:
                    sp -= 1
                else:
                    sp = _pop_vals(stack, sp, base, unreachable, sigs[b][0])[0] + 1
                    stack[sp] = i32
                continue

            if k >= k_binop:
                pass
            else:  # br, call, i32 unary op
                if k == k_br:
                    idx = next_(it)
                    if idx >= 0x80:
                        idx = next_u32(it, idx, code)
                    if idx > depth:
                        raise _Invalid("unknown label")
                    labels = ctrls[depth - idx][5]
                    if labels:
                        _pop_vals(stack, sp, base, unreachable, labels)
                    sp = base
                    unreachable = frame[4] = True
                    continue

                if k == k_call:
                    idx = next_(it)
                    if idx >= 0x80:
                        idx = next_u32(it, idx, code)
                    if idx >= nfuncs:
                        raise _Invalid("unknown function")
                    fparams, fresults = funcs[idx]
                    if fparams:
                        n = len(fparams)
                        if sp - n >= base and stack[sp - n + 1:sp + 1] == fparams:
                            sp -= n
                        else:
                            sp = _pop_vals(stack, sp, base, unreachable, fparams)[0]
                    if fresults:
                        if len(fresults) == 1:  # a single push (a call takes 2 bytes or more)
                            sp += 1
                            stack[sp] = fresults[0]
                        else:
                            sp = _push_vals(stack, sp, fresults, slack)
                        if sp > high:
                            high = sp
                    has_calls = True
                    continue

                # i32 unary op
                if stack[sp] != i32:
                    sp = _pop_vals(stack, sp, base, unreachable, _I32)[0] + 1
                    stack[sp] = i32
                continue

            if k >= k_other:
                pass
            else:  # other binary and unary ops, global.get
                if k == k_binop:
                    t = args[b]
                    if stack[sp] == t and stack[sp - 1] == t:
                        sp -= 1
                        stack[sp] = rtypes[b]
                    else:
                        sp = _pop_vals(stack, sp, base, unreachable, sigs[b][0])[0] + 1
                        stack[sp] = rtypes[b]
                    continue

                if k == k_unop:
                    if stack[sp] == args[b]:
                        stack[sp] = rtypes[b]
                    else:
                        sp = _pop_vals(stack, sp, base, unreachable, sigs[b][0])[0] + 1
                        stack[sp] = rtypes[b]
                    continue

                # global.get
                idx = _u32(code, it)
                if idx >= len(globals_):
                    raise _Invalid("unknown global")
                sp += 1
                stack[sp] = globals_[idx][0]
                if sp > high:
                    high = sp
                continue

            # The rest is rare in compiled code: a plain chain on the opcode byte, most
            # frequent first.
            if b == 0x42 or b == 0x43 or b == 0x44:  # i64/f32/f64.const
                if b == 0x42:
                    it.__setstate__(read_s64(code, iter_position(code, it))[1])
                    t = I64
                elif b == 0x43:
                    _skip_bytes(code, it, 4)
                    t = F32
                else:
                    _skip_bytes(code, it, 8)
                    t = F64
                sp += 1
                stack[sp] = t
                if sp > high:
                    high = sp
                continue

            if b == 0x1B:  # select
                sp = _pop_vals(stack, sp, base, unreachable, _I32)[0]
                t1, sp = _pop_any(stack, sp, base, unreachable)
                t2, sp = _pop_any(stack, sp, base, unreachable)
                if t1 not in _NON_REF or t2 not in _NON_REF:
                    raise _Invalid("type mismatch")
                if t1 != t2 and t1 != UNKNOWN and t2 != UNKNOWN:
                    raise _Invalid("type mismatch")
                sp += 1
                stack[sp] = t2 if t1 == UNKNOWN else t1
                continue

            if b == 0x1A:  # drop
                if sp > base:
                    sp -= 1
                elif not unreachable:
                    raise _Invalid("type mismatch")
                continue

            if b == 0x0F:  # return
                _pop_vals(stack, sp, base, unreachable, results)
                sp = base
                unreachable = frame[4] = True
                continue

            if b == 0x24:  # global.set
                idx = _u32(code, it)
                if idx >= len(globals_):
                    raise _Invalid("unknown global")
                t, mutable = globals_[idx]
                if not mutable:
                    raise _Invalid("global is immutable")
                sp = _pop_vals(stack, sp, base, unreachable, [t])[0]
                continue

            if b == 0x00:  # unreachable
                sp = base
                unreachable = frame[4] = True
                continue

            # Prefixed ops: saturating truncation, bulk memory, tables, SIMD.
            if b == 0xFC or b == 0xFD:
                sub = _u32(code, it)
                if sub > 0xFF:
                    raise _Malformed("illegal opcode")
                opcode = (b << 8) | sub
                entry = _PREFIXED.get(opcode)
                if entry is not None:  # fixed signature: numeric, SIMD, bulk memory
                    imm, pops, pushes, align, lanes = entry
                    if imm == op.IMM_NONE:
                        pass
                    elif imm == op.IMM_MEMARG or imm == op.IMM_MEMARG_LANE:
                        a = _u32(code, it)
                        _u32(code, it)
                        if not has_memory:
                            raise _Invalid("unknown memory")
                        if a > align:
                            raise _Invalid("alignment must not be larger than natural")
                        uses_memory = True
                        if imm == op.IMM_MEMARG_LANE and next_(it) >= lanes:
                            raise _Invalid("invalid lane index")
                    elif imm == op.IMM_LANE:
                        if next_(it) >= lanes:
                            raise _Invalid("invalid lane index")
                    elif imm == op.IMM_V128:
                        _skip_bytes(code, it, 16)
                    elif imm == op.IMM_SHUFFLE:
                        shuffle = [next_(it) for _ in range(16)]
                        if max(shuffle) >= 32:
                            raise _Invalid("invalid lane index")
                    elif imm == op.IMM_TABLE:  # table.size
                        if _u32(code, it) >= len(tables):
                            raise _Invalid("unknown table")
                    else:
                        uses_memory |= _bulk_immediates(ctx, code, it, opcode, has_memory)
                    sp = _retype(stack, sp, base, unreachable, pops, pushes, slack)
                    if sp > high:
                        high = sp
                    continue
                if opcode == op.TABLE_GROW or opcode == op.TABLE_FILL:
                    idx = _u32(code, it)
                    if idx >= len(tables):
                        raise _Invalid("unknown table")
                    t = tables[idx]
                    if opcode == op.TABLE_GROW:
                        sp = _retype(stack, sp, base, unreachable, [t, I32], _I32, slack)
                    else:
                        sp = _pop_vals(stack, sp, base, unreachable, [I32, t, I32])[0]
                    continue
                raise _Malformed("illegal opcode")

            if b == 0x11:  # call_indirect
                tidx = _u32(code, it)
                table = _u32(code, it)
                if table >= len(tables):
                    raise _Invalid("unknown table")
                if tables[table] != FUNCREF:
                    raise _Invalid("type mismatch")
                if tidx >= len(types):
                    raise _Invalid("unknown type")
                sp = _pop_vals(stack, sp, base, unreachable, _I32)[0]
                fparams, fresults = types[tidx]
                sp = _retype(stack, sp, base, unreachable, fparams, fresults, slack)
                if sp > high:
                    high = sp
                has_calls = True
                continue

            if b == 0x05:  # else
                if frame[0] != _IF:
                    raise _Malformed("END opcode expected")
                sp = _pop_vals(stack, sp, base, unreachable, frame[2])[0]
                if sp != base:
                    raise _Invalid("type mismatch")
                frame[0] = _ELSE
                unreachable = frame[4] = False
                sp = _push_vals(stack, sp, frame[1], slack)
                continue

            if b == 0x0E:  # br_table
                n = _u32(code, it)
                targets = [_u32(code, it) for _ in range(n + 1)]
                sp = _pop_vals(stack, sp, base, unreachable, _I32)[0]
                default = targets.pop()
                if default > depth:
                    raise _Invalid("unknown label")
                arity = len(ctrls[depth - default][5])
                for idx in targets:
                    if idx > depth:
                        raise _Invalid("unknown label")
                    labels = ctrls[depth - idx][5]
                    if len(labels) != arity:
                        raise _Invalid("type mismatch")
                    sp, popped = _pop_vals(stack, sp, base, unreachable, labels)
                    sp = _push_vals(stack, sp, popped, slack)
                _pop_vals(stack, sp, base, unreachable, ctrls[depth - default][5])
                sp = base
                unreachable = frame[4] = True
                continue

            if b == 0x01:  # nop
                continue

            if b == 0x3F or b == 0x40:  # memory.size, memory.grow
                _zero_byte(it)
                if not has_memory:
                    raise _Invalid("unknown memory")
                uses_memory = True
                if b == 0x40:
                    grows_memory = True
                    sp = _pop_vals(stack, sp, base, unreachable, _I32)[0]
                sp += 1
                stack[sp] = I32
                if sp > high:
                    high = sp
                continue

            if b == 0x1C:  # select t*
                if _u32(code, it) != 1:
                    raise _Invalid("invalid result arity")
                t = next_(it)
                if t not in VALUE_TYPES:
                    raise _Malformed("malformed value type")
                sp = _retype(stack, sp, base, unreachable, [t, t, I32], [t], slack)
                continue

            if b == 0xD0:  # ref.null
                t = next_(it)
                if t != FUNCREF and t != EXTERNREF:
                    raise _Malformed("malformed reference type")
                sp += 1
                stack[sp] = t
                if sp > high:
                    high = sp
                continue

            if b == 0xD1:  # ref.is_null
                t, sp = _pop_any(stack, sp, base, unreachable)
                if t != UNKNOWN and t not in _REF_TYPES:
                    raise _Invalid("type mismatch")
                sp += 1
                stack[sp] = I32
                continue

            if b == 0xD2:  # ref.func
                idx = _u32(code, it)
                if idx >= nfuncs:
                    raise _Invalid("unknown function")
                if idx not in ctx.refs:
                    raise _Invalid("undeclared function reference")
                sp += 1
                stack[sp] = FUNCREF
                if sp > high:
                    high = sp
                continue

            if b == 0x25 or b == 0x26:  # table.get, table.set
                idx = _u32(code, it)
                if idx >= len(tables):
                    raise _Invalid("unknown table")
                if b == 0x25:
                    sp = _retype(stack, sp, base, unreachable, _I32, [tables[idx]], slack)
                else:
                    sp = _pop_vals(stack, sp, base, unreachable, [I32, tables[idx]])[0]
                continue

            if b in _MEMORY_ACCESSES:  # dispatched here only when there is no memory
                raise _Invalid("unknown memory")

            raise _Malformed("illegal opcode")
        else:
            raise DecodeError(END_OF_SECTION, len(code))
    except _Invalid as e:
        at = instruction_start(code, start, iter_position(code, it))
        check_body_well_formed(code, at, end, [f[0] for f in ctrls[:depth + 1]],
                               ctx.data_count is not None)
        raise ValidationError(e.args[0], func_index, at) from None
    except _Malformed as e:
        at = instruction_start(code, start, iter_position(code, it))
        raise DecodeError(e.args[0], at) from None
    except DecodeError as e:  # from the LEB readers, which do not know they are in a body
        if e.reason == "unexpected end":
            raise DecodeError(END_OF_SECTION, e.offset) from None
        raise
    except StopIteration:
        raise DecodeError(END_OF_SECTION, len(code)) from None
    except IndexError:
        # The operand or control stack outgrew its room: more pushes than the body has
        # bytes, so the reading has run past the body's end, which makes it malformed.
        check_body_well_formed(code, start, end, [BODY_FRAME], ctx.data_count is not None)
        raise  # pragma: no cover - the check above raises
    max_depth = len(ctrls) - ctrls.count(None)  # the frames ever opened stay in ctrls
    return _tuple_new(FuncFacts, (high, max_depth, has_calls, uses_memory, grows_memory))


def _bulk_immediates(ctx, code, it, opcode, has_memory) -> bool:
    """Decode and check the immediates of memory.init/copy/fill, data.drop, table.init/copy,
    elem.drop. Returns whether the op touches memory."""
    if opcode == op.MEMORY_INIT or opcode == op.DATA_DROP:
        idx = _u32(code, it)
        if opcode == op.MEMORY_INIT:
            _zero_byte(it)
        if ctx.data_count is None:
            raise _Malformed("data count section required")
        if opcode == op.MEMORY_INIT and not has_memory:
            raise _Invalid("unknown memory")
        if idx >= ctx.data_count:
            raise _Invalid("unknown data segment")
        return opcode == op.MEMORY_INIT
    if opcode == op.MEMORY_COPY or opcode == op.MEMORY_FILL:
        _zero_byte(it)
        if opcode == op.MEMORY_COPY:
            _zero_byte(it)
        if not has_memory:
            raise _Invalid("unknown memory")
        return True
    if opcode == op.ELEM_DROP:
        if _u32(code, it) >= len(ctx.elems):
            raise _Invalid("unknown elem segment")
        return False
    tables = ctx.tables
    if opcode == op.TABLE_INIT:
        elem = _u32(code, it)
        table = _u32(code, it)
        if table >= len(tables):
            raise _Invalid("unknown table")
        if elem >= len(ctx.elems):
            raise _Invalid("unknown elem segment")
        if ctx.elems[elem] != tables[table]:
            raise _Invalid("type mismatch")
        return False
    if opcode == op.TABLE_COPY:
        dst = _u32(code, it)
        src = _u32(code, it)
        if dst >= len(tables) or src >= len(tables):
            raise _Invalid("unknown table")
        if tables[dst] != tables[src]:
            raise _Invalid("type mismatch")
        return False
    raise _Malformed("illegal opcode")  # pragma: no cover - table and handlers disagree
