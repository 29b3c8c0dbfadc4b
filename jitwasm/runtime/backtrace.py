"""Wasm backtraces: from a trap's PC and stack pointer out through the calling Wasm frames.

Compiled code keeps no frame-pointer chain; instead each function's frame has a size fixed at
compile time (its body runs at `rsp`, its return address at `rsp + frame size`), and every
call records where it returns to (CodeMemory.call_sites). So a walk needs only the stack
words at those places. The trapping activation's frames are gone when Python looks (the entry
has returned on that stack), so the trap landing copies `[trap rsp, activation)` into the
thread's buffer first and the walk reads the copy.

A walk through one activation stops at the first return address that is not a recorded call
site (its entry trampoline). Activations are chained (Activation.parent): an outer one is
still live — it is waiting in a host call, whose stub left its frame pointer in
Activation.host_frame — so the walk goes on from that host call's return address in the
outer Wasm code, reading its frames in place.
"""

import ctypes
import struct

from .traps import TRAP_CALL_STACK_EXHAUSTED, registry
from .vmctx import Activation

MAX_FRAMES = 1000
_U64 = struct.Struct("<Q")


def _code_at(pc: int):
    """(CodeMemory, offset) of registered code containing `pc`, or None."""
    found = registry.find(pc)
    return found if found is not None and hasattr(found[0], "call_sites") else None


def _walk(frames: list, code, frame, size, sp: int, read) -> None:
    """Append `frame` (found in `code`, its body's frame `size` bytes below its return address,
    None if unknown) and its callers; `read(address)` is the stack word there or None."""
    frames.append((*frame, code.module))
    while size is not None and len(frames) < MAX_FRAMES:
        ret = read(sp + size)
        found = _code_at(ret) if ret is not None else None
        if found is None:
            return
        code, offset = found
        frame = code.call_sites.get(offset)
        if frame is None:
            return
        frames.append((*frame, code.module))
        sp += size + 8
        size = code.frame_sizes.get(frame[0])


def _at_call_site(frames: list, pc: int, sp: int, read) -> None:
    """Walk from a call site: `pc` the call's return address, `sp` the caller's rsp."""
    found = _code_at(pc)
    if found is not None:
        code, offset = found
        frame = code.call_sites.get(offset)
        if frame is not None:
            _walk(frames, code, frame, code.frame_sizes.get(frame[0]), sp, read)


def wasm_frames(pc: int, sp: int, stack: bytes, outer: int = 0) -> list:
    """[(function index, Wasm offset, ModuleInfo or None), ...] innermost first for a trap at
    native `pc` with `rsp` = `sp`; `stack` holds the bytes from `sp` up (the landing's copy);
    `outer`: the thread's innermost live Activation outside the trapping one (0: none)."""
    frames = []

    def from_copy(address: int):
        at = address - sp
        return _U64.unpack_from(stack, at)[0] if 0 <= at <= len(stack) - 8 else None

    found = _code_at(pc) if pc else None
    if found is not None:
        code, offset = found
        site = code.trap_sites.get(offset)
        if site is not None:          # a trap inside a function; the prologue's stack check
            size = (0 if site.code == TRAP_CALL_STACK_EXHAUSTED  # traps before the frame is
                    else code.frame_sizes.get(site.func_index))  # allocated
            _walk(frames, code, (site.func_index, site.wasm_offset), size, sp, from_copy)
        else:                         # reported at a call site (a builtin or host trap)
            _at_call_site(frames, pc, sp, from_copy)
    while outer and len(frames) < MAX_FRAMES:
        activation = Activation.from_address(outer)
        host_frame, limit = activation.host_frame, outer

        def live(address: int, limit=limit):
            return ctypes.c_uint64.from_address(address).value if address + 8 <= limit else None

        if host_frame:
            _at_call_site(frames, live(host_frame + 8), host_frame + 16, live)
        outer = activation.parent
    return frames


def describe_frame(func_index: int, offset: int, module) -> tuple:
    """(function name, module name, offset within the function) of a frame, from the name
    section of `module` (a ModuleInfo; None: all unknown). The function offset counts from the
    start of the body's contents (after its size), as wasmtime's Frame.func_offset does."""
    names = module.names if module is not None else None
    func_name = names.function_names.get(func_index) if names is not None else None
    module_name = names.module_name if names is not None else None
    func_offset = None
    defined = func_index - module.num_imported_funcs if module is not None else -1
    if 0 <= defined < len(module.codes):
        start = module.codes[defined].offset
        while module.data[start] & 0x80:     # the body's size, a LEB128
            start += 1
        func_offset = offset - (start + 1)
    return func_name, module_name, func_offset
