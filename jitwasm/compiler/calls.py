"""Calls: direct, to imports, indirect through a table, and to the runtime's builtins.

Every register is caller-saved, so a call spills the register values below its arguments
(constants and lazy local reads stay valid across it) and forgets the local cache (after
using cached registers as argument sources), then places the
arguments where abi.signature_layout says: stack arguments into the outgoing area at the bottom
of the frame, register arguments by one parallel move per register class (sources already in
registers), then loads of the others (constants, locals, slots). Results come back in rax/xmm0
(pushed as register entries) and in the outgoing area (copied to their own slots).

Defined functions of the module are called with a direct `call rel32` (all live in one code
blob); imports, tables and builtins go through a FuncRef with abi.emit_funcref_call, which
switches r14/r15 to the callee's instance and restores them from the frame's vmctx slot.
"""

from ..backend_x64 import masm
from ..backend_x64.abi import (LOC_GPR, LOC_STACK, LOC_XMM, VMCTX_REG, emit_funcref_call,
                               signature_layout)
from ..backend_x64.assembler import ALU_CMP, Mem, new_mem
from ..backend_x64.masm import SCRATCH, parallel_move
from ..backend_x64.regs import CC_AE, CC_E, CC_NE, R10, R12, RAX, RBP, RBX, RSP
from ..binary import opcodes as op
from ..binary.types import I32, V128
from ..runtime.builtins import BUILTINS
from ..runtime.traps import (TRAP_INDIRECT_CALL_TYPE_MISMATCH, TRAP_UNDEFINED_ELEMENT,
                             TRAP_UNINITIALIZED_ELEMENT)
from ..runtime.vmctx import FUNCREF_TYPE_ID, VMCTX_FUNCS
from .decoding import read_u32
from .simd_moves import copy_v128
from .values import ALL_XMMS, GBIT, GCLEAR, K_CONST, K_LOCAL, K_REG

# Registers no Wasm argument is passed in: they keep a FuncRef across argument placement.
_NON_ARG_GPRS = (RAX, RBX, R10, R12, RBP)
# call_indirect's TableDesc fields, with the descriptor in SCRATCH (built once: a Mem call is
# costly).
_TABLE_LENGTH = Mem(SCRATCH, None, 1, 8)
_TABLE_ELEMENTS = Mem(SCRATCH, None, 1, 0)
# call_plan keys of builtins: below those of call_indirect's types (-1 - type index).
_BUILTIN_KEYS = -(1 << 40)


def _out_mem(offset: int) -> Mem:
    """The outgoing-area operand of a stack argument or result."""
    return new_mem((RSP, None, 1, offset))


