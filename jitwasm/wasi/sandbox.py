"""Path resolution confined to a directory fd: the guest sees only what its preopens contain.

A guest path is walked one component at a time from the directory fd it is relative to, each
intermediate directory opened with O_NOFOLLOW relative to the previous one, so the kernel never
follows a symlink on our behalf. Symlinks are expanded here, and only while the walk stays
inside the starting directory: `..` above it, an absolute path or an absolute symlink target
is an escape. The result is a parent directory fd and one final name, for the caller's `*at`
call (with its no-follow variant), so a link swapped in later cannot redirect the operation.

Each directory fd is its own root (as in cap-std, which wasmtime uses): `..` from a
subdirectory opened with path_open cannot climb above that subdirectory.
"""

import errno as _host
import os

from .errno import ELOOP, ENOENT, EINVAL, EPERM, ErrnoError

# wasmtime (cap-std) refuses escapes, absolute paths and absolute symlink targets with EPERM;
# the legacy wasi-common gave ENOTCAPABLE. We follow the current wasmtime.
ESCAPE_ERRNO = EPERM
MAX_SYMLINK_EXPANSIONS = 40   # Linux's MAXSYMLINKS: then ELOOP

_O_SEARCH = getattr(os, "O_PATH", os.O_RDONLY) | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_NOT_A_LINK = frozenset((_host.EINVAL, _host.ENOENT, _host.ENOTDIR))


class ResolvedPath:
    """`name` inside directory `dir_fd` (an fd this object may own; close it when done).

    `must_be_dir` is set when the path ended in `/`, `/.` or `/..`: the caller must fail with
    ENOTDIR unless the final object is a directory (or create a directory there).
    `via_final_link` is set when the last component was a symlink that was followed.
    """

    __slots__ = ("dir_fd", "name", "must_be_dir", "via_final_link", "_owned")

    def __init__(self, dir_fd: int, name: str, must_be_dir: bool, owned, via_final_link=False):
        self.dir_fd = dir_fd
        self.name = name
        self.must_be_dir = must_be_dir
        self.via_final_link = via_final_link
        self._owned = owned

    def close(self) -> None:
        owned, self._owned = self._owned, ()
        for fd in owned:
            os.close(fd)

    def __enter__(self) -> "ResolvedPath":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _components(path: str) -> list:
    """Components to visit, reversed (a stack), without empty and `.` ones."""
    return [c for c in reversed(path.split("/")) if c and c != "."]


def _ends_in_directory(path: str) -> bool:
    tail = path.rsplit("/", 1)[-1]
    return "/" in path and tail in ("", ".", "..")


def _read_link(dir_fd: int, name: str):
    """The target of symlink `name`, or None when it is not a symlink (or does not exist)."""
    try:
        return os.readlink(name, dir_fd=dir_fd)
    except OSError as err:
        if err.errno in _NOT_A_LINK:
            return None
        raise


def check_path_syntax(path: str) -> None:
    if not path:
        raise ErrnoError(ENOENT)
    if "\0" in path:
        raise ErrnoError(EINVAL)
    if path[0] == "/":
        raise ErrnoError(ESCAPE_ERRNO)


def resolve(root_fd: int, path: str, follow_final: bool) -> ResolvedPath:
    """Walk `path` below `root_fd`; follow a final symlink only if `follow_final`.

    Raises ErrnoError (escape, ENOENT, ELOOP, ...) or OSError from the host.
    """
    check_path_syntax(path)
    must_be_dir = _ends_in_directory(path) or path in (".", "..")
    if "/" not in path and not follow_final and path not in (".", ".."):
        return ResolvedPath(root_fd, path, False, ())          # the common case: one name

    pending = _components(path)
    stack = [root_fd]            # directories walked so far; stack[0] is not ours to close
    expansions = 0
    via_final_link = False
    name = "."
    try:
        while pending:
            component = pending.pop()
            last = not pending
            if component == "..":
                if len(stack) == 1:
                    raise ErrnoError(ESCAPE_ERRNO)
                os.close(stack.pop())
                continue
            if last and not (follow_final or must_be_dir):
                name = component
                break
            target = None
            if last:
                target = _read_link(stack[-1], component)
                if target is None:
                    name = component
                    break
            else:
                try:
                    stack.append(os.open(component, _O_SEARCH, dir_fd=stack[-1]))
                    continue
                except OSError as err:
                    if err.errno not in (_host.ENOTDIR, _host.ELOOP):
                        raise
                    target = _read_link(stack[-1], component)
                    if target is None:
                        raise
            expansions += 1
            if expansions > MAX_SYMLINK_EXPANSIONS:
                raise ErrnoError(ELOOP)
            if not target:
                raise ErrnoError(ENOENT)
            if target[0] == "/":
                raise ErrnoError(ESCAPE_ERRNO)
            if last:
                via_final_link = True
                if _ends_in_directory(target) or target in (".", ".."):
                    must_be_dir = True
            pending.extend(_components(target))
            name = "."          # a link to "." or "./" that ends the path names its directory
    except BaseException:
        for fd in stack[1:]:
            os.close(fd)
        raise
    return ResolvedPath(stack[-1], name, must_be_dir, stack[1:], via_final_link)
