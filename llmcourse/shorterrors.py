"""Short errors in notebooks: an `LLMCourseError` shows as its one-sentence message, not a traceback.

The course's errors already say what happened and what to do; a chained traceback through six frames
of the package hides that sentence a screen below. `install()` (called by `setup()` in a kernel) asks
IPython to show these errors as the exception line alone, then one line saying that `%tb` shows the
full traceback; with `LLMCOURSE_DEBUG=1` in the environment they show in full. Other exceptions are
untouched. The cell still fails (Run All stops there, and tests still see the error).

Example:
    >>> from llmcourse.shorterrors import install
    >>> install()                               # doctest: +SKIP
    True
"""

from __future__ import annotations

import os
import sys
from typing import Any

from llmcourse.errors import LLMCourseError

__all__ = ["install"]


_HINT = "(The full traceback: run %tb in the next cell, or set LLMCOURSE_DEBUG=1 before running.)"


def _show_short(shell: Any, etype: type, value: BaseException, tb: Any, tb_offset: int | None = None) -> None:
    if os.environ.get("LLMCOURSE_DEBUG", "").strip() not in ("", "0"):
        shell.showtraceback((etype, value, tb), tb_offset=tb_offset)
        return
    # What IPython's showtraceback() records, so that %tb finds this exception.
    sys.last_type, sys.last_value, sys.last_traceback = etype, value, tb
    sys.last_exc = value
    show = getattr(shell, "_showtraceback", None)  # the kernel's own "send this error" step (ipykernel overrides it)
    if show is None:
        shell.showtraceback((etype, value, tb), exception_only=True)
        return
    # The useful sentence first ("HostNotFoundError: Cannot fetch ...: ... check that this machine is online"),
    # then one line saying where the rest is.
    show(etype, value, [*shell.InteractiveTB.get_exception_only(etype, value), _HINT])


def install() -> bool:
    """Show `LLMCourseError`s briefly in the running IPython kernel; False when there is no IPython shell.

    Example:
        >>> install()                           # outside IPython there is nothing to install
        False
    """
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None:
        return False
    shell.set_custom_exc((LLMCourseError,), _show_short)
    return True
