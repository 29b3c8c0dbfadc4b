"""The cache's one hash: BLAKE2b-256, for entry keys and entry checksums.

BLAKE2b is in the standard library without OpenSSL: importing hashlib loads OpenSSL (~6 ms, a
twentieth of a small program's whole start); its own `_blake2` module costs ~0.6 ms and hashes
~550 MB/s. Entries are trusted only as far as the cache directory is (like wasmtime's cache):
the digest detects corruption and truncation, and a key names exactly one compilation.
"""

try:
    from _blake2 import blake2b          # what hashlib.blake2b is, without loading OpenSSL
except ImportError:                      # pragma: no cover (an interpreter built without it)
    from hashlib import blake2b

DIGEST_SIZE = 32


def digest(*parts) -> bytes:
    """The BLAKE2b-256 digest of the concatenated `parts` (bytes-like)."""
    h = blake2b(digest_size=DIGEST_SIZE)
    for part in parts:
        h.update(part)
    return h.digest()
