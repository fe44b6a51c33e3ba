"""Migration 0015 on a SQLite database that already holds cases: its search tables are filled from
the rows there, so what was written before the upgrade is found through them at once."""
from __future__ import annotations

import sqlite3

from alembic import command
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.service import search
from persistence.db import make_engine
from persistence.migrate import _config
from persistence.models import HumanTask


def test_an_upgraded_database_finds_its_earlier_rows(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'oud.sqlite'}")
    with engine.begin() as connection:
        command.upgrade(_config(connection), "0014")
    # Rows as an older version wrote them (plain sqlite3: its foreign keys are not checked, so the
    # case needs no deployed process version here).
    raw = sqlite3.connect(tmp_path / "oud.sqlite")
    now = "2026-03-02 09:00:00.000000"
    case_id = raw.execute(
        "INSERT INTO casus (referentie, gemeente, inbrenger, jeugdige_initialen, maatregel, gegevens, status, "
        "aangemaakt_op) VALUES ('VHT-2026-04711', 'roosendaal', 'anna', 'QJX', 'geen', '{}', 'open', ?)",
        (now,)).lastrowid
    task_id = raw.execute(
        "INSERT INTO human_task (case_id, instance_id, spiff_task_id, bpmn_id, name, process_id, role, state, "
        "created_at) VALUES (?, 1, 's1', 'Task_X', 'Netwerkberaad voorbereiden', 'p0', 'veiligheidsteam', 'open', ?)",
        (case_id, now)).lastrowid
    raw.commit()
    raw.close()
    with engine.begin() as connection:
        command.upgrade(_config(connection), "head")

    with Session(engine) as session:
        assert search._indexed(session, "04711"), "the search goes through the FTS5 tables"
        assert session.scalars(search.cases_matching(session, "2026-0471")).all() == [case_id]
        assert session.scalars(search.cases_matching(session, "qjx")).all() == [case_id]
        assert session.scalars(select(HumanTask.id).where(search.task_name_matches(session, "BERAAD"))).all() \
            == [task_id]
        assert session.scalars(search.cases_matching(session, "04712")).all() == []
    engine.dispose()
