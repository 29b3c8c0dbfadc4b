"""The sandbox: a guest reaches only what its preopen contains.

Every way out is tried through every path-taking function: `..` past the root, absolute paths,
symlinks (absolute, relative, chained, dangling, through directories), hard links and renames
into or out of the preopen. Each must be refused, and afterwards the host tree outside the
preopen must be exactly as before (nothing read into the guest, created, changed or linked).
"""

import os

import pytest

from jitwasm.wasi import abi
from jitwasm.wasi import errno as E
from jitwasm.wasi.sandbox import ESCAPE_ERRNO
from test_wasi_support import RESULT, CtxGuest, build_escape_tree, make_ctx, snapshot

FOLLOW = abi.LOOKUPFLAGS_SYMLINK_FOLLOW
RW = abi.RIGHTS_ALL
CREATE = abi.OFLAGS_CREAT

# Paths whose resolution leaves the sandbox, with or without following the final link.
ESCAPES_ALWAYS = [
    "..", "../", "../outside", "../outside/secret", "../sandbox/file", "dir/../..",
    "dir/../../outside/secret", "dir/sub/../../../outside/secret", "./../outside",
    "/", "/file", "//file", "/etc/passwd", "/tmp",
    "link_abs/secret", "link_up/secret", "link_chain_up/secret", "link_deep_up/secret",
    "dir/link_grandparent/outside/secret", "link_dir/../../outside/secret",
    "link_dir_up/../outside/secret", "link_up/", "link_abs/", "link_chain_up/",
]
# Final symlinks that escape only when followed.
ESCAPING_LINKS = ["link_abs", "link_abs_secret", "link_up", "link_up_secret", "link_up_new",
                  "link_chain_up", "link_deep_up", "dir/link_grandparent"]


@pytest.fixture(scope="module")
def shared_tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("escape")
    build_escape_tree(root)
    return root


def _guest(root):
    guest = CtxGuest(make_ctx(preopens=[(str(root / "sandbox"), "/")]))
    guest.root = root / "sandbox"
    return guest


@pytest.fixture
def box(shared_tree):
    """A guest with the shared tree's sandbox as "/" (fd 3); it must change nothing at all."""
    before = snapshot(shared_tree)
    guest = _guest(shared_tree)
    yield guest
    guest.ctx.close()
    assert snapshot(shared_tree) == before, "the host tree changed"


@pytest.fixture
def fresh(tmp_path):
    """A guest over its own tree, for tests that change the sandbox; the outside must not."""
    build_escape_tree(tmp_path)
    outside_before = snapshot(tmp_path / "outside")
    guest = _guest(tmp_path)
    yield guest
    guest.ctx.close()
    assert snapshot(tmp_path / "outside") == outside_before, "the outside tree changed"
    assert sorted(os.listdir(tmp_path)) == ["outside", "sandbox"], "something was created"


def _open(g, path, dirflags=FOLLOW, oflags=0, rights=RW, fd=3):
    err = g.call("path_open", fd, dirflags, *g.str(path), oflags, rights, rights, 0, RESULT)
    return err, (g.u32(RESULT) if err == 0 else None)


def _all_path_calls(g, path, follow):
    """errno of every path-taking function on `path` (fd 3 as the directory)."""
    flags = FOLLOW if follow else 0
    p = g.str(path)
    buf = g.buffer(64)
    results = {
        "open": _open(g, path, flags)[0],
        "open_create": _open(g, path, flags, CREATE)[0],
        "open_read": _open(g, path, flags, 0, abi.RIGHTS_FD_READ)[0],
        "filestat": g.call("path_filestat_get", 3, flags, *p, RESULT),
        "set_times": g.call("path_filestat_set_times", 3, flags, *p, 0, 0,
                            abi.FSTFLAGS_ATIM_NOW | abi.FSTFLAGS_MTIM_NOW),
        "mkdir": g.call("path_create_directory", 3, *p),
        "rmdir": g.call("path_remove_directory", 3, *p),
        "unlink": g.call("path_unlink_file", 3, *p),
        "readlink": g.call("path_readlink", 3, *p, buf[0], 64, RESULT),
        "rename_from": g.call("path_rename", 3, *p, 3, *g.str("renamed")),
        "rename_to": g.call("path_rename", 3, *g.str("file"), 3, *p),
        "link_from": g.call("path_link", 3, flags, *p, 3, *g.str("linked")),
        "link_to": g.call("path_link", 3, 0, *g.str("file"), 3, *p),
        "symlink_at": g.call("path_symlink", *g.str("file"), 3, *p),
    }
    return results


