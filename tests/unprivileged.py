"""Shared by test packages: making root obey file permissions, for tests of unreadable files.

The suite runs as root in CI containers, where ``chmod 000`` stops no one.
Linux capabilities are per thread: a thread that clears CAP_DAC_OVERRIDE
and CAP_DAC_READ_SEARCH from its effective set is refused what any other
user would be, and nothing else in the process is affected.
"""

from __future__ import annotations

import ctypes
import os
import sys
import threading
from collections.abc import Callable
from typing import TypeVar

import pytest

T = TypeVar("T")


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    ]


def drop_root_file_access() -> None:
    """Make root obey file permissions in the calling thread (Linux capabilities are per thread).

    Clears CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from this thread's
    effective set, so a directory of another user is closed to it as to
    anyone else; the thread ends with the test, nothing else is affected.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    header, data = _CapHeader(0x20080522, 0), (_CapData * 2)()  # _LINUX_CAPABILITY_VERSION_3
    if libc.capget(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capget failed")
    data[0].effective &= ~((1 << 1) | (1 << 2))
    if libc.capset(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capset failed")


def obeying_permissions(call: Callable[[], T]) -> T:
    """Run ``call`` as a user that file permissions apply to; return or raise what it does.

    As another user than root it simply runs; as root, in a thread without the
    capabilities that let root read anything (skipped where there are none).
    """
    if os.geteuid() != 0:
        return call()
    if not sys.platform.startswith("linux"):
        pytest.skip("root obeys file permissions only without its capabilities (Linux)")
    outcome: dict[str, object] = {}

    def worker() -> None:
        try:
            drop_root_file_access()
            outcome["value"] = call()
        except BaseException as exc:  # re-raised in the caller's thread
            outcome["error"] = exc

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join(60)
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["value"]  # type: ignore[return-value]
