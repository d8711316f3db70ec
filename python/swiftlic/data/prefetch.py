"""A background thread that runs a producer ahead of its consumer.

The thread is a daemon and never holds a reference to the iterator that owns it, so dropping the iterator (or
leaving the interpreter) stops it: ``close()`` sets a stop flag the producer checks between items and at least every
50 ms while the queue is full; an ``atexit`` hook closes whatever is still running. A producer error is re-raised in
the consumer, and the end of a finite producer arrives as a sentinel, never as a hang.
"""

from __future__ import annotations

import atexit
import queue
import threading
import weakref
from typing import Callable, Iterator

from ..errors import InternalError

__all__ = ["Prefetcher"]

_ITEM, _END, _ERROR = range(3)
_POLL_S = 0.05
_live: "weakref.WeakSet[Prefetcher]" = weakref.WeakSet()


def _put(q: queue.Queue, stop: threading.Event, entry) -> bool:
    while not stop.is_set():
        try:
            q.put(entry, timeout=_POLL_S)
            return True
        except queue.Full:
            pass
    return False


def _run(produce: Callable[[], Iterator], q: queue.Queue, stop: threading.Event) -> None:
    try:
        for item in produce():
            if not _put(q, stop, (_ITEM, item)):
                return
        _put(q, stop, (_END, None))
    except BaseException as exc:  # handed to the consumer, which re-raises it
        _put(q, stop, (_ERROR, exc))


class Prefetcher:
    """Iterator over ``produce()``, computed ``depth`` items ahead in a daemon thread (``depth=0``: inline).

    Use it as a context manager or call :meth:`close` to stop the thread early; garbage collection does the same.
    ``thread`` is the worker (None when inline).
    """

    def __init__(self, produce: Callable[[], Iterator], depth: int = 2, name: str = "swiftlic-prefetch"):
        self._closed = False
        self.thread: threading.Thread | None = None
        if depth <= 0:
            self._inline = produce()
            return
        self._inline = None
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self.thread = threading.Thread(target=_run, args=(produce, self._queue, self._stop), name=name, daemon=True)
        _live.add(self)
        self.thread.start()

    def __iter__(self):
        return self

    def __next__(self):
        if self._closed:
            raise StopIteration
        if self.thread is None:
            try:
                return next(self._inline)
            except StopIteration:
                self._closed = True
                raise
        while True:
            try:
                kind, value = self._queue.get(timeout=_POLL_S)
                break
            except queue.Empty:
                if not self.thread.is_alive() and self._queue.empty():
                    self.close()
                    raise InternalError("the prefetch thread ended without a result") from None
        if kind == _ITEM:
            return value
        self.close()
        if kind == _ERROR:
            raise value
        raise StopIteration

    def close(self, timeout: float = 5.0) -> None:
        """Stops the worker and waits up to ``timeout`` seconds for it to finish its current item."""
        if self._closed:
            return
        self._closed = True
        if self.thread is None:
            self._inline.close()
            return
        self._stop.set()
        if self.thread is not threading.current_thread():
            self.thread.join(timeout)
        _live.discard(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close(timeout=1.0)
        except Exception:  # interpreter shutdown: attributes may already be gone
            pass


@atexit.register
def _close_all() -> None:
    for p in list(_live):
        p.close(timeout=1.0)
