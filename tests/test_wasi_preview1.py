"""WasiCtx function by function, against a bytearray memory and a tmp_path preopen."""

import io
import os
import random
import socket
import time

import pytest

from jitwasm import WasiExit
from jitwasm.binary.types import I32, I64
from jitwasm.wasi import INHERIT, SIGNATURES, WasiConfig, WasiCtx, abi
from jitwasm.wasi import errno as E
from test_wasi_support import MEMORY_SIZE, RESULT, CtxGuest, make_ctx

FOLLOW = abi.LOOKUPFLAGS_SYMLINK_FOLLOW
RW = abi.RIGHTS_ALL
DIR_RIGHTS = abi.RIGHTS_ALL & ~abi.RIGHTS_FD_WRITE
BAD_PTR = MEMORY_SIZE - 2


@pytest.fixture
def g(tmp_path):
    guest = CtxGuest(make_ctx(tmp_path))
    yield guest
    guest.ctx.close()


def open_file(g, path, oflags=0, rights=RW, fdflags=0, fd=3, dirflags=FOLLOW):
    err = g.call("path_open", fd, dirflags, *g.str(path), oflags, rights, rights, fdflags,
                 RESULT)
    assert err == 0, E.NAMES[err]
    return g.u32(RESULT)


def write(g, fd, data: bytes) -> int:
    assert g.call("fd_write", fd, *g.iovecs(g.put(data)), RESULT) == 0
    return g.u32(RESULT)


def read(g, fd, size: int) -> bytes:
    buf = g.buffer(size)
    assert g.call("fd_read", fd, *g.iovecs(buf), RESULT) == 0
    return g.bytes(buf[0], g.u32(RESULT))


# -- interface -------------------------------------------------------------------------------

def test_signatures_cover_every_preview1_function():
    assert len(SIGNATURES) == 46
    for name, (params, results) in SIGNATURES.items():
        assert callable(getattr(WasiCtx, name)), name
        assert set(params) <= {I32, I64}
        assert results == (() if name == "proc_exit" else (I32,))
    assert SIGNATURES["path_open"] == ((I32,) * 5 + (I64, I64, I32, I32), (I32,))
    assert SIGNATURES["fd_seek"] == ((I32, I64, I32, I32), (I32,))


def test_host_functions_table_binds_methods(g):
    table = g.ctx.host_functions()
    assert set(table) == set(SIGNATURES)
    params, results, method = table["fd_write"]
    assert (params, results) == SIGNATURES["fd_write"]
    assert method(g.mem, 99, 0, 0, RESULT) == E.EBADF


def test_signed_arguments_are_taken_as_unsigned(g):
    """The runtime may pass i32/i64 sign-extended: -1 is 0xFFFFFFFF, not an index from the end."""
    assert g.call("fd_close", -1) == E.EBADF
    assert g.call("args_sizes_get", -8, RESULT) == E.EFAULT
    assert g.call("clock_time_get", abi.CLOCKID_MONOTONIC, -1, -4) == E.EFAULT


def test_no_exception_escapes_from_random_calls(tmp_path):
    """Random arguments to every function: always an errno int, WasiExit only from proc_exit."""
    (tmp_path / "f").write_text("data")
    rng = random.Random(1234)
    interesting = [0, 1, 2, 3, 4, 5, 8, 16, 64, 100, RESULT, 4096, MEMORY_SIZE - 8, MEMORY_SIZE,
                   2**31, 2**32 - 1, -1]
    ctx = make_ctx(tmp_path, stdout=io.BytesIO(), stdin=b"input")
    mem = bytearray(MEMORY_SIZE)
    for _ in range(3000):
        name = rng.choice(sorted(SIGNATURES))
        if name in ("poll_oneoff", "sched_yield"):
            continue          # may block on stdin / sleep: covered by their own tests
        params = SIGNATURES[name][0]
        args = [rng.choice(interesting) if rng.random() < 0.8 else
                rng.getrandbits(32 if t == I32 else 64) for t in params]
        mem[:4096] = rng.randbytes(4096)
        try:
            result = getattr(ctx, name)(mem, *args)
        except WasiExit:
            assert name == "proc_exit"
            continue
        assert isinstance(result, int) and 0 <= result <= E.ENOTCAPABLE, (name, args, result)
    ctx.close()


# -- args, environ -----------------------------------------------------------------------------

def test_args_and_environ(tmp_path):
    argv = ["prog", "the \"second\" arg", "ünï", ""]
    env = {"a": "text", "b": "escap \" ing", "c": "new\nline"}
    g = CtxGuest(make_ctx(argv=argv, env=env))
    assert g.call("args_sizes_get", RESULT, RESULT + 4) == 0
    blob = b"".join(a.encode() + b"\0" for a in argv)
    assert (g.u32(RESULT), g.u32(RESULT + 4)) == (4, len(blob))
    ptrs, buf = g.buffer(16), g.buffer(len(blob))
    assert g.call("args_get", ptrs[0], buf[0]) == 0
    assert g.bytes(buf[0], len(blob)) == blob
    starts = [g.u32(ptrs[0] + 4 * i) - buf[0] for i in range(4)]
    assert [blob[s:blob.index(b"\0", s)].decode() for s in starts] == argv

    assert g.call("environ_sizes_get", RESULT, RESULT + 4) == 0
    env_blob = b"a=text\0b=escap \" ing\0c=new\nline\0"
    assert (g.u32(RESULT), g.u32(RESULT + 4)) == (3, len(env_blob))
    assert g.call("environ_get", ptrs[0], buf[0]) == 0
    assert g.bytes(buf[0], len(env_blob)) == env_blob
    assert g.call("args_get", ptrs[0], MEMORY_SIZE - 3) == E.EFAULT
    assert g.call("environ_get", MEMORY_SIZE - 4, buf[0]) == E.EFAULT


