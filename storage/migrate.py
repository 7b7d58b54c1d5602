"""Applies Alembic migrations programmatically (`golive db upgrade`, and on `run` / `tick` / other commands).

A database already at the scripts' head is recognised without Alembic: the head is read from the migration
scripts' text and compared with `alembic_version`, so a short command (`golive launch import`) does not pay
for importing Alembic and loading every migration script; anything else goes through Alembic as before."""

from __future__ import annotations

import ast
import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from storage.db import Database

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
_LOCK_KEY = 0x601177E  # PostgreSQL advisory lock so several processes starting at once migrate once
_REVISION_LINE = re.compile(r"^(revision|down_revision)\s*(?::[^=\n]*)?=\s*(.+?)\s*$", re.MULTILINE)


def alembic_config(url: str) -> Config:
    from alembic.config import Config  # noqa: PLC0415 - Alembic only when a migration may run, ~0.3 s

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


@lru_cache(maxsize=1)
def script_heads() -> frozenset[str]:
    """The head revision(s) of the migration scripts, from their `revision` / `down_revision` lines; empty
    when a script cannot be read that way (Alembic then decides)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in sorted((MIGRATIONS / "versions").glob("*.py")):
        found = dict(_REVISION_LINE.findall(path.read_text(encoding="utf-8")))
        if not found:  # not a migration (the package's __init__.py)
            continue
        try:
            revision = ast.literal_eval(found["revision"])
            down = ast.literal_eval(found.get("down_revision", "None"))
        except (KeyError, ValueError, SyntaxError):
            return frozenset()
        if not isinstance(revision, str):
            return frozenset()
        revisions.add(revision)
        parents.update([down] if isinstance(down, str) else list(down or ()))
    return frozenset(revisions - parents)


def at_head(db: Database) -> bool:
    """True when the database's schema is at the scripts' head (nothing to migrate)."""
    heads = script_heads()
    if not heads:
        return False
    try:
        with db.engine.execution_options(golive_read_only=True).connect() as connection:
            stored = {row[0] for row in connection.execute(text("SELECT version_num FROM alembic_version"))}
    except SQLAlchemyError:  # no alembic_version table yet: a new database
        return False
    return stored == heads


def upgrade(db: Database, revision: str = "head") -> None:
    if revision == "head" and at_head(db):
        return
    from alembic import command  # noqa: PLC0415 - see alembic_config

    cfg = alembic_config(db.url)
    with db.engine.connect() as connection:
        if db.engine.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _LOCK_KEY})
            connection.commit()
        try:
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, revision)
            connection.commit()
        finally:
            if db.engine.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _LOCK_KEY})
                connection.commit()
