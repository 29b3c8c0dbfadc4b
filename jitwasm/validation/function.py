"""The function-body validator: the spec's validation algorithm in one tight loop.

The operand stack is a list of valtype ints. `UNKNOWN` (0) stands for a value popped from the
polymorphic stack of unreachable code. Every open block also leaves a `_BARRIER` (-1) on the
operand stack below its values: no type equals it, so the common checks ("is the top an i32?",
"are the top n values exactly these types?") need no separate comparison with the frame's
height. The control stack holds one list per open block:
`[kind, params, results, height, unreachable, label_types]`, where `height` is the index just
above the block's barrier; the current frame's `height` and `unreachable` live in locals.

Speed: single-byte opcodes dispatch on a small "kind" table in frequency order; an op with a
fixed signature checks the top of the stack with one slice compare against its parameter list
and replaces it with its results. Only a mismatch (an UNKNOWN entry, the polymorphic base, a
real type error) takes the slow path `_pop_vals`, which is the spec's `pop_val` exactly.
Opcode facts (signatures, alignments, lane counts) come from `binary.opcodes`.
"""

from typing import NamedTuple

from ..binary import opcodes as op
from ..binary.leb128 import read_s32, read_s33, read_s64, read_u32
from ..binary.types import (
    EXTERNREF, F32, F64, FUNCREF, I32, I64, NUM_TYPES, V128, VALUE_TYPES,
)
from ..errors import DecodeError, ValidationError
from .wellformed import check_well_formed, instruction_start

UNKNOWN = 0
_BARRIER = -1
_REF_TYPES = (FUNCREF, EXTERNREF)
_NON_REF = frozenset(NUM_TYPES | {V128, UNKNOWN})
_I32 = [I32]
_EMPTY = []  # shared, never mutated

# Frame kinds (the opcode that opened the frame; FUNC for the body itself).
_FUNC, _IF, _ELSE = -1, 0x04, 0x05


class FuncFacts(NamedTuple):
    """What validation learned about one function, for the compiler to reuse."""
    max_stack: int        # deepest operand stack (values; params and locals excluded)
    max_depth: int        # deepest control nesting (the body itself counts as 1)
    has_calls: bool       # contains call / call_indirect
    uses_memory: bool     # touches linear memory (loads, stores, memory.*)
    grows_memory: bool    # contains memory.grow


class _Invalid(Exception):
    """A typing error inside the loop; converted to ValidationError with function and offset."""


class _Malformed(Exception):
    """A binary-format error inside the loop; converted to DecodeError with its offset."""


# Dispatch kinds of single-byte opcodes (K_OTHER: the rare ones, handled by a plain chain).
(K_OTHER, K_SIMPLE, K_I32_CONST, K_LOCAL_SET, K_LOCAL_TEE, K_MEMOP, K_END, K_BR_IF, K_BLOCK,
 K_BR, K_CALL, K_GLOBAL_GET) = range(12)
_KIND_BY_OPCODE = {
    op.I32_CONST: K_I32_CONST, op.LOCAL_SET: K_LOCAL_SET, op.LOCAL_TEE: K_LOCAL_TEE,
    op.END: K_END, op.BR_IF: K_BR_IF, op.BLOCK: K_BLOCK, op.LOOP: K_BLOCK, op.IF: K_BLOCK,
    op.BR: K_BR, op.CALL: K_CALL, op.GLOBAL_GET: K_GLOBAL_GET,
}


def _tables():
    """Per-opcode dispatch data derived from the opcode table.

    sigs[b] for K_SIMPLE is (params, results, -len(params)); for K_MEMOP it is
    (params, results, -len(params), natural alignment). Params are bottom-to-top lists, so
    `stack[-n:] == params` checks them in one compare.
    """
    kinds = [K_OTHER] * 256
    sigs = [None] * 256
    prefixed = {}  # 0xFC/0xFD ops with a fixed signature: (imm kind, params, results, align, lanes)
    for code, info in op.OPCODES.items():
        if code in _KIND_BY_OPCODE:
            kinds[code] = _KIND_BY_OPCODE[code]
            continue
        if info.sig is None:
            continue
        params = list(reversed(info.sig[0]))
        results = list(info.sig[1])
        if code >= 0x100:
            prefixed[code] = (info.imm, params, results, info.align, info.lanes)
        elif info.imm == op.IMM_NONE and params:
            kinds[code] = K_SIMPLE
            sigs[code] = (params, results, -len(params))
        elif info.imm == op.IMM_MEMARG:
            kinds[code] = K_MEMOP
            sigs[code] = (params, results, -len(params), info.align)
    return bytes(kinds), sigs, prefixed


