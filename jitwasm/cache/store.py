"""CodeCache: cache entries as files named by their key in one directory.

Writes go to a temporary file renamed into place, so readers never see half an entry; a bad
entry (truncated, tampered, stale format) is reported with a warning and treated as a miss,
and the next save replaces it.
"""

import os
import warnings
from pathlib import Path

from .entry import CacheEntryError, decode_entry

SUFFIX = ".jwc"


def default_cache_dir() -> Path:
    """JITWASM_CACHE_DIR, else $XDG_CACHE_HOME/jitwasm, else ~/.cache/jitwasm."""
    explicit = os.environ.get("JITWASM_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "jitwasm"


class CodeCache:
    def __init__(self, directory: str | os.PathLike | None = None):
        self.directory = Path(directory) if directory is not None else default_cache_dir()

    def path(self, key: str) -> Path:
        return self.directory / (key + SUFFIX)

    def load(self, key: str):
        """The decoded entry for `key` (see entry.decode_entry), or None (miss or bad entry)."""
        try:
            blob = self.path(key).read_bytes()
        except OSError:
            return None
        try:
            return decode_entry(blob, key)
        except CacheEntryError as e:
            warnings.warn(f"jitwasm: ignoring code cache entry {self.path(key)}: {e}",
                          RuntimeWarning, stacklevel=2)
            return None

    def save(self, key: str, blob: bytes) -> bool:
        """Store an entry; False (and a warning) if the directory is not writable."""
        target = self.path(key)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(blob)
            os.replace(tmp, target)
            return True
        except OSError as e:
            warnings.warn(f"jitwasm: cannot write the code cache: {e}", RuntimeWarning,
                          stacklevel=2)
            try:
                tmp.unlink()
            except OSError:
                pass
            return False
