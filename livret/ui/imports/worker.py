"""Run an import's slow steps (reading, parsing, checking, writing) off the GUI thread."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from PySide6.QtCore import QThread, QTimer, Signal

from livret.domain.errors import LivretError, ValidationError

CHUNK_BYTES = 256 * 1024
"""Bytes read between two progress reports."""

_log = logging.getLogger(__name__)


class ImportCancelled(Exception):
    """The user stopped the job; not an error, nothing is shown."""


class Progress:
    """What a job sees of the dialog: name the stage, tell how far it is, obey a cancel."""

    def __init__(self, job: ImportJob, cancel: threading.Event) -> None:
        self._job = job
        self._cancel = cancel

    def stage(self, text: str, maximum: int = 0) -> None:
        """A new stage, determinate up to `maximum` or busy when it is 0."""
        self.check_cancelled()
        self._job.stage_started.emit(text, maximum)

    def advance(self, value: int) -> None:
        self.check_cancelled()
        self._job.advanced.emit(value)

    def check_cancelled(self) -> None:
        if self._cancel.is_set():
            raise ImportCancelled


class ImportJob(QThread):
    """One task run in its own thread; its outcome comes back as a signal.

    Signals (queued to the GUI thread):
    - stage_started(str, int): a stage began, with its maximum (0: busy bar);
    - advanced(int): the current stage reached that value;
    - succeeded(object): the task returned this;
    - failed(str): the task failed, with a French message;
    - cancelled(): the task stopped on the user's request, or finished after it.

    A running job stays referenced (class attribute) until its thread ends, so that
    closing the dialog never destroys a running QThread.
    """

    stage_started = Signal(str, int)
    advanced = Signal(int)
    succeeded = Signal(object)
    failed = Signal(str)
    cancelled = Signal()

    _running: ClassVar[set[ImportJob]] = set()

    def __init__(self, task: Callable[[Progress], Any]) -> None:
        super().__init__()
        self._task = task
        self._cancel = threading.Event()
        self.finished.connect(self._on_finished)

    def start_job(self) -> None:
        ImportJob._running.add(self)
        self.start()

    def cancel(self) -> None:
        """Ask the task to stop at its next progress report; its result will be dropped."""
        self._cancel.set()

    @property
    def cancel_requested(self) -> bool:
        return self._cancel.is_set()

    def run(self) -> None:
        """Override QThread::run."""
        try:
            result = self._task(Progress(self, self._cancel))
        except ImportCancelled:
            self.cancelled.emit()
        except LivretError as exc:
            self.failed.emit(exc.message)
        except Exception as exc:  # a crash in a thread would only be lost: say it
            _log.exception("import task failed")
            self.failed.emit(unexpected_error_message(exc))
        else:
            if self._cancel.is_set():
                self.cancelled.emit()
            else:
                self.succeeded.emit(result)

    def _on_finished(self) -> None:
        # Let go of the last reference on the next turn of the event loop, not while Qt is
        # still delivering this object's own signal.
        QTimer.singleShot(0, partial(ImportJob._running.discard, self))

    @classmethod
    def active(cls) -> int:
        """How many jobs are still running."""
        return len(cls._running)

    @classmethod
    def wait_all(cls) -> None:
        """Block until every job has ended (application exit, test teardown)."""
        for job in list(cls._running):
            job.wait()


def unexpected_error_message(exc: BaseException) -> str:
    """French, for the user: never the exception's text (English, SQL…), only its class."""
    return (
        "Erreur inattendue pendant l'import : rien n'a été enregistré. "
        f"(Détail technique : {exc.__class__.__name__})"
    )


def read_file(
    path: Path, progress: Progress, *, stage: str, check_size: Callable[[int], None]
) -> bytes:
    """The file's bytes, read in chunks so that the bar follows; French errors."""
    try:
        if not path.is_file():
            if path.exists():
                raise ValidationError(f"« {path} » n'est pas un fichier.")
            raise ValidationError(f"Fichier introuvable : « {path} ».")
        size = path.stat().st_size
        check_size(size)
        progress.stage(stage, max(size, 1))
        chunks: list[bytes] = []
        done = 0
        with path.open("rb") as stream:
            while chunk := stream.read(CHUNK_BYTES):
                chunks.append(chunk)
                done += len(chunk)
                check_size(done)  # the file may have grown since stat()
                progress.advance(min(done, size))
        progress.advance(max(size, 1))
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        raise ValidationError(f"Impossible de lire « {path} » : {reason}.") from None
    return b"".join(chunks)
