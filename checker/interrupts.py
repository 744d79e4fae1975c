"""Ctrl-C at safe points: hold SIGINT back while something must not be cut in half, deliver it afterwards.

Used where an interrupt in the middle would do harm: while a run's outputs are renamed into place
(the set must be complete or untouched) and while the rules engine checks a unit (durable-rules
swallows exceptions raised inside its actions, so a KeyboardInterrupt there would surface as an
engine failure instead of an interrupt).
"""
from __future__ import annotations

import contextlib
import signal
import threading
from types import FrameType, TracebackType


class HeldInterrupt:
    """Context manager: SIGINT only sets a flag inside; `check()` raises it at a safe point, exit re-delivers it.

    Only the main thread can install signal handlers; elsewhere (and where SIGINT is ignored) it does nothing.
    Re-delivery on exit uses the handler that was there before, so Python's KeyboardInterrupt, a custom
    handler or the default action behave exactly as if the signal had just arrived.
    """

    def __init__(self) -> None:
        self.received = False
        self._previous: object = None
        self._installed = False

    def _hold(self, signum: int, frame: FrameType | None) -> None:
        self.received = True

    def __enter__(self) -> "HeldInterrupt":
        if threading.current_thread() is threading.main_thread():
            with contextlib.suppress(ValueError, OSError, TypeError):
                previous = signal.getsignal(signal.SIGINT)
                if previous is not signal.SIG_IGN and previous is not None:
                    self._previous = signal.signal(signal.SIGINT, self._hold)
                    self._installed = True
        return self

    def check(self) -> None:
        """Raise KeyboardInterrupt now if Ctrl-C was pressed since the hold began."""
        if self.received:
            self.received = False
            raise KeyboardInterrupt

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if not self._installed:
            return
        signal.signal(signal.SIGINT, self._previous)  # type: ignore[arg-type]
        self._installed = False
        if self.received and exc_type is None:
            self.received = False
            signal.raise_signal(signal.SIGINT)
