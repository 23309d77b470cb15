"""Database triggers that refuse any change to a final bilan, its positionings, or the audit log.

Only one change of a final bilan passes: the DDFPT unlock, which sets the status back
to 'draft' (and bumps the optimistic-locking version) without touching anything else,
and only once an audit event 'bilan_unlocked' for that bilan has been written after
its last 'bilan_finalized' event (the unlock service writes it in the same
transaction). So even a raw SQL unlock leaves its trace in the audit log.

The audit log refuses DELETE (and TRUNCATE) and every UPDATE but two: the sealing of a
row whose `hash` is still NULL (storage.audit_chain, at the commit of the transaction
that wrote it), and the RGPD erasure's redaction — `actor` to « [apprenant effacé] »,
`user_id`, `entity_id`, `session_user_id` to NULL, `details` to « [détails effacés
(RGPD)] » or to a text holding more « [apprenant effacé] » than before — with every
other column (time, action, entity, the three hashes) unchanged.

SQLite triggers name the bilan's columns; a migration that rebuilds the table
(Alembic batch mode drops triggers) or adds a column must call `drop` then
`install` (and `install_audit`) with the new column list. PostgreSQL compares whole
rows as JSON, so it needs no column list. The SQLite guards hold without
`PRAGMA recursive_triggers` (a plain sqlite3 shell): INSERT OR REPLACE and UPDATE OR
REPLACE are refused when they would overwrite a guarded row, since their implicit
delete fires no trigger then.

`problems` compares each guard's whole definition (and on PostgreSQL its enabled
state) with what `install` writes, for `livret db check`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import Connection, text

FINAL_BILAN_MESSAGE = (
    "Bilan définitif : modification refusée (seul le DDFPT peut le déverrouiller)."
)
AUDIT_MESSAGE = (
    "Journal d'audit : modification refusée (seul l'effacement RGPD anonymise un événement)."
)
UNLOCK_ACTION = "bilan_unlocked"
FINALIZE_ACTION = "bilan_finalized"
ERASED_NAME = "[apprenant effacé]"
"""What the RGPD erasure puts in place of a learner's name, INE or login in the journal."""
ERASED_DETAILS = "[détails effacés (RGPD)]"
"""What the RGPD erasure leaves of the details of the events on the learner's own records."""

SQLITE_TRIGGERS = (
    "trg_bilan_final_update",
    "trg_bilan_final_delete",
    "trg_bilan_final_replace",
    "trg_bilan_final_replace_update",
    "trg_positioning_final_insert",
    "trg_positioning_final_update",
    "trg_positioning_final_delete",
)
SQLITE_AUDIT_TRIGGERS = (
    "trg_audit_event_update",
    "trg_audit_event_delete",
    "trg_audit_event_replace",
)
POSTGRESQL_TRIGGERS = (
    "trg_bilan_final_guard",
    "trg_positioning_final_guard",
    "trg_bilan_truncate_guard",
    "trg_positioning_truncate_guard",
)
POSTGRESQL_AUDIT_TRIGGERS = ("trg_audit_event_guard", "trg_audit_event_truncate_guard")
UNLOCK_MUTABLE_COLUMNS = frozenset({"status", "version"})
AUDIT_REDACTABLE_COLUMNS = ("actor", "user_id", "entity_id", "session_user_id", "details")
AUDIT_FIXED_COLUMNS = ("id", "at", "action", "entity", "personal_hash", "prev_hash", "hash")
"""The audit_event columns the redaction leaves alone (SQLite triggers name them)."""

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


def _markers(value: str) -> str:
    name = _quoted(ERASED_NAME)
    return f"(length({value}) - length(replace({value}, '{name}', '')))"


# The redaction, in SQL both back-ends read alike (`same` is IS on SQLite, IS NOT
# DISTINCT FROM on PostgreSQL).
def _redaction(same: str) -> str:
    return f"""(NEW.actor {same} OLD.actor OR NEW.actor = '{_quoted(ERASED_NAME)}')
          AND (NEW.user_id {same} OLD.user_id OR NEW.user_id IS NULL)
          AND (NEW.entity_id {same} OLD.entity_id OR NEW.entity_id IS NULL)
          AND (NEW.session_user_id {same} OLD.session_user_id OR NEW.session_user_id IS NULL)
          AND (NEW.details {same} OLD.details OR NEW.details = '{_quoted(ERASED_DETAILS)}'
               OR {_markers("NEW.details")} > {_markers("OLD.details")})"""