_KINDS, _SIGS, _PREFIXED = _tables()


def _pop_vals(stack, height, unreachable, types):
    """The spec's pop_vals: pop `types` (bottom-to-top); return the actual values popped
    (UNKNOWN where the polymorphic stack supplied one)."""
    n = len(types)
    top = len(stack) - n
    if top >= height and stack[top:] == types:
        del stack[top:]
        return types
    popped = [UNKNOWN] * n
    for i in range(n - 1, -1, -1):
        expect = types[i]
        if len(stack) == height:
            if not unreachable:
                raise _Invalid("type mismatch")
            continue
        actual = stack.pop()
        if actual != expect and actual != UNKNOWN and expect != UNKNOWN:
            raise _Invalid("type mismatch")
        popped[i] = actual
    return popped


def _pop_any(stack, height, unreachable):
    if len(stack) > height:
        return stack.pop()
    if unreachable:
        return UNKNOWN
    raise _Invalid("type mismatch")


def _block_type(code, pos, types):
    """Decode a non-empty block type at `pos`: (params, results, new_pos)."""
    b = code[pos]
    if b in VALUE_TYPES:
        return _EMPTY, [b], pos + 1
    index, pos = read_s33(code, pos)
    if index < 0:
        raise _Malformed("malformed value type")
    if index >= len(types):
        raise _Invalid("unknown type")
    params, results = types[index]
    return params, results, pos


def _read_zero(code, pos):
    if code[pos] != 0:
        raise _Malformed("zero byte expected")
    return pos + 1


def _u32(code, pos):
    """read_u32 unrolled for the 3- to 5-byte encodings that dominate its slow path (linkers
    pad relocated indices and offsets to 5 bytes). Anything irregular (too long, too large,
    truncated) is re-read by leb128.read_u32, which owns the rules and the messages."""
    try:
        b = code[pos]
        if b < 0x80:
            return b, pos + 1
        result = b & 0x7F
        b = code[pos + 1]
        if b < 0x80:
            return result | b << 7, pos + 2
        result |= (b & 0x7F) << 7
        b = code[pos + 2]
        if b < 0x80:
            return result | b << 14, pos + 3
        result |= (b & 0x7F) << 14
        b = code[pos + 3]
        if b < 0x80:
            return result | b << 21, pos + 4
        b = code[pos + 4]
        if b < 0x10:
            return result | (code[pos + 3] & 0x7F) << 21 | b << 28, pos + 5
    except IndexError:
        pass
    return read_u32(code, pos)


def _skip_s32(code, pos):
    """Position after an s32 LEB (value not needed); irregular ones go to leb128.read_s32."""
    try:
        if code[pos + 1] < 0x80:
            return pos + 2
        if code[pos + 2] < 0x80:
            return pos + 3
        if code[pos + 3] < 0x80:
            return pos + 4
        b = code[pos + 4]
        if b < 0x08 or 0x78 <= b < 0x80:  # the unused high bits must extend the sign bit
            return pos + 5
    except IndexError:
        pass
    return read_s32(code, pos)[1]