def test_empty_args_and_environ():
    g = CtxGuest(make_ctx())
    assert g.call("args_sizes_get", RESULT, RESULT + 4) == 0
    assert (g.u32(RESULT), g.u32(RESULT + 4)) == (0, 0)
    assert g.call("environ_sizes_get", RESULT, RESULT + 4) == 0
    assert (g.u32(RESULT), g.u32(RESULT + 4)) == (0, 0)
    assert g.call("args_get", MEMORY_SIZE, MEMORY_SIZE) == 0     # nothing to write


# -- clocks, random, process -----------------------------------------------------------------

def test_clocks(g):
    before = time.time_ns()
    assert g.call("clock_time_get", abi.CLOCKID_REALTIME, 1, RESULT) == 0
    assert before <= g.u64(RESULT) <= time.time_ns()
    assert g.call("clock_time_get", abi.CLOCKID_MONOTONIC, 0, RESULT) == 0
    first = g.u64(RESULT)
    assert g.call("clock_time_get", abi.CLOCKID_MONOTONIC, 0, RESULT) == 0
    assert g.u64(RESULT) >= first
    for clock in (abi.CLOCKID_PROCESS_CPUTIME_ID, abi.CLOCKID_THREAD_CPUTIME_ID):
        assert g.call("clock_time_get", clock, 0, RESULT) == 0
        assert g.u64(RESULT) > 0
    for clock in range(4):
        assert g.call("clock_res_get", clock, RESULT) == 0
        assert 1 <= g.u64(RESULT) <= 10**9
    assert g.call("clock_res_get", 4, RESULT) == E.EINVAL
    assert g.call("clock_time_get", 99, 0, RESULT) == E.EINVAL
    assert g.call("clock_time_get", abi.CLOCKID_REALTIME, 0, BAD_PTR) == E.EFAULT


def test_random_get(g):
    buf = g.buffer(64)
    assert g.call("random_get", buf[0], 64) == 0
    first = g.bytes(*buf)
    assert g.call("random_get", buf[0], 64) == 0
    assert g.bytes(*buf) != first and first != bytes(64)
    assert g.call("random_get", 0, 0) == 0
    assert g.call("random_get", MEMORY_SIZE - 10, 11) == E.EFAULT
    assert g.call("random_get", MEMORY_SIZE, 0) == 0


def test_proc_exit_raises_wasi_exit(g):
    with pytest.raises(WasiExit) as info:
        g.call("proc_exit", 42)
    assert info.value.code == 42


def test_proc_raise_and_sched_yield(g):
    assert g.call("proc_raise", 2) == E.ENOTSUP
    assert g.call("sched_yield") == 0


# -- stdio -------------------------------------------------------------------------------------

def test_write_to_stdout_and_stderr_streams():
    out, err = io.BytesIO(), io.BytesIO()
    g = CtxGuest(make_ctx(stdout=out, stderr=err))
    iovs = g.iovecs(g.put(b"hello "), g.put(b""), g.put(b"world\n"))
    assert g.call("fd_write", 1, *iovs, RESULT) == 0
    assert g.u32(RESULT) == 12
    assert write(g, 2, b"oops") == 4
    assert out.getvalue() == b"hello world\n" and err.getvalue() == b"oops"
    assert g.call("fd_write", 0, *iovs, RESULT) == E.EBADF
    assert g.call("fd_read", 1, *iovs, RESULT) == E.EBADF


def test_inherited_stdout_writes_to_the_host_fd(capfd):
    g = CtxGuest(make_ctx(stdout=INHERIT))
    assert write(g, 1, b"to the terminal\n") == 16
    assert capfd.readouterr().out == "to the terminal\n"
    assert g.call("fd_close", 1) == 0       # closes our duplicate, not the host's stdout
    os.write(1, b"still open\n")
    assert capfd.readouterr().out == "still open\n"


def test_stdout_to_a_path_and_stdin_from_a_path(tmp_path):
    (tmp_path / "in.txt").write_bytes(b"from file")
    g = CtxGuest(WasiCtx(WasiConfig(stdin=str(tmp_path / "in.txt"),
                                    stdout=str(tmp_path / "out.txt"))))
    assert read(g, 0, 100) == b"from file"
    assert write(g, 1, b"logged") == 6
    g.ctx.close()
    assert (tmp_path / "out.txt").read_bytes() == b"logged"


def test_stdin_bytes_reads_to_eof():
    g = CtxGuest(make_ctx(stdin=b"abcdef"))
    assert read(g, 0, 4) == b"abcd"
    a, b = g.buffer(1), g.buffer(8)
    assert g.call("fd_read", 0, *g.iovecs(a, b), RESULT) == 0
    assert (g.u32(RESULT), g.bytes(a[0], 1), g.bytes(b[0], 1)) == (2, b"e", b"f")
    assert read(g, 0, 4) == b""


