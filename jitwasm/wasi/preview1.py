"""WasiCtx: every `wasi_snapshot_preview1` function, in Python, over the guest's memory.

The runtime binds each name of `SIGNATURES` to the method of the same name and calls it as
`ctx.fd_write(mem, fd, iovs, iovs_len, nwritten_ptr)`, where `mem` is the instance's current
memory (a bytearray, or a memoryview of format "B"; never cached, memory can grow between
calls). Each method returns the errno (0 on success); `proc_exit` raises `WasiExit`, which is
the only exception that leaves a syscall.

Semantics follow wasmtime (checked with its Python package), except where wasmtime does not
implement a function (CPU-time clocks, fd_allocate, fd_fdstat_set_rights, path_link with
SYMLINK_FOLLOW, sockets) and for bad guest pointers, which give EFAULT instead of a trap.
Rights are enforced per fd: a missing right is ENOTCAPABLE, except FD_READ/FD_WRITE, whose
absence means the fd is not open for that (EBADF, as POSIX and wasmtime say).
"""

import fcntl
import io
import os
import stat as _stat
import struct
import time
import weakref

from ..errors import WasiExit, WasmError
from . import abi, hostfs, sandbox
from .abi import DIRENT, FDSTAT, FILESTAT, PRESTAT, U16, U32, U64
from .config import INHERIT, WasiConfig
from .errno import (EBADF, EFAULT, EILSEQ, EINVAL, EIO, EISDIR, ENAMETOOLONG, ENOENT,
                    ENOTCAPABLE, ENOTDIR, ENOTSOCK, ENOTSUP, EOVERFLOW, ErrnoError, from_oserror)
from .fdtable import DirEntry, FdTable, FileEntry, SocketEntry, StreamEntry, filetype_of_mode
from .memory import check_range, iovecs, read_str, write_bytes
from .signatures import SIGNATURES

_MASKS = {0x7F: 0xFFFF_FFFF, 0x7E: 0xFFFF_FFFF_FFFF_FFFF}
_S64_MAX = (1 << 63) - 1

_CLOCKS = {
    abi.CLOCKID_REALTIME: (time.time_ns, time.CLOCK_REALTIME),
    abi.CLOCKID_MONOTONIC: (time.monotonic_ns, time.CLOCK_MONOTONIC),
    abi.CLOCKID_PROCESS_CPUTIME_ID: (time.process_time_ns, time.CLOCK_PROCESS_CPUTIME_ID),
    abi.CLOCKID_THREAD_CPUTIME_ID: (time.thread_time_ns, time.CLOCK_THREAD_CPUTIME_ID),
}
_ADVICE = {
    abi.ADVICE_NORMAL: os.POSIX_FADV_NORMAL, abi.ADVICE_SEQUENTIAL: os.POSIX_FADV_SEQUENTIAL,
    abi.ADVICE_RANDOM: os.POSIX_FADV_RANDOM, abi.ADVICE_WILLNEED: os.POSIX_FADV_WILLNEED,
    abi.ADVICE_DONTNEED: os.POSIX_FADV_DONTNEED, abi.ADVICE_NOREUSE: os.POSIX_FADV_NOREUSE,
}
_WHENCE = {abi.WHENCE_SET: os.SEEK_SET, abi.WHENCE_CUR: os.SEEK_CUR, abi.WHENCE_END: os.SEEK_END}
_O_SYNC_FLAGS = ((abi.FDFLAGS_DSYNC, os.O_DSYNC), (abi.FDFLAGS_SYNC, os.O_SYNC),
                 (abi.FDFLAGS_RSYNC, getattr(os, "O_RSYNC", os.O_SYNC)))
# Linux's SHUT_RD, SHUT_WR, SHUT_RDWR (the socket module, ~8 ms to import, loads only for the
# host sockets a program is given; its constants are checked against these in the tests)
_SHUTDOWN_MODES = {abi.SDFLAGS_RD: 0, abi.SDFLAGS_WR: 1, abi.SDFLAGS_RD | abi.SDFLAGS_WR: 2}
_SOCKET_RIGHTS = (abi.RIGHTS_FD_READ | abi.RIGHTS_FD_WRITE | abi.RIGHTS_FD_FDSTAT_SET_FLAGS
                  | abi.RIGHTS_FD_FILESTAT_GET | abi.RIGHTS_POLL_FD_READWRITE
                  | abi.RIGHTS_SOCK_SHUTDOWN | abi.RIGHTS_SOCK_ACCEPT)