def _sqlite_statements(bilan_columns: Sequence[str]) -> dict[str, str]:
    unchanged = " AND ".join(
        f"NEW.{column} IS OLD.{column}"
        for column in bilan_columns
        if column not in UNLOCK_MUTABLE_COLUMNS
    )
    abort = f"SELECT RAISE(ABORT, '{_quoted(FINAL_BILAN_MESSAGE)}');"
    final_of = "(SELECT status FROM bilan WHERE id = {}) = 'final'"
    # Without recursive_triggers, the row an OR REPLACE deletes fires no delete trigger:
    # refuse a new positioning id that is already a final bilan's.
    taken = """EXISTS (SELECT 1 FROM positioning AS taken JOIN bilan ON bilan.id = taken.bilan_id
          WHERE taken.id = NEW.id AND bilan.status = 'final')"""
    return {
        "trg_bilan_final_update": f"""CREATE TRIGGER trg_bilan_final_update BEFORE UPDATE ON bilan
        FOR EACH ROW WHEN OLD.status = 'final'
          AND NOT (NEW.status = 'draft' AND {unchanged} AND {_UNLOCK_AUDITED})
        BEGIN {abort} END""",
        "trg_bilan_final_delete": f"""CREATE TRIGGER trg_bilan_final_delete BEFORE DELETE ON bilan
        FOR EACH ROW WHEN OLD.status = 'final'
        BEGIN {abort} END""",
        # INSERT OR REPLACE would otherwise swap a final bilan for a new row.
        "trg_bilan_final_replace": f"""CREATE TRIGGER trg_bilan_final_replace BEFORE INSERT ON bilan
        FOR EACH ROW WHEN {final_of.format("NEW.id")}
        BEGIN {abort} END""",
        # UPDATE OR REPLACE moving a draft onto a final bilan's id.
        "trg_bilan_final_replace_update": f"""CREATE TRIGGER trg_bilan_final_replace_update
        BEFORE UPDATE OF id ON bilan
        FOR EACH ROW WHEN NEW.id IS NOT OLD.id AND {final_of.format("NEW.id")}
        BEGIN {abort} END""",
        "trg_positioning_final_insert": f"""CREATE TRIGGER trg_positioning_final_insert
        BEFORE INSERT ON positioning
        FOR EACH ROW WHEN {final_of.format("NEW.bilan_id")} OR {taken}
        BEGIN {abort} END""",
        "trg_positioning_final_update": f"""CREATE TRIGGER trg_positioning_final_update
        BEFORE UPDATE ON positioning
        FOR EACH ROW WHEN {final_of.format("OLD.bilan_id")} OR {final_of.format("NEW.bilan_id")}
          OR (NEW.id IS NOT OLD.id AND {taken})
        BEGIN {abort} END""",
        "trg_positioning_final_delete": f"""CREATE TRIGGER trg_positioning_final_delete
        BEFORE DELETE ON positioning
        FOR EACH ROW WHEN {final_of.format("OLD.bilan_id")}
        BEGIN {abort} END""",
    }


def _sqlite_audit_statements() -> dict[str, str]:
    abort = f"SELECT RAISE(ABORT, '{_quoted(AUDIT_MESSAGE)}');"
    fixed = " AND ".join(f"NEW.{column} IS OLD.{column}" for column in AUDIT_FIXED_COLUMNS)
    return {
        "trg_audit_event_update": f"""CREATE TRIGGER trg_audit_event_update
        BEFORE UPDATE ON audit_event
        FOR EACH ROW WHEN NOT ((OLD.hash IS NULL AND NEW.id IS OLD.id)
          OR ({fixed}
          AND {_redaction("IS")}))
        BEGIN {abort} END""",
        "trg_audit_event_delete": f"""CREATE TRIGGER trg_audit_event_delete
        BEFORE DELETE ON audit_event
        FOR EACH ROW
        BEGIN {abort} END""",
        # INSERT OR REPLACE on an existing id deletes it without a delete trigger.
        "trg_audit_event_replace": f"""CREATE TRIGGER trg_audit_event_replace
        BEFORE INSERT ON audit_event
        FOR EACH ROW WHEN EXISTS (SELECT 1 FROM audit_event WHERE id = NEW.id)
        BEGIN {abort} END""",
    }


def _raise(message: str) -> str:
    return f"RAISE EXCEPTION '{_quoted(message)}' USING ERRCODE = 'integrity_constraint_violation'"


_RAISE = _raise(FINAL_BILAN_MESSAGE)

