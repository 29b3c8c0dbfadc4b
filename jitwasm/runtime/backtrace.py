"""Wasm backtraces: from a trap's PC and stack pointer out through the calling Wasm frames.

Compiled code keeps no frame-pointer chain; instead each function's frame has a size fixed at
compile time (its body runs at `rsp`, its return address at `rsp + frame size`), and every
call records where it returns to (CodeMemory.call_sites). So a walk needs only the stack
words at those places. The frames themselves are gone when Python looks (the entry has
returned on that stack), so the trap landing copies `[trap rsp, activation)` into the thread's
buffer first and the walk reads the copy.

The walk stops at the first return address that is not a recorded call site: the entry
trampoline of this activation (frames of outer activations, under a host function, are not
included) — or where the copy ends.
"""

import struct

from .traps import TRAP_CALL_STACK_EXHAUSTED, registry

MAX_FRAMES = 1000
_U64 = struct.Struct("<Q")


def _code_at(pc: int):
    """(CodeMemory, offset) of registered code containing `pc`, or None."""
    found = registry.find(pc)
    return found if found is not None and hasattr(found[0], "call_sites") else None


def wasm_frames(pc: int, sp: int, stack: bytes) -> list:
    """[(function index, Wasm offset, ModuleInfo or None), ...] innermost first for a trap at
    native `pc` with `rsp` = `sp`; `stack` holds the bytes from `sp` up (the landing's copy)."""
    found = _code_at(pc) if pc else None
    if found is None:
        return []
    code, offset = found
    site = code.trap_sites.get(offset)
    if site is not None:              # a trap inside a function
        frame = (site.func_index, site.wasm_offset)
        # The prologue's stack check traps before the frame is allocated.
        size = 0 if site.code == TRAP_CALL_STACK_EXHAUSTED else code.frame_sizes.get(
            site.func_index)
    else:                             # reported at a call site (a builtin or host trap)
        frame = code.call_sites.get(offset)
        size = code.frame_sizes.get(frame[0]) if frame is not None else None
    if frame is None:
        return []
    frames = [(*frame, code.module)]
    base = sp
    while size is not None and len(frames) < MAX_FRAMES:
        at = sp + size - base          # the return address, as an index into the copy
        if at + 8 > len(stack):
            break
        (ret,) = _U64.unpack_from(stack, at)
        found = _code_at(ret)
        if found is None:
            break
        code, offset = found
        frame = code.call_sites.get(offset)
        if frame is None:
            break
        frames.append((*frame, code.module))
        sp += size + 8
        size = code.frame_sizes.get(frame[0])
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