@pytest.mark.parametrize("follow", [False, True], ids=["nofollow", "follow"])
@pytest.mark.parametrize("path", ESCAPES_ALWAYS)
def test_escaping_paths_are_refused_by_every_call(box, path, follow):
    results = _all_path_calls(box, path, follow)
    assert results == dict.fromkeys(results, ESCAPE_ERRNO)


@pytest.mark.parametrize("path", ESCAPING_LINKS)
def test_following_an_escaping_symlink_is_refused(box, path):
    assert _open(box, path, FOLLOW)[0] == ESCAPE_ERRNO
    assert _open(box, path, FOLLOW, CREATE)[0] == ESCAPE_ERRNO
    assert box.call("path_filestat_get", 3, FOLLOW, *box.str(path), RESULT) == ESCAPE_ERRNO
    assert box.call("path_filestat_set_times", 3, FOLLOW, *box.str(path), 0, 0,
                    abi.FSTFLAGS_MTIM_NOW) == ESCAPE_ERRNO
    assert box.call("path_link", 3, FOLLOW, *box.str(path), 3, *box.str("hard")) \
        == ESCAPE_ERRNO


@pytest.mark.parametrize("path", ESCAPING_LINKS)
def test_escaping_symlink_itself_is_only_handled_as_a_link(box, path):
    """Without FOLLOW the link is the object: open says ELOOP, stat describes the link."""
    assert _open(box, path, 0)[0] == E.ELOOP
    assert _open(box, path, 0, CREATE)[0] == E.ELOOP
    assert box.call("path_filestat_get", 3, 0, *box.str(path), RESULT) == 0
    assert box.view()[RESULT + 16] == abi.FILETYPE_SYMBOLIC_LINK
    buf = box.buffer(256)
    assert box.call("path_readlink", 3, *box.str(path), buf[0], 256, RESULT) == 0
    assert box.bytes(buf[0], box.u32(RESULT)) == os.readlink(box.root / path).encode()


@pytest.mark.parametrize("dirflags,oflags,errno", [
    (FOLLOW, CREATE, ESCAPE_ERRNO),
    (FOLLOW, CREATE | abi.OFLAGS_TRUNC, ESCAPE_ERRNO),
    (FOLLOW, CREATE | abi.OFLAGS_EXCL, E.EEXIST),     # O_EXCL never follows: the link exists
    (0, CREATE, E.ELOOP),
    (0, CREATE | abi.OFLAGS_EXCL, E.EEXIST),
])
def test_dangling_link_out_of_the_sandbox_creates_nothing(box, dirflags, oflags, errno):
    assert _open(box, "link_up_new", dirflags, oflags)[0] == errno
    assert not (box.root.parent / "outside" / "created").exists()


def test_dangling_link_inside_the_sandbox_creates_its_target(fresh, tmp_path):
    err, fd = _open(fresh, "link_dangling", FOLLOW, CREATE)
    assert err == 0
    assert (tmp_path / "sandbox" / "missing").is_file()
    assert fresh.call("fd_close", fd) == 0


def test_symlink_loops_give_eloop(box):
    assert _open(box, "link_loop", FOLLOW)[0] == E.ELOOP
    assert _open(box, "link_loop/x", 0)[0] == E.ELOOP
    assert box.call("path_filestat_get", 3, FOLLOW, *box.str("link_loop"), RESULT) == E.ELOOP


