"""Fuel and epoch checks: how an embedder stops a runaway guest (CompileOptions.fuel / .epoch).

Checks sit at function entry and at every loop header (after the label, so each back edge
passes one), and are emitted only when the module is compiled with them: other code contains
no trace of them. Both read the store's StoreLimits through vmctx.store_limits (see
runtime/vmctx.py for the contract); a failed check jumps to an out-of-line trap stub.

Fuel accounting (differs from wasmtime, which charges every operator as it executes): every
operator belongs to exactly one check, the one of its innermost enclosing loop or, outside any
loop, the function entry. A check charges the static cost of all operators it owns, with
wasmtime's default cost of each (0 for nop, drop, block, loop, unreachable, return, else, end;
1 for everything else, and 1 per call). So a call charges the function's loop-free part once
plus 1, and each loop
iteration charges the loop's own body (nested loops charge their own), in advance and whether
or not branches skip part of it. The total equals wasmtime's for code that runs each region it
enters to the end, and is more for code that skips or leaves part of one. Charging in advance
also means a guest stops at the first check whose charge makes `fuel_consumed` >= 0, before it
runs the code it cannot pay for, where wasmtime checks the fuel spent so far and may overshoot
until its next check (so with little fuel jitwasm traps earlier; get_fuel() is 0 after an
out-of-fuel trap in both).
"""

from ..backend_x64.assembler import ALU_ADD, ALU_CMP
from ..backend_x64.operands import Mem
from ..backend_x64.regs import CC_AE, CC_NS, R10, R11, R14
from ..binary import opcodes as op
from ..runtime.traps import TRAP_INTERRUPT, TRAP_OUT_OF_FUEL
from ..runtime.vmctx import (LIMITS_EPOCH_COUNTER, LIMITS_EPOCH_DEADLINE,
                             LIMITS_FUEL_CONSUMED, VMCTX_STORE_LIMITS)
from .values import GCLEAR

_FREE_OPERATORS = (op.NOP, op.DROP, op.BLOCK, op.LOOP, op.UNREACHABLE, op.RETURN, op.ELSE,
                   op.END)
# Fuel cost per opcode byte (prefixed operators cost 1, like their prefix byte here).
OPERATOR_COST = bytes(0 if b in _FREE_OPERATORS else 1 for b in range(256))
_CALL_COST = 1  # wasmtime charges each call 1 besides its operators (an empty function costs 1)
_MAX_COST = (1 << 31) - 1  # an add's sign-extended imm32

_LIMITS = Mem(R14, None, 1, VMCTX_STORE_LIMITS)
_FUEL = Mem(R11, None, 1, LIMITS_FUEL_CONSUMED)
_EPOCH_COUNTER = Mem(R11, None, 1, LIMITS_EPOCH_COUNTER)
_EPOCH_DEADLINE = Mem(R11, None, 1, LIMITS_EPOCH_DEADLINE)
_COUNTER_VALUE = Mem(R10, None, 1, 0)


def fuel_costs(code, start: int, end: int) -> dict:
    """The fuel each check of the body code[start:end] charges: {loop key: cost}, where a
    loop's key is the position after its opcode and the function entry's key is None."""
    skip = op.skip_immediates
    cost_of = OPERATOR_COST
    costs = {}
    open_blocks = []  # per open block, loop or if: the loop's key, or False
    outer = []  # costs counted so far of the regions enclosing the current loop
    cost = 0
    pos = start
    while pos < end:
        b = code[pos]
        pos += 1
        cost += cost_of[b]
        if b == op.END:
            if open_blocks:
                key = open_blocks.pop()
                if key is not False:
                    costs[key] = cost
                    cost = outer.pop()
        elif b == op.LOOP:
            open_blocks.append(pos)
            outer.append(cost)
            cost = 0
            pos = skip(code, pos, b)
        elif b == op.BLOCK or b == op.IF:
            open_blocks.append(False)
            pos = skip(code, pos, b)
        elif b == op.PREFIX_FC or b == op.PREFIX_FD:
            opcode, pos = op.read_opcode(code, pos - 1)
            pos = skip(code, pos, opcode)
        else:
            pos = skip(code, pos, b)
    costs[None] = cost + _CALL_COST
    return costs


class InterruptChecks:
    """The check sequences, mixed into the FunctionCompiler (which sets `fuel`, `epoch`)."""

    __slots__ = ()

    def emit_entry_checks(self, body) -> None:
        """Checks at function entry (after the prologue); computes the body's fuel costs."""
        if self.fuel:
            self.fuel_costs = fuel_costs(self.code, body.code_start, body.end)
        self.emit_interrupt_checks(None, body.offset)

    def emit_interrupt_checks(self, key, wasm_offset: int) -> None:
        """Charge the fuel of region `key` and/or compare the epoch with the deadline. Uses r11
        and r10 (taken from the allocator: at loop headers and entry nothing else holds them)."""
        a = self.a
        a.mov_rm(64, R11, _LIMITS)
        if self.fuel:
            a.alu_mi(ALU_ADD, 64, _FUEL, min(self.fuel_costs.get(key, 0), _MAX_COST))
            a.jcc(CC_NS, self.trap_label(TRAP_OUT_OF_FUEL, wasm_offset))
        if self.epoch:
            self.take_gpr(R10)
            a.mov_rm(64, R10, _EPOCH_COUNTER)
            a.mov_rm(64, R10, _COUNTER_VALUE)
            a.alu_rm(ALU_CMP, 64, R10, _EPOCH_DEADLINE)
            a.jcc(CC_AE, self.trap_label(TRAP_INTERRUPT, wasm_offset))
            self.gused &= GCLEAR[R10]
