"""Running a coroutine from ordinary code, including inside Jupyter, whose event loop is already running.

`asyncio.run` refuses to start inside a running loop, so there the coroutine runs on a worker thread
with its own loop (no `nest_asyncio` patching). Interrupting the kernel cancels it cleanly.

Example:
    >>> async def answer():
    ...     return 42
    >>> run_sync(answer)
    42
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

__all__ = ["run_sync"]

T = TypeVar("T")


def run_sync(make: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
    """Call the async function `make(*args, **kwargs)` and wait for its result, loop or no loop.

    Example:
        >>> import asyncio
        >>> run_sync(asyncio.sleep, 0, result="done")
        'done'
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make(*args, **kwargs))

    state: dict[str, Any] = {}
    started = threading.Event()

    async def main() -> T:
        state["loop"], state["task"] = asyncio.get_running_loop(), asyncio.current_task()
        started.set()
        return await make(*args, **kwargs)

    def target() -> None:
        try:
            state["result"] = asyncio.run(main())
        except BaseException as error:  # noqa: BLE001 (handed to the calling thread below)
            state["error"] = error
        finally:
            started.set()

    thread = threading.Thread(target=target, name="llmcourse-batch", daemon=True)
    thread.start()
    try:
        while thread.is_alive():
            thread.join(0.1)
    except KeyboardInterrupt:
        started.wait()
        if "task" in state:
            state["loop"].call_soon_threadsafe(state["task"].cancel)
        thread.join()
        raise
    if "error" in state:
        raise state["error"]
    return state["result"]
