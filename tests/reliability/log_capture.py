"""Everything the process logs during a block, as production would write it, collected into a buffer.

Why not just capsys: `configure_logging` caches each structlog logger on first use, bound to the stream
and processors of that moment, so loggers that earlier tests already used would keep writing
elsewhere. This configures logging the production way (JSON lines, the project's own processors) onto
a buffer and makes every structlog logger re-bind, then restores the previous configuration.
"""

from __future__ import annotations

import gc
import io
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import structlog
from structlog._config import BoundLoggerLazyProxy

from infra.log import configure_logging
from infra.settings import Settings


def _forget_cached_loggers() -> None:
    """Lazy proxies keep the logger they built on first use; dropping it makes them build anew."""
    for obj in gc.get_objects():
        if isinstance(obj, BoundLoggerLazyProxy) and "bind" in vars(obj):
            del obj.bind


class _Handler(logging.Handler):
    """The standard library's records (SQLAlchemy, Temporal, httpx), formatted with their arguments."""

    def __init__(self, buffer: io.StringIO) -> None:
        super().__init__(logging.DEBUG)
        self.buffer = buffer

    def emit(self, record: logging.LogRecord) -> None:
        self.buffer.write(self.format(record) + "\n")


@contextmanager
def captured_logs(settings: Settings, level: str = "INFO") -> Iterator[io.StringIO]:
    """`level` is the production default unless a test wants to look deeper."""
    buffer = io.StringIO()
    saved_config = structlog.get_config()
    saved_stderr = sys.stderr
    root = logging.getLogger()
    saved_level, handler = root.level, _Handler(buffer)
    sys.stderr = buffer
    try:
        configure_logging(settings.model_copy(update={"log_format": "json", "log_level": level}))
        _forget_cached_loggers()
        root.addHandler(handler)
        root.setLevel(level)
        yield buffer
    finally:
        root.removeHandler(handler)
        root.setLevel(saved_level)
        sys.stderr = saved_stderr
        structlog.configure(**saved_config)
        _forget_cached_loggers()
