"""Differential tests: the same preview1 call sequences on our WasiCtx and on wasmtime's WASI.

Each scenario runs on two identical host trees (one per implementation) and must produce the
same errnos, the same results and the same changes to the tree. Where we differ on purpose
(dev/ino values, rights bookkeeping, CPU-time clocks, traps on bad pointers) the scenarios do
not look.
"""

import pytest

from jitwasm.wasi import abi
from test_wasi_support import (RESULT, CtxGuest, WasmtimeGuest, build_escape_tree, make_ctx,
                               snapshot)

wasmtime = pytest.importorskip("wasmtime")

ALL_RIGHTS = abi.RIGHTS_ALL
READ_RIGHTS = ALL_RIGHTS & ~abi.RIGHTS_FD_WRITE
FOLLOW = abi.LOOKUPFLAGS_SYMLINK_FOLLOW

PATHS = [
    "file", "dir", "dir/nested", "dir/sub", "dir/../file", "dir/sub/../../file", "./file",
    "dir/./nested", "dir//nested", "dir/", "file/", "dir/.", "dir/..", ".", "./", "..", "../",
    "/", "/file", "//file", "../sandbox/file", "dir/../..", "dir/../../sandbox/file",
    "missing", "missing/x", "file/x", "dir/missing", "",
    "link_file", "link_dir", "link_dir/", "link_dir/nested", "link_abs", "link_abs/secret",
    "link_abs_secret", "link_up", "link_up/secret", "link_up_secret", "link_up_new",
    "link_dangling", "link_chain", "link_chain_up", "link_chain_up/secret", "link_loop",
    "link_loop/x", "link_dot", "link_dot/file", "link_dir_up", "link_dir_up/file",
    "link_deep_up", "link_deep_up/secret", "dir/link_parent", "dir/link_parent/file",
    "dir/link_grandparent", "dir/link_grandparent/outside/secret", "dir/link_root_file",
    "link_file/", "link_dangling/",
]


@pytest.fixture
def pair(tmp_path):
    """(ours, theirs): guests over two identical trees, each with its sandbox as "/"."""
    guests = []
    for side in ("ours", "them"):  # same length: link sizes compare
        root = tmp_path / side
        root.mkdir()
        build_escape_tree(root)
        guests.append(root)
    ours = CtxGuest(make_ctx(preopens=[(str(guests[0] / "sandbox"), "/")]))
    theirs = WasmtimeGuest(preopens=[(guests[1] / "sandbox", "/")])
    yield ours, theirs, guests[0], guests[1]
    ours.ctx.close()


def run_both(pair, scenario):
    ours, theirs, our_root, their_root = pair
    mine, expected = scenario(ours), scenario(theirs)
    mismatches = [(m, e) for m, e in zip(mine, expected) if m != e]
    assert not mismatches, "ours vs wasmtime:\n" + "\n".join(f"{m!r}\n{e!r}\n" for m, e in
                                                             mismatches)
    assert len(mine) == len(expected)
    assert snapshot_shape(our_root) == snapshot_shape(their_root)


def snapshot_shape(root):
    """The tree's content without timestamps and the trees' own location."""
    def neutral(what):
        return (what[0], what[1].replace(str(root), "<root>")) if what[0] == "link" else what
    return {path: neutral(entry[0]) for path, entry in snapshot(root).items() if path != "."}


def _open(g, path, dirflags=FOLLOW, oflags=0, rights=READ_RIGHTS, fdflags=0):
    err = g.call("path_open", 3, dirflags, *g.str(path), oflags, rights, rights, fdflags, RESULT)
    fd = g.u32(RESULT) if err == 0 else None
    return err, fd


def _stat_summary(g, ptr):
    """filetype, nlink and size of a filestat (dev/ino differ by design)."""
    return g.view()[ptr + 16], g.u64(ptr + 24), g.u64(ptr + 32)


def test_path_open_resolution_matches_wasmtime(pair):
    def scenario(g):
        out = []
        for path in PATHS:
            for dirflags in (0, FOLLOW):
                err, fd = _open(g, path, dirflags)
                kind = None
                if err == 0:
                    g.call("fd_filestat_get", fd, RESULT + 8)
                    kind = g.view()[RESULT + 24]
                    g.call("fd_close", fd)
                out.append((path, dirflags, err, kind))
        return out
    run_both(pair, scenario)