class CallOps:
    """call, call_indirect and builtin calls."""

    __slots__ = ()

    def call_plan(self, key: int, params: tuple, results: tuple) -> tuple:
        """(arguments, results) of a call's signature: (location kind, register or offset,
        outgoing-area operand or None) per parameter, (type, kind, where, operand or None) per
        result. Memoised per callee (`key`: a function index, -1 - type index for call_indirect,
        _BUILTIN_KEYS - index for builtins): the layout and its operands cost more than the rest
        of a call."""
        plan = self.call_plans.get(key)
        if plan is None:
            plan = self.call_plans[key] = self.signature_plan(params, results)
        return plan

    def signature_plan(self, params: tuple, results: tuple) -> tuple:
        """call_plan's result for a signature, memoised by it (callees share signatures)."""
        signature = (params, results)
        plan = self.call_plans.get(signature)
        if plan is None:
            layout = signature_layout(params, results)
            args = tuple((kind, where, _out_mem(where) if kind == LOC_STACK else None)
                         for kind, where in layout.params)
            outs = tuple((t, kind, where, _out_mem(where) if kind == LOC_STACK else None)
                         for t, (kind, where) in zip(results, layout.results))
            plan = self.call_plans[signature] = (args, outs)
        return plan

    def prepare_call(self, args: tuple, leading: tuple = ()) -> None:
        """Spill, place the arguments (the `leading` constant i32s, then the top stack entries)
        where `args` (a call plan's) says, and pop them."""
        nlead = len(leading)
        kinds, vals, types = self.kinds, self.vals, self.types
        first = len(kinds) - len(args) + nlead  # the j-th argument is entry first - nlead + j
        if self.reg_floor < first:  # spill_registers' own test, saving the call
            self.spill_registers(len(args) - nlead)
        gmoves = {}
        xmoves = {}
        loads = []
        for j in range(nlead):  # constants: stored or loaded, never moved
            _, where, out = args[j]
            if out is not None:
                self.store_entry(K_CONST, leading[j], I32, -1, out)
            else:
                loads.append((where, K_CONST, leading[j], I32, -1))
        cache, local_types = self.cache, self.local_types
        i = first
        for where_kind, where, out in args[nlead:] if nlead else args:
            kind, val, t = kinds[i], vals[i], types[i]
            if out is not None:
                self.store_entry(kind, val, t, i, out)
            else:
                if kind == K_REG:
                    reg = val
                elif kind == K_LOCAL:  # cached(), inlined
                    reg = cache[val]
                    if reg >= 0 and local_types[val] != t:
                        reg = -1
                else:
                    reg = -1
                if reg >= 0:  # registers (cached locals included) move in parallel
                    (xmoves if where_kind == LOC_XMM else gmoves)[where] = reg
                else:
                    loads.append((where, kind, val, t, i))
            i += 1
        a = self.a
        if gmoves:
            parallel_move(a, gmoves, False)
        if xmoves:
            parallel_move(a, xmoves, True)
        self.uncache_all()  # the moves may have overwritten cache registers; the call will
        for where, kind, val, t, i in loads:
            self.load(kind, val, t, i, where)
        self.truncate(first)

    def push_results(self, outs: tuple) -> None:
        """Push a call's results (a call plan's): registers as they come back, stack results
        copied to their own slots."""
        if self.gused or self.xfree != ALL_XMMS:
            raise AssertionError("register live across a call")
        for t, where_kind, where, out in outs:
            if where_kind != LOC_STACK:
                if where_kind == LOC_GPR:
                    self.gused |= GBIT[where]
                else:
                    self.xfree &= ~(1 << where)
                self.kinds.append(K_REG)  # push, inlined
                self.vals.append(where)
                self.types.append(t)
            else:
                copy = copy_v128 if t == V128 else masm.copy_slot
                copy(self.a, self.slot(len(self.kinds)), out)
                self.push_stack(t)

    def op_call(self, pos):
        start = pos - 1
        f = self.code[pos]
        if f < 0x80:
            pos += 1
        else:
            f, pos = read_u32(self.code, pos)
        plan = self.call_plans.get(f)  # call_plan's memo read inline: one call fewer per call
        if plan is None:
            plan = self.call_plan(f, *self.func_types[f])
        self.prepare_call(plan[0])
        nimp = self.num_imported_funcs
        a = self.a
        if f >= nimp and self.func_labels is not None:
            a.call(self.func_labels[f - nimp])
            returns_to = len(a.buf)
        elif f >= nimp:  # lazy compilation: through vmctx.funcs[f], which the resolver patches
            a.mov_rm(64, SCRATCH, Mem(VMCTX_REG, None, 1, VMCTX_FUNCS))
            a.call_m(Mem(SCRATCH, None, 1, 8 * f))
            returns_to = len(a.buf)
        else:
            masm.load_func_ref(a, SCRATCH, f)
            returns_to = emit_funcref_call(a, SCRATCH, self.vmctx_mem)
        self.call_sites[returns_to] = (self.func_index, start)  # record_call_site, inlined
        self.push_results(plan[1])
        return pos

    def op_call_indirect(self, pos):
        start = pos - 1
        type_index, pos = read_u32(self.code, pos)
        table, pos = read_u32(self.code, pos)
        params, results = self.module_types[type_index]
        kind, val, t = self.pop()
        depth = len(self.kinds)
        self.spill_registers(len(params))
        # The element index, then the FuncRef, in a register no argument uses.
        if kind == K_REG and val in _NON_ARG_GPRS:
            ref = val
        else:
            for ref in _NON_ARG_GPRS:
                if not self.gused & GBIT[ref]:
                    self.gused ^= GBIT[ref]
                    break
            else:
                ref = RAX
                self.take_gpr(RAX)
            self.load(kind, val, I32, depth, ref)
            self.free_if_reg(kind, val, t)
        a = self.a
        masm.load_table_desc(a, SCRATCH, table)
        a.alu_rm(ALU_CMP, 64, ref, _TABLE_LENGTH)
        a.jcc(CC_AE, self.trap_label(TRAP_UNDEFINED_ELEMENT, start))
        a.mov_rm(64, SCRATCH, _TABLE_ELEMENTS)
        a.mov_rm(64, ref, new_mem((SCRATCH, ref, 8, 0)))
        a.test_rr(64, ref, ref)
        a.jcc(CC_E, self.trap_label(TRAP_UNINITIALIZED_ELEMENT, start))
        masm.load_type_id(a, SCRATCH, type_index)
        a.alu_rm(ALU_CMP, 64, SCRATCH, new_mem((ref, None, 1, FUNCREF_TYPE_ID)))
        a.jcc(CC_NE, self.trap_label(TRAP_INDIRECT_CALL_TYPE_MISMATCH, start))
        args, outs = self.call_plan(-1 - type_index, params, results)
        self.prepare_call(args)
        self.record_call_site(emit_funcref_call(a, ref, self.vmctx_mem), start)
        self.gused &= GCLEAR[ref]
        self.push_results(outs)
        return pos

    def call_builtin(self, index: int, leading: tuple, wasm_offset: int) -> None:
        """Call runtime builtin `index` with the constant i32 immediates `leading` followed by
        the remaining parameters from the stack, for the instruction at `wasm_offset`."""
        builtin = BUILTINS[index]
        args, outs = self.call_plan(_BUILTIN_KEYS - index, builtin.params, builtin.results)
        self.prepare_call(args, leading)
        masm.load_builtin_ref(self.a, SCRATCH, index)
        self.record_call_site(emit_funcref_call(self.a, SCRATCH, self.vmctx_mem), wasm_offset)
        self.push_results(outs)


HANDLERS = {op.CALL: CallOps.op_call, op.CALL_INDIRECT: CallOps.op_call_indirect}
