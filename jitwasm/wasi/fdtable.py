"""The guest's file descriptor table: numbers -> entries owning a host fd or a Python stream.

Four kinds of entry, each answering the operations that make sense for it, so the syscalls
dispatch with one method call instead of type tests:
- `FileEntry`: a host fd from path_open that is not a directory (its kernel offset is the
  guest's offset, O_APPEND is the guest's APPEND flag);
- `DirEntry`: a host directory fd (a preopen or opened below one), with the listing cache
  fd_readdir's cookies index into;
- `StreamEntry`: stdin/stdout/stderr, a host fd or a Python file object; not seekable;
- `SocketEntry`: a socket the embedder handed over, or one sock_accept returned.
"""

import heapq
import os
import stat as _stat

from . import abi
from .errno import EBADF, ESPIPE, ErrnoError

_FILETYPE_BY_MODE = {
    _stat.S_IFREG: abi.FILETYPE_REGULAR_FILE,
    _stat.S_IFDIR: abi.FILETYPE_DIRECTORY,
    _stat.S_IFCHR: abi.FILETYPE_CHARACTER_DEVICE,
    _stat.S_IFBLK: abi.FILETYPE_BLOCK_DEVICE,
    _stat.S_IFLNK: abi.FILETYPE_SYMBOLIC_LINK,
    _stat.S_IFSOCK: abi.FILETYPE_SOCKET_STREAM,
}


def filetype_of_mode(mode: int) -> int:
    """WASI filetype of a host st_mode; FIFOs have no preview1 code (UNKNOWN, as in wasmtime)."""
    return _FILETYPE_BY_MODE.get(_stat.S_IFMT(mode), abi.FILETYPE_UNKNOWN)


class FdEntry:
    """Common state: the rights the guest holds on this fd and its fdflags."""

    __slots__ = ("host_fd", "filetype", "rights_base", "rights_inheriting", "fdflags")

    is_dir = False
    is_file = False
    is_stream = False
    is_socket = False
    # errno of fd_seek/fd_tell/fd_pread/fd_pwrite on anything but a file (as in wasmtime)
    unseekable_errno = EBADF

    def __init__(self, host_fd, filetype, rights_base, rights_inheriting, fdflags=0):
        self.host_fd = host_fd
        self.filetype = filetype
        self.rights_base = rights_base
        self.rights_inheriting = rights_inheriting
        self.fdflags = fdflags

    def close(self) -> None:
        if self.host_fd is not None:
            fd, self.host_fd = self.host_fd, None
            os.close(fd)

    # Defaults: the errno wasmtime gives when the operation does not apply to this kind.
    def read(self, buffers) -> int:
        raise ErrnoError(EBADF)

    def write(self, buffers) -> int:
        raise ErrnoError(EBADF)


class FileEntry(FdEntry):
    __slots__ = ()
    is_file = True

    def read(self, buffers) -> int:
        return os.readv(self.host_fd, buffers)

    def write(self, buffers) -> int:
        return os.writev(self.host_fd, buffers) if buffers else 0


class DirEntry(FdEntry):
    __slots__ = ("preopen_name", "listing")
    is_dir = True

    def __init__(self, host_fd, rights_base, rights_inheriting, preopen_name=None):
        super().__init__(host_fd, abi.FILETYPE_DIRECTORY, rights_base, rights_inheriting)
        self.preopen_name = preopen_name   # guest path (str) for preopens, else None
        self.listing = None                # fd_readdir snapshot, rebuilt at cookie 0


class StreamEntry(FdEntry):
    """stdio. `stream` is a Python binary file object, or None when `host_fd` is used."""

    __slots__ = ("stream", "readable", "isatty")
    is_stream = True
    unseekable_errno = ESPIPE

    def __init__(self, host_fd, stream, readable: bool, rights):
        self.stream = stream
        self.readable = readable
        self.isatty = host_fd is not None and os.isatty(host_fd)
        filetype = abi.FILETYPE_CHARACTER_DEVICE if self.isatty else abi.FILETYPE_UNKNOWN
        super().__init__(host_fd, filetype, rights, rights)

    def read(self, buffers) -> int:
        if not self.readable:
            raise ErrnoError(EBADF)
        if self.host_fd is not None:
            return os.readv(self.host_fd, buffers)
        total = 0
        for buf in buffers:          # a short read ends the call, as readv would
            n = _read_into(self.stream, buf)
            total += n
            if n < len(buf):
                break
        return total

    def write(self, buffers) -> int:
        if self.readable:
            raise ErrnoError(EBADF)
        if self.host_fd is not None:
            return os.writev(self.host_fd, buffers) if buffers else 0
        total = 0
        for buf in buffers:
            self.stream.write(buf)
            total += len(buf)
        flush = getattr(self.stream, "flush", None)
        if flush is not None:
            flush()
        return total

    def close(self) -> None:
        super().close()
        self.stream = None


def _read_into(stream, buf) -> int:
    """readinto for binary streams, read() for objects that only have that."""
    readinto = getattr(stream, "readinto", None)
    if readinto is not None:
        return readinto(buf) or 0
    data = stream.read(len(buf)) or b""
    buf[:len(data)] = data
    return len(data)


class FdTable:
    """Guest fd numbers to entries; a new fd takes the lowest free number, as in POSIX."""

    __slots__ = ("entries", "_free", "_next")

    def __init__(self):
        self.entries = {}
        self._free = []      # min-heap of numbers below _next that are free
        self._next = 0

    def get(self, fd: int) -> FdEntry:
        entry = self.entries.get(fd)
        if entry is None:
            raise ErrnoError(EBADF)
        return entry

    def add(self, entry: FdEntry) -> int:
        entries = self.entries
        while self._free:
            fd = heapq.heappop(self._free)
            if fd not in entries:
                break
        else:
            fd = self._next
            while fd in entries:
                fd += 1
            self._next = fd + 1
        entries[fd] = entry
        return fd

    def remove(self, fd: int) -> FdEntry:
        entry = self.entries.pop(fd, None)
        if entry is None:
            raise ErrnoError(EBADF)
        if fd < self._next:
            heapq.heappush(self._free, fd)
        return entry

    def renumber(self, from_fd: int, to_fd: int) -> None:
        """Move `from_fd` onto the open `to_fd`, closing what `to_fd` held (both must be open)."""
        entries = self.entries
        if from_fd not in entries or to_fd not in entries:
            raise ErrnoError(EBADF)
        if from_fd == to_fd:
            return
        old = entries[to_fd]
        entries[to_fd] = self.remove(from_fd)
        old.close()

    def close_all(self) -> None:
        for entry in self.entries.values():
            try:
                entry.close()
            except OSError:
                pass
        self.entries.clear()


class SocketEntry(FdEntry):
    """A socket handed to the guest by the embedder (sock_accept adds the accepted ones)."""

    __slots__ = ("sock",)
    is_socket = True
    unseekable_errno = ESPIPE

    def __init__(self, sock, rights):
        import socket   # loaded already: the host gave this socket

        self.sock = sock
        filetype = (abi.FILETYPE_SOCKET_STREAM if sock.type == socket.SOCK_STREAM
                    else abi.FILETYPE_SOCKET_DGRAM)
        super().__init__(sock.fileno(), filetype, rights, rights)

    def read(self, buffers) -> int:
        return self.sock.recvmsg_into(buffers)[0] if buffers else 0

    def write(self, buffers) -> int:
        return self.sock.sendmsg(buffers) if buffers else 0

    def close(self) -> None:
        self.host_fd = None
        self.sock.close()
