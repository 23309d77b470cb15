"""The log file: configured once, owner-only, rotating, and free of personal data.

Livret's data are about minors, so what reaches the file is filtered here, whoever logs:

- an exception's traceback keeps its frames (file, line, function, source line: code,
  never values) and its type, but its message goes through `safe_message`;
- `safe_message` drops SQLAlchemy's `[parameters: …]` block (the bound values: names,
  INE, comments) and PostgreSQL's `DETAIL:` lines (« Key (ine)=(…) »), and masks every
  quoted text ('…', "…") outside the `[SQL: …]` statement, where Python puts values
  (`KeyError('Dupont')`, a PDF path named after a learner);
- a `LivretError`'s message is French text meant for the user and may name people: only
  its type is logged (its cause, a technical exception, is logged as above);
- only the `livret` logger writes here, so SQLAlchemy's own loggers (which would print
  statements with their parameters at INFO) never do.

No Qt here: the CLI logs its unexpected errors to the same file.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import traceback
from io import TextIOWrapper
from logging.handlers import RotatingFileHandler
from pathlib import Path
from types import TracebackType

import platformdirs

from livret import __version__

APP_NAME = "Livret"
LOG_FILE_NAME = "livret.log"
MAX_BYTES = 1_000_000
BACKUP_COUNT = 5
LOGGER_NAME = "livret"
FORMAT = "%(asctime)s %(levelname)s %(name)s [pid %(process)d] %(message)s"

# Without a handler of its own, a record would reach logging.lastResort: stderr.
logging.getLogger(LOGGER_NAME).addHandler(logging.NullHandler())

_handler: RotatingFileHandler | None = None

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]

_QUOTED = re.compile(r"'[^'\n]*'|\"[^\"\n]*\"")


def log_directory() -> Path:
    """The user's log folder (XDG_STATE_HOME on Linux, ~/Library/Logs, %LOCALAPPDATA%)."""
    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


def log_file_path() -> Path | None:
    """The file being written, None before `configure_logging` (or when it failed)."""
    return Path(_handler.baseFilename) if _handler is not None else None


def configure_logging(directory: Path | None = None) -> Path | None:
    """Attach the rotating file to the `livret` logger, once; returns the file's path.

    The folder is created 0700 and the file (and each rotated one) 0600. Called again,
    it keeps the file already open, unless another directory is asked for (tests).
    None when the folder cannot be written: the app runs on, without a log file.
    """
    global _handler
    folder = directory or log_directory()
    path = folder / LOG_FILE_NAME
    logger = logging.getLogger(LOGGER_NAME)
    if _handler is not None:
        if Path(_handler.baseFilename) == path.absolute():
            return path
        logger.removeHandler(_handler)
        _handler.close()
        _handler = None
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        handler = _PrivateRotatingFileHandler(
            path, maxBytes=MAX_BYTES, backupCount=BACKUP_COUNT, encoding="utf-8"
        )
    except OSError as exc:
        print(f"livret : journal impossible dans « {folder} » : {exc.strerror}", file=sys.stderr)
        return None
    handler.setFormatter(SafeFormatter(FORMAT))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    # Records still propagate: the app configures no root handler (so nothing reaches the
    # terminal), and a test's log capture keeps seeing them.
    if os.environ.get("LIVRET_DEBUG"):
        terminal = logging.StreamHandler(sys.stderr)
        terminal.setFormatter(SafeFormatter(FORMAT))
        logger.addHandler(terminal)
    _handler = handler
    return path


def reset_logging() -> None:
    """Close the file (tests switch folders between runs)."""
    global _handler
    if _handler is not None:
        logging.getLogger(LOGGER_NAME).removeHandler(_handler)
        _handler.close()
        _handler = None


class _PrivateRotatingFileHandler(RotatingFileHandler):
    """RotatingFileHandler whose files are created owner-only (0600), whatever the umask."""

    def _open(self) -> TextIOWrapper:
        """Override RotatingFileHandler._open: create with 0600, tighten an older file."""
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o600)
        return open(fd, "a", encoding=self.encoding, errors=self.errors)


