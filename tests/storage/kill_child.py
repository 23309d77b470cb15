"""The child that test_kill_safety SIGKILLs: real services writing to a real SQLite file, forever.

Run as `python -m tests.storage.kill_child DB LEARNERS`: once its imports are done it
prints « prêt », then for each line « tour N » read on stdin it forks a worker (so a
kill costs no start-up time) and prints « ouvert PID » once the worker has opened the
database, then the number of each round the worker begins, and « fin STATUS » (the
wait status) when the worker has ended. From round N on, each round does, each in its
own transaction, through the services the app uses:

- saves the draft bilan of one learner with the round's marker: constats
  « Tour N », conseils « Conseils du tour N », every CC positioned at level(N);
- every third round, finalizes that draft (a new draft is opened next time);
- imports a results file of IMPORT_ROWS lines into two evaluations titled
  « Import tour N A » and « … B » (dated in a closed period: confirmed);
- creates an evaluation « Évaluation tour N » with EVALUATION_ROWS results.

The parent reads the markers back to check that each write is there whole or not
at all.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import traceback

from sqlalchemy import text

from livret.services.authentication import local_profile
from livret.services.bilans import CONFIRMATION_WORD
from livret.services.container import build_services
from livret.services.database import open_database
from livret.services.evaluations import EvaluationDraft, GridResult

IMPORT_ROWS = 2_400
"""Result lines of each round's import file (two evaluations of half each)."""
EVALUATION_CRITERIA = 10
"""Criteria of each round's new evaluation (× every learner)."""
FINALIZE_EVERY = 3
DAY = dt.date(2026, 1, 15)
"""The results' date: before the finals the rounds write (today), so a closed period."""


def level(round_number: int) -> str:
    """The positioning level a round writes: 1 to 4."""
    return str(round_number % 4 + 1)


def import_titles(round_number: int) -> tuple[str, str]:
    return f"Import tour {round_number} A", f"Import tour {round_number} B"


def evaluation_title(round_number: int) -> str:
    return f"Évaluation tour {round_number}"


def import_file(
    round_number: int, ines: list[str], criteria: list[str]
) -> tuple[bytes, dict[str, int]]:
    """The round's CSV, and the number of result lines per evaluation title."""
    lines = ["date;nature;titre;INE;critere;niveau"]
    per_title: dict[str, int] = {}
    half = IMPORT_ROWS // 2
    for title in import_titles(round_number):
        pairs = [(ine, code) for ine in ines for code in criteria][:half]
        lines.extend(
            f"{DAY.strftime('%d/%m/%Y')};F;{title};{ine};{code};{(i + round_number) % 4 + 1}"
            for i, (ine, code) in enumerate(pairs)
        )
        per_title[title] = len(pairs)
    return ("\n".join(lines) + "\n").encode(), per_title


def work(path: str, first_round: int, learner_count: int) -> None:
    """The worker: rounds from first_round on, until killed."""
    database, _ = open_database(path)
    services = build_services(database, local_profile(database))
    with database.engine.connect() as connection:
        learners = list(
            connection.execute(
                text("SELECT id, ine FROM learner ORDER BY id LIMIT :n"), {"n": learner_count}
            )
        )
        cc_ids = list(connection.execute(text("SELECT id FROM common_competency")).scalars())
        criteria = list(
            connection.execute(text("SELECT id, code FROM criterion ORDER BY id")).all()
        )
    ines = [ine for _, ine in learners]
    print(f"ouvert {os.getpid()}", flush=True)
    round_number = first_round
    while True:
        print(round_number, flush=True)
        learner_id = learners[round_number % len(learners)][0]
        sheet = services.bilans.open_draft(learner_id)
        sheet = services.bilans.save_draft(
            sheet.bilan_id,
            version=sheet.version,
            constats=f"Tour {round_number}",
            conseils=f"Conseils du tour {round_number}",
            positionings=dict.fromkeys(cc_ids, level(round_number)),
        )
        if round_number % FINALIZE_EVERY == 0:
            services.bilans.finalize(
                sheet.bilan_id, version=sheet.version, confirmation=CONFIRMATION_WORD
            )
        data, _ = import_file(round_number, ines, [code for _, code in criteria])
        results_file = services.results_import.read(data, f"tour-{round_number}.csv")
        services.results_import.apply(results_file, confirm_covered=True)
        services.evaluations.create(
            EvaluationDraft(
                nature="F",
                eval_date=DAY,
                title=evaluation_title(round_number),
                results=tuple(
                    GridResult(learner_id, criterion_id, level(round_number))
                    for learner_id, _ in learners
                    for criterion_id, _ in criteria[:EVALUATION_CRITERIA]
                ),
            ),
            confirm_covered=True,
        )
        round_number += 1


def serve(path: str, learner_count: int) -> None:
    """Fork a worker for each « tour N » read, and report how it ended."""
    print("prêt", flush=True)
    for line in sys.stdin:
        first_round = int(line.split()[1])
        pid = os.fork()
        if pid == 0:
            try:
                work(path, first_round, learner_count)
            except BaseException:
                traceback.print_exc()
                sys.stderr.flush()
                os._exit(1)
        _, status = os.waitpid(pid, 0)
        print(f"fin {status}", flush=True)


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]))