def test_links_that_stay_inside_are_followed(box):
    for path in ("link_file", "link_chain", "link_dir/nested", "link_dot/file",
                 "link_dir_up/file", "dir/link_parent/file", "dir/link_root_file",
                 "dir/../file", "./dir/./nested"):
        err, fd = _open(box, path, FOLLOW, 0, abi.RIGHTS_FD_READ)
        assert err == 0, path
        assert box.call("fd_close", fd) == 0


def test_hard_links_cannot_cross_the_boundary(box):
    root = box.root.parent
    secret = root / "outside" / "secret"
    links_before = secret.stat().st_nlink
    for old, new in (("../outside/secret", "stolen"), ("link_up/secret", "stolen"),
                     ("file", "../outside/planted"), ("file", "link_up/planted"),
                     ("file", "link_abs/planted"), ("/file", "x"), ("file", "/x")):
        for flags in (0, FOLLOW):
            assert box.call("path_link", 3, flags, *box.str(old), 3, *box.str(new)) \
                == ESCAPE_ERRNO, (old, new)
    for link in ("link_up_secret", "link_abs_secret"):
        assert box.call("path_link", 3, FOLLOW, *box.str(link), 3, *box.str("stolen")) \
            == ESCAPE_ERRNO
    assert secret.stat().st_nlink == links_before
    assert not (root / "sandbox" / "stolen").exists()


def test_renames_cannot_cross_the_boundary(fresh, tmp_path):
    for old, new in (("file", "../outside/moved"), ("file", "link_up/moved"),
                     ("../outside/secret", "moved"), ("link_up/secret", "moved"),
                     ("link_abs/secret", "moved"), ("dir", "../dir"), ("/file", "x"),
                     ("file", "/tmp/x"), ("dir", "link_deep_up/dir")):
        assert fresh.call("path_rename", 3, *fresh.str(old), 3, *fresh.str(new)) == ESCAPE_ERRNO
    assert (tmp_path / "sandbox" / "file").read_text() == "hello"
    # Moving an escaping link around inside is allowed; it still cannot be followed.
    assert fresh.call("path_rename", 3, *fresh.str("link_abs"), 3, *fresh.str("dir/moved")) == 0
    assert _open(fresh, "dir/moved/secret", 0)[0] == ESCAPE_ERRNO
    # A relative link moved deeper now points somewhere else inside (and that is missing).
    assert fresh.call("path_rename", 3, *fresh.str("link_up"), 3, *fresh.str("dir/moved2")) == 0
    assert _open(fresh, "dir/moved2/secret", 0)[0] == E.ENOENT


def test_symlinks_with_absolute_targets_cannot_be_created(box):
    root = box.root.parent
    for target in ("/etc/passwd", str(root / "outside" / "secret"), "/"):
        assert box.call("path_symlink", *box.str(target), 3, *box.str("abs")) == ESCAPE_ERRNO
    assert not os.path.lexists(root / "sandbox" / "abs")


def test_relative_escaping_symlink_can_be_created_but_never_followed(fresh, tmp_path):
    assert fresh.call("path_symlink", *fresh.str("../outside/secret"), 3, *fresh.str("s")) == 0
    assert os.readlink(tmp_path / "sandbox" / "s") == "../outside/secret"
    assert _open(fresh, "s", FOLLOW)[0] == ESCAPE_ERRNO
    assert _open(fresh, "s", FOLLOW, CREATE | abi.OFLAGS_TRUNC)[0] == ESCAPE_ERRNO
    assert fresh.call("path_filestat_get", 3, FOLLOW, *fresh.str("s"), RESULT) == ESCAPE_ERRNO