def errno_of_exception(exc: Exception) -> int:
    """The errno a syscall returns for an exception it raised; re-raises WasiExit."""
    if isinstance(exc, OSError):
        return from_oserror(exc)
    if isinstance(exc, WasiExit):
        raise exc
    if isinstance(exc, (struct.error, IndexError)):
        return EFAULT                     # a struct access out of bounds
    if isinstance(exc, OverflowError):
        return EOVERFLOW
    if isinstance(exc, UnicodeError):
        return EILSEQ
    if isinstance(exc, ValueError):
        return EINVAL
    return EIO                            # a bug here must not crash the guest's host


_ENTRY_TEMPLATE = """
def {name}(self, mem{params}):
    try:
        return method(self, mem{masked})
    except ErrnoError as err:
        return err.code
    except Exception as exc:
        return errno_of_exception(exc)
"""


class syscall:
    """Decorator making a method a guest entry point: unsigned arguments in, an errno out.

    Arguments are masked to their unsigned width (the runtime may hand i32/i64 over signed);
    ErrnoError and any other exception become an errno (errno_of_exception); only WasiExit
    passes through. The entry is generated with the exact arity and masks inlined, as
    namedtuple does (a generic *args wrapper costs ten times more per call), and only when
    first looked up, so a program pays compilation only for the functions it imports.
    """

    def __init__(self, method):
        self.method = method
        self.__doc__ = method.__doc__

    def __set_name__(self, owner, name):
        self.owner = owner

    def __get__(self, instance, owner=None):
        entry = self.entry()
        setattr(self.owner, self.method.__name__, entry)
        return entry if instance is None else entry.__get__(instance, owner)

    def entry(self):
        method = self.method
        masks = [_MASKS[t] for t in SIGNATURES[method.__name__][0]]
        params = "".join(f", a{i}" for i in range(len(masks)))
        masked = "".join(f", a{i} & {mask:#x}" for i, mask in enumerate(masks))
        namespace = {"method": method, "ErrnoError": ErrnoError,
                     "errno_of_exception": errno_of_exception}
        exec(_ENTRY_TEMPLATE.format(name=method.__name__, params=params, masked=masked),
             namespace)
        entry = namespace[method.__name__]
        entry.__qualname__ = method.__qualname__
        entry.__doc__ = method.__doc__
        entry.__wrapped__ = method
        return entry


def _require(entry, right: int) -> None:
    if not entry.rights_base & right:
        raise ErrnoError(ENOTCAPABLE)


def _pack_filestat(mem, ptr: int, st) -> None:
    FILESTAT.pack_into(mem, ptr, st.st_dev, st.st_ino, filetype_of_mode(st.st_mode),
                       st.st_nlink, st.st_size, max(st.st_atime_ns, 0),
                       max(st.st_mtime_ns, 0), max(st.st_ctime_ns, 0))


def _encode(value) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode()


class _Discard:
    """stdout/stderr sink of an unconfigured stream."""

    def write(self, data) -> int:
        return len(data)


