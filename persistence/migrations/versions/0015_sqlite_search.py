"""SQLite search through an index: FTS5 tables with the trigram tokenizer over the case's reference
and the child's initials (zoek_casus) and the task's name (zoek_taak), kept equal to their rows by
triggers and filled here from the rows already written. A search of three characters or more
finds its rows in them ("contains", ignoring case, as PostgreSQL's trigram indexes of 0012);
shorter terms still read the rows. PostgreSQL: nothing here.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 19:00:00
"""
import logging

from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")
# (index table, table, columns): external-content FTS5 tables (the text stays in the table itself).
INDEXES = (("zoek_casus", "casus", ("referentie", "jeugdige_initialen")),
           ("zoek_taak", "human_task", ("name",)))


def _statements(index: str, table: str, columns: tuple[str, ...]) -> list[str]:
    cols = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    remove = f"INSERT INTO {index}({index}, rowid, {cols}) VALUES ('delete', old.id, {old});"
    add = f"INSERT INTO {index}(rowid, {cols}) VALUES (new.id, {new});"
    return [
        f"CREATE VIRTUAL TABLE {index} USING fts5({cols}, content='{table}', content_rowid='id', "
        "tokenize='trigram')",
        f"CREATE TRIGGER {index}_ins AFTER INSERT ON {table} BEGIN {add} END",
        f"CREATE TRIGGER {index}_del AFTER DELETE ON {table} BEGIN {remove} END",
        # Only when a searched column changes: the acts' updates of state and assignee cost nothing.
        f"CREATE TRIGGER {index}_upd AFTER UPDATE OF {cols} ON {table} BEGIN {remove} {add} END",
        f"INSERT INTO {index}({index}) VALUES ('rebuild')",
    ]


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    if not bind.execute(sa.text("SELECT sqlite_compileoption_used('ENABLE_FTS5')")).scalar():
        log.warning("Deze SQLite heeft geen FTS5: zoeken in de werkbak werkt, maar zonder index")
        return
    for index, table, columns in INDEXES:
        for statement in _statements(index, table, columns):
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for index, _table, _columns in INDEXES:
        for suffix in ("ins", "del", "upd"):
            op.execute(f"DROP TRIGGER IF EXISTS {index}_{suffix}")
        op.execute(f"DROP TABLE IF EXISTS {index}")