class SafeFormatter(logging.Formatter):
    """Formats records with `safe_traceback`, never with a traceback cached by another handler."""

    def format(self, record: logging.LogRecord) -> str:
        """Override logging.Formatter.format."""
        cached = record.exc_text
        record.exc_text = None
        try:
            return super().format(record)
        finally:
            record.exc_text = cached

    def formatException(self, ei: object) -> str:
        """Override logging.Formatter.formatException."""
        if isinstance(ei, tuple) and len(ei) == 3 and isinstance(ei[1], BaseException):
            return safe_traceback(ei[1])
        return ""


def safe_message(exc: BaseException) -> str:
    """The exception's message with bound parameters, DETAIL lines and quoted values removed."""
    from livret.domain.errors import LivretError

    if isinstance(exc, LivretError):
        return "(message destiné à l'utilisateur, non journalisé)"
    try:
        text = str(exc)
    except Exception:  # a broken __str__ must not break the report
        return "(message illisible)"
    kept: list[str] = []
    in_sql = skipping = False
    for line in text.splitlines():
        if skipping:
            if line.startswith("(Background on this error"):
                skipping = False
                kept.append(line)
            continue
        if line.startswith("[parameters:"):
            skipping = True
            kept.append("[parameters: (retirés du journal)]")
            continue
        if line.lstrip().startswith("DETAIL:"):
            kept.append("DETAIL: (retiré du journal)")
            continue
        if line.startswith("[SQL:"):
            in_sql = True
        if in_sql:
            kept.append(line)  # the statement: placeholders, no values
            if line.endswith("]"):
                in_sql = False
            continue
        kept.append(_QUOTED.sub(lambda m: m.group(0)[0] + "…" + m.group(0)[0], line))
    return "\n".join(kept)


def safe_traceback(exc: BaseException) -> str:
    """A traceback like Python's (causes first), each message through `safe_message`."""
    chain: list[tuple[BaseException, str | None]] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    link: str | None = None
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append((current, link))
        if current.__cause__ is not None:
            current, link = current.__cause__, "cause"
        elif current.__context__ is not None and not current.__suppress_context__:
            current, link = current.__context__, "context"
        else:
            current = None
    parts: list[str] = []
    for index, (item, _link) in enumerate(reversed(chain)):
        if index:
            # The link printed is the one from the later exception to this earlier one.
            later_link = chain[len(chain) - index][1]
            parts.append(
                "\nThe above exception was the direct cause of the following exception:\n\n"
                if later_link == "cause"
                else "\nDuring handling of the above exception, another exception occurred:\n\n"
            )
        if item.__traceback__ is not None:
            parts.append("Traceback (most recent call last):\n")
            parts.extend(traceback.format_tb(item.__traceback__))
        kind = type(item)
        name = kind.__qualname__
        module = kind.__module__
        qualified = name if module in ("builtins", "__main__") else f"{module}.{name}"
        message = safe_message(item)
        parts.append(f"{qualified}: {message}\n" if message else f"{qualified}\n")
    return "".join(parts).rstrip("\n")


def error_details(exc: BaseException, doing: str | None = None) -> str:
    """What « Copier les détails » copies: version, platform, what was done, the traceback."""
    import platform

    lines = [
        f"Livret {__version__}",
        f"Python {platform.python_version()} — {platform.platform()}",
    ]
    if doing:
        lines.append(f"Action : {doing}")
    lines.append("")
    lines.append(safe_traceback(exc))
    return "\n".join(lines)


def log_exception(logger: logging.Logger, what: str, exc: BaseException) -> None:
    """Write an exception and its traceback (filtered by SafeFormatter) at ERROR."""
    logger.error("%s", what, exc_info=(type(exc), exc, exc.__traceback__))