# Function name → body (between the $$), then the triggers in pg_get_triggerdef's own
# words (events in its order: INSERT, DELETE, UPDATE, TRUNCATE), so that `problems` can
# compare the definitions PostgreSQL gives back with these.
_POSTGRESQL_FUNCTIONS: dict[str, str] = {
    "livret_bilan_final_guard": f"""
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
    END """,
    # FOR SHARE waits for a concurrent finalization, then sees its outcome.
    "livret_positioning_final_guard": f"""
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
    END """,
    # Row triggers do not fire on TRUNCATE.
    "livret_truncate_guard": f"""
    BEGIN
      IF EXISTS (SELECT 1 FROM bilan WHERE status = 'final') THEN
        {_RAISE};
      END IF;
      RETURN NULL;
    END """,
}
_POSTGRESQL_TRIGGER_DEFS: dict[str, tuple[str, str]] = {
    "trg_bilan_final_guard": (
        "bilan",
        "BEFORE DELETE OR UPDATE ON bilan FOR EACH ROW EXECUTE FUNCTION livret_bilan_final_guard()",
    ),
    "trg_positioning_final_guard": (
        "positioning",
        "BEFORE INSERT OR DELETE OR UPDATE ON positioning FOR EACH ROW "
        "EXECUTE FUNCTION livret_positioning_final_guard()",
    ),
    "trg_bilan_truncate_guard": (
        "bilan",
        "BEFORE TRUNCATE ON bilan FOR EACH STATEMENT EXECUTE FUNCTION livret_truncate_guard()",
    ),
    "trg_positioning_truncate_guard": (
        "positioning",
        "BEFORE TRUNCATE ON positioning FOR EACH STATEMENT "
        "EXECUTE FUNCTION livret_truncate_guard()",
    ),
}
_REDACTABLE_JSON = " - ".join(f"'{column}'" for column in AUDIT_REDACTABLE_COLUMNS)
_POSTGRESQL_AUDIT_FUNCTIONS: dict[str, str] = {
    "livret_audit_event_guard": f"""
    BEGIN
      IF TG_OP = 'UPDATE' AND NEW.id = OLD.id AND (OLD.hash IS NULL
         OR ((to_jsonb(NEW) - {_REDACTABLE_JSON}) = (to_jsonb(OLD) - {_REDACTABLE_JSON})
          AND {_redaction("IS NOT DISTINCT FROM")})) THEN
        RETURN NEW;
      END IF;
      {_raise(AUDIT_MESSAGE)};
    END """,
    "livret_audit_truncate_guard": f"""
    BEGIN
      {_raise(AUDIT_MESSAGE)};
    END """,
}
_POSTGRESQL_AUDIT_TRIGGER_DEFS: dict[str, tuple[str, str]] = {
    "trg_audit_event_guard": (
        "audit_event",
        "BEFORE DELETE OR UPDATE ON audit_event FOR EACH ROW "
        "EXECUTE FUNCTION livret_audit_event_guard()",
    ),
    "trg_audit_event_truncate_guard": (
        "audit_event",
        "BEFORE TRUNCATE ON audit_event FOR EACH STATEMENT "
        "EXECUTE FUNCTION livret_audit_truncate_guard()",
    ),
}


def _postgresql_statements(
    functions: dict[str, str], triggers: dict[str, tuple[str, str]]
) -> list[str]:
    statements = [
        f"CREATE FUNCTION {name}() RETURNS trigger AS $${body}$$ LANGUAGE plpgsql"
        for name, body in functions.items()
    ]
    statements += [
        f"CREATE TRIGGER {name} {definition}" for name, (_, definition) in triggers.items()
    ]
    return statements


def _dialect(connection: Connection) -> str:
    name = connection.dialect.name
    if name not in ("sqlite", "postgresql"):  # pragma: no cover - only the two back-ends
        raise RuntimeError(f"unsupported dialect {name}")
    return name


def install(connection: Connection, bilan_columns: Sequence[str]) -> None:
    """Create the final-bilan guards on the connection's database."""
    if _dialect(connection) == "sqlite":
        statements = list(_sqlite_statements(bilan_columns).values())
    else:
        statements = _postgresql_statements(_POSTGRESQL_FUNCTIONS, _POSTGRESQL_TRIGGER_DEFS)
    for statement in statements:
        connection.execute(text(statement))


def install_audit(connection: Connection) -> None:
    """Create the audit log guards (from revision 0006, which added the hash columns)."""
    if _dialect(connection) == "sqlite":
        statements = list(_sqlite_audit_statements().values())
    else:
        statements = _postgresql_statements(
            _POSTGRESQL_AUDIT_FUNCTIONS, _POSTGRESQL_AUDIT_TRIGGER_DEFS
        )
    for statement in statements:
        connection.execute(text(statement))


def drop(connection: Connection) -> None:
    """Drop every guard (final bilans and audit log) that exists."""
    if _dialect(connection) == "sqlite":
        for name in (*SQLITE_TRIGGERS, *SQLITE_AUDIT_TRIGGERS):
            connection.execute(text(f"DROP TRIGGER IF EXISTS {name}"))
        return
    triggers = {**_POSTGRESQL_TRIGGER_DEFS, **_POSTGRESQL_AUDIT_TRIGGER_DEFS}
    for name, (table, _) in triggers.items():
        connection.execute(text(f"DROP TRIGGER IF EXISTS {name} ON {table}"))
    for function in (*_POSTGRESQL_FUNCTIONS, *_POSTGRESQL_AUDIT_FUNCTIONS):
        connection.execute(text(f"DROP FUNCTION IF EXISTS {function}()"))


