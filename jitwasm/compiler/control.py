"""Structured control flow: control frames, branches and their merges, unreachable code.

Merge convention (Winch-like, simple and correct): entering a block, loop or if spills the whole
value stack, so every entry below the frame's values is K_STACK. A branch to a label moves the
label's values into the slots [base, base + arity) of the frame (`base` = stack height below
its parameters) and jumps; after a merge point the values are K_STACK entries. A block whose
label nobody branches to needs no merge: its values stay where they are (often registers).

Sources of a merge move are other slots at most as deep as their destination and are read in
increasing order before being overwritten, so no move clobbers a value still to be read. A
conditional branch moves values only on its taken path (an inverted jump skips the moves), so the
fall-through state is untouched.

An `if` with parameters keeps a copy of them in frame temporaries: the then-branch may reuse
their slots, and the else-branch must start from the original values.

Unreachable code (after br, br_table, return, unreachable) is skipped without generating code
until the `else`/`end` that closes the current frame; nesting is tracked on the way.
"""

from ..backend_x64 import masm
from ..backend_x64.abi import emit_trap_exit
from ..backend_x64.assembler import ALU_CMP
from ..backend_x64.operands import new_label
from ..backend_x64.regs import CC_NE
from ..binary import opcodes as op
from ..binary.types import I32
from ..runtime.traps import TRAP_UNREACHABLE
from .decoding import block_type, read_u32
from .values import GCLEAR, IS_FLOAT, K_CONST, K_FLAGS, K_LOCAL, K_REG, K_STACK

FUNC, BLOCK, LOOP, IF, ELSE = range(5)

_BLOCK_OPENERS = (op.BLOCK, op.LOOP, op.IF)


class BodyDone(Exception):
    """Raised by the `end` of the function: stops the dispatch loop, which then needs no test
    per instruction."""


class Frame:
    """One open block (made by `new_frame`). `label` is the loop header or the end; `arity`
    the branch value count."""

    __slots__ = ("kind", "label", "else_label", "base", "params", "results", "arity",
                 "branched", "temps")


_new_object = object.__new__


def new_frame(kind, label, base, params, results) -> Frame:
    """A Frame; a function rather than __init__: CPython 3.11 calls a class's Python __init__
    through type.__call__, costlier than these stores (one frame per block, loop and if)."""
    frame = _new_object(Frame)
    frame.kind = kind
    frame.label = label
    frame.else_label = None
    frame.base = base
    frame.params = params
    frame.results = results
    frame.arity = len(params) if kind == LOOP else len(results)
    frame.branched = False
    frame.temps = -1  # first frame temporary holding an if's parameters
    return frame


