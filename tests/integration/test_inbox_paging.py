"""The werkbak at scale (issue 15 part 5), on SQLite and PostgreSQL: keyset pages that never lose or
repeat a task (equal deadlines, none, several roles, every sorting), the count that stops at 1,000,
search by reference, initials and task name within the access rules, and query plans that walk
the tab's index instead of sorting every matching row."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import event, insert, select, text

from app.service import inbox as inbox_mod
from persistence.models import Case, HumanTask, ProcessInstance, ProcessVersion

P0 = "p0_consultatie_advies"


def seed(service, tasks: list[dict], *, gemeenten=("roosendaal", "moerdijk")) -> list[int]:
    """Open tasks inserted straight into the tables (one case each; a test shortcut), each dict
    overriding the defaults; returns the task ids in insertion order."""
    now = service.ctx.now()
    with service.engine.begin() as connection:
        version_id = connection.scalar(select(ProcessVersion.id).where(ProcessVersion.process_id == P0).limit(1))
        tag = uuid.uuid4().hex[:6].upper()
        case_ids = connection.scalars(insert(Case).returning(Case.id), [
            {"referentie": f"VHT-2026-{tag}{i:04d}", "gemeente": gemeenten[i % len(gemeenten)], "inbrenger": "anna",
             "jeugdige_initialen": t.pop("initialen", "AB"), "maatregel": "geen", "gegevens": {}, "status": "open",
             "aangemaakt_op": now} for i, t in enumerate(tasks)]).all()
        instance_ids = connection.scalars(insert(ProcessInstance).returning(ProcessInstance.id), [
            {"case_id": c, "process_version_id": version_id, "process_id": P0, "state": "{}",
             "serializer_version": "seed", "version": 1, "status": "running", "waiting_messages": [],
             "started_at": now, "updated_at": now} for c in case_ids]).all()
        return connection.scalars(insert(HumanTask).returning(HumanTask.id), [
            {"case_id": c, "instance_id": inst, "spiff_task_id": str(uuid.uuid4()), "bpmn_id": "Task_CabHouden",
             "name": "Zaaktaak", "process_id": P0, "role": "veiligheidsteam", "assignee": None, "form_key": None,
             "due_at": None, "state": "open", "created_at": now, **t}
            for c, inst, t in zip(case_ids, instance_ids, tasks)]).all()


def walk(service, username: str, **filters) -> list[list[int]]:
    """All pages forward by their `next` cursor, then back by `prev` from the last: the ids per page."""
    pages, page = [], service.inbox(username, per_page=7, **filters)
    while True:
        pages.append([r.task.id for r in page.rows])
        if not page.next:
            break
        page = service.inbox(username, per_page=7, cursor=page.next, **filters)
    back = [pages[-1]]
    while page.prev:
        page = service.inbox(username, per_page=7, cursor=page.prev, **filters)
        back.append([r.task.id for r in page.rows])
    assert back[::-1] == pages, "back by 'Vorige' shows other pages than forward"
    return pages


def test_pages_never_lose_or_repeat_a_task_with_equal_and_missing_deadlines(service, clock):
    now = clock.now()
    moments = [now - timedelta(days=1), now + timedelta(days=2), now + timedelta(days=2), None]
    # Two roles (two walks merged into one order), many equal deadlines, some without one.
    service.upsert_user("vero", "Vero Twee Rollen", ["veiligheidsteam", "rvdk"], email="vero@example.org")
    tasks = [{"due_at": moments[i % 4], "role": "rvdk" if i % 3 == 0 else "veiligheidsteam",
              "created_at": now - timedelta(minutes=i % 2), "state": "open"} for i in range(40)]
    ids = seed(service, tasks)
    seed(service, [{"role": "gi"}, {"role": "veiligheidsteam", "assignee": "vera"}])  # not for vero's role tab

    pages = walk(service, "vero", tab="rol")
    flat = [i for p in pages for i in p]
    assert sorted(flat) == sorted(ids) and len(flat) == len(set(flat)) == 40
    assert [len(p) for p in pages] == [7, 7, 7, 7, 7, 5]
    due = {i: t["due_at"] for i, t in zip(ids, tasks)}
    # By deadline (none last), equal deadlines by id.
    assert flat == sorted(ids, key=lambda i: (due[i] is None, due[i] or now, i))

    newest = [i for p in walk(service, "vero", tab="rol", sort="nieuw") for i in p]
    created = {i: t["created_at"] for i, t in zip(ids, tasks)}
    assert newest == sorted(ids, key=lambda i: (created[i], i), reverse=True)

    # A filter narrows every page alike; page numbers from the start give the same pages.
    overdue = [i for p in walk(service, "vero", tab="rol", deadline="verlopen") for i in p]
    assert overdue == [i for i in flat if due[i] is not None and due[i] < now]
    assert [[r.task.id for r in service.inbox("vero", tab="rol", per_page=7, page=n).rows]
            for n in range(1, 7)] == pages


def test_a_task_done_between_two_pages_neither_hides_nor_repeats_another(service, clock):
    ids = seed(service, [{"due_at": clock.now() + timedelta(days=i % 3)} for i in range(20)])
    first = service.inbox("vera", tab="rol", per_page=5)
    service.claim(first.rows[0].task.id, "vera")  # gone from the role tab
    second = service.inbox("vera", tab="rol", per_page=5, cursor=first.next)
    rest = [second]
    while rest[-1].next:
        rest.append(service.inbox("vera", tab="rol", per_page=5, cursor=rest[-1].next))
    seen = [r.task.id for r in first.rows] + [r.task.id for p in rest for r in p.rows]
    assert sorted(seen) == sorted(ids) and len(seen) == len(set(seen))


def test_the_count_stops_at_a_thousand(service):
    seed(service, [{"role": "rvdk"} for _ in range(inbox_mod.COUNT_CAP + 5)])
    page = service.inbox("rik", tab="rol")
    assert (page.total, page.capped, len(page.rows)) == (1000, True, 50) and page.next
    small = service.inbox("rik", tab="rol", search="geen-treffer")
    assert (small.total, small.capped, small.rows, small.next, small.prev) == (0, False, [], None, None)


def test_a_cursor_of_another_sorting_is_refused(service):
    seed(service, [{} for _ in range(3)])
    page = service.inbox("vera", tab="rol", per_page=1)
    with pytest.raises(inbox_mod.BadCursor):
        service.inbox("vera", tab="rol", per_page=1, sort="nieuw", cursor=page.next)
    with pytest.raises(inbox_mod.BadCursor):
        service.inbox("vera", tab="rol", cursor="onzin")


def test_search_by_reference_initials_and_task_name_within_the_access_rules(service):
    ids = seed(service, [{"role": "toegang", "initialen": "SDV", "name": "Toegang beoordelen"},
                         {"role": "toegang", "initialen": "KLM", "name": "Jeugdhulp regelen"},
                         {"role": "toegang", "initialen": "ZZ", "name": "Toegang beoordelen"}])
    roosendaal, moerdijk, roosendaal2 = ids  # gemeenten alternate
    reference = {i: service.case(service.task(i).case_id).referentie for i in ids}
    service.upsert_user("mo", "Mo Toegang Moerdijk", ["toegang"], gemeente="moerdijk", email="mo@example.org")

    def found(user, term):
        return [r.task.id for r in service.inbox(user, tab="rol", search=term).rows]

    assert found("tom", reference[roosendaal][-6:].lower()) == [roosendaal]  # part of the reference, any case
    assert found("tom", "sdv") == [roosendaal]  # initials
    assert sorted(found("tom", "beoordelen")) == sorted([roosendaal, roosendaal2])  # task name
    # Tom works for Roosendaal: Moerdijk's case does not exist for him, however it is searched.
    assert found("tom", reference[moerdijk]) == [] and found("tom", "klm") == [] and found("tom", "regelen") == []
    assert found("mo", reference[moerdijk]) == [moerdijk] and found("mo", "klm") == [moerdijk]
    assert found("mo", "beoordelen") == []
    assert found("vera", "sdv") == []  # not her role
    # A task found two ways (reference and name) is one row; LIKE's wildcards are plain characters.
    assert found("tom", "%") == [] and found("tom", "_") == []


def test_search_follows_renamed_and_removed_rows_and_takes_any_character(service):
    """SQLite answers a search of three characters or more from its FTS5 tables (migration 0015),
    kept by triggers: a renamed task or case is found by its new text only, a removed case not at
    all; quotes and FTS5's operators in a search are plain characters (PostgreSQL: the same answers
    from the rows)."""
    renamed, removed, kept = seed(service, [{"initialen": "QWE", "name": "Oude naam"},
                                            {"initialen": "QWE", "name": "Weg te halen"},
                                            {"initialen": "RTY", "name": 'Taak "met" aanhalingstekens AND OR*'}])
    case_of = {i: service.task(i).case_id for i in (renamed, removed, kept)}

    def found(term):
        return sorted(r.task.id for r in service.inbox("vera", tab="rol", search=term).rows)

    assert found("oude") == [renamed] and found("qwe") == sorted([renamed, removed])
    with service.engine.begin() as connection:
        connection.execute(HumanTask.__table__.update().where(HumanTask.id == renamed).values(name="Nieuwe naam"))
        connection.execute(Case.__table__.update().where(Case.id == case_of[renamed]).values(jeugdige_initialen="UIO"))
        connection.execute(HumanTask.__table__.delete().where(HumanTask.id == removed))
        connection.execute(ProcessInstance.__table__.delete().where(ProcessInstance.case_id == case_of[removed]))
        connection.execute(Case.__table__.delete().where(Case.id == case_of[removed]))
    assert found("oude") == [] and found("nieuwe") == [renamed]
    assert found("qwe") == [] and found("uio") == [renamed] and found("weg te") == []
    assert found('"met"') == [kept] and found("and or*") == [kept] and found('ens AND') == [kept]
    assert found('"') == [kept] and found("*") == [kept] and found("nergens") == []
    assert [c.id for c in service.visible_cases("anna", search="rty")] == [case_of[kept]]
    assert [c.id for c in service.visible_cases("anna", search="%")] == []


def test_a_task_name_in_many_tasks_is_found_by_the_walk(service, monkeypatch):
    from app.service import search

    ids = seed(service, [{"name": "Gesprek voeren"}, {"name": "Gesprek plannen"}, {"name": "Iets anders"}])
    expected = sorted(ids[:2])
    assert sorted(r.task.id for r in service.inbox("vera", tab="rol", search="gesprek").rows) == expected
    monkeypatch.setattr(search, "COMMON_NAME", 1)  # two matches are now "many": tested along the walk
    assert sorted(r.task.id for r in service.inbox("vera", tab="rol", search="gesprek").rows) == expected
    assert service.inbox("vera", tab="rol", search="gesprek").total == 2


# --- plans --------------------------------------------------------------------------------------

def _statements(service, run) -> list[tuple[str, object]]:
    seen = []

    def grab(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    event.listen(service.engine, "before_cursor_execute", grab)
    try:
        run()
    finally:
        event.remove(service.engine, "before_cursor_execute", grab)
    return seen


def _plan(service, statement, parameters, *, no_seqscan: bool = False) -> str:
    sqlite = service.engine.dialect.name == "sqlite"
    raw = service.engine.raw_connection()
    try:
        cursor = raw.cursor()
        if no_seqscan:  # only bitmap scans: which index serves each condition
            cursor.execute("SET enable_seqscan = off")
            cursor.execute("SET enable_indexscan = off")
        cursor.execute(("EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN ") + statement, parameters)
        rows = cursor.fetchall()
        return "\n".join(str(row[-1] if sqlite else row[0]) for row in rows)
    finally:
        raw.close()


def _walk_plans(service, username, no_seqscan: bool = False, **filters) -> list[str]:
    """The plans of the queries that read a page's rows in order (not the count, not the lookup)."""
    statements = _statements(service, lambda: service.inbox(username, **filters))
    return [_plan(service, s, p, no_seqscan=no_seqscan) for s, p in statements if "ORDER BY" in s and "human_task" in s]


