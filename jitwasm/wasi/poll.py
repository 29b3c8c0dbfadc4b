"""poll_oneoff: clock subscriptions and fd read/write readiness.

Regular files and Python-object stdio are always ready (as in wasmtime); host pipes, ttys and
sockets are waited on with `select.poll`, with the earliest clock deadline as the timeout.
A lone relative clock is a plain sleep.
"""

import fcntl
import os
import select
import stat as _stat
import termios
import time

from . import abi
from .abi import EVENT, SUBSCRIPTION_CLOCK, SUBSCRIPTION_HEAD, SUBSCRIPTION_SIZE, EVENT_SIZE, U32
from .errno import EBADF, EINVAL, ENOTCAPABLE, SUCCESS, ErrnoError
from .memory import check_range

_POLL_IN = select.POLLIN | select.POLLPRI
_POLL_OUT = select.POLLOUT
_POLL_DONE = select.POLLHUP | select.POLLERR | select.POLLNVAL
_MAX_SLEEP_NS = 10**9 * 86400 * 365     # a u64 timeout is "forever"; sleep a year at most


def _deadline(clock_id: int, timeout: int, flags: int, now: int) -> int:
    """The subscription's deadline on the monotonic clock, in ns."""
    absolute = flags & abi.SUBCLOCKFLAGS_ABSTIME
    if clock_id == abi.CLOCKID_MONOTONIC:
        return timeout if absolute else now + timeout
    if clock_id == abi.CLOCKID_REALTIME:
        return now + (timeout - time.time_ns() if absolute else timeout)
    raise ErrnoError(EINVAL)       # CPU-time clocks cannot be waited on


def _bytes_available(host_fd: int) -> int:
    try:
        return int.from_bytes(fcntl.ioctl(host_fd, termios.FIONREAD, b"\0\0\0\0"), "little")
    except OSError:
        return 0


def _file_event(entry, userdata: int, kind: int) -> tuple:
    """An always-ready regular file: bytes left to read, or 0 for writes."""
    nbytes = 0
    if kind == abi.EVENTTYPE_FD_READ:
        st = os.fstat(entry.host_fd)
        nbytes = max(0, st.st_size - os.lseek(entry.host_fd, 0, os.SEEK_CUR))
    return userdata, SUCCESS, kind, nbytes, 0


def poll_oneoff(fds, mem, in_ptr: int, out_ptr: int, nsubscriptions: int) -> int:
    """Wait for the subscriptions at `in_ptr`, write events at `out_ptr`, return their count."""
    if nsubscriptions == 0:
        raise ErrnoError(EINVAL)
    check_range(mem, in_ptr, nsubscriptions * SUBSCRIPTION_SIZE)
    check_range(mem, out_ptr, nsubscriptions * EVENT_SIZE)
    now = time.monotonic_ns()
    clocks = []          # (deadline, userdata)
    ready = []           # events ready without waiting
    waits = {}           # host fd -> [(userdata, kind)]
    for at in range(in_ptr, in_ptr + nsubscriptions * SUBSCRIPTION_SIZE, SUBSCRIPTION_SIZE):
        userdata, tag = SUBSCRIPTION_HEAD.unpack_from(mem, at)
        if tag == abi.EVENTTYPE_CLOCK:
            clock_id, timeout, _precision, flags = SUBSCRIPTION_CLOCK.unpack_from(mem, at + 16)
            clocks.append((_deadline(clock_id, timeout, flags, now), userdata))
            continue
        if tag not in (abi.EVENTTYPE_FD_READ, abi.EVENTTYPE_FD_WRITE):
            raise ErrnoError(EINVAL)
        entry = fds.get(U32.unpack_from(mem, at + 16)[0])
        if entry.is_dir:
            raise ErrnoError(EBADF)
        if not entry.rights_base & abi.RIGHTS_POLL_FD_READWRITE:
            ready.append((userdata, ENOTCAPABLE, tag, 0, 0))
        elif entry.host_fd is None:                       # Python stream: never blocks
            ready.append((userdata, SUCCESS, tag, 0, 0))
        elif entry.is_file and _is_regular(entry.host_fd):
            ready.append(_file_event(entry, userdata, tag))
        else:
            waits.setdefault(entry.host_fd, []).append((userdata, tag))

    events = ready
    if waits:
        events += _wait_fds(waits, 0 if ready else _timeout_ms(clocks))
    if clocks:
        if not events:      # nothing else happened: the first clock is what we wait for
            remaining = min(deadline for deadline, _ in clocks) - time.monotonic_ns()
            if remaining > 0:
                time.sleep(min(remaining, _MAX_SLEEP_NS) / 1e9)
        now = time.monotonic_ns()
        events += [(userdata, SUCCESS, abi.EVENTTYPE_CLOCK, 0, 0)
                   for deadline, userdata in clocks if deadline <= now]
    for index, event in enumerate(events):
        EVENT.pack_into(mem, out_ptr + index * EVENT_SIZE, *event)
    return len(events)


def _is_regular(host_fd: int) -> bool:
    return _stat.S_ISREG(os.fstat(host_fd).st_mode)


def _timeout_ms(clocks) -> float:
    if not clocks:
        return None
    remaining = min(deadline for deadline, _ in clocks) - time.monotonic_ns()
    return max(0.0, min(remaining, _MAX_SLEEP_NS) / 1e6)


def _wait_fds(waits: dict, timeout_ms) -> list:
    poller = select.poll()
    for host_fd, subs in waits.items():
        mask = 0
        for _, kind in subs:
            mask |= _POLL_IN if kind == abi.EVENTTYPE_FD_READ else _POLL_OUT
        poller.register(host_fd, mask)
    events = []
    for host_fd, revents in poller.poll(timeout_ms):
        hangup = abi.EVENTRWFLAGS_FD_READWRITE_HANGUP if revents & _POLL_DONE else 0
        for userdata, kind in waits[host_fd]:
            if kind == abi.EVENTTYPE_FD_READ and revents & (_POLL_IN | _POLL_DONE):
                events.append((userdata, SUCCESS, kind, _bytes_available(host_fd), hangup))
            elif kind == abi.EVENTTYPE_FD_WRITE and revents & (_POLL_OUT | _POLL_DONE):
                events.append((userdata, SUCCESS, kind, 0, hangup))
    return events
