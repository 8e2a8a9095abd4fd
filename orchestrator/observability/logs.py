"""Logs: one JSON object per line when asked (`warren serve --log-format json`), with the ids known.

The ids live in context variables set where they become known (the request middleware, the caller's
authentication, the interaction's job, the environment's sandbox), so every line logged under them
carries them without being passed down. Lines a per-environment channel server logs about its own
start and stop go to debug level (`demote_here` in that server's task): one per sandbox is noise.
"""

from __future__ import annotations

import json
import logging
import re
import time
from contextvars import ContextVar
from typing import Any

__all__ = [
    "ENVIRONMENT_ID",
    "INTERACTION_ID",
    "REQUEST_ID",
    "TENANT",
    "DemoteFilter",
    "JsonFormatter",
    "RedactTokenFilter",
    "demote_here",
    "uvicorn_log_config",
]

REQUEST_ID: ContextVar[str | None] = ContextVar("warren_request_id", default=None)
TENANT: ContextVar[str | None] = ContextVar("warren_tenant", default=None)
INTERACTION_ID: ContextVar[str | None] = ContextVar("warren_interaction_id", default=None)
ENVIRONMENT_ID: ContextVar[str | None] = ContextVar("warren_environment_id", default=None)
_DEMOTED: ContextVar[bool] = ContextVar("warren_log_demoted", default=False)
_IDS = (
    ("request_id", REQUEST_ID),
    ("tenant", TENANT),
    ("interaction_id", INTERACTION_ID),
    ("environment_id", ENVIRONMENT_ID),
)


class JsonFormatter(logging.Formatter):
    """A record as one JSON line: time, level, logger, message, the ids known, and any exception."""

    def format(self, record: logging.LogRecord) -> str:
        """The line (no newline inside: `json.dumps` escapes them)."""
        line: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, var in _IDS:
            if (value := var.get()) is not None:
                line[name] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def demote_here() -> None:
    """Log this task's uvicorn start/stop lines at debug level (call in the task's own context)."""
    _DEMOTED.set(True)


class DemoteFilter(logging.Filter):
    """On `uvicorn.error`: a record logged in a demoted task becomes debug, kept only if debug is on."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Demote, then keep the record only when its logger shows debug lines."""
        if not _DEMOTED.get() or record.levelno > logging.INFO:
            return True
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)


_TOKEN_IN_QUERY = re.compile(r"(warren_preview=)[^&\s]*")


class RedactTokenFilter(logging.Filter):
    """On `uvicorn.access`: a preview link's signed token in a logged path becomes `<redacted>`."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the path argument of the access line; the record is always kept."""
        if isinstance(record.args, tuple):
            record.args = tuple(
                _TOKEN_IN_QUERY.sub(r"\1<redacted>", arg) if isinstance(arg, str) else arg
                for arg in record.args
            )
        return True


def uvicorn_log_config(fmt: str, level: str = "info") -> dict[str, Any]:
    """The `logging.dictConfig` `warren serve` hands uvicorn: `text` (uvicorn's look) or `json`."""
    from uvicorn.config import LOGGING_CONFIG

    config: dict[str, Any] = json.loads(json.dumps(LOGGING_CONFIG))
    config["filters"] = {"demote": {"()": DemoteFilter}, "redact": {"()": RedactTokenFilter}}
    config["loggers"]["uvicorn.error"] = {"level": level.upper(), "filters": ["demote"]}
    config["loggers"]["uvicorn.access"]["filters"] = ["redact"]
    if fmt == "json":
        config["formatters"] = {"json": {"()": JsonFormatter}}
        for handler in config["handlers"].values():
            handler["formatter"] = "json"
    own = level.upper() if fmt == "json" else "WARNING"  # text: as before (warnings and errors only)
    config["loggers"]["orchestrator"] = {"handlers": ["default"], "level": own, "propagate": False}
    return config