class ControlOps:
    """Block, loop, if/else, end, br, br_if, br_table, return, unreachable, nop."""

    __slots__ = ()

    # ---- merges -----------------------------------------------------------------------------

    def values_in_place(self, frame: Frame) -> bool:
        """Whether the top `arity` entries already sit in the frame's merge slots."""
        arity = frame.arity
        if not arity:
            return True
        kinds = self.kinds
        first = len(kinds) - arity
        if first != frame.base:
            return False
        for i in range(first, len(kinds)):
            if kinds[i] != K_STACK:
                return False
        return True

    def move_to_merge_slots(self, frame: Frame) -> None:
        """Emit moves of the top `arity` values into [base, base + arity); state unchanged."""
        kinds, vals, types = self.kinds, self.vals, self.types
        first = len(kinds) - frame.arity
        base = frame.base
        slot = self.slot
        for j in range(frame.arity):
            i = first + j
            if kinds[i] != K_STACK or i != base + j:
                self.store_entry(kinds[i], vals[i], types[i], i, slot(base + j))

    def emit_branch(self, frame: Frame) -> None:
        """Jump to `frame`'s label with its values in place (a return for the function frame).
        Emits code only: the value stack is unchanged."""
        if frame.kind == FUNC:
            self.emit_return()
            return
        if frame.arity and not self.values_in_place(frame):
            self.move_to_merge_slots(frame)
        self.a.jmp(frame.label)
        frame.branched = True

    def reset_to_merge_state(self, frame: Frame) -> None:
        """After a merge point: entries below the frame unchanged, its results in their slots."""
        self.truncate(frame.base)
        for t in frame.results:
            self.push_stack(t)

    def truncate(self, height: int) -> None:
        """Drop entries above `height`, freeing their registers: `drop` of each, in one pass
        and three slice deletions (calls and frame ends drop many entries at once)."""
        kinds = self.kinds
        n = len(kinds)
        if n <= height:
            return
        vals, types = self.vals, self.types
        for i in range(height, n):
            kind = kinds[i]
            if kind == K_REG:
                if IS_FLOAT[types[i]]:
                    self.xfree |= 1 << vals[i]
                else:
                    self.gused &= GCLEAR[vals[i]]
            elif kind == K_LOCAL:
                self.local_refs[vals[i]] -= 1
        del kinds[height:], vals[height:], types[height:]
        if self.reg_floor > height:  # floor <= reg_floor always
            self.reg_floor = height
            if self.floor > height:
                self.floor = height

    # ---- if-parameter temporaries -----------------------------------------------------------

    def save_if_params(self, frame: Frame) -> None:
        n = len(frame.params)
        frame.temps = self.live_temps
        self.live_temps += n
        self.max_temps = max(self.max_temps, self.live_temps)
        a = self.a
        for j in range(n):
            if self.slot_size == 16:  # whole slots: the parameter may be a v128
                a.movdqu_xm(masm.XSCRATCH, self.slot(frame.base + j))
                self.frame_access(lambda m: a.movdqu_mx(m, masm.XSCRATCH),
                                  self.temp_extra(frame.temps + j))
            else:
                a.mov_rm(64, masm.SCRATCH, self.slot(frame.base + j))
                self.frame_store(masm.SCRATCH, self.temp_extra(frame.temps + j))

    def restore_if_params(self, frame: Frame) -> None:
        a = self.a
        for j in range(len(frame.params)):
            if self.slot_size == 16:
                self.frame_access(lambda m: a.movdqu_xm(masm.XSCRATCH, m),
                                  self.temp_extra(frame.temps + j))
                a.movdqu_mx(self.slot(frame.base + j), masm.XSCRATCH)
            else:
                self.frame_load(masm.SCRATCH, self.temp_extra(frame.temps + j))
                a.mov_mr(64, self.slot(frame.base + j), masm.SCRATCH)

    # ---- conditions -------------------------------------------------------------------------

    def pop_condition(self):
        """Pop an i32 condition; returns (cc, const): the condition code that means "true" once
        flags are set by `test_condition`, or (None, value) for a constant."""
        kind, val, t = self.pop()
        if kind == K_CONST:
            return None, val
        if kind == K_FLAGS:
            return val, None
        return CC_NE, (kind, val, len(self.kinds))

    def test_condition(self, cond) -> None:
        """Set the flags for a condition popped by pop_condition (no-op for K_FLAGS) and free
        its register."""
        if cond is None:
            return
        kind, val, depth = cond
        a = self.a
        if kind == K_REG:
            a.test_rr(32, val, val)
            self.gused &= GCLEAR[val]
            return
        if kind == K_LOCAL:
            reg = self.cached(val, I32)
            if reg >= 0:
                a.test_rr(32, reg, reg)
                return
        a.alu_mi(ALU_CMP, 32, self.mem_of(kind, val, depth), 0)

    # ---- handlers ---------------------------------------------------------------------------

    def op_nop(self, pos):
        return pos

    def op_block(self, pos):
        if self.code[pos] == 0x40:  # the commonest block type, [] -> []: no call
            params = results = ()
            pos += 1
        else:
            params, results, pos = block_type(self.code, pos, self.module_types)
        kinds = self.kinds
        if self.floor < len(kinds):  # spill_all's own test, saving the call
            self.spill_all()
        self.ctrl.append(new_frame(BLOCK, new_label(), len(kinds) - len(params), params,
                               results))
        return pos

    def op_loop(self, pos):
        header = pos  # after the opcode: the loop's key for fuel costs
        params, results, pos = block_type(self.code, pos, self.module_types)
        if self.floor < len(self.kinds):  # spill_all's own test, saving the call
            self.spill_all()
        self.uncache_all()  # the header is a merge point (back edges)
        label = new_label()
        self.a.bind(label)
        if self.interrupts:
            self.emit_interrupt_checks(header, header - 1)
        self.ctrl.append(new_frame(LOOP, label, len(self.kinds) - len(params), params, results))
        return pos

    def op_if(self, pos):
        params, results, pos = block_type(self.code, pos, self.module_types)
        cc, cond = self.pop_condition()
        self.spill_all()
        a = self.a
        frame = new_frame(IF, new_label(), len(self.kinds) - len(params), params, results)
        frame.else_label = new_label()
        if params:
            self.save_if_params(frame)
        self.ctrl.append(frame)
        if cc is None:  # constant condition: one of the arms is dead code
            if not cond:
                a.jmp(frame.else_label)
            return pos
        self.test_condition(cond)
        a.jcc(cc ^ 1, frame.else_label)
        return pos

    def op_else(self, pos):
        frame = self.ctrl[-1]
        a = self.a
        self.uncache_all()
        if self.reachable:
            if not self.values_in_place(frame):
                self.move_to_merge_slots(frame)
            a.jmp(frame.label)
            frame.branched = True
        self.truncate(frame.base)
        a.bind(frame.else_label)
        if frame.params:
            self.restore_if_params(frame)
        for t in frame.params:
            self.push_stack(t)
        frame.kind = ELSE
        self.reachable = True
        return pos

    def close_frame(self, frame: Frame) -> bool:
        """Close `frame` (just popped) at its `end`; returns whether the code after it is
        reachable, which the caller stores in `self.reachable` (op_end and skip_dead: one call
        per `end`, the commonest instruction after local.get and i32.const). Closing the
        function frame emits the return and sets `self.done`."""
        kind = frame.kind
        reachable = self.reachable
        if kind == BLOCK:  # the commonest frame, on its own path
            if not frame.branched:  # no merge; its label has no references: nothing to bind
                if not reachable:
                    self.truncate(frame.base)
                return reachable
            if self.gcache or self.xcache:  # a merge point: uncache_all's test inlined
                self.uncache_all()
            if reachable and frame.arity and not self.values_in_place(frame):
                self.move_to_merge_slots(frame)
            self.a.bind(frame.label)
            if frame.results or len(self.kinds) != frame.base:
                self.reset_to_merge_state(frame)
            return True
        if kind != LOOP:  # a merge point
            self.uncache_all()
        if kind == FUNC:
            if reachable:
                self.emit_return()
            self.truncate(0)
            self.done = True
            return False
        a = self.a
        if kind == LOOP:
            if not reachable:
                self.truncate(frame.base)
            return reachable
        if reachable and not self.values_in_place(frame):
            self.move_to_merge_slots(frame)
        if kind == IF:  # no else: the false path arrives with its parameters as results
            if frame.params:
                if reachable:
                    a.jmp(frame.label)
                a.bind(frame.else_label)
                self.restore_if_params(frame)
            else:
                a.bind(frame.else_label)
            reachable = True
        elif frame.branched:
            reachable = True
        if frame.params:  # an if's (else's) temporaries
            self.live_temps -= len(frame.params)
        a.bind(frame.label)
        if reachable:
            self.reset_to_merge_state(frame)
        else:
            self.truncate(frame.base)
        return reachable

    def op_end(self, pos):
        frame = self.ctrl.pop()
        if frame.kind == BLOCK and not frame.branched and self.reachable:
            return pos  # close_frame's commonest case, inlined: nothing to do
        self.reachable = reachable = self.close_frame(frame)
        if reachable:
            return pos
        if self.done:
            raise BodyDone
        return self.skip_dead(pos)

    def op_br(self, pos):
        depth = self.code[pos]
        if depth < 0x80:
            pos += 1
        else:
            depth, pos = read_u32(self.code, pos)
        self.emit_branch(self.ctrl[-1 - depth])
        return self.skip_dead(pos)

    def op_br_if(self, pos):
        depth = self.code[pos]
        if depth < 0x80:
            pos += 1
        else:
            depth, pos = read_u32(self.code, pos)
        frame = self.ctrl[-1 - depth]
        kinds = self.kinds
        kind = kinds[-1]
        if (kind == K_FLAGS or kind == K_REG) and not frame.arity and frame.kind != FUNC:
            # The commonest shapes, a fused comparison or a register to a label without
            # values: pop_condition and test_condition inlined, one jcc.
            kinds.pop()
            val = self.vals.pop()
            self.types.pop()
            n = len(kinds)
            if self.reg_floor > n:
                self.reg_floor = n
                if self.floor > n:
                    self.floor = n
            a = self.a
            if kind == K_REG:
                a.test_rr(32, val, val)
                self.gused &= GCLEAR[val]
                cc = CC_NE
            else:
                cc = val
            a.jcc(cc, frame.label)
            frame.branched = True
            return pos
        cc, cond = self.pop_condition()
        if cc is None:
            if not cond:
                return pos
            self.emit_branch(frame)
            return self.skip_dead(pos)
        if cond is not None:  # else a fused comparison: the flags are set
            self.test_condition(cond)
        a = self.a
        if frame.kind != FUNC and (not frame.arity or self.values_in_place(frame)):
            a.jcc(cc, frame.label)
            frame.branched = True
            return pos
        skip = a.new_label()
        a.jcc(cc ^ 1, skip)
        self.emit_branch(frame)
        a.bind(skip)
        return pos

    def op_br_table(self, pos):
        code = self.code
        n, pos = read_u32(code, pos)
        depths = []
        for _ in range(n + 1):
            depth, pos = read_u32(code, pos)
            depths.append(depth)
        kind, val, t = self.pop()
        ctrl = self.ctrl
        if kind == K_CONST:
            self.emit_branch(ctrl[-1 - depths[min(val, n)]])
            return self.skip_dead(pos)
        index = self.into_reg(kind, val, t, len(self.kinds))
        a = self.a
        labels = {}
        pads = []
        for depth in set(depths):
            frame = ctrl[-1 - depth]
            if frame.kind != FUNC and self.values_in_place(frame):
                labels[depth] = frame.label
                frame.branched = True
            else:
                pad = labels[depth] = a.new_label()
                pads.append((pad, frame))
        masm.jump_table(a, index, [labels[d] for d in depths[:n]], labels[depths[n]])
        self.free(t, index)
        for pad, frame in pads:
            a.bind(pad)
            self.emit_branch(frame)
        return self.skip_dead(pos)

    def op_return(self, pos):
        self.emit_return()
        return self.skip_dead(pos)

    def op_unreachable(self, pos):
        self.record_trap_site(emit_trap_exit(self.a, TRAP_UNREACHABLE), TRAP_UNREACHABLE,
                              pos - 1)
        return self.skip_dead(pos)

    def op_drop(self, pos):
        self.drop()
        return pos

    # ---- dead code ----------------------------------------------------------------------------

    def skip_dead(self, pos):
        """Skip unreachable code from `pos` up to the else/end that makes code reachable again
        (handling it); returns the position after it (BodyDone at the end of the function)."""
        code = self.code
        skip = op.skip_immediates
        depth = 0
        self.reachable = False
        while True:
            b = code[pos]
            pos += 1
            if b == op.END:
                if depth:
                    depth -= 1
                    continue
                self.reachable = reachable = self.close_frame(self.ctrl.pop())
                if reachable:
                    return pos
                if self.done:
                    raise BodyDone
                self.reachable = False
            elif b == op.ELSE:
                if not depth:
                    return self.op_else(pos)
            elif b in _BLOCK_OPENERS:
                depth += 1
                pos = skip(code, pos, b)
            elif b == 0xFC or b == 0xFD:
                opcode, pos = op.read_opcode(code, pos - 1)
                pos = skip(code, pos, opcode)
            else:
                pos = skip(code, pos, b)


HANDLERS = {
    op.UNREACHABLE: ControlOps.op_unreachable, op.NOP: ControlOps.op_nop,
    op.BLOCK: ControlOps.op_block, op.LOOP: ControlOps.op_loop, op.IF: ControlOps.op_if,
    op.ELSE: ControlOps.op_else, op.END: ControlOps.op_end, op.BR: ControlOps.op_br,
    op.BR_IF: ControlOps.op_br_if, op.BR_TABLE: ControlOps.op_br_table,
    op.RETURN: ControlOps.op_return, op.DROP: ControlOps.op_drop,
}
