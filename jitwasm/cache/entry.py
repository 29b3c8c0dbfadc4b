"""One cache entry: a compiled module's code and metadata plus the module bytes, checksummed.

Layout (little-endian): MAGIC, header struct (key, flags, counts, lengths), the module bytes,
func_offsets (u32 each), trap sites (4 x u64 each: native offset, trap code, function index,
Wasm offset), the code, then the digest (digest.py) of everything before it. decode_entry
checks the length, the checksum and the key before anything is mapped executable; any mismatch
is a CacheEntryError, which callers treat as a miss.
"""

import struct
from array import array

from ..runtime.traps import TrapSite
from .digest import DIGEST_SIZE, digest

MAGIC = b"\0jitwasm-code\0\0\0"
_HEADER = struct.Struct("<16s64sIIIII")  # magic, key, explicit_bounds, nimports, nfuncs,
_DIGEST = DIGEST_SIZE                     # nsites, code length; then wasm length below
_WASM_LEN = struct.Struct("<Q")


class CacheEntryError(Exception):
    """A cache entry that is truncated, tampered with or for another key."""


def encode_entry(key: str, wasm: bytes, compiled) -> bytes:
    """The entry for `compiled` (an eager CompiledModule, None for a module without function
    bodies) of module bytes `wasm`."""
    code, offsets, sites, nimports, bounds = b"", (), array("Q"), 0, False
    if compiled is not None:
        code, offsets = compiled.code.read(), compiled.func_offsets
        nimports, bounds = compiled.num_imported_funcs, compiled.explicit_bounds
        for offset, site in sorted(compiled.code.trap_sites.items()):
            sites.extend((offset, site.code, site.func_index, site.wasm_offset))
    parts = [_HEADER.pack(MAGIC, key.encode(), int(bounds), nimports, len(offsets),
                          len(sites) // 4, len(code)),
             _WASM_LEN.pack(len(wasm)), wasm, array("I", offsets).tobytes(), sites.tobytes(),
             code]
    body = b"".join(parts)
    return body + digest(body)


def decode_entry(blob, key: str | None = None):
    """(wasm bytes, explicit_bounds, num_imported_funcs, func_offsets, trap_sites, code) of a
    verified entry; `key`: the key it must have (None: any, e.g. Module.deserialize)."""
    blob = memoryview(blob)
    fixed = _HEADER.size + _WASM_LEN.size
    if len(blob) < fixed + _DIGEST:
        raise CacheEntryError("truncated")
    magic, entry_key, bounds, nimports, nfuncs, nsites, code_len = _HEADER.unpack_from(blob)
    if magic != MAGIC:
        raise CacheEntryError("not a jitwasm code cache entry")
    (wasm_len,) = _WASM_LEN.unpack_from(blob, _HEADER.size)
    body_len = fixed + wasm_len + 4 * nfuncs + 32 * nsites + code_len
    if len(blob) != body_len + _DIGEST:
        raise CacheEntryError("truncated or padded")
    if digest(blob[:body_len]) != blob[body_len:]:
        raise CacheEntryError("checksum mismatch")
    if key is not None and entry_key.decode() != key:
        raise CacheEntryError("made for another module, jitwasm version, CPU or options")
    pos = fixed
    wasm = bytes(blob[pos:pos + wasm_len])
    pos += wasm_len
    offsets = array("I", bytes(blob[pos:pos + 4 * nfuncs])).tolist()
    pos += 4 * nfuncs
    flat = array("Q", bytes(blob[pos:pos + 32 * nsites]))
    pos += 32 * nsites
    sites = {flat[i]: TrapSite(flat[i + 1], flat[i + 2], flat[i + 3])
             for i in range(0, len(flat), 4)}
    code = bytes(blob[pos:pos + code_len])
    if any(o >= max(code_len, 1) for o in offsets) or any(o >= code_len for o in sites):
        raise CacheEntryError("offsets outside the code")
    return wasm, bool(bounds), nimports, offsets, sites, code, entry_key.decode()