def test_each_tab_walks_its_index_after_analyze(service, clock):
    now = clock.now()
    roles = ["veiligheidsteam", "rvdk", "gi", "toegang", "netwerkpartner", "zorgaanbieder", "voorzitter", "rvdk"]
    done = {"state": "completed", "completed_at": now - timedelta(hours=1)}
    seed(service, [{"role": roles[i % len(roles)], "due_at": None if i % 9 == 0 else now + timedelta(hours=i % 300),
                    "assignee": "vera" if i % 10 == 0 else None, "created_at": now - timedelta(minutes=i),
                    **({**done, "completed_by": "vera" if i % 20 == 1 else "rik"} if i % 10 == 1 else {})}
                   for i in range(3000)])
    with service.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("ANALYZE"))
    sqlite = service.engine.dialect.name == "sqlite"
    cases = {"rol": ("ix_task_role_due", "ix_task_state_due_id"), "mijn": ("ix_task_assignee_due",),
             "afgerond": ("ix_task_completed_by_at",)}
    for tab, indexes in cases.items():
        plans = _walk_plans(service, "rik" if tab == "rol" else "vera", tab=tab)
        assert plans, tab
        for plan in plans:
            assert any(ix in plan for ix in indexes) and "Seq Scan on human_task" not in plan, (tab, plan)
        # The order comes from the index: no sort of all matching rows (the walk of the tasks
        # with a deadline; those without one PostgreSQL may sort when it expects a handful).
        assert ("TEMP B-TREE" not in plans[0]) if sqlite else ("Sort" not in plans[0]), (tab, plans[0])
    if sqlite:  # (PostgreSQL sorts a few hundred rows itself here; at 100,000 it walks this index too)
        for plan in _walk_plans(service, "rik", tab="rol", sort="nieuw"):
            assert "ix_task_role_created" in plan, plan
    if sqlite:  # SQLite: the search goes through the FTS5 trigram tables (migration 0015).
        plans = "\n".join(_walk_plans(service, "rik", tab="rol", search="qzx"))
        assert "VIRTUAL TABLE INDEX" in plans and "zoek_casus" in plans, plans
        # The task names: the matches are looked up first (few: a list of ids; many: the walk tests each name).
        lookups = [(s, p) for s, p in _statements(service, lambda: service.inbox("rik", tab="rol", search="qzx"))
                   if "zoek_taak" in s]
        assert lookups and "VIRTUAL TABLE INDEX" in _plan(service, *lookups[0]), lookups
    if not sqlite:  # PostgreSQL: the search can go through the trigram indexes (pg_trgm, migration 0012).
        # With 3,000 cases reading the table costs less than any index, so the planner is held to
        # bitmap scans here (which index serves the LIKE); at 100,000 it picks these indexes itself
        # (bench/inbox_scale.py prints the plans).
        plans = "\n".join(_walk_plans(service, "rik", no_seqscan=True, tab="rol", search="qzx"))
        assert "ix_casus_referentie_trgm" in plans and "ix_casus_initialen_trgm" in plans, plans