def validate_function(ctx, func_index: int, body, params: list, results: list) -> FuncFacts:
    """Validate one function body; raise DecodeError/ValidationError, return its FuncFacts."""
    base = body.code_start
    code = ctx.data[base:body.end]
    ncode = len(code)
    locals_ = params + list(body.locals)
    nlocals = len(locals_)
    types = ctx.types
    funcs = ctx.funcs
    nfuncs = len(funcs)
    globals_ = ctx.globals
    tables = ctx.tables
    has_memory = ctx.num_memories > 0
    kinds = _KINDS
    sigs = _SIGS
    _len = len
    i32 = I32
    barrier = _BARRIER
    k_simple, k_i32_const, k_local_set, k_local_tee, k_memop, k_end, k_br_if, k_block = (
        K_SIMPLE, K_I32_CONST, K_LOCAL_SET, K_LOCAL_TEE, K_MEMOP, K_END, K_BR_IF, K_BLOCK)
    k_br, k_call, k_global_get = K_BR, K_CALL, K_GLOBAL_GET

    stack = [barrier]
    push = stack.append
    frame = [_FUNC, _EMPTY, results, 1, False, results]
    ctrls = [frame]
    nctrl = 1          # len(ctrls), also the number of barriers on the stack
    height = 1
    unreachable = False
    high = 1           # max over time of len(stack) - nctrl, plus the current nctrl
    max_depth = 1
    has_calls = uses_memory = grows_memory = False
    pos = 0
    try:
        while True:
            b = code[pos]
            pos += 1

            if b == 0x20:  # local.get
                idx = code[pos]
                if idx < 0x80:
                    pos += 1
                else:
                    idx, pos = _u32(code, pos)
                if idx >= nlocals:
                    raise _Invalid("unknown local")
                push(locals_[idx])
                if _len(stack) > high:
                    high = _len(stack)
                continue

            k = kinds[b]
            if k == k_simple:
                pops, pushes, neg = sigs[b]
                if stack[neg:] == pops:
                    stack[neg:] = pushes
                else:
                    _pop_vals(stack, height, unreachable, pops)
                    stack += pushes
                continue

            if k == k_i32_const:
                if code[pos] < 0x80:
                    pos += 1
                else:
                    pos = _skip_s32(code, pos)
                push(i32)
                if _len(stack) > high:
                    high = _len(stack)
                continue

            if k == k_local_set:
                idx = code[pos]
                if idx < 0x80:
                    pos += 1
                else:
                    idx, pos = _u32(code, pos)
                if idx >= nlocals:
                    raise _Invalid("unknown local")
                t = locals_[idx]
                if stack[-1] == t:
                    del stack[-1]
                else:
                    _pop_vals(stack, height, unreachable, [t])
                continue

            if k == k_local_tee:
                idx = code[pos]
                if idx < 0x80:
                    pos += 1
                else:
                    idx, pos = _u32(code, pos)
                if idx >= nlocals:
                    raise _Invalid("unknown local")
                t = locals_[idx]
                if stack[-1] != t:
                    _pop_vals(stack, height, unreachable, [t])
                    push(t)
                continue

            if k == k_memop:  # loads and stores
                align = code[pos]
                if align < 0x80:
                    pos += 1
                else:
                    align, pos = _u32(code, pos)
                if code[pos] < 0x80:
                    pos += 1
                else:
                    pos = _u32(code, pos)[1]
                pops, pushes, neg, natural = sigs[b]
                if align > natural:
                    raise _Invalid("alignment must not be larger than natural")
                if not has_memory:
                    raise _Invalid("unknown memory")
                uses_memory = True
                if stack[neg:] == pops:
                    stack[neg:] = pushes
                else:
                    _pop_vals(stack, height, unreachable, pops)
                    stack += pushes
                continue

            if k == k_end:
                fresults = frame[2]
                if stack[height:] != fresults:
                    _pop_vals(stack, height, unreachable, fresults)
                    if _len(stack) != height:
                        raise _Invalid("type mismatch")
                    stack += fresults
                    if _len(stack) > high:
                        high = _len(stack)
                if frame[0] == _IF and frame[1] != fresults:
                    raise _Invalid("type mismatch")  # `if` without `else` must be [t*] -> [t*]
                nctrl -= 1
                if not nctrl:
                    if pos != ncode:
                        raise _Malformed("section size mismatch")
                    break
                high -= 1
                del stack[height - 1]  # the block's barrier
                del ctrls[-1]
                frame = ctrls[-1]
                height = frame[3]
                unreachable = frame[4]
                continue

            if k == k_br_if:
                idx = code[pos]
                if idx < 0x80:
                    pos += 1
                else:
                    idx, pos = _u32(code, pos)
                if idx >= nctrl:
                    raise _Invalid("unknown label")
                if stack[-1] == i32:
                    del stack[-1]
                else:
                    _pop_vals(stack, height, unreachable, _I32)
                labels = ctrls[-1 - idx][5]
                if labels and stack[_len(stack) - _len(labels):] != labels:
                    _pop_vals(stack, height, unreachable, labels)
                    stack += labels
                continue

            if k == k_block:  # block, loop, if
                if code[pos] == 0x40:
                    bparams = bresults = _EMPTY
                    pos += 1
                else:
                    bparams, bresults, pos = _block_type(code, pos, types)
                if b == 0x04:
                    if stack[-1] == i32:
                        del stack[-1]
                    else:
                        _pop_vals(stack, height, unreachable, _I32)
                if bparams:
                    if stack[_len(stack) - _len(bparams):] != bparams:
                        _pop_vals(stack, height, unreachable, bparams)
                        stack += bparams
                    height = _len(stack) - _len(bparams)
                    stack.insert(height, barrier)
                    height += 1
                else:
                    push(barrier)
                    height = _len(stack)
                unreachable = False
                frame = [b, bparams, bresults, height, False,
                         bparams if b == 0x03 else bresults]
                ctrls.append(frame)
                nctrl += 1
                high += 1
                if nctrl > max_depth:
                    max_depth = nctrl
                continue

            if k == k_br:
                idx = code[pos]
                if idx < 0x80:
                    pos += 1
                else:
                    idx, pos = _u32(code, pos)
                if idx >= nctrl:
                    raise _Invalid("unknown label")
                labels = ctrls[-1 - idx][5]
                if stack[_len(stack) - _len(labels):] != labels:
                    _pop_vals(stack, height, unreachable, labels)
                del stack[height:]
                unreachable = frame[4] = True
                continue

            if k == k_call:
                idx = code[pos]
                if idx < 0x80:
                    pos += 1
                else:
                    idx, pos = _u32(code, pos)
                if idx >= nfuncs:
                    raise _Invalid("unknown function")
                fparams, fresults = funcs[idx]
                top = _len(stack) - _len(fparams)
                if stack[top:] == fparams:
                    stack[top:] = fresults
                else:
                    _pop_vals(stack, height, unreachable, fparams)
                    stack += fresults
                if _len(stack) > high:
                    high = _len(stack)
                has_calls = True
                continue

            if k == k_global_get:
                idx, pos = _u32(code, pos)
                if idx >= _len(globals_):
                    raise _Invalid("unknown global")
                push(globals_[idx][0])
                if _len(stack) > high:
                    high = _len(stack)
                continue

            # Prefixed ops: saturating truncation, bulk memory, tables, SIMD.
            if b == 0xFC or b == 0xFD:
                sub, pos = _u32(code, pos)
                if sub > 0xFF:
                    raise _Malformed("illegal opcode")
                opcode = (b << 8) | sub
                entry = _PREFIXED.get(opcode)
                if entry is not None:  # fixed signature: numeric, SIMD, bulk memory
                    imm, pops, pushes, align, lanes = entry
                    if imm == op.IMM_NONE:
                        pass
                    elif imm == op.IMM_MEMARG or imm == op.IMM_MEMARG_LANE:
                        a, pos = _u32(code, pos)
                        pos = _u32(code, pos)[1]
                        if a > align:
                            raise _Invalid("alignment must not be larger than natural")
                        if not has_memory:
                            raise _Invalid("unknown memory")
                        uses_memory = True
                        if imm == op.IMM_MEMARG_LANE:
                            if code[pos] >= lanes:
                                raise _Invalid("invalid lane index")
                            pos += 1
                    elif imm == op.IMM_LANE:
                        if code[pos] >= lanes:
                            raise _Invalid("invalid lane index")
                        pos += 1
                    elif imm == op.IMM_V128:
                        pos += 16
                    elif imm == op.IMM_SHUFFLE:
                        if ncode < pos + 16:
                            raise IndexError
                        for lane in code[pos:pos + 16]:
                            if lane >= 32:
                                raise _Invalid("invalid lane index")
                        pos += 16
                    elif imm == op.IMM_TABLE:  # table.size
                        idx, pos = _u32(code, pos)
                        if idx >= _len(tables):
                            raise _Invalid("unknown table")
                    else:
                        pos, uses = _bulk_immediates(ctx, code, pos, opcode, has_memory)
                        uses_memory |= uses
                    top = _len(stack) - _len(pops)
                    if stack[top:] == pops:
                        stack[top:] = pushes
                    else:
                        _pop_vals(stack, height, unreachable, pops)
                        stack += pushes
                    if _len(stack) > high:
                        high = _len(stack)
                    continue
                if opcode == op.TABLE_GROW or opcode == op.TABLE_FILL:
                    idx, pos = _u32(code, pos)
                    if idx >= _len(tables):
                        raise _Invalid("unknown table")
                    t = tables[idx]
                    if opcode == op.TABLE_GROW:
                        _pop_vals(stack, height, unreachable, [t, I32])
                        push(I32)
                    else:
                        _pop_vals(stack, height, unreachable, [I32, t, I32])
                    continue
                raise _Malformed("illegal opcode")


            # The rest is rare in compiled code: a plain chain on the opcode byte.
            if b == 0x24:  # global.set
                idx, pos = _u32(code, pos)
                if idx >= _len(globals_):
                    raise _Invalid("unknown global")
                t, mutable = globals_[idx]
                if not mutable:
                    raise _Invalid("global is immutable")
                _pop_vals(stack, height, unreachable, [t])
                continue

            if b == 0x42 or b == 0x43 or b == 0x44:  # i64/f32/f64.const
                if b == 0x42:
                    pos = read_s64(code, pos)[1]
                    push(I64)
                elif b == 0x43:
                    pos += 4
                    push(F32)
                else:
                    pos += 8
                    push(F64)
                if _len(stack) > high:
                    high = _len(stack)
                continue

            if b == 0x05:  # else
                if frame[0] != _IF:
                    raise _Malformed("END opcode expected")
                _pop_vals(stack, height, unreachable, frame[2])
                if _len(stack) != height:
                    raise _Invalid("type mismatch")
                frame[0] = _ELSE
                unreachable = frame[4] = False
                stack += frame[1]
                continue

            if b == 0x1A:  # drop
                if _len(stack) > height:
                    del stack[-1]
                elif not unreachable:
                    raise _Invalid("type mismatch")
                continue

            if b == 0x1B:  # select
                _pop_vals(stack, height, unreachable, _I32)
                t1 = _pop_any(stack, height, unreachable)
                t2 = _pop_any(stack, height, unreachable)
                if t1 not in _NON_REF or t2 not in _NON_REF:
                    raise _Invalid("type mismatch")
                if t1 != t2 and t1 != UNKNOWN and t2 != UNKNOWN:
                    raise _Invalid("type mismatch")
                push(t2 if t1 == UNKNOWN else t1)
                continue

            if b == 0x0F:  # return
                _pop_vals(stack, height, unreachable, results)
                del stack[height:]
                unreachable = frame[4] = True
                continue

            if b == 0x0E:  # br_table
                n, pos = _u32(code, pos)
                targets = []
                for _ in range(n + 1):
                    idx, pos = _u32(code, pos)
                    targets.append(idx)
                _pop_vals(stack, height, unreachable, _I32)
                default = targets.pop()
                if default >= nctrl:
                    raise _Invalid("unknown label")
                arity = _len(ctrls[-1 - default][5])
                for idx in targets:
                    if idx >= nctrl:
                        raise _Invalid("unknown label")
                    labels = ctrls[-1 - idx][5]
                    if _len(labels) != arity:
                        raise _Invalid("type mismatch")
                    stack += _pop_vals(stack, height, unreachable, labels)
                _pop_vals(stack, height, unreachable, ctrls[-1 - default][5])
                del stack[height:]
                unreachable = frame[4] = True
                continue

            if b == 0x00:  # unreachable
                del stack[height:]
                unreachable = frame[4] = True
                continue

            if b == 0x01:  # nop
                continue

            if b == 0x11:  # call_indirect
                tidx, pos = _u32(code, pos)
                table, pos = _u32(code, pos)
                if table >= _len(tables):
                    raise _Invalid("unknown table")
                if tables[table] != FUNCREF:
                    raise _Invalid("type mismatch")
                if tidx >= _len(types):
                    raise _Invalid("unknown type")
                _pop_vals(stack, height, unreachable, _I32)
                fparams, fresults = types[tidx]
                _pop_vals(stack, height, unreachable, fparams)
                stack += fresults
                if _len(stack) > high:
                    high = _len(stack)
                has_calls = True
                continue

            if b == 0x3F or b == 0x40:  # memory.size, memory.grow
                pos = _read_zero(code, pos)
                if not has_memory:
                    raise _Invalid("unknown memory")
                uses_memory = True
                if b == 0x40:
                    grows_memory = True
                    _pop_vals(stack, height, unreachable, _I32)
                push(I32)
                if _len(stack) > high:
                    high = _len(stack)
                continue

            if b == 0x1C:  # select t*
                n, pos = _u32(code, pos)
                if n != 1:
                    raise _Invalid("invalid result arity")
                t = code[pos]
                pos += 1
                if t not in VALUE_TYPES:
                    raise _Malformed("malformed value type")
                _pop_vals(stack, height, unreachable, [t, t, I32])
                push(t)
                continue

            if b == 0xD0:  # ref.null
                t = code[pos]
                pos += 1
                if t != FUNCREF and t != EXTERNREF:
                    raise _Malformed("malformed reference type")
                push(t)
                if _len(stack) > high:
                    high = _len(stack)
                continue

            if b == 0xD1:  # ref.is_null
                t = _pop_any(stack, height, unreachable)
                if t != UNKNOWN and t not in _REF_TYPES:
                    raise _Invalid("type mismatch")
                push(I32)
                continue

            if b == 0xD2:  # ref.func
                idx, pos = _u32(code, pos)
                if idx >= nfuncs:
                    raise _Invalid("unknown function")
                if idx not in ctx.refs:
                    raise _Invalid("undeclared function reference")
                push(FUNCREF)
                if _len(stack) > high:
                    high = _len(stack)
                continue

            if b == 0x25 or b == 0x26:  # table.get, table.set
                idx, pos = _u32(code, pos)
                if idx >= _len(tables):
                    raise _Invalid("unknown table")
                if b == 0x25:
                    _pop_vals(stack, height, unreachable, _I32)
                    push(tables[idx])
                else:
                    _pop_vals(stack, height, unreachable, [I32, tables[idx]])
                continue

            raise _Malformed("illegal opcode")
    except _Invalid as e:
        start = instruction_start(code, pos)
        _raise_if_malformed(code, start, nctrl, ctx.data_count is not None, base)
        raise ValidationError(e.args[0], func_index, base + start) from None
    except _Malformed as e:
        raise DecodeError(e.args[0], base + instruction_start(code, pos)) from None
    except DecodeError as e:
        raise DecodeError(e.reason, base + (e.offset or 0)) from None
    except IndexError:
        reason = "END opcode expected" if pos == ncode else "unexpected end of section or function"
        raise DecodeError(reason, base + min(pos, ncode)) from None
    if pos > ncode:
        raise DecodeError("unexpected end of section or function", base + ncode)
    return FuncFacts(high - 1, max_depth, has_calls, uses_memory, grows_memory)


