"""One structured line per event: key=value pairs, never the token or personal data beyond ids."""

from __future__ import annotations

import logging
import os
import re

_TOKEN = re.compile(r"\d{5,}:[A-Za-z0-9_-]{30,}")


class _Redact(logging.Filter):
    """Library log lines may contain request URLs, which carry the token: mask it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if _TOKEN.search(message):
            record.msg, record.args = _TOKEN.sub("<token>", message), None
        return True


def setup_logging() -> None:
    level = os.environ.get("CAIXIAO_LOG_LEVEL", "INFO").upper()
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s level=%(levelname)s logger=%(name)s %(message)s"))
    handler.addFilter(_Redact())
    logging.basicConfig(level=level, handlers=[handler], force=True)