def test_unconfigured_stdio_is_empty_and_discarding():
    g = CtxGuest(make_ctx())
    assert read(g, 0, 10) == b""
    assert write(g, 1, b"lost") == 4


def test_stdio_is_a_stream(g):
    for fd in (0, 1, 2):
        assert g.call("fd_seek", fd, 0, abi.WHENCE_CUR, RESULT) == E.ESPIPE
        assert g.call("fd_tell", fd, RESULT) == E.ESPIPE
        assert g.call("fd_fdstat_get", fd, RESULT) == 0
        rights = g.u64(RESULT + 8)
        assert not rights & (abi.RIGHTS_FD_SEEK | abi.RIGHTS_FD_TELL)   # isatty() may say yes
        assert g.call("fd_filestat_get", fd, RESULT) == 0
    assert g.call("fd_pread", 0, *g.iovecs(g.buffer(1)), 0, RESULT) == E.ESPIPE
    assert g.call("fd_pwrite", 1, *g.iovecs(g.buffer(1)), 0, RESULT) == E.ESPIPE


# -- files -------------------------------------------------------------------------------------

def test_file_read_write_seek_tell(g, tmp_path):
    fd = open_file(g, "f.txt", abi.OFLAGS_CREAT)
    assert write(g, fd, b"hello world") == 11
    assert g.call("fd_tell", fd, RESULT) == 0 and g.u64(RESULT) == 11
    assert g.call("fd_seek", fd, 6, abi.WHENCE_SET, RESULT) == 0 and g.u64(RESULT) == 6
    assert read(g, fd, 100) == b"world"
    assert g.call("fd_seek", fd, -5 & (2**64 - 1), abi.WHENCE_END, RESULT) == 0
    assert g.u64(RESULT) == 6
    assert g.call("fd_seek", fd, -1 & (2**64 - 1), abi.WHENCE_CUR, RESULT) == 0
    assert g.u64(RESULT) == 5
    assert g.call("fd_seek", fd, -10 & (2**64 - 1), abi.WHENCE_CUR, RESULT) == E.EINVAL
    assert g.call("fd_seek", fd, 0, 3, RESULT) == E.EINVAL
    assert g.call("fd_seek", fd, 0, abi.WHENCE_SET, BAD_PTR) == E.EFAULT
    assert g.call("fd_close", fd) == 0
    assert (tmp_path / "f.txt").read_bytes() == b"hello world"
    assert g.call("fd_close", fd) == E.EBADF


def test_pread_and_pwrite_leave_the_offset(g, tmp_path):
    (tmp_path / "p").write_bytes(b"0123456789")
    fd = open_file(g, "p")
    buf = g.buffer(4)
    assert g.call("fd_pread", fd, *g.iovecs(buf), 3, RESULT) == 0
    assert (g.u32(RESULT), g.bytes(*buf)) == (4, b"3456")
    assert g.call("fd_pwrite", fd, *g.iovecs(g.put(b"AB")), 8, RESULT) == 0
    assert g.u32(RESULT) == 2
    assert g.call("fd_tell", fd, RESULT) == 0 and g.u64(RESULT) == 0
    assert (tmp_path / "p").read_bytes() == b"01234567AB"
    assert g.call("fd_pread", fd, *g.iovecs(buf), 2**63, RESULT) == E.EINVAL
    assert g.call("fd_pread", fd, *g.iovecs(buf), 100, RESULT) == 0 and g.u32(RESULT) == 0


def test_append_flag(g, tmp_path):
    (tmp_path / "log").write_bytes(b"start")
    fd = open_file(g, "log", fdflags=abi.FDFLAGS_APPEND)
    assert g.call("fd_fdstat_get", fd, RESULT) == 0
    assert g.view()[RESULT + 2] == abi.FDFLAGS_APPEND
    g.call("fd_seek", fd, 0, abi.WHENCE_SET, RESULT)
    write(g, fd, b"+end")
    assert (tmp_path / "log").read_bytes() == b"start+end"
    assert g.call("fd_fdstat_set_flags", fd, 0) == 0
    g.call("fd_seek", fd, 0, abi.WHENCE_SET, RESULT)
    write(g, fd, b"S")
    assert (tmp_path / "log").read_bytes() == b"Start+end"
    assert g.call("fd_fdstat_set_flags", fd, abi.FDFLAGS_SYNC) == E.EINVAL
    assert g.call("fd_fdstat_set_flags", 3, 0) == E.EBADF


