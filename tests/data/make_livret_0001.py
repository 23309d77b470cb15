"""Write tests/data/livret-0001.sqlite: a small livret in the first schema (revision 0001).

Run once, from the checkout: `python -m tests.data.make_livret_0001`. The file is kept
in git so that the upgrade test always starts from what the first Livret wrote, even
after the early migrations change. Every table of revision 0001 holds rows.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from livret.storage import migrate
from livret.storage.engine import make_engine, resolve

FIXTURE = Path(__file__).with_name("livret-0001.sqlite")

ROWS = """
INSERT INTO establishment (id, name, uai) VALUES (1, 'Lycée Jean Moulin', '0750001A');
INSERT INTO referentiel (id, code, title, version) VALUES (1, 'pmia', 'PMIA', '0.1');
INSERT INTO school_year (id, label, start_date, end_date)
  VALUES (1, '2025-2026', '2025-09-01', '2026-07-04');
INSERT INTO setting (key, value) VALUES ('marks.rounding', '"0.5"');
INSERT INTO common_competency (id, referentiel_id, code, title, group_code, group_label, position)
  VALUES (1, 1, 'CC1.1', 'Décoder l''organisation', 'CC1', 'Analyser', 1),
         (2, 1, 'CC2.1', 'Réaliser', 'CC2', 'Agir', 2);
INSERT INTO specialty (id, referentiel_id, code, title, position)
  VALUES (1, 1, 'PLP', 'Pilote de ligne de production', 1);
INSERT INTO competency (id, specialty_id, code, title, position)
  VALUES (1, 1, 'CP03', 'Préparer', 1);
INSERT INTO criterion (id, code, competency_id, common_competency_id, text, confidence, position)
  VALUES (1, 'PLP-CP03-04', 1, 1, 'Les matières d''œuvre sont conformes', 'high', 1),
         (2, 'PLP-CP03-05', 1, 2, 'Le poste est réglé', NULL, 2);
INSERT INTO learner (id, ine, family_name, first_name, birth_date, specialty_id, left_on)
  VALUES (1, '1234567890A', 'Bénard', 'Zoé', '2009-05-14', 1, NULL),
         (2, '1234567890B', 'N''Diaye', 'Éloi', NULL, 1, '2026-01-31');
INSERT INTO school_class (id, school_year_id, code, label, grade, specialty_id)
  VALUES (1, 1, '1PLP1', 'Première PLP', '1', 1);
INSERT INTO app_user (id, login, display_name, role, password_hash, learner_id, active)
  VALUES (1, 'mdupont', 'M. Dupont', 'enseignant', NULL, NULL, 1),
         (2, 'zbenard', 'Zoé Bénard', 'apprenant', NULL, 1, 1);
INSERT INTO enrolment (id, learner_id, school_year_id, class_id)
  VALUES (1, 1, 1, 1), (2, 2, 1, 1);
INSERT INTO evaluation (id, nature, eval_date, title, context, class_id, author_id, company,
                        tutor, pfmp_start, pfmp_end, created_at)
  VALUES (1, 'E', '2026-01-15', 'Bilan PFMP', 'Atelier', 1, 1, 'Usine SA', 'Mme Martin',
          '2025-12-01', '2026-01-10', '2026-01-15 10:00:00'),
         (2, 'F', '2026-02-20', 'TP réglage', '', 1, 1, NULL, NULL, NULL, NULL,
          '2026-02-20 09:00:00');
INSERT INTO result (id, evaluation_id, learner_id, criterion_id, level, comment)
  VALUES (1, 1, 1, 1, '3', 'Très soigneux'), (2, 1, 1, 2, '2', NULL),
         (3, 2, 1, 1, '4', NULL), (4, 1, 2, 1, 'ABS', NULL), (5, 2, 2, 2, 'NE', 'Absent');
INSERT INTO bilan (id, learner_id, class_id, status, bilan_date, constats, conseils, author_id,
                   created_at, updated_at, finalized_at, finalized_by_id, version)
  VALUES (1, 1, 1, 'final', '2026-02-01', 'Bien', 'Persévérer', 1,
          '2026-02-01 08:00:00', '2026-02-01 08:30:00', '2026-02-01 08:30:00', 1, 2),
         (2, 1, 1, 'draft', '2026-03-01', 'En cours', '', 1,
          '2026-03-01 08:00:00', '2026-03-01 08:00:00', NULL, NULL, 1);
INSERT INTO positioning (id, bilan_id, common_competency_id, level)
  VALUES (1, 1, 1, '3'), (2, 1, 2, 'NE'), (3, 2, 1, '4');
INSERT INTO mark (id, bilan_id, value, rounding, weights, ne_count, computed_at, author_id)
  VALUES (1, 1, 13.5, 0.5, '{"CC1.1": 2}', 1, '2026-02-01 08:30:00', 1);
INSERT INTO audit_event (id, at, user_id, actor, action, entity, entity_id, details)
  VALUES (1, '2026-02-01 08:30:00', 1, 'M. Dupont', 'bilan_finalized', 'bilan', 1, '{}'),
         (2, '2026-03-01 08:00:00', 1, 'M. Dupont', 'bilan_created', 'bilan', 2, '');
"""


def main() -> None:
    FIXTURE.unlink(missing_ok=True)
    engine = make_engine(resolve(str(FIXTURE)), create=True)
    migrate.upgrade(engine, "0001")
    engine.dispose()
    with sqlite3.connect(FIXTURE) as connection:
        connection.executescript(ROWS)
        connection.execute("PRAGMA journal_mode=DELETE")  # one file, nothing beside it
    with sqlite3.connect(FIXTURE) as connection:
        connection.execute("PRAGMA page_size=1024")  # small in git
        connection.execute("VACUUM")
        empty = [
            name
            for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
            if not connection.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0]
        ]
    assert not empty, empty
    print(f"{FIXTURE} : {FIXTURE.stat().st_size} octets")


if __name__ == "__main__":
    main()
