"""The course's exceptions: one base, `LLMCourseError`, that every public error of `llmcourse` derives from.

Every message says what happened and what to do. In a notebook, `setup()` shows these errors as one
short line instead of a traceback through the package (see `llmcourse.shorterrors`).

    LLMCourseError
    ├── WebsiteError                  web.py: a page could not be fetched or used
    │   ├── UnsafeURLError            the URL policy refused it (also a ValueError)
    │   │   └── HostNotFoundError     the host name does not resolve
    │   ├── WebsiteHTTPError          4xx / 5xx
    │   ├── NotHTMLError, PageTooLargeError, TooManyRedirectsError
    │   └── WebsiteTimeoutError, WebsiteConnectionError
    ├── MissingKeyError               clients: a provider was asked for without its key (also a RuntimeError)
    │   └── WrongProviderKeyError     the key looks like another provider's: it was not sent
    ├── ModelListError                models: an account's model list could not be read (also a RuntimeError)
    ├── PromptError                   batch: an input row cannot become a prompt (also a ValueError)
    ├── ResultsFileBusy               batch: another run writes the same results file (also a RuntimeError)
    └── LocalModelError               local: a local model could not be found or downloaded (also a RuntimeError)

Example:
    >>> from llmcourse.errors import LLMCourseError
    >>> from llmcourse.web import WebsiteError
    >>> issubclass(WebsiteError, LLMCourseError)
    True
"""

from __future__ import annotations

__all__ = ["LLMCourseError"]


class LLMCourseError(Exception):
    """Base of every public `llmcourse` error: `except LLMCourseError` catches them all.

    Example:
        >>> try:
        ...     raise LLMCourseError("The thing failed: do this instead.")
        ... except LLMCourseError as error:
        ...     print(error)
        The thing failed: do this instead.
    """