def test_filestat_get_set_size_set_times(g, tmp_path):
    (tmp_path / "s").write_bytes(b"12345")
    fd = open_file(g, "s")
    assert g.call("fd_filestat_get", fd, RESULT) == 0
    dev, ino, filetype, nlink, size, atim, mtim, ctim = abi.FILESTAT.unpack_from(g.mem, RESULT)
    st = os.stat(tmp_path / "s")
    assert (dev, ino, filetype, nlink, size) == (st.st_dev, st.st_ino,
                                                  abi.FILETYPE_REGULAR_FILE, 1, 5)
    assert mtim == st.st_mtime_ns
    assert g.call("fd_filestat_set_size", fd, 2) == 0
    assert (tmp_path / "s").read_bytes() == b"12"
    assert g.call("fd_filestat_set_size", fd, 8) == 0
    assert (tmp_path / "s").read_bytes() == b"12" + bytes(6)
    assert g.call("fd_filestat_set_times", fd, 10**18, 2 * 10**18,
                  abi.FSTFLAGS_ATIM | abi.FSTFLAGS_MTIM) == 0
    st = os.stat(tmp_path / "s")
    assert (st.st_atime_ns, st.st_mtime_ns) == (10**18, 2 * 10**18)
    assert g.call("fd_filestat_set_times", fd, 0, 5 * 10**17, abi.FSTFLAGS_MTIM) == 0
    st = os.stat(tmp_path / "s")
    assert (st.st_atime_ns, st.st_mtime_ns) == (10**18, 5 * 10**17)     # atime left alone
    assert g.call("fd_filestat_set_times", fd, 0, 0, abi.FSTFLAGS_MTIM_NOW) == 0
    assert abs(os.stat(tmp_path / "s").st_mtime_ns - time.time_ns()) < 5 * 10**9
    assert g.call("fd_filestat_set_times", fd, 0, 0,
                  abi.FSTFLAGS_ATIM | abi.FSTFLAGS_ATIM_NOW) == E.EINVAL
    assert g.call("fd_filestat_set_times", fd, 0, 0, 1 << 4) == E.EINVAL
    assert g.call("fd_filestat_get", fd, BAD_PTR) == E.EFAULT
    assert g.call("fd_filestat_get", 3, RESULT) == 0
    assert g.view()[RESULT + 16] == abi.FILETYPE_DIRECTORY


def test_path_filestat_and_set_times(g, tmp_path):
    (tmp_path / "t").write_bytes(b"abc")
    os.symlink("t", tmp_path / "l")
    assert g.call("path_filestat_get", 3, FOLLOW, *g.str("l"), RESULT) == 0
    assert (g.view()[RESULT + 16], g.u64(RESULT + 32)) == (abi.FILETYPE_REGULAR_FILE, 3)
    assert g.call("path_filestat_get", 3, 0, *g.str("l"), RESULT) == 0
    assert g.view()[RESULT + 16] == abi.FILETYPE_SYMBOLIC_LINK
    assert g.call("path_filestat_set_times", 3, FOLLOW, *g.str("l"), 7 * 10**17, 8 * 10**17,
                  abi.FSTFLAGS_ATIM | abi.FSTFLAGS_MTIM) == 0
    st = os.stat(tmp_path / "t")
    assert (st.st_atime_ns, st.st_mtime_ns) == (7 * 10**17, 8 * 10**17)
    assert g.call("path_filestat_set_times", 3, 0, *g.str("l"), 0, 9 * 10**17,
                  abi.FSTFLAGS_MTIM) == 0
    assert os.lstat(tmp_path / "l").st_mtime_ns == 9 * 10**17               # the link itself
    assert os.stat(tmp_path / "t").st_mtime_ns == 8 * 10**17
    assert g.call("path_filestat_get", 3, 0, *g.str("missing"), RESULT) == E.ENOENT


def test_advise_allocate_sync(g, tmp_path):
    fd = open_file(g, "a", abi.OFLAGS_CREAT)
    assert g.call("fd_advise", fd, 0, 100, abi.ADVICE_SEQUENTIAL) == 0
    assert g.call("fd_advise", fd, 0, 100, 6) == E.EINVAL
    assert g.call("fd_allocate", fd, 0, 4096) == 0
    assert os.path.getsize(tmp_path / "a") == 4096
    assert g.call("fd_sync", fd) == 0 and g.call("fd_datasync", fd) == 0
    assert g.call("fd_sync", 3) == E.EBADF and g.call("fd_allocate", 3, 0, 1) == E.EBADF


def test_open_flags(g, tmp_path):
    (tmp_path / "x").write_bytes(b"content")
    err = g.call("path_open", 3, 0, *g.str("x"), abi.OFLAGS_CREAT | abi.OFLAGS_EXCL, RW, RW, 0,
                 RESULT)
    assert err == E.EEXIST
    fd = open_file(g, "x", abi.OFLAGS_TRUNC)
    assert os.path.getsize(tmp_path / "x") == 0
    assert g.call("path_open", 3, 0, *g.str("x"), abi.OFLAGS_DIRECTORY, DIR_RIGHTS, 0, 0,
                  RESULT) == E.ENOTDIR
    assert g.call("path_open", 3, 0, *g.str("x"), 1 << 4, RW, RW, 0, RESULT) == E.EINVAL
    assert g.call("path_open", 3, 0, *g.str("x"), 0, RW, RW, 1 << 5, RESULT) == E.EINVAL
    assert g.call("path_open", fd, 0, *g.str("x"), 0, RW, RW, 0, RESULT) == E.ENOTDIR
    assert g.call("path_open", 1, 0, *g.str("x"), 0, RW, RW, 0, RESULT) == E.EBADF
    assert g.call("path_open", 3, 0, *g.str("x"), 0, RW, RW, 0, BAD_PTR) == E.EFAULT
    assert g.call("path_open", 3, 0, BAD_PTR, 10, 0, RW, RW, 0, RESULT) == E.EFAULT
    os.mkdir(tmp_path / "d")
    assert g.call("path_open", 3, 0, *g.str("d"), 0, RW, RW, 0, RESULT) == E.EISDIR
    dfd = open_file(g, "d", abi.OFLAGS_DIRECTORY, DIR_RIGHTS)
    assert g.call("fd_fdstat_get", dfd, RESULT) == 0
    assert g.view()[RESULT] == abi.FILETYPE_DIRECTORY
    nfd = open_file(g, "inner", abi.OFLAGS_CREAT, fd=dfd)
    assert (tmp_path / "d" / "inner").is_file() and nfd != dfd


