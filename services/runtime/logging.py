"""structlog JSON logging with correlation ids merged from contextvars."""

import logging
import sys

import structlog


def configure_logging(level: str = "INFO") -> None:
    """One JSON object per line on stdout; ids bound with `structlog.contextvars` appear on every line."""
    numeric = logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
    logging.basicConfig(level=numeric, stream=sys.stdout, format="%(message)s")
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        # One write per line (message and newline together): with PYTHONUNBUFFERED, print() writes the
        # newline separately, and the services sharing one stdout (`make run`) interleaved their lines.
        logger_factory=structlog.WriteLoggerFactory(file=sys.stdout),
        cache_logger_on_first_use=True,
    )
