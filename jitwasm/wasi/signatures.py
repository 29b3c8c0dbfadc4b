"""Wasm signatures of every `wasi_snapshot_preview1` import, as the witx defines them.

Pointers, sizes, fds and flags are i32; filesize, timestamp, rights, dircookie and filedelta are
i64. Every function returns an errno (i32) except `proc_exit`, which does not return.
"""

from ..binary.types import I32, I64

MODULE = "wasi_snapshot_preview1"

_ERRNO = (I32,)

SIGNATURES = {
    "args_get": ((I32, I32), _ERRNO),
    "args_sizes_get": ((I32, I32), _ERRNO),
    "environ_get": ((I32, I32), _ERRNO),
    "environ_sizes_get": ((I32, I32), _ERRNO),
    "clock_res_get": ((I32, I32), _ERRNO),
    "clock_time_get": ((I32, I64, I32), _ERRNO),
    "fd_advise": ((I32, I64, I64, I32), _ERRNO),
    "fd_allocate": ((I32, I64, I64), _ERRNO),
    "fd_close": ((I32,), _ERRNO),
    "fd_datasync": ((I32,), _ERRNO),
    "fd_fdstat_get": ((I32, I32), _ERRNO),
    "fd_fdstat_set_flags": ((I32, I32), _ERRNO),
    "fd_fdstat_set_rights": ((I32, I64, I64), _ERRNO),
    "fd_filestat_get": ((I32, I32), _ERRNO),
    "fd_filestat_set_size": ((I32, I64), _ERRNO),
    "fd_filestat_set_times": ((I32, I64, I64, I32), _ERRNO),
    "fd_pread": ((I32, I32, I32, I64, I32), _ERRNO),
    "fd_prestat_get": ((I32, I32), _ERRNO),
    "fd_prestat_dir_name": ((I32, I32, I32), _ERRNO),
    "fd_pwrite": ((I32, I32, I32, I64, I32), _ERRNO),
    "fd_read": ((I32, I32, I32, I32), _ERRNO),
    "fd_readdir": ((I32, I32, I32, I64, I32), _ERRNO),
    "fd_renumber": ((I32, I32), _ERRNO),
    "fd_seek": ((I32, I64, I32, I32), _ERRNO),
    "fd_sync": ((I32,), _ERRNO),
    "fd_tell": ((I32, I32), _ERRNO),
    "fd_write": ((I32, I32, I32, I32), _ERRNO),
    "path_create_directory": ((I32, I32, I32), _ERRNO),
    "path_filestat_get": ((I32, I32, I32, I32, I32), _ERRNO),
    "path_filestat_set_times": ((I32, I32, I32, I32, I64, I64, I32), _ERRNO),
    "path_link": ((I32, I32, I32, I32, I32, I32, I32), _ERRNO),
    "path_open": ((I32, I32, I32, I32, I32, I64, I64, I32, I32), _ERRNO),
    "path_readlink": ((I32, I32, I32, I32, I32, I32), _ERRNO),
    "path_remove_directory": ((I32, I32, I32), _ERRNO),
    "path_rename": ((I32, I32, I32, I32, I32, I32), _ERRNO),
    "path_symlink": ((I32, I32, I32, I32, I32), _ERRNO),
    "path_unlink_file": ((I32, I32, I32), _ERRNO),
    "poll_oneoff": ((I32, I32, I32, I32), _ERRNO),
    "proc_exit": ((I32,), ()),
    "proc_raise": ((I32,), _ERRNO),
    "sched_yield": ((), _ERRNO),
    "random_get": ((I32, I32), _ERRNO),
    "sock_accept": ((I32, I32, I32), _ERRNO),
    "sock_recv": ((I32, I32, I32, I32, I32, I32), _ERRNO),
    "sock_send": ((I32, I32, I32, I32, I32), _ERRNO),
    "sock_shutdown": ((I32, I32), _ERRNO),
}
