"""Database triggers that refuse any change to a final bilan or its positionings.

Only one change passes: the DDFPT unlock, which sets the status back to 'draft'
(and bumps the optimistic-locking version) without touching anything else, and
only once an audit event 'bilan_unlocked' for that bilan has been written after
its last 'bilan_finalized' event (the unlock service writes it in the same
transaction). So even a raw SQL unlock leaves its trace in the audit log.

SQLite triggers name the bilan's columns; a migration that rebuilds the table
(Alembic batch mode drops triggers) or adds a column must call `drop` then
`install` with the new column list. PostgreSQL compares whole rows as JSON, so
it needs no column list. SQLite needs `PRAGMA recursive_triggers=ON` (set on
every connection) so that INSERT OR REPLACE fires the delete guards.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, text

FINAL_BILAN_MESSAGE = (
    "Bilan définitif : modification refusée (seul le DDFPT peut le déverrouiller)."
)
UNLOCK_ACTION = "bilan_unlocked"
FINALIZE_ACTION = "bilan_finalized"

SQLITE_TRIGGERS = (
    "trg_bilan_final_update",
    "trg_bilan_final_delete",
    "trg_bilan_final_replace",
    "trg_positioning_final_insert",
    "trg_positioning_final_update",
    "trg_positioning_final_delete",
)
POSTGRESQL_TRIGGERS = (
    "trg_bilan_final_guard",
    "trg_positioning_final_guard",
    "trg_bilan_truncate_guard",
    "trg_positioning_truncate_guard",
)
UNLOCK_MUTABLE_COLUMNS = frozenset({"status", "version"})

_UNLOCK_AUDITED = f"""EXISTS (
    SELECT 1 FROM audit_event AS unlock
    WHERE unlock.entity = 'bilan' AND unlock.entity_id = OLD.id
      AND unlock.action = '{UNLOCK_ACTION}'
      AND unlock.id > COALESCE((
        SELECT MAX(finalize.id) FROM audit_event AS finalize
        WHERE finalize.entity = 'bilan' AND finalize.entity_id = OLD.id
          AND finalize.action = '{FINALIZE_ACTION}'), 0))"""


def _quoted(message: str) -> str:
    return message.replace("'", "''")


def _sqlite_statements(bilan_columns: Sequence[str]) -> list[str]:
    unchanged = " AND ".join(
        f"NEW.{column} IS OLD.{column}"
        for column in bilan_columns
        if column not in UNLOCK_MUTABLE_COLUMNS
    )
    abort = f"SELECT RAISE(ABORT, '{_quoted(FINAL_BILAN_MESSAGE)}');"
    final_of = "(SELECT status FROM bilan WHERE id = {}) = 'final'"
    return [
        f"""CREATE TRIGGER trg_bilan_final_update BEFORE UPDATE ON bilan
        FOR EACH ROW WHEN OLD.status = 'final'
          AND NOT (NEW.status = 'draft' AND {unchanged} AND {_UNLOCK_AUDITED})
        BEGIN {abort} END""",
        f"""CREATE TRIGGER trg_bilan_final_delete BEFORE DELETE ON bilan
        FOR EACH ROW WHEN OLD.status = 'final'
        BEGIN {abort} END""",
        # INSERT OR REPLACE would otherwise swap a final bilan for a new row.
        f"""CREATE TRIGGER trg_bilan_final_replace BEFORE INSERT ON bilan
        FOR EACH ROW WHEN {final_of.format("NEW.id")}
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


_RAISE = (
    f"RAISE EXCEPTION '{_quoted(FINAL_BILAN_MESSAGE)}' "
    "USING ERRCODE = 'integrity_constraint_violation'"
)

_POSTGRESQL_STATEMENTS = [
    f"""CREATE FUNCTION livret_bilan_final_guard() RETURNS trigger AS $$
    BEGIN
      IF OLD.status = 'final' THEN
        IF TG_OP = 'UPDATE' AND NEW.status = 'draft'
           AND (to_jsonb(NEW) - 'status' - 'version') = (to_jsonb(OLD) - 'status' - 'version')
           AND {_UNLOCK_AUDITED} THEN
          RETURN NEW;
        END IF;
        {_RAISE};
      END IF;
      IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
      RETURN NEW;
    END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER trg_bilan_final_guard BEFORE UPDATE OR DELETE ON bilan
    FOR EACH ROW EXECUTE FUNCTION livret_bilan_final_guard()""",
    # FOR SHARE waits for a concurrent finalization, then sees its outcome.
    f"""CREATE FUNCTION livret_positioning_final_guard() RETURNS trigger AS $$
    BEGIN
      IF TG_OP IN ('UPDATE', 'DELETE') AND EXISTS (
           SELECT 1 FROM bilan WHERE id = OLD.bilan_id AND status = 'final' FOR SHARE) THEN
        {_RAISE};
      END IF;
      IF TG_OP IN ('INSERT', 'UPDATE') AND EXISTS (
           SELECT 1 FROM bilan WHERE id = NEW.bilan_id AND status = 'final' FOR SHARE) THEN
        {_RAISE};
      END IF;
      IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
      RETURN NEW;
    END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER trg_positioning_final_guard BEFORE INSERT OR UPDATE OR DELETE ON positioning
    FOR EACH ROW EXECUTE FUNCTION livret_positioning_final_guard()""",
    # Row triggers do not fire on TRUNCATE.
    f"""CREATE FUNCTION livret_truncate_guard() RETURNS trigger AS $$
    BEGIN
      IF EXISTS (SELECT 1 FROM bilan WHERE status = 'final') THEN
        {_RAISE};
      END IF;
      RETURN NULL;
    END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER trg_bilan_truncate_guard BEFORE TRUNCATE ON bilan
    FOR EACH STATEMENT EXECUTE FUNCTION livret_truncate_guard()""",
    """CREATE TRIGGER trg_positioning_truncate_guard BEFORE TRUNCATE ON positioning
    FOR EACH STATEMENT EXECUTE FUNCTION livret_truncate_guard()""",
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
        return
    for name, table in zip(
        POSTGRESQL_TRIGGERS, ("bilan", "positioning", "bilan", "positioning"), strict=True
    ):
        connection.execute(text(f"DROP TRIGGER IF EXISTS {name} ON {table}"))
    for function in ("livret_bilan_final_guard", "livret_positioning_final_guard"):
        connection.execute(text(f"DROP FUNCTION IF EXISTS {function}()"))
    connection.execute(text("DROP FUNCTION IF EXISTS livret_truncate_guard()"))


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