def test_fd_numbers_are_reused_lowest_first_and_renumbered(g):
    a, b, c = (open_file(g, name, abi.OFLAGS_CREAT) for name in "abc")
    assert (a, b, c) == (4, 5, 6)
    assert g.call("fd_close", a) == 0 and g.call("fd_close", b) == 0
    assert open_file(g, "a") == 4
    assert g.call("fd_renumber", c, 4) == 0          # closes what 4 held
    assert g.call("fd_fdstat_get", c, RESULT) == E.EBADF
    assert write(g, 4, b"via four") == 8
    assert g.call("fd_renumber", 4, 100) == E.EBADF  # the target must be open
    assert g.call("fd_renumber", 4, 4) == 0
    assert open_file(g, "b") == 5


def test_rights_are_enforced_per_fd(g, tmp_path):
    (tmp_path / "r").write_bytes(b"data")
    fd = open_file(g, "r", rights=abi.RIGHTS_FD_READ | abi.RIGHTS_FD_SEEK)
    assert g.call("fd_fdstat_get", fd, RESULT) == 0
    assert g.u64(RESULT + 8) == abi.RIGHTS_FD_READ | abi.RIGHTS_FD_SEEK
    assert g.call("fd_tell", fd, RESULT) == E.ENOTCAPABLE
    assert g.call("fd_seek", fd, 1, abi.WHENCE_SET, RESULT) == 0
    assert g.call("fd_filestat_get", fd, RESULT) == E.ENOTCAPABLE
    assert g.call("fd_write", fd, *g.iovecs(g.put(b"x")), RESULT) == E.EBADF
    assert g.call("fd_fdstat_set_rights", fd, abi.RIGHTS_FD_READ, 0) == 0
    assert g.call("fd_seek", fd, 1, abi.WHENCE_SET, RESULT) == E.ENOTCAPABLE
    assert g.call("fd_fdstat_set_rights", fd, abi.RIGHTS_FD_READ | abi.RIGHTS_FD_SEEK, 0) \
        == E.ENOTCAPABLE                               # rights never come back
    assert read(g, fd, 10) == b"ata"
    # a directory without PATH_CREATE_FILE cannot create; its children inherit less
    no_create = abi.RIGHTS_DIRECTORY_BASE & ~abi.RIGHTS_PATH_CREATE_FILE
    assert g.call("fd_fdstat_set_rights", 3, no_create, abi.RIGHTS_FD_READ) == 0
    assert g.call("path_open", 3, 0, *g.str("new"), abi.OFLAGS_CREAT, RW, RW, 0, RESULT) \
        == E.ENOTCAPABLE
    child = open_file(g, "r", rights=RW)
    assert g.call("fd_fdstat_get", child, RESULT) == 0
    assert (g.u64(RESULT + 8), g.u64(RESULT + 16)) == (abi.RIGHTS_FD_READ, abi.RIGHTS_FD_READ)
    assert not (tmp_path / "new").exists()


def test_prestat(tmp_path):
    g = CtxGuest(make_ctx(preopens=[(str(tmp_path), "/sandbox"), (str(tmp_path), ".")]))
    assert g.call("fd_prestat_get", 3, RESULT) == 0
    assert (g.view()[RESULT], g.u32(RESULT + 4)) == (abi.PREOPENTYPE_DIR, 8)
    name = g.buffer(8)
    assert g.call("fd_prestat_dir_name", 3, name[0], 8) == 0
    assert g.bytes(*name) == b"/sandbox"
    assert g.call("fd_prestat_dir_name", 3, name[0], 7) == E.ENAMETOOLONG
    assert g.call("fd_prestat_get", 4, RESULT) == 0 and g.u32(RESULT + 4) == 1
    assert g.call("fd_prestat_get", 5, RESULT) == E.EBADF
    assert g.call("fd_prestat_get", 1, RESULT) == E.EBADF
    assert g.call("fd_prestat_dir_name", 1, name[0], 8) == E.ENOTDIR


# -- directories -------------------------------------------------------------------------------

def _readdir_all(g, fd, bufsize):
    """Enumerate like wasi-libc: refill from the last complete entry's d_next."""
    entries, cookie, calls = [], 0, 0
    while True:
        buf = g.buffer(bufsize)
        assert g.call("fd_readdir", fd, buf[0], bufsize, cookie, RESULT) == 0
        calls += 1
        used = g.u32(RESULT)
        raw = g.bytes(buf[0], used)
        at = 0
        while at + 24 <= used:
            d_next, ino, namlen, d_type = abi.DIRENT.unpack_from(raw, at)
            if at + 24 + namlen > used:
                break                        # truncated entry: fetch again from its cookie
            entries.append((raw[at + 24:at + 24 + namlen].decode(), d_type, ino))
            cookie = d_next
            at += 24 + namlen
        if used < bufsize:
            return entries, calls