def test_opened_subdirectory_is_its_own_root(box):
    err, dir_fd = _open(box, "dir", FOLLOW, abi.OFLAGS_DIRECTORY, RW & ~abi.RIGHTS_FD_WRITE)
    assert err == 0
    assert _open(box, "nested", FOLLOW, 0, abi.RIGHTS_FD_READ, fd=dir_fd)[0] == 0
    for path in ("../file", "link_parent/file", "link_root_file", "sub/../../file"):
        assert _open(box, path, FOLLOW, 0, abi.RIGHTS_FD_READ, fd=dir_fd)[0] == ESCAPE_ERRNO
    assert box.call("path_create_directory", dir_fd, *box.str("../made")) == ESCAPE_ERRNO


def test_readdir_of_the_preopen_shows_only_the_sandbox(box):
    root = box.root.parent
    buf = box.buffer(8192)
    assert box.call("fd_readdir", 3, buf[0], 8192, 0, RESULT) == 0
    raw = box.bytes(buf[0], box.u32(RESULT))
    names, inodes, at = [], [], 0
    while at < len(raw):
        _next, ino, namlen, _type = abi.DIRENT.unpack_from(raw, at)
        names.append(raw[at + 24:at + 24 + namlen].decode())
        inodes.append(ino)
        at += 24 + namlen
    assert sorted(names) == sorted([".", ".."] + os.listdir(root / "sandbox"))
    assert inodes[1] == inodes[0] != os.stat(root).st_ino   # ".." does not leak the parent


def test_reads_never_return_outside_data(box):
    """Try to read the secret through every path spelling; no call may succeed."""
    for path in ESCAPES_ALWAYS + ESCAPING_LINKS:
        for flags in (0, FOLLOW):
            err, fd = _open(box, path, flags, 0, abi.RIGHTS_FD_READ)
            if err == 0:       # only the links themselves or inside directories may open
                data = box.buffer(16)
                box.call("fd_read", fd, *box.iovecs(data), RESULT)
                assert b"secret" not in box.bytes(data[0], 16), path
                box.call("fd_close", fd)


@pytest.mark.parametrize("path,errno", [("", E.ENOENT), ("a\0b", E.EINVAL),
                                         ("missing/x", E.ENOENT), ("file/x", E.ENOTDIR),
                                         ("file/", E.ENOTDIR)])
def test_malformed_paths(box, path, errno):
    assert _open(box, path, FOLLOW, 0, abi.RIGHTS_FD_READ)[0] == errno


def test_invalid_utf8_path_is_eilseq(box):
    assert box.call("path_open", 3, 0, *box.put(b"\xff\xfe"), 0, 0, 0, 0, RESULT) == E.EILSEQ


def test_preopen_of_read_only_mode_refuses_changes(tmp_path):
    build_escape_tree(tmp_path)
    before = snapshot(tmp_path / "sandbox")
    g = CtxGuest(make_ctx(preopens=[(str(tmp_path / "sandbox"), "/", False)]))
    assert _open(g, "file", FOLLOW, 0, abi.RIGHTS_FD_READ)[0] == 0
    assert _open(g, "new", FOLLOW, CREATE)[0] == E.ENOTCAPABLE
    assert _open(g, "file", FOLLOW, abi.OFLAGS_TRUNC)[0] == E.ENOTCAPABLE
    err, fd = _open(g, "file", FOLLOW, 0, RW)          # write right is not granted ...
    assert err == 0
    assert g.call("fd_write", fd, *g.iovecs(g.str("x")), RESULT) == E.EBADF   # ... so EBADF
    for call in ("path_create_directory", "path_remove_directory", "path_unlink_file"):
        assert g.call(call, 3, *g.str("dir/sub")) == E.ENOTCAPABLE
    assert g.call("path_rename", 3, *g.str("file"), 3, *g.str("x")) == E.ENOTCAPABLE
    assert g.call("path_symlink", *g.str("file"), 3, *g.str("x")) == E.ENOTCAPABLE
    assert g.call("path_link", 3, 0, *g.str("file"), 3, *g.str("x")) == E.ENOTCAPABLE
    g.ctx.close()
    assert snapshot(tmp_path / "sandbox") == before