def test_path_open_directory_flag_and_write_access_match_wasmtime(pair):
    def scenario(g):
        out = []
        for path in ("file", "dir", "link_dir", "link_file", "missing", "dir/", "file/"):
            for oflags in (abi.OFLAGS_DIRECTORY, abi.OFLAGS_DIRECTORY | abi.OFLAGS_CREAT,
                           abi.OFLAGS_DIRECTORY | abi.OFLAGS_TRUNC, abi.OFLAGS_EXCL):
                err, fd = _open(g, path, FOLLOW, oflags)
                out.append((path, oflags, err))
                if fd is not None:
                    g.call("fd_close", fd)
            err, fd = _open(g, path, FOLLOW, 0, ALL_RIGHTS)
            out.append((path, "write", err))
            if fd is not None:
                g.call("fd_close", fd)
        return out
    run_both(pair, scenario)


def test_path_filestat_get_matches_wasmtime(pair):
    def scenario(g):
        out = []
        for path in PATHS:
            for flags in (0, FOLLOW):
                err = g.call("path_filestat_get", 3, flags, *g.str(path), RESULT)
                out.append((path, flags, err, _stat_summary(g, RESULT) if err == 0 else None))
        return out
    run_both(pair, scenario)


def test_create_and_truncate_through_links_match_wasmtime(pair):
    def scenario(g):
        out = []
        for path in ("new", "dir/new", "link_dangling", "link_up_new", "link_dir/new2",
                     "link_up/new", "link_abs/new", "../new", "/new", "link_file", "dir/sub/"):
            for dirflags in (0, FOLLOW):
                for oflags in (abi.OFLAGS_CREAT, abi.OFLAGS_CREAT | abi.OFLAGS_EXCL,
                               abi.OFLAGS_CREAT | abi.OFLAGS_TRUNC):
                    err, fd = _open(g, path, dirflags, oflags, ALL_RIGHTS)
                    out.append((path, dirflags, oflags, err))
                    if fd is not None:
                        g.call("fd_close", fd)
        return out
    run_both(pair, scenario)


MUTATIONS = [
    ("path_create_directory", ["newdir", "dir/newdir", "newdir2/", "file", "dir", "link_dir",
                               "link_dangling", "link_up/x", "../x", "/x", "missing/x", ".",
                               "dir/.."]),
    ("path_remove_directory", ["dir/sub", "dir", "file", "link_dir", "missing", "link_up",
                               "../outside", "/dir", "dir/sub/", "link_dir/", ".", "dir/sub/.."]),
    ("path_unlink_file", ["file", "dir", "link_file", "link_dir", "link_up", "link_dangling",
                          "missing", "dir/nested", "link_dir/nested", "link_up/secret",
                          "link_up_secret", "../outside/secret", "/file", "file/", "link_dir/",
                          "."]),
]