def missing(connection: Connection) -> list[str]:
    """Names of the guards absent from the database."""
    if _dialect(connection) == "sqlite":
        present = set(
            connection.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
        )
        expected: tuple[str, ...] = (*SQLITE_TRIGGERS, *SQLITE_AUDIT_TRIGGERS)
    else:
        present = set(
            connection.scalars(text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"))
        )
        expected = (*POSTGRESQL_TRIGGERS, *POSTGRESQL_AUDIT_TRIGGERS)
    return [name for name in expected if name not in present]


def _normal(sql: str) -> str:
    return " ".join(sql.split())


def problems(connection: Connection) -> list[str]:
    """French lines for each guard missing, changed, disabled, or unknown trigger added.

    SQLite: each trigger's stored CREATE statement against the one `install` writes for
    the bilan table's current columns. PostgreSQL: `pg_get_triggerdef` of each trigger,
    its `tgenabled` state, and each guard function's language and body.
    """
    if _dialect(connection) == "sqlite":
        return _sqlite_problems(connection)
    return _postgresql_problems(connection)


def _sqlite_problems(connection: Connection) -> list[str]:
    columns = [row[1] for row in connection.exec_driver_sql("PRAGMA table_info(bilan)")]
    expected = {**_sqlite_statements(columns), **_sqlite_audit_statements()}
    stored = {
        name: sql
        for name, sql in connection.execute(
            text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
        )
    }
    found: list[str] = []
    for name, statement in expected.items():
        if name not in stored:
            found.append(f"protection absente : {name}")
        elif _normal(stored[name]) != _normal(statement):
            found.append(f"protection modifiée : {name} (définition différente de celle de Livret)")
    found += [f"déclencheur inconnu : {name}" for name in sorted(stored) if name not in expected]
    return found


_GUARDED_TABLES = ("bilan", "positioning", "audit_event")


def _postgresql_problems(connection: Connection) -> list[str]:
    schema = connection.scalar(text("SELECT current_schema()"))
    triggers = {**_POSTGRESQL_TRIGGER_DEFS, **_POSTGRESQL_AUDIT_TRIGGER_DEFS}
    functions = {**_POSTGRESQL_FUNCTIONS, **_POSTGRESQL_AUDIT_FUNCTIONS}
    rows = connection.execute(
        text(
            "SELECT t.tgname, c.relname, t.tgenabled, pg_get_triggerdef(t.oid) "
            "FROM pg_trigger AS t JOIN pg_class AS c ON c.oid = t.tgrelid "
            "WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace"
        )
    ).all()
    qualifier = re.compile(rf"\b{re.escape(str(schema))}\.")
    present = {row[0]: row for row in rows}
    found: list[str] = []
    for name, (table, definition) in triggers.items():
        row = present.get(name)
        if row is None:
            found.append(f"protection absente : {name}")
            continue
        actual = _normal(qualifier.sub("", str(row[3])))
        if row[1] != table or actual != _normal(f"CREATE TRIGGER {name} {definition}"):
            found.append(f"protection modifiée : {name} (définition différente de celle de Livret)")
        if row[2] != "O":
            found.append(f"protection désactivée : {name} (ALTER TABLE … DISABLE TRIGGER)")
    found += [
        f"déclencheur inconnu : {row[0]} sur {row[1]}"
        for row in rows
        if row[0] not in triggers and row[1] in _GUARDED_TABLES
    ]
    bodies = {
        name: (body, language, definer)
        for name, body, language, definer in connection.execute(
            text(
                "SELECT p.proname, p.prosrc, l.lanname, p.prosecdef "
                "FROM pg_proc AS p JOIN pg_language AS l ON l.oid = p.prolang "
                "WHERE p.pronamespace = current_schema()::regnamespace "
                "AND p.proname LIKE 'livret\\_%'"
            )
        )
    }
    for name, body in functions.items():
        stored = bodies.get(name)
        if stored is None:
            found.append(f"protection absente : fonction {name}")
        elif stored[0] != body or stored[1] != "plpgsql" or stored[2]:
            found.append(
                f"protection modifiée : fonction {name} (corps différent de celui de Livret)"
            )
    return found


def is_final_bilan_refusal(exc: BaseException) -> bool:
    """Whether a database error comes from the final-bilan guards."""
    return "Bilan définitif" in str(getattr(exc, "orig", exc))


def is_audit_refusal(exc: BaseException) -> bool:
    """Whether a database error comes from the audit log guard."""
    return "Journal d'audit" in str(getattr(exc, "orig", exc))
