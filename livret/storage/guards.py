"""Database triggers that refuse any change to a final bilan or its positionings.

Only one change passes: the DDFPT unlock, which sets the status back to 'draft'
(and bumps the optimistic-locking version) without touching anything else.

SQLite triggers name the bilan's columns; a migration that rebuilds the table
(Alembic batch mode drops triggers) or adds a column must call `drop` then
`install` with the new column list. PostgreSQL compares whole rows as JSON, so
it needs no column list.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, text

FINAL_BILAN_MESSAGE = (
    "Bilan définitif : modification refusée (seul le DDFPT peut le déverrouiller)."
)

SQLITE_TRIGGERS = (
    "trg_bilan_final_update",
    "trg_bilan_final_delete",
    "trg_positioning_final_insert",
    "trg_positioning_final_update",
    "trg_positioning_final_delete",
)
POSTGRESQL_TRIGGERS = ("trg_bilan_final_guard", "trg_positioning_final_guard")
UNLOCK_MUTABLE_COLUMNS = frozenset({"status", "version"})


def _sqlite_statements(bilan_columns: Sequence[str]) -> list[str]:
    unchanged = " AND ".join(
        f"NEW.{column} IS OLD.{column}"
        for column in bilan_columns
        if column not in UNLOCK_MUTABLE_COLUMNS
    )
    abort = f"SELECT RAISE(ABORT, '{FINAL_BILAN_MESSAGE}');"
    final_of = "(SELECT status FROM bilan WHERE id = {}) = 'final'"
    return [
        f"""CREATE TRIGGER trg_bilan_final_update BEFORE UPDATE ON bilan
        FOR EACH ROW WHEN OLD.status = 'final' AND NOT (NEW.status = 'draft' AND {unchanged})
        BEGIN {abort} END""",
        f"""CREATE TRIGGER trg_bilan_final_delete BEFORE DELETE ON bilan
        FOR EACH ROW WHEN OLD.status = 'final'
        BEGIN {abort} END""",
        f"""CREATE TRIGGER trg_positioning_final_insert BEFORE INSERT ON positioning
        FOR EACH ROW WHEN {final_of.format("NEW.bilan_id")}
        BEGIN {abort} END""",
        f"""CREATE TRIGGER trg_positioning_final_update BEFORE UPDATE ON positioning
        FOR EACH ROW WHEN {final_of.format("OLD.bilan_id")} OR {final_of.format("NEW.bilan_id")}
        BEGIN {abort} END""",
        f"""CREATE TRIGGER trg_positioning_final_delete BEFORE DELETE ON positioning
        FOR EACH ROW WHEN {final_of.format("OLD.bilan_id")}
        BEGIN {abort} END""",
    ]


_POSTGRESQL_STATEMENTS = [
    f"""CREATE FUNCTION livret_bilan_final_guard() RETURNS trigger AS $$
    BEGIN
      IF OLD.status = 'final' THEN
        IF TG_OP = 'UPDATE' AND NEW.status = 'draft'
           AND (to_jsonb(NEW) - 'status' - 'version') = (to_jsonb(OLD) - 'status' - 'version') THEN
          RETURN NEW;
        END IF;
        RAISE EXCEPTION '{FINAL_BILAN_MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
      RETURN NEW;
    END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER trg_bilan_final_guard BEFORE UPDATE OR DELETE ON bilan
    FOR EACH ROW EXECUTE FUNCTION livret_bilan_final_guard()""",
    f"""CREATE FUNCTION livret_positioning_final_guard() RETURNS trigger AS $$
    BEGIN
      IF (TG_OP IN ('UPDATE', 'DELETE')
          AND EXISTS (SELECT 1 FROM bilan WHERE id = OLD.bilan_id AND status = 'final'))
         OR (TG_OP IN ('INSERT', 'UPDATE')
          AND EXISTS (SELECT 1 FROM bilan WHERE id = NEW.bilan_id AND status = 'final')) THEN
        RAISE EXCEPTION '{FINAL_BILAN_MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
      RETURN NEW;
    END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER trg_positioning_final_guard BEFORE INSERT OR UPDATE OR DELETE ON positioning
    FOR EACH ROW EXECUTE FUNCTION livret_positioning_final_guard()""",
]


def install(connection: Connection, bilan_columns: Sequence[str]) -> None:
    """Create the guards on the connection's database."""
    if connection.dialect.name == "sqlite":
        statements = _sqlite_statements(bilan_columns)
    elif connection.dialect.name == "postgresql":
        statements = _POSTGRESQL_STATEMENTS
    else:  # pragma: no cover - only the two supported back-ends exist
        raise RuntimeError(f"unsupported dialect {connection.dialect.name}")
    for statement in statements:
        connection.execute(text(statement))


def drop(connection: Connection) -> None:
    if connection.dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            connection.execute(text(f"DROP TRIGGER IF EXISTS {name}"))
    else:
        connection.execute(text("DROP TRIGGER IF EXISTS trg_bilan_final_guard ON bilan"))
        connection.execute(
            text("DROP TRIGGER IF EXISTS trg_positioning_final_guard ON positioning")
        )
        connection.execute(text("DROP FUNCTION IF EXISTS livret_bilan_final_guard()"))
        connection.execute(text("DROP FUNCTION IF EXISTS livret_positioning_final_guard()"))


def missing(connection: Connection) -> list[str]:
    """Names of the guards absent from the database (for `livret db check`)."""
    if connection.dialect.name == "sqlite":
        present = set(
            connection.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
        )
        expected: tuple[str, ...] = SQLITE_TRIGGERS
    else:
        present = set(
            connection.scalars(text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"))
        )
        expected = POSTGRESQL_TRIGGERS
    return [name for name in expected if name not in present]


def is_final_bilan_refusal(exc: BaseException) -> bool:
    """Whether a database error comes from these guards."""
    return "Bilan définitif" in str(getattr(exc, "orig", exc))