@pytest.mark.parametrize("function,paths", MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_mutations_match_wasmtime(pair, function, paths):
    def scenario(g):
        return [(path, g.call(function, 3, *g.str(path))) for path in paths]
    run_both(pair, scenario)


def test_rename_link_symlink_match_wasmtime(pair):
    renames = [("file", "renamed"), ("renamed", "dir/renamed"), ("dir/renamed", "../escaped"),
               ("link_up", "moved_link"), ("moved_link/secret", "stolen"),
               ("link_up_secret", "x"), ("../outside/secret", "stolen"), ("dir", "/dir2"),
               ("dir/sub", "dir/sub2/"), ("dir/nested", "nested2/"), ("missing", "x"),
               ("link_dir/nested", "nested3"), ("dir", "dir/sub2/inside"), ("x", "y")]
    links = [("nested3", "hard"), ("hard", "../hard"), ("link_up_secret", "hard2"),
             ("link_up/secret", "hard3"), ("dir", "hardlinked_dir"), ("missing", "x"),
             ("link_file", "hard_link_to_link"), ("nested3", "link_dir/hard4"),
             ("nested3", "link_up/hard5"), ("nested3", "hard/")]
    symlinks = [("file", "s1"), ("../outside/secret", "s2"), ("/etc/passwd", "s3"),
                ("anything", "link_up/s4"), ("anything", "../s5"), ("x", "link_file"),
                ("x", "s6/"), ("", "s7"), ("x", "dir/s8"), ("dir/..", "s9")]

    def scenario(g):
        out = []
        for old, new in renames:
            out.append(("rename", old, new,
                        g.call("path_rename", 3, *g.str(old), 3, *g.str(new))))
        for old, new in links:
            out.append(("link", old, new,
                        g.call("path_link", 3, 0, *g.str(old), 3, *g.str(new))))
        for target, new in symlinks:
            out.append(("symlink", target, new,
                        g.call("path_symlink", *g.str(target), 3, *g.str(new))))
        for path in ("s1", "s2", "s9", "file", "link_up", "missing", "dir/link_parent",
                     "link_dir/link_parent", "link_up/x"):
            buf = g.buffer(64)
            err = g.call("path_readlink", 3, *g.str(path), buf[0], 64, RESULT)
            out.append(("readlink", path, err,
                        g.bytes(buf[0], g.u32(RESULT)) if err == 0 else None))
        return out
    run_both(pair, scenario)


def test_fd_operations_match_wasmtime(pair):
    def scenario(g):
        out = []
        err, ro = _open(g, "file", FOLLOW, 0, READ_RIGHTS)
        err2, rw = _open(g, "dir/nested", FOLLOW, 0, ALL_RIGHTS)
        err3, dfd = _open(g, "dir", FOLLOW, abi.OFLAGS_DIRECTORY, READ_RIGHTS)
        out.append((err, err2, err3))
        data = g.buffer(16)
        iov = g.iovecs(data)
        text = g.put(b"written!")
        wiov = g.iovecs(text)
        for fd in (0, 1, 2, 3, ro, rw, dfd, 99):
            out.append(("read", fd, g.call("fd_read", fd, *iov, RESULT), g.u32(RESULT)))
            out.append(("write", fd, g.call("fd_write", fd, *wiov, RESULT)))
            out.append(("pread", fd, g.call("fd_pread", fd, *iov, 1, RESULT)))
            out.append(("pwrite", fd, g.call("fd_pwrite", fd, *wiov, 2, RESULT)))
            out.append(("seek", fd, g.call("fd_seek", fd, 1, abi.WHENCE_SET, RESULT)))
            out.append(("tell", fd, g.call("fd_tell", fd, RESULT)))
            out.append(("set_size", fd, g.call("fd_filestat_set_size", fd, 3)))
            out.append(("sync", fd, g.call("fd_sync", fd), g.call("fd_datasync", fd)))
            out.append(("advise", fd, g.call("fd_advise", fd, 0, 10, abi.ADVICE_RANDOM)))
            out.append(("set_flags", fd, g.call("fd_fdstat_set_flags", fd, 0)))
            out.append(("set_flags_sync", fd, g.call("fd_fdstat_set_flags", fd,
                                                       abi.FDFLAGS_SYNC)))
            out.append(("readdir", fd, g.call("fd_readdir", fd, data[0], 16, 0, RESULT)))
            out.append(("prestat", fd, g.call("fd_prestat_get", fd, RESULT)))
            out.append(("fdstat", fd, g.call("fd_fdstat_get", fd, RESULT),
                        g.view()[RESULT], g.u32(RESULT) >> 16))
            out.append(("sock_shutdown", fd, g.call("sock_shutdown", fd, abi.SDFLAGS_RD)))
            out.append(("sock_accept", fd, g.call("sock_accept", fd, 0, RESULT)))
            out.append(("path_create_directory", fd,
                        g.call("path_create_directory", fd, *g.str("zz"))))
        # seek arithmetic on the writable file
        for offset, whence in ((0, abi.WHENCE_END), (-1, abi.WHENCE_END), (-100, abi.WHENCE_CUR),
                               (5, abi.WHENCE_CUR), (-1, abi.WHENCE_SET)):
            out.append(("seek", offset, whence,
                        g.call("fd_seek", rw, offset & (2**64 - 1), whence, RESULT),
                        g.u64(RESULT)))
        out.append(("renumber", g.call("fd_renumber", rw, 77), g.call("fd_renumber", rw, ro),
                    g.call("fd_read", rw, *iov, RESULT), g.call("fd_close", rw),
                    g.call("fd_close", ro), g.call("fd_close", ro)))
        return out
    run_both(pair, scenario)


def test_prestat_args_environ_match_wasmtime(tmp_path):
    argv = ["prog", "the \"second\" arg", "ünïcode", ""]
    env = [("A", "1"), ("B", "x=y"), ("EMPTY", "")]
    ours = CtxGuest(make_ctx(preopens=[(str(tmp_path), "/sandbox")], argv=argv, env=env))
    theirs = WasmtimeGuest(preopens=[(tmp_path, "/sandbox")], argv=argv, env=env)

    def scenario(g):
        out = [g.call("args_sizes_get", RESULT, RESULT + 4), g.u32(RESULT), g.u32(RESULT + 4)]
        ptrs, buf = g.buffer(64), g.buffer(256)
        out += [g.call("args_get", ptrs[0], buf[0]), g.bytes(buf[0], g.u32(RESULT + 4))]
        out += [g.call("environ_sizes_get", RESULT, RESULT + 4), g.u32(RESULT),
                g.u32(RESULT + 4)]
        out += [g.call("environ_get", ptrs[0], buf[0]), g.bytes(buf[0], g.u32(RESULT + 4))]
        out += [g.call("fd_prestat_get", 3, RESULT), g.bytes(RESULT, 8)]
        for size in (0, 7, 8, 100):
            name = g.buffer(size + 1)
            out += [size, g.call("fd_prestat_dir_name", 3, name[0], size),
                    g.bytes(name[0], size)]
        out += [g.call("fd_prestat_dir_name", 1, RESULT, 10), g.call("fd_prestat_get", 4, RESULT)]
        return out
    assert scenario(ours) == scenario(theirs)
    ours.ctx.close()


def test_readdir_matches_wasmtime(pair):
    def scenario(g):
        err, fd = _open(g, "dir", FOLLOW, abi.OFLAGS_DIRECTORY, READ_RIGHTS)
        buf = g.buffer(4096)
        err2 = g.call("fd_readdir", fd, buf[0], 4096, 0, RESULT)
        used = g.u32(RESULT)
        raw = g.bytes(buf[0], used)
        entries, at = set(), 0
        while at < used:
            d_next, _ino, namlen, d_type = abi.DIRENT.unpack_from(raw, at)
            entries.add((raw[at + 24:at + 24 + namlen], d_type))
            at += 24 + namlen
        cookie_past_end = g.call("fd_readdir", fd, buf[0], 4096, 100, RESULT), g.u32(RESULT)
        return [err, err2, sorted(entries), cookie_past_end]
    run_both(pair, scenario)


def test_poll_oneoff_errors_match_wasmtime(pair):
    def scenario(g):
        out = [g.call("poll_oneoff", RESULT, RESULT + 0x100, 0, RESULT + 0x200)]
        # fd subscription on a bad fd, on a directory, and a clock with a bad clock id
        for tag, fd in ((abi.EVENTTYPE_FD_READ, 99), (abi.EVENTTYPE_FD_WRITE, 3)):
            sub = g.put((7).to_bytes(8, "little") + bytes([tag]) + bytes(7)
                        + fd.to_bytes(4, "little") + bytes(28))
            out.append(g.call("poll_oneoff", sub[0], RESULT, 1, RESULT + 0x200))
        sub = g.put((7).to_bytes(8, "little") + bytes(8) + (9).to_bytes(4, "little")
                    + bytes(4) + (1).to_bytes(8, "little") + bytes(16))
        out.append(g.call("poll_oneoff", sub[0], RESULT, 1, RESULT + 0x200))
        return out
    run_both(pair, scenario)


def test_times_flags_and_fdstat_match_wasmtime(pair):
    NOW = abi.FSTFLAGS_ATIM_NOW | abi.FSTFLAGS_MTIM_NOW
    SET = abi.FSTFLAGS_ATIM | abi.FSTFLAGS_MTIM

    def scenario(g):
        out = []
        err, fd = _open(g, "file", FOLLOW, 0, ALL_RIGHTS, abi.FDFLAGS_APPEND)
        out.append(("fdstat", err, g.call("fd_fdstat_get", fd, RESULT), g.view()[RESULT],
                    g.view()[RESULT + 2]))
        for flags in (SET, NOW, abi.FSTFLAGS_MTIM, abi.FSTFLAGS_ATIM | abi.FSTFLAGS_ATIM_NOW,
                      abi.FSTFLAGS_MTIM | abi.FSTFLAGS_MTIM_NOW):
            out.append(("fd_set_times", flags,
                        g.call("fd_filestat_set_times", fd, 10**18, 10**18, flags)))
            for path in ("file", "link_file", "link_up", "missing"):
                for lookup in (0, FOLLOW):
                    out.append(("path_set_times", flags, path, lookup,
                                g.call("path_filestat_set_times", 3, lookup, *g.str(path),
                                       10**18, 10**18, flags)))
        for fd_ in (0, 1, 3):
            out.append(("fd_set_times", fd_, g.call("fd_filestat_set_times", fd_, 0, 0, NOW)))
        out.append(("set_flags_append", g.call("fd_fdstat_set_flags", fd, 0),
                    g.call("fd_fdstat_get", fd, RESULT), g.view()[RESULT + 2]))
        # closing and renumbering preopens
        out.append(("renumber_preopen", g.call("fd_renumber", 3, fd),
                    g.call("fd_prestat_get", fd, RESULT), g.call("fd_prestat_get", 3, RESULT),
                    g.call("path_open", 3, 0, *g.str("file"), 0, 0, 0, 0, RESULT),
                    g.call("fd_close", fd), g.call("fd_prestat_get", fd, RESULT)))
        return out
    run_both(pair, scenario)