def test_readdir_with_cookies_and_a_small_buffer(g, tmp_path):
    names = [f"file{i:02d}" for i in range(20)]
    for name in names:
        (tmp_path / name).write_text(name)
    os.mkdir(tmp_path / "sub")
    os.symlink("file00", tmp_path / "link")
    entries, calls = _readdir_all(g, 3, 60)
    assert calls > 10
    by_name = {name: (kind, ino) for name, kind, ino in entries}
    assert len(entries) == len(by_name) == 20 + 2 + 2
    assert sorted(by_name) == sorted(names + ["sub", "link", ".", ".."])
    assert by_name["sub"][0] == abi.FILETYPE_DIRECTORY
    assert by_name["link"][0] == abi.FILETYPE_SYMBOLIC_LINK
    assert by_name["file03"] == (abi.FILETYPE_REGULAR_FILE, os.stat(tmp_path / "file03").st_ino)
    assert _readdir_all(g, 3, 4096)[0] == entries
    # a cookie in the middle resumes there; past the end gives nothing
    buf = g.buffer(4096)
    assert g.call("fd_readdir", 3, buf[0], 4096, 22, RESULT) == 0
    raw = g.bytes(buf[0], g.u32(RESULT))
    assert abi.DIRENT.unpack_from(raw, 0)[0] == 23
    assert g.call("fd_readdir", 3, buf[0], 4096, 10**6, RESULT) == 0 and g.u32(RESULT) == 0
    assert g.call("fd_readdir", 3, MEMORY_SIZE - 8, 4096, 0, RESULT) == E.EFAULT
    fd = open_file(g, "file00")
    assert g.call("fd_readdir", fd, buf[0], 4096, 0, RESULT) == E.EBADF


def test_mkdir_rmdir_unlink_rename(g, tmp_path):
    assert g.call("path_create_directory", 3, *g.str("d")) == 0
    assert (tmp_path / "d").is_dir()
    assert g.call("path_create_directory", 3, *g.str("d")) == E.EEXIST
    assert g.call("path_create_directory", 3, *g.str("d/e/")) == 0
    assert g.call("path_remove_directory", 3, *g.str("d")) == E.ENOTEMPTY
    (tmp_path / "d" / "f").write_text("f")
    assert g.call("path_remove_directory", 3, *g.str("d/f")) == E.ENOTDIR
    assert g.call("path_unlink_file", 3, *g.str("d/e")) == E.EISDIR
    assert g.call("path_rename", 3, *g.str("d/f"), 3, *g.str("g")) == 0
    assert (tmp_path / "g").read_text() == "f"
    assert g.call("path_rename", 3, *g.str("g"), 3, *g.str("d/e")) == E.EISDIR
    assert g.call("path_rename", 3, *g.str("missing"), 3, *g.str("x")) == E.ENOENT
    assert g.call("path_unlink_file", 3, *g.str("g")) == 0
    assert not (tmp_path / "g").exists()
    assert g.call("path_remove_directory", 3, *g.str("d/e")) == 0
    assert g.call("path_remove_directory", 3, *g.str("d")) == 0
    assert os.listdir(tmp_path) == []
    assert g.call("path_unlink_file", 3, *g.str("g")) == E.ENOENT


def test_link_symlink_readlink(g, tmp_path):
    (tmp_path / "orig").write_text("o")
    assert g.call("path_link", 3, 0, *g.str("orig"), 3, *g.str("hard")) == 0
    assert os.stat(tmp_path / "hard").st_ino == os.stat(tmp_path / "orig").st_ino
    assert g.call("path_link", 3, 0, *g.str("orig"), 3, *g.str("hard")) == E.EEXIST
    assert g.call("path_symlink", *g.str("orig"), 3, *g.str("soft")) == 0
    assert os.readlink(tmp_path / "soft") == "orig"
    buf = g.buffer(32)
    assert g.call("path_readlink", 3, *g.str("soft"), buf[0], 32, RESULT) == 0
    assert g.bytes(buf[0], g.u32(RESULT)) == b"orig"
    assert g.call("path_readlink", 3, *g.str("soft"), buf[0], 2, RESULT) == 0
    assert g.u32(RESULT) == 2                                 # truncated, as in wasmtime
    assert g.call("path_readlink", 3, *g.str("orig"), buf[0], 32, RESULT) == E.EINVAL
    # link with SYMLINK_FOLLOW links the target, without it the link itself
    assert g.call("path_link", 3, FOLLOW, *g.str("soft"), 3, *g.str("hard2")) == 0
    assert os.stat(tmp_path / "hard2").st_ino == os.stat(tmp_path / "orig").st_ino
    assert g.call("path_link", 3, 0, *g.str("soft"), 3, *g.str("hard3")) == 0
    assert os.path.islink(tmp_path / "hard3")
    assert g.call("path_symlink", *g.str("x"), 1, *g.str("y")) == E.EBADF


# -- poll_oneoff -------------------------------------------------------------------------------

def _clock_sub(userdata, timeout_ns, clock=abi.CLOCKID_MONOTONIC, flags=0):
    return (userdata.to_bytes(8, "little") + bytes([abi.EVENTTYPE_CLOCK]) + bytes(7)
            + clock.to_bytes(4, "little") + bytes(4) + timeout_ns.to_bytes(8, "little")
            + bytes(8) + flags.to_bytes(2, "little") + bytes(6))


def _fd_sub(userdata, kind, fd):
    return (userdata.to_bytes(8, "little") + bytes([kind]) + bytes(7) + fd.to_bytes(4, "little")
            + bytes(28))