def _raise_if_malformed(code, pos, depth, has_data_count, base):
    """Malformed beats invalid: report a decode error later in the body first."""
    try:
        check_well_formed(code, pos, depth, has_data_count)
    except DecodeError as e:
        raise DecodeError(e.reason, base + (e.offset or 0)) from None


def _bulk_immediates(ctx, code, pos, opcode, has_memory):
    """Decode and check the immediates of memory.init/copy/fill, data.drop, table.init/copy,
    elem.drop. Returns (new_pos, touches memory)."""
    if opcode == op.MEMORY_INIT or opcode == op.DATA_DROP:
        idx, pos = read_u32(code, pos)
        if opcode == op.MEMORY_INIT:
            pos = _read_zero(code, pos)
        if ctx.data_count is None:
            raise _Malformed("data count section required")
        if opcode == op.MEMORY_INIT and not has_memory:
            raise _Invalid("unknown memory")
        if idx >= ctx.data_count:
            raise _Invalid("unknown data segment")
        return pos, opcode == op.MEMORY_INIT
    if opcode == op.MEMORY_COPY or opcode == op.MEMORY_FILL:
        pos = _read_zero(code, pos)
        if opcode == op.MEMORY_COPY:
            pos = _read_zero(code, pos)
        if not has_memory:
            raise _Invalid("unknown memory")
        return pos, True
    if opcode == op.ELEM_DROP:
        idx, pos = read_u32(code, pos)
        if idx >= len(ctx.elems):
            raise _Invalid("unknown elem segment")
        return pos, False
    tables = ctx.tables
    if opcode == op.TABLE_INIT:
        elem, pos = read_u32(code, pos)
        table, pos = read_u32(code, pos)
        if table >= len(tables):
            raise _Invalid("unknown table")
        if elem >= len(ctx.elems):
            raise _Invalid("unknown elem segment")
        if ctx.elems[elem] != tables[table]:
            raise _Invalid("type mismatch")
        return pos, False
    if opcode == op.TABLE_COPY:
        dst, pos = read_u32(code, pos)
        src, pos = read_u32(code, pos)
        if dst >= len(tables) or src >= len(tables):
            raise _Invalid("unknown table")
        if tables[dst] != tables[src]:
            raise _Invalid("type mismatch")
        return pos, False
    raise _Malformed("illegal opcode")  # pragma: no cover - table and handlers disagree
