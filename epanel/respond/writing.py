"""One answering write at a time on SQLite, queued instead of retried.

SQLite lets one transaction write at a time. A writer that finds the database locked
sleeps in SQLite's busy handler and tries again after 1, 2, 5 … up to 100 ms, so under
load a page save that needs the lock for 2 ms can wait for a second while newer writers
slip in ahead of it. Answering writes therefore queue on an exclusive lock of their
own (a thread lock within a process, `flock` on a file beside the database between
processes), which hands over as soon as the previous save commits. PostgreSQL locks
rows, not the database, so there this does nothing.
"""

import fcntl
import os
import threading
from contextlib import contextmanager

from epanel.extensions import db

_thread_lock = threading.Lock()
_lock_files: dict[tuple[int, str], int] = {}  # (process id, database path) -> open file


def _lock_file(database: str) -> int:
    key = (os.getpid(), database)  # a forked worker opens its own
    if key not in _lock_files:
        _lock_files[key] = os.open(f"{database}-writer.lock", os.O_RDWR | os.O_CREAT, 0o600)
    return _lock_files[key]


@contextmanager
def one_writer():
    """Hold the answering write lock for the transaction inside the block (SQLite files only)."""
    url = db.engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        yield
        return
    with _thread_lock:
        handle = _lock_file(url.database)
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