def _events(g, out, count):
    return [abi.EVENT.unpack_from(g.mem, out + 32 * i) for i in range(count)]


def test_poll_oneoff_clock_sleeps(g):
    subs = g.put(_clock_sub(0xABC, 20_000_000))
    out = g.buffer(64)
    start = time.monotonic()
    assert g.call("poll_oneoff", subs[0], out[0], 1, RESULT) == 0
    assert time.monotonic() - start >= 0.019
    assert g.u32(RESULT) == 1
    assert _events(g, out[0], 1) == [(0xABC, 0, abi.EVENTTYPE_CLOCK, 0, 0)]


def test_poll_oneoff_absolute_and_earliest_clock(g):
    deadline = time.monotonic_ns() + 10_000_000
    subs = g.put(_clock_sub(1, 5 * 10**9) + _clock_sub(2, deadline, flags=1)
                 + _clock_sub(3, 10_000_000, clock=abi.CLOCKID_REALTIME))
    out = g.buffer(96)
    start = time.monotonic()
    assert g.call("poll_oneoff", subs[0], out[0], 3, RESULT) == 0
    assert 0.009 <= time.monotonic() - start < 2
    assert sorted(e[0] for e in _events(g, out[0], g.u32(RESULT))) in ([2], [2, 3])


def test_poll_oneoff_fd_readiness(tmp_path):
    read_end, write_end = os.pipe()
    try:
        g = CtxGuest(make_ctx(tmp_path, stdin=read_end, stdout=io.BytesIO()))
        (tmp_path / "f").write_bytes(b"12345")
        fd = open_file(g, "f")
        out = g.buffer(128)
        # stdin (an empty pipe) is not ready: the clock fires
        subs = g.put(_fd_sub(1, abi.EVENTTYPE_FD_READ, 0) + _clock_sub(2, 10_000_000))
        assert g.call("poll_oneoff", subs[0], out[0], 2, RESULT) == 0
        assert [e[0] for e in _events(g, out[0], g.u32(RESULT))] == [2]
        os.write(write_end, b"abc")
        assert g.call("poll_oneoff", subs[0], out[0], 2, RESULT) == 0
        assert _events(g, out[0], g.u32(RESULT)) == [(1, 0, abi.EVENTTYPE_FD_READ, 3, 0)]
        # files and Python-stream stdout are always ready
        subs = g.put(_fd_sub(3, abi.EVENTTYPE_FD_READ, fd) + _fd_sub(4, abi.EVENTTYPE_FD_WRITE, 1))
        assert g.call("poll_oneoff", subs[0], out[0], 2, RESULT) == 0
        assert _events(g, out[0], g.u32(RESULT)) == [(3, 0, abi.EVENTTYPE_FD_READ, 5, 0),
                                                      (4, 0, abi.EVENTTYPE_FD_WRITE, 0, 0)]
        os.close(write_end)
        write_end = None
        subs = g.put(_fd_sub(5, abi.EVENTTYPE_FD_READ, 0))
        assert g.call("poll_oneoff", subs[0], out[0], 1, RESULT) == 0
        assert _events(g, out[0], g.u32(RESULT)) == [
            (5, 0, abi.EVENTTYPE_FD_READ, 3, abi.EVENTRWFLAGS_FD_READWRITE_HANGUP)]
        assert g.call("poll_oneoff", subs[0], out[0], 0, RESULT) == E.EINVAL
        assert g.call("poll_oneoff", MEMORY_SIZE - 40, out[0], 1, RESULT) == E.EFAULT
        bad = g.put(_fd_sub(6, abi.EVENTTYPE_FD_READ, 42))
        assert g.call("poll_oneoff", bad[0], out[0], 1, RESULT) == E.EBADF
        g.ctx.close()
    finally:
        os.close(read_end)
        if write_end is not None:
            os.close(write_end)


# -- sockets -----------------------------------------------------------------------------------

def test_sockets_send_recv_shutdown():
    ours, peer = socket.socketpair()
    with ours, peer:
        ctx = WasiCtx(WasiConfig(), sockets=[ours])
        g = CtxGuest(ctx)
        fd = 3
        assert g.call("fd_fdstat_get", fd, RESULT) == 0
        assert g.view()[RESULT] == abi.FILETYPE_SOCKET_STREAM
        assert g.call("sock_send", fd, *g.iovecs(g.put(b"ping")), 0, RESULT) == 0
        assert g.u32(RESULT) == 4 and peer.recv(10) == b"ping"
        peer.sendall(b"pong!")
        buf = g.buffer(4)
        assert g.call("sock_recv", fd, *g.iovecs(buf), abi.RIFLAGS_RECV_PEEK, RESULT,
                      RESULT + 4) == 0
        assert g.call("sock_recv", fd, *g.iovecs(buf), 0, RESULT, RESULT + 4) == 0
        assert (g.u32(RESULT), g.bytes(*buf)) == (4, b"pong")
        assert read(g, fd, 10) == b"!"
        assert write(g, fd, b"via fd_write") == 12 and peer.recv(20) == b"via fd_write"
        assert g.call("sock_shutdown", fd, abi.SDFLAGS_WR) == 0
        assert peer.recv(10) == b""
        assert g.call("sock_shutdown", fd, 0) == E.EINVAL
        assert g.call("sock_shutdown", 1, abi.SDFLAGS_RD) == E.ENOTSOCK
        assert g.call("sock_shutdown", 99, abi.SDFLAGS_RD) == E.EBADF
        assert g.call("sock_accept", fd, 0, RESULT) == E.EINVAL   # not listening
        assert g.call("fd_seek", fd, 0, 0, RESULT) == E.ESPIPE
        ctx.close()