class WasiCtx:
    """The state of one WASI program: its fd table, arguments and environment."""

    SIGNATURES = SIGNATURES

    def __init__(self, config: WasiConfig | None = None, sockets=()):
        config = config or WasiConfig()
        self.fds = FdTable()
        # Host fds are closed when the context is collected, if the embedder did not close it.
        self._finalizer = weakref.finalize(self, self.fds.close_all)
        self._args = [_encode(a) + b"\0" for a in config.argv]
        self._environ = [_encode(k) + b"=" + _encode(v) + b"\0" for k, v in config.env_items()]
        try:
            self._open_stdio(config)
            for preopen in config.normalized_preopens():
                self._open_preopen(preopen)
            for sock in sockets:
                self.fds.add(SocketEntry(sock.dup(), _SOCKET_RIGHTS))
        except OSError as err:
            self.close()
            raise WasmError(f"WASI setup failed: {err}") from err
        except BaseException:
            self.close()
            raise

    # -- setup -------------------------------------------------------------------------------

    def _open_stdio(self, config: WasiConfig) -> None:
        for number, (source, readable) in enumerate(
                ((config.stdin, True), (config.stdout, False), (config.stderr, False))):
            host_fd, stream = None, None
            if source is INHERIT:
                host_fd = os.dup(number)
            elif isinstance(source, int) and not isinstance(source, bool):
                host_fd = os.dup(source)
            elif isinstance(source, (str, os.PathLike)):
                flags = os.O_RDONLY if readable else os.O_WRONLY | os.O_CREAT | os.O_TRUNC
                host_fd = os.open(source, flags | os.O_CLOEXEC, 0o666)
            elif source is None:
                stream = io.BytesIO() if readable else _Discard()
            elif isinstance(source, (bytes, bytearray, memoryview)):
                stream = io.BytesIO(bytes(source))
            else:
                stream = source
            rights = abi.RIGHTS_STDIN if readable else abi.RIGHTS_STDOUT
            self.fds.add(StreamEntry(host_fd, stream, readable, rights))

    def _open_preopen(self, preopen) -> None:
        host_fd = os.open(preopen.host_path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        base, inheriting = abi.RIGHTS_DIRECTORY_BASE, abi.RIGHTS_DIRECTORY_INHERITING
        if not preopen.writable:
            base &= ~abi.RIGHTS_MUTATING
            inheriting &= ~abi.RIGHTS_MUTATING
        self.fds.add(DirEntry(host_fd, base, inheriting, preopen.guest_path))

    def close(self) -> None:
        """Close every host fd the guest still holds."""
        self._finalizer()

    def __enter__(self) -> "WasiCtx":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def host_functions(self, names=None) -> dict:
        """name -> (param valtypes, result valtypes, bound method), for the runtime's linker;
        `names`: only those (each entry point is generated on first use)."""
        return {name: (params, results, getattr(self, name))
                for name, (params, results) in SIGNATURES.items()
                if names is None or name in names}

    # -- lookups -----------------------------------------------------------------------------

    def _seekable_file(self, fd: int) -> FileEntry:
        """For fd_seek/fd_tell: ESPIPE for streams, EBADF for directories (as wasmtime)."""
        entry = self.fds.get(fd)
        if not entry.is_file:
            raise ErrnoError(entry.unseekable_errno)
        return entry

    def _file(self, fd: int) -> FileEntry:
        """For calls wasmtime only allows on files: EBADF for everything else."""
        entry = self.fds.get(fd)
        if not entry.is_file:
            raise ErrnoError(EBADF)
        return entry

    def _dir(self, fd: int, right: int) -> DirEntry:
        entry = self.fds.get(fd)
        if not entry.is_dir:
            raise ErrnoError(EBADF)
        _require(entry, right)
        return entry

    def _socket(self, fd: int, right: int) -> SocketEntry:
        entry = self.fds.get(fd)
        if not entry.is_socket:
            raise ErrnoError(ENOTSOCK)
        _require(entry, right)
        return entry

    # -- args, environ -----------------------------------------------------------------------

    @staticmethod
    def _write_strings(mem, strings, ptrs: int, buf: int) -> int:
        check_range(mem, ptrs, 4 * len(strings))
        check_range(mem, buf, sum(map(len, strings)))
        at = buf
        for index, data in enumerate(strings):
            U32.pack_into(mem, ptrs + 4 * index, at)
            write_bytes(mem, at, data)
            at += len(data)
        return 0

    @syscall
    def args_get(self, mem, argv, argv_buf):
        return self._write_strings(mem, self._args, argv, argv_buf)

    @staticmethod
    def _write_sizes(mem, strings, count_ptr: int, buf_size_ptr: int) -> int:
        check_range(mem, buf_size_ptr, 4)
        U32.pack_into(mem, count_ptr, len(strings))
        U32.pack_into(mem, buf_size_ptr, sum(map(len, strings)))
        return 0

    @syscall
    def args_sizes_get(self, mem, argc_ptr, argv_buf_size_ptr):
        return self._write_sizes(mem, self._args, argc_ptr, argv_buf_size_ptr)

    @syscall
    def environ_get(self, mem, environ, environ_buf):
        return self._write_strings(mem, self._environ, environ, environ_buf)

    @syscall
    def environ_sizes_get(self, mem, count_ptr, buf_size_ptr):
        return self._write_sizes(mem, self._environ, count_ptr, buf_size_ptr)

    # -- clocks, random, process -------------------------------------------------------------

    @syscall
    def clock_res_get(self, mem, clock_id, res_ptr):
        clock = _CLOCKS.get(clock_id)
        if clock is None:
            raise ErrnoError(EINVAL)
        U64.pack_into(mem, res_ptr, max(1, round(time.clock_getres(clock[1]) * 1e9)))
        return 0

    @syscall
    def clock_time_get(self, mem, clock_id, precision, time_ptr):
        clock = _CLOCKS.get(clock_id)
        if clock is None:
            raise ErrnoError(EINVAL)
        U64.pack_into(mem, time_ptr, clock[0]())
        return 0

    @syscall
    def random_get(self, mem, buf, buf_len):
        check_range(mem, buf, buf_len)
        write_bytes(mem, buf, os.urandom(buf_len))
        return 0

    @syscall
    def proc_exit(self, mem, code):
        raise WasiExit(code)

    @syscall
    def proc_raise(self, mem, sig):
        raise ErrnoError(ENOTSUP)

    @syscall
    def sched_yield(self, mem):
        os.sched_yield()
        return 0

    # -- fd: state ---------------------------------------------------------------------------

    @syscall
    def fd_close(self, mem, fd):
        self.fds.remove(fd).close()
        return 0

    @syscall
    def fd_renumber(self, mem, fd, to):
        self.fds.renumber(fd, to)
        return 0

    @syscall
    def fd_fdstat_get(self, mem, fd, buf):
        entry = self.fds.get(fd)
        FDSTAT.pack_into(mem, buf, entry.filetype, entry.fdflags, entry.rights_base,
                         entry.rights_inheriting)
        return 0

    @syscall
    def fd_fdstat_set_flags(self, mem, fd, flags):
        entry = self.fds.get(fd)
        if not (entry.is_file or entry.is_socket):
            raise ErrnoError(EBADF)
        _require(entry, abi.RIGHTS_FD_FDSTAT_SET_FLAGS)
        if flags & ~(abi.FDFLAGS_APPEND | abi.FDFLAGS_NONBLOCK):
            raise ErrnoError(EINVAL)          # the sync flags are fixed at open (wasmtime)
        if entry.is_socket:
            entry.sock.setblocking(not flags & abi.FDFLAGS_NONBLOCK)
        else:
            host_flags = fcntl.fcntl(entry.host_fd, fcntl.F_GETFL)
            host_flags = (host_flags | os.O_APPEND if flags & abi.FDFLAGS_APPEND
                          else host_flags & ~os.O_APPEND)
            fcntl.fcntl(entry.host_fd, fcntl.F_SETFL, host_flags)
        entry.fdflags = (entry.fdflags & ~(abi.FDFLAGS_APPEND | abi.FDFLAGS_NONBLOCK)) | flags
        return 0

    @syscall
    def fd_fdstat_set_rights(self, mem, fd, rights_base, rights_inheriting):
        entry = self.fds.get(fd)
        if rights_base & ~entry.rights_base or rights_inheriting & ~entry.rights_inheriting:
            raise ErrnoError(ENOTCAPABLE)      # rights can only be dropped
        entry.rights_base = rights_base
        entry.rights_inheriting = rights_inheriting
        return 0

    @syscall
    def fd_prestat_get(self, mem, fd, buf):
        entry = self.fds.get(fd)
        if not entry.is_dir or entry.preopen_name is None:
            raise ErrnoError(EBADF)
        PRESTAT.pack_into(mem, buf, abi.PREOPENTYPE_DIR, len(entry.preopen_name.encode()))
        return 0

    @syscall
    def fd_prestat_dir_name(self, mem, fd, path, path_len):
        entry = self.fds.get(fd)
        if not entry.is_dir or entry.preopen_name is None:
            raise ErrnoError(ENOTDIR)
        name = entry.preopen_name.encode()
        if len(name) > path_len:
            raise ErrnoError(ENAMETOOLONG)
        write_bytes(mem, path, name)
        return 0

    # -- fd: data ----------------------------------------------------------------------------

    @syscall
    def fd_read(self, mem, fd, iovs, iovs_len, nread_ptr):
        entry = self.fds.get(fd)
        if not entry.rights_base & abi.RIGHTS_FD_READ:
            raise ErrnoError(EBADF)
        U32.pack_into(mem, nread_ptr, entry.read(iovecs(mem, iovs, iovs_len)))
        return 0

    @syscall
    def fd_write(self, mem, fd, iovs, iovs_len, nwritten_ptr):
        entry = self.fds.get(fd)
        if not entry.rights_base & abi.RIGHTS_FD_WRITE:
            raise ErrnoError(EBADF)
        U32.pack_into(mem, nwritten_ptr, entry.write(iovecs(mem, iovs, iovs_len)))
        return 0

    @syscall
    def fd_pread(self, mem, fd, iovs, iovs_len, offset, nread_ptr):
        entry = self.fds.get(fd)
        if not entry.rights_base & abi.RIGHTS_FD_READ:
            raise ErrnoError(EBADF)
        if not entry.is_file:
            raise ErrnoError(entry.unseekable_errno)
        if offset > _S64_MAX:
            raise ErrnoError(EINVAL)
        buffers = iovecs(mem, iovs, iovs_len)
        U32.pack_into(mem, nread_ptr, os.preadv(entry.host_fd, buffers, offset) if buffers else 0)
        return 0

    @syscall
    def fd_pwrite(self, mem, fd, iovs, iovs_len, offset, nwritten_ptr):
        entry = self.fds.get(fd)
        if not entry.rights_base & abi.RIGHTS_FD_WRITE:
            raise ErrnoError(EBADF)
        if not entry.is_file:
            raise ErrnoError(entry.unseekable_errno)
        if offset > _S64_MAX:
            raise ErrnoError(EINVAL)
        buffers = iovecs(mem, iovs, iovs_len)
        written = os.pwritev(entry.host_fd, buffers, offset) if buffers else 0
        U32.pack_into(mem, nwritten_ptr, written)
        return 0

    @syscall
    def fd_seek(self, mem, fd, offset, whence, newoffset_ptr):
        entry = self._seekable_file(fd)
        if whence not in _WHENCE:
            raise ErrnoError(EINVAL)
        if offset > _S64_MAX:
            offset -= 1 << 64                   # filedelta is signed
        if whence == abi.WHENCE_CUR and offset == 0:
            if not entry.rights_base & (abi.RIGHTS_FD_TELL | abi.RIGHTS_FD_SEEK):
                raise ErrnoError(ENOTCAPABLE)
        else:
            _require(entry, abi.RIGHTS_FD_SEEK)
        check_range(mem, newoffset_ptr, 8)
        U64.pack_into(mem, newoffset_ptr, os.lseek(entry.host_fd, offset, _WHENCE[whence]))
        return 0

    @syscall
    def fd_tell(self, mem, fd, offset_ptr):
        entry = self._seekable_file(fd)
        _require(entry, abi.RIGHTS_FD_TELL)
        U64.pack_into(mem, offset_ptr, os.lseek(entry.host_fd, 0, os.SEEK_CUR))
        return 0

    # -- fd: file operations -----------------------------------------------------------------

    @syscall
    def fd_advise(self, mem, fd, offset, length, advice):
        entry = self._file(fd)
        if advice not in _ADVICE or offset > _S64_MAX or length > _S64_MAX:
            raise ErrnoError(EINVAL)
        _require(entry, abi.RIGHTS_FD_ADVISE)
        os.posix_fadvise(entry.host_fd, offset, length, _ADVICE[advice])
        return 0

    @syscall
    def fd_allocate(self, mem, fd, offset, length):
        entry = self._file(fd)
        _require(entry, abi.RIGHTS_FD_ALLOCATE)
        if offset > _S64_MAX or length > _S64_MAX or offset + length > _S64_MAX:
            raise ErrnoError(EINVAL)
        os.posix_fallocate(entry.host_fd, offset, length)
        return 0

    @syscall
    def fd_datasync(self, mem, fd):
        entry = self._file(fd)
        _require(entry, abi.RIGHTS_FD_DATASYNC)
        os.fdatasync(entry.host_fd)
        return 0

    @syscall
    def fd_sync(self, mem, fd):
        entry = self._file(fd)
        _require(entry, abi.RIGHTS_FD_SYNC)
        os.fsync(entry.host_fd)
        return 0

    @syscall
    def fd_filestat_get(self, mem, fd, buf):
        entry = self.fds.get(fd)
        _require(entry, abi.RIGHTS_FD_FILESTAT_GET)
        if entry.is_stream:                     # wasmtime: all zero but the type
            FILESTAT.pack_into(mem, buf, 0, 0, entry.filetype, 0, 0, 0, 0, 0)
        else:
            _pack_filestat(mem, buf, os.fstat(entry.host_fd))
        return 0

    @syscall
    def fd_filestat_set_size(self, mem, fd, size):
        entry = self._file(fd)
        _require(entry, abi.RIGHTS_FD_FILESTAT_SET_SIZE)
        if size > _S64_MAX:
            raise ErrnoError(EINVAL)
        os.ftruncate(entry.host_fd, size)
        return 0

    @syscall
    def fd_filestat_set_times(self, mem, fd, atim, mtim, fst_flags):
        times = hostfs.timespecs(atim, mtim, fst_flags)
        entry = self.fds.get(fd)
        if not (entry.is_file or entry.is_dir):
            raise ErrnoError(EBADF)
        _require(entry, abi.RIGHTS_FD_FILESTAT_SET_TIMES)
        hostfs.set_times(entry.host_fd, None, times, True)
        return 0

    @syscall
    def fd_readdir(self, mem, fd, buf, buf_len, cookie, bufused_ptr):
        entry = self._dir(fd, abi.RIGHTS_FD_READDIR)
        check_range(mem, buf, buf_len)
        check_range(mem, bufused_ptr, 4)
        if cookie == 0 or entry.listing is None:
            entry.listing = _list_directory(entry.host_fd)
        out = bytearray()
        listing = entry.listing
        for index in range(cookie, len(listing)):
            if len(out) >= buf_len:
                break
            ino, filetype, name = listing[index]
            out += DIRENT.pack(index + 1, ino, len(name), filetype)
            out += name
        del out[buf_len:]                       # a full buffer tells the guest to call again
        write_bytes(mem, buf, out)
        U32.pack_into(mem, bufused_ptr, len(out))
        return 0

    # -- paths -------------------------------------------------------------------------------

    @syscall
    def path_create_directory(self, mem, fd, path, path_len):
        entry = self._dir(fd, abi.RIGHTS_PATH_CREATE_DIRECTORY)
        with sandbox.resolve(entry.host_fd, read_str(mem, path, path_len), False) as where:
            os.mkdir(where.name, 0o777, dir_fd=where.dir_fd)
        return 0

    @syscall
    def path_filestat_get(self, mem, fd, flags, path, path_len, buf):
        entry = self._dir(fd, abi.RIGHTS_PATH_FILESTAT_GET)
        follow = bool(flags & abi.LOOKUPFLAGS_SYMLINK_FOLLOW)
        with sandbox.resolve(entry.host_fd, read_str(mem, path, path_len), follow) as where:
            st = os.stat(where.name, dir_fd=where.dir_fd, follow_symlinks=False)
        if where.must_be_dir and not _stat.S_ISDIR(st.st_mode):
            raise ErrnoError(ENOTDIR)
        _pack_filestat(mem, buf, st)
        return 0

    @syscall
    def path_filestat_set_times(self, mem, fd, flags, path, path_len, atim, mtim, fst_flags):
        times = hostfs.timespecs(atim, mtim, fst_flags)
        entry = self._dir(fd, abi.RIGHTS_PATH_FILESTAT_SET_TIMES)
        follow = bool(flags & abi.LOOKUPFLAGS_SYMLINK_FOLLOW)
        with sandbox.resolve(entry.host_fd, read_str(mem, path, path_len), follow) as where:
            hostfs.set_times(where.dir_fd, where.name, times, False)
        return 0

    @syscall
    def path_link(self, mem, old_fd, old_flags, old_path, old_path_len, new_fd, new_path,
                  new_path_len):
        old_dir = self._dir(old_fd, abi.RIGHTS_PATH_LINK_SOURCE)
        new_dir = self._dir(new_fd, abi.RIGHTS_PATH_LINK_TARGET)
        old = read_str(mem, old_path, old_path_len)
        new = read_str(mem, new_path, new_path_len)
        follow = bool(old_flags & abi.LOOKUPFLAGS_SYMLINK_FOLLOW)
        with sandbox.resolve(old_dir.host_fd, old, follow) as src, \
                sandbox.resolve(new_dir.host_fd, new, False) as dst:
            if src.must_be_dir or dst.must_be_dir:
                _refuse_trailing_slash(src)
            os.link(src.name, dst.name, src_dir_fd=src.dir_fd, dst_dir_fd=dst.dir_fd,
                    follow_symlinks=False)
        return 0

    @syscall
    def path_open(self, mem, fd, dirflags, path, path_len, oflags, rights_base,
                  rights_inheriting, fdflags, fd_ptr):
        entry = self.fds.get(fd)
        if not entry.is_dir:
            raise ErrnoError(ENOTDIR if entry.is_file else EBADF)
        _require(entry, abi.RIGHTS_PATH_OPEN)
        if oflags & ~abi.OFLAGS_ALL or fdflags & ~abi.FDFLAGS_ALL:
            raise ErrnoError(EINVAL)
        if oflags & abi.OFLAGS_DIRECTORY and oflags & (abi.OFLAGS_CREAT | abi.OFLAGS_TRUNC):
            raise ErrnoError(EINVAL)          # a directory is neither created nor truncated
        if oflags & abi.OFLAGS_CREAT:
            _require(entry, abi.RIGHTS_PATH_CREATE_FILE)
        if oflags & abi.OFLAGS_TRUNC:
            _require(entry, abi.RIGHTS_PATH_FILESTAT_SET_SIZE)
        name = read_str(mem, path, path_len)
        check_range(mem, fd_ptr, 4)
        base = rights_base & entry.rights_inheriting
        inheriting = rights_inheriting & entry.rights_inheriting
        flags = _open_flags(oflags, fdflags, base)
        exclusive = oflags & abi.OFLAGS_CREAT and oflags & abi.OFLAGS_EXCL
        follow = bool(dirflags & abi.LOOKUPFLAGS_SYMLINK_FOLLOW) and not exclusive
        with sandbox.resolve(entry.host_fd, name, follow) as where:
            if where.must_be_dir:
                if oflags & abi.OFLAGS_CREAT:
                    raise ErrnoError(EISDIR)     # `name/` can only be an existing directory
                flags |= os.O_DIRECTORY
            host_fd = os.open(where.name, flags, 0o666, dir_fd=where.dir_fd)
        try:
            mode = os.fstat(host_fd).st_mode
            if _stat.S_ISDIR(mode):
                new = DirEntry(host_fd, base & abi.RIGHTS_DIRECTORY_BASE, inheriting)
            else:
                new = FileEntry(host_fd, filetype_of_mode(mode),
                                base & abi.RIGHTS_REGULAR_FILE_BASE, inheriting, fdflags)
            U32.pack_into(mem, fd_ptr, self.fds.add(new))
        except BaseException:
            os.close(host_fd)
            raise
        return 0

    @syscall
    def path_readlink(self, mem, fd, path, path_len, buf, buf_len, bufused_ptr):
        entry = self._dir(fd, abi.RIGHTS_PATH_READLINK)
        check_range(mem, buf, buf_len)
        check_range(mem, bufused_ptr, 4)
        with sandbox.resolve(entry.host_fd, read_str(mem, path, path_len), False) as where:
            target = os.fsencode(os.readlink(where.name, dir_fd=where.dir_fd))[:buf_len]
        write_bytes(mem, buf, target)
        U32.pack_into(mem, bufused_ptr, len(target))
        return 0

    @syscall
    def path_remove_directory(self, mem, fd, path, path_len):
        entry = self._dir(fd, abi.RIGHTS_PATH_REMOVE_DIRECTORY)
        with sandbox.resolve(entry.host_fd, read_str(mem, path, path_len), False) as where:
            if where.via_final_link:
                raise ErrnoError(EINVAL)          # `link/` never removes the link's target
            os.rmdir(where.name, dir_fd=where.dir_fd)
        return 0

    @syscall
    def path_rename(self, mem, fd, old_path, old_path_len, new_fd, new_path, new_path_len):
        old_dir = self._dir(fd, abi.RIGHTS_PATH_RENAME_SOURCE)
        new_dir = self._dir(new_fd, abi.RIGHTS_PATH_RENAME_TARGET)
        old = read_str(mem, old_path, old_path_len)
        new = read_str(mem, new_path, new_path_len)
        with sandbox.resolve(old_dir.host_fd, old, False) as src, \
                sandbox.resolve(new_dir.host_fd, new, False) as dst:
            if src.must_be_dir or dst.must_be_dir:
                _refuse_trailing_slash(src)
            os.rename(src.name, dst.name, src_dir_fd=src.dir_fd, dst_dir_fd=dst.dir_fd)
        return 0

    @syscall
    def path_symlink(self, mem, old_path, old_path_len, fd, new_path, new_path_len):
        entry = self._dir(fd, abi.RIGHTS_PATH_SYMLINK)
        target = read_str(mem, old_path, old_path_len)
        new = read_str(mem, new_path, new_path_len)
        sandbox.check_path_syntax(target)   # an absolute target could only ever escape
        with sandbox.resolve(entry.host_fd, new, False) as where:
            if where.must_be_dir:
                raise ErrnoError(ENOTDIR if _exists(where) else ENOENT)
            os.symlink(target, where.name, dir_fd=where.dir_fd)
        return 0

    @syscall
    def path_unlink_file(self, mem, fd, path, path_len):
        entry = self._dir(fd, abi.RIGHTS_PATH_UNLINK_FILE)
        with sandbox.resolve(entry.host_fd, read_str(mem, path, path_len), False) as where:
            if where.must_be_dir:
                st = os.stat(where.name, dir_fd=where.dir_fd, follow_symlinks=False)
                raise ErrnoError(EISDIR if _stat.S_ISDIR(st.st_mode) else ENOTDIR)
            os.unlink(where.name, dir_fd=where.dir_fd)
        return 0

    # -- poll --------------------------------------------------------------------------------

    @syscall
    def poll_oneoff(self, mem, in_ptr, out_ptr, nsubscriptions, nevents_ptr):
        check_range(mem, nevents_ptr, 4)
        from . import poll   # select, termios: loaded only by programs that poll

        U32.pack_into(mem, nevents_ptr, poll.poll_oneoff(self.fds, mem, in_ptr, out_ptr,
                                                         nsubscriptions))
        return 0

    # -- sockets -----------------------------------------------------------------------------

    @syscall
    def sock_accept(self, mem, fd, flags, fd_ptr):
        entry = self._socket(fd, abi.RIGHTS_SOCK_ACCEPT)
        if flags & ~abi.FDFLAGS_NONBLOCK:
            raise ErrnoError(EINVAL)
        check_range(mem, fd_ptr, 4)
        conn, _ = entry.sock.accept()
        conn.setblocking(not flags & abi.FDFLAGS_NONBLOCK)
        new = SocketEntry(conn, entry.rights_inheriting & _SOCKET_RIGHTS)
        new.fdflags = flags
        U32.pack_into(mem, fd_ptr, self.fds.add(new))
        return 0

    @syscall
    def sock_recv(self, mem, fd, ri_data, ri_data_len, ri_flags, ro_datalen_ptr, ro_flags_ptr):
        entry = self._socket(fd, abi.RIGHTS_FD_READ)
        if ri_flags & ~(abi.RIFLAGS_RECV_PEEK | abi.RIFLAGS_RECV_WAITALL):
            raise ErrnoError(EINVAL)
        check_range(mem, ro_datalen_ptr, 4)
        check_range(mem, ro_flags_ptr, 2)
        import socket   # loaded already: the host gave this socket

        host_flags = ((socket.MSG_PEEK if ri_flags & abi.RIFLAGS_RECV_PEEK else 0)
                      | (socket.MSG_WAITALL if ri_flags & abi.RIFLAGS_RECV_WAITALL else 0))
        buffers = iovecs(mem, ri_data, ri_data_len)
        nbytes, _, msg_flags, _ = entry.sock.recvmsg_into(buffers, 0, host_flags)
        U32.pack_into(mem, ro_datalen_ptr, nbytes)
        truncated = abi.ROFLAGS_RECV_DATA_TRUNCATED if msg_flags & socket.MSG_TRUNC else 0
        U16.pack_into(mem, ro_flags_ptr, truncated)
        return 0

    @syscall
    def sock_send(self, mem, fd, si_data, si_data_len, si_flags, so_datalen_ptr):
        entry = self._socket(fd, abi.RIGHTS_FD_WRITE)
        if si_flags:
            raise ErrnoError(EINVAL)
        check_range(mem, so_datalen_ptr, 4)
        U32.pack_into(mem, so_datalen_ptr, entry.write(iovecs(mem, si_data, si_data_len)))
        return 0

    @syscall
    def sock_shutdown(self, mem, fd, how):
        entry = self._socket(fd, abi.RIGHTS_SOCK_SHUTDOWN)
        if how not in _SHUTDOWN_MODES:
            raise ErrnoError(EINVAL)
        entry.sock.shutdown(_SHUTDOWN_MODES[how])
        return 0


def _open_flags(oflags: int, fdflags: int, rights: int) -> int:
    """Host open(2) flags: the access mode comes from the rights asked for (as in wasmtime)."""
    read = rights & abi.RIGHTS_FD_READ
    write = rights & abi.RIGHTS_FD_WRITE
    flags = (os.O_RDWR if read and write else os.O_WRONLY if write else os.O_RDONLY)
    flags |= os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NOCTTY
    if oflags & abi.OFLAGS_CREAT:
        flags |= os.O_CREAT
    if oflags & abi.OFLAGS_DIRECTORY:
        flags |= os.O_DIRECTORY
    if oflags & abi.OFLAGS_EXCL:
        flags |= os.O_EXCL
    if oflags & abi.OFLAGS_TRUNC:
        flags |= os.O_TRUNC
    if fdflags & abi.FDFLAGS_APPEND:
        flags |= os.O_APPEND
    for wasi_flag, host_flag in _O_SYNC_FLAGS:
        if fdflags & wasi_flag:
            flags |= host_flag
    return flags


def _exists(where) -> bool:
    try:
        os.stat(where.name, dir_fd=where.dir_fd, follow_symlinks=False)
        return True
    except FileNotFoundError:
        return False


def _refuse_trailing_slash(src) -> None:
    """`a/` in a rename or link names a directory: ENOTDIR unless the source is one."""
    st = os.stat(src.name, dir_fd=src.dir_fd, follow_symlinks=False)
    if not _stat.S_ISDIR(st.st_mode):
        raise ErrnoError(ENOTDIR)


def _list_directory(host_fd: int) -> list:
    """[(d_ino, filetype, name bytes)] of a directory, `.` and `..` first (as wasmtime)."""
    own_ino = os.fstat(host_fd).st_ino
    listing = [(own_ino, abi.FILETYPE_DIRECTORY, b"."), (own_ino, abi.FILETYPE_DIRECTORY, b"..")]
    with os.scandir(host_fd) as entries:
        for item in entries:
            if item.is_symlink():
                filetype = abi.FILETYPE_SYMBOLIC_LINK
            elif item.is_dir(follow_symlinks=False):
                filetype = abi.FILETYPE_DIRECTORY
            elif item.is_file(follow_symlinks=False):
                filetype = abi.FILETYPE_REGULAR_FILE
            else:
                try:
                    filetype = filetype_of_mode(item.stat(follow_symlinks=False).st_mode)
                except OSError:
                    filetype = abi.FILETYPE_UNKNOWN
            listing.append((item.inode(), filetype, os.fsencode(item.name)))
    return listing