def test_sock_accept():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    with listener:
        ctx = WasiCtx(WasiConfig(), sockets=[listener])
        g = CtxGuest(ctx)
        with socket.create_connection(listener.getsockname(), timeout=5) as client:
            assert g.call("sock_accept", 3, 0, RESULT) == 0
            conn = g.u32(RESULT)
            client.sendall(b"hi")
            assert read(g, conn, 10) == b"hi"
        assert g.call("sock_accept", 3, 1 << 4, RESULT) == E.EINVAL
        ctx.close()


# -- bad pointers ------------------------------------------------------------------------------

FAULTS = [
    ("args_sizes_get", (BAD_PTR, RESULT)),
    ("environ_sizes_get", (RESULT, BAD_PTR)),
    ("clock_res_get", (0, BAD_PTR)),
    ("fd_fdstat_get", (3, BAD_PTR)),
    ("fd_filestat_get", (3, BAD_PTR)),
    ("fd_prestat_get", (3, BAD_PTR)),
    ("fd_prestat_dir_name", (3, MEMORY_SIZE, 10)),
    ("fd_write", (1, BAD_PTR, 1, RESULT)),
    ("fd_read", (0, BAD_PTR, 1, RESULT)),
    ("fd_readdir", (3, BAD_PTR, 100, 0, RESULT)),
    ("fd_readdir", (3, RESULT, 16, 0, BAD_PTR)),
    ("path_create_directory", (3, BAD_PTR, 10)),
    ("path_filestat_get", (3, 0, BAD_PTR, 10, RESULT)),
    ("path_unlink_file", (3, MEMORY_SIZE, 1)),
    ("path_readlink", (3, BAD_PTR, 5, RESULT, 10, RESULT)),
    ("path_symlink", (BAD_PTR, 4, 3, RESULT, 4)),
    ("path_rename", (3, RESULT, 4, 3, BAD_PTR, 4)),
    ("poll_oneoff", (BAD_PTR, RESULT, 1, RESULT)),
    ("random_get", (BAD_PTR, 16)),
]


@pytest.mark.parametrize("name,args", FAULTS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(FAULTS)])
def test_bad_pointers_give_efault(tmp_path, name, args):
    g = CtxGuest(make_ctx(tmp_path, stdin=b"data"))
    g.put(b"x" * 16)
    assert g.call(name, *args) == E.EFAULT
    g.ctx.close()


def test_iovec_pointing_out_of_memory_is_efault(g):
    iovs = g.iovecs((MEMORY_SIZE - 4, 8))
    assert g.call("fd_write", 1, *iovs, RESULT) == E.EFAULT
    assert g.call("fd_read", 0, *g.iovecs((2**32 - 1, 2)), RESULT) == E.EFAULT


def test_memoryview_memory_and_growth(tmp_path):
    """The runtime passes a fresh memoryview per call; a grown memory is simply a longer view."""
    ctx = make_ctx(tmp_path, stdout=io.BytesIO())
    small = bytearray(1024)
    assert ctx.random_get(memoryview(small), 1000, 100) == E.EFAULT
    grown = bytearray(4096)
    assert ctx.random_get(memoryview(grown), 1000, 100) == 0
    ctx.close()


def test_setup_errors_are_wasm_errors(tmp_path):
    from jitwasm import WasmError
    with pytest.raises(WasmError, match="WASI setup failed"):
        WasiCtx(WasiConfig(preopens=[(str(tmp_path / "missing"), "/")]))
    with pytest.raises(WasmError):
        WasiCtx(WasiConfig(stdin=str(tmp_path / "no-such-input")))


def test_close_releases_host_fds(tmp_path):
    before = len(os.listdir("/proc/self/fd"))
    ctx = WasiCtx(WasiConfig(preopens=[(str(tmp_path), "/")], stdout=INHERIT))
    assert len(os.listdir("/proc/self/fd")) == before + 2
    ctx.close()
    ctx.close()
    assert len(os.listdir("/proc/self/fd")) == before
    WasiCtx(WasiConfig(preopens=[(str(tmp_path), "/")]))      # dropped without close
    assert len(os.listdir("/proc/self/fd")) == before


def test_stdin_object_with_only_read():
    class Source:
        def __init__(self):
            self.data = b"chunked input"

        def read(self, n):
            chunk, self.data = self.data[:n], self.data[n:]
            return chunk

    g = CtxGuest(WasiCtx(WasiConfig(stdin=Source())))
    assert read(g, 0, 7) == b"chunked"
    assert read(g, 0, 100) == b" input"
    assert read(g, 0, 100) == b""


def test_shutdown_modes_are_the_socket_modules_constants():
    import socket

    from jitwasm.wasi import abi, preview1

    assert preview1._SHUTDOWN_MODES == {
        abi.SDFLAGS_RD: socket.SHUT_RD, abi.SDFLAGS_WR: socket.SHUT_WR,
        abi.SDFLAGS_RD | abi.SDFLAGS_WR: socket.SHUT_RDWR}
