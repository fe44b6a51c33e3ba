"""Proof that nothing was changed: each way of tampering with what an auditor relies on is found.

The tampering goes straight to the database (no session of the product, so no seal), as a person
with database access and the source but without the audit key would do it.
"""
import json
from dataclasses import replace

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from app.service import checkpoints, seals
from app.service.audit_key import AuditKey
from app.service.events import event_hash
from persistence.models import AuditSeal, Case, Event, HumanTask, ProcessInstance, ProcessVersion, VkVersie, VkVerzending
from tests.conftest import drop_append_only_guards
from tests.vk.steps import naar_rvdk


@pytest.fixture
def case(service, clock):
    """A case that went to the RvdK: events, tasks, card versions and a PDF in the send log."""
    return naar_rvdk(service, clock)


def sql(service, statement):
    with service.engine.begin() as connection:
        drop_append_only_guards(connection)
        return connection.execute(statement)


def one(service, statement):
    with service.engine.connect() as connection:
        return connection.execute(statement).first()


def failed_findings(report, case_id=None) -> str:
    texts = list(report.findings)
    for result in report.cases:
        if case_id is None or result.case_id == case_id:
            texts += result.findings
    return " | ".join(texts)


def test_an_untouched_database_verifies_with_replay(service, case):
    service.write_checkpoint("test")
    report = service.verify()
    assert report.ok, failed_findings(report)
    (result,) = [r for r in report.cases if r.case_id == case.case_id]
    assert result.replayed and result.as_dict()["resultaat"] == "in orde"


def test_every_act_seals_the_case_with_the_key(service, case):
    with service.ctx.reading() as session:
        rows = session.scalars(select(AuditSeal).where(AuditSeal.chain == seals.case_chain(case.case_id))
                               .order_by(AuditSeal.seq)).all()
        events = session.scalar(select(Event.seq).where(Event.case_id == case.case_id).order_by(Event.seq.desc()))
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
    assert len(rows) >= events  # at least one seal per act; the PDF made after commit seals again
    assert rows[-1].parts["gebeurtenissen"] == seals.digest([[events, one(service, select(Event.hash).where(
        Event.case_id == case.case_id, Event.seq == events))[0]]])


TAMPERINGS = {
    "case data": (lambda s, c: sql(s, Case.__table__.update().where(Case.id == c).values(
        gegevens={"gemeente": "moerdijk"})), "casusgegevens"),
    "who completed a task": (lambda s, c: sql(s, HumanTask.__table__.update().where(
        HumanTask.case_id == c, HumanTask.completed_by.is_not(None)).values(completed_by="bram")), "de afgeronde taken"),
    "a card version": (lambda s, c: sql(s, VkVersie.__table__.update().where(VkVersie.case_id == c).values(
        secties={"advies_tekst": "iets anders"})), "Veiligheidskaart"),
    "the instance's status": (lambda s, c: sql(s, ProcessInstance.__table__.update().where(
        ProcessInstance.case_id == c).values(status="completed")), "procedures"),
    "an event's data": (lambda s, c: sql(s, Event.__table__.update().where(
        Event.case_id == c, Event.seq == 2).values(data={"data": {"advies_type": "geen"}})), "gebeurtenis 2"),
    "a deleted event": (lambda s, c: sql(s, Event.__table__.delete().where(
        Event.case_id == c, Event.seq == 2)), "gebeurtenis 2 ontbreekt"),
    "an inserted event": (lambda s, c: sql(s, Event.__table__.insert().values(
        case_id=c, seq=999, type="task_completed", actor="bram", actor_type="user",
        at=s.ctx.now(), data={}, hash="0" * 64)), "geschiedenis"),
    "the PDF in the send log": (lambda s, c: sql(s, VkVerzending.__table__.update().where(
        VkVerzending.case_id == c).values(pdf=b"%PDF-1.4 vervalst")), "PDF van verzending"),
}


@pytest.mark.parametrize("what", TAMPERINGS)
def test_each_tampering_is_found_and_names_the_case(service, case, what):
    service.write_checkpoint("voor")
    tamper, expected = TAMPERINGS[what]
    tamper(service, case.case_id)
    report = service.verify()
    assert not report.ok
    (result,) = [r for r in report.cases if r.case_id == case.case_id]
    assert not result.ok and expected in " ".join(result.findings), result.findings
    assert result.as_dict()["resultaat"] == "afwijking" and result.as_dict()["bevinding"]


def test_a_changed_closed_task_stays_found_after_later_acts_seal_the_case(service, case):
    """A seal adds only the tasks closed since the one before (an act costs the same on a long
    case), so it carries the closed tasks' sum forward: a change made before a later act is not
    taken into that act's seal but found."""
    sql(service, HumanTask.__table__.update().where(
        HumanTask.case_id == case.case_id, HumanTask.state == "completed").values(completed_by="bram"))
    case.complete("Task_GrondToetsen", {"grond_om_aan_te_sluiten": True, "motivering": "Op basis van de VK."},
                  actor="rik")
    result = service.verify(case.case_id, replay=False).cases[0]
    assert any("de afgeronde taken zijn gewijzigd" in f for f in result.findings), result.findings


def test_the_closed_tasks_of_a_seal_are_the_sum_of_all_closed_rows(service, case):
    case.complete("Task_GrondToetsen", {"grond_om_aan_te_sluiten": True, "motivering": "Op basis van de VK."},
                  actor="rik")
    with service.ctx.reading() as session:
        closed = session.scalar(select(func.count()).select_from(HumanTask).where(
            HumanTask.case_id == case.case_id, HumanTask.state != "open"))
        last = session.scalars(select(AuditSeal).where(AuditSeal.chain == seals.case_chain(case.case_id))
                               .order_by(AuditSeal.seq.desc())).first()
        from_rows = seals.case_parts(session, case.case_id, service.ctx.audit)
    assert closed >= 5 and last.parts["taken_afgerond"].startswith(f"{closed}:")
    assert {k: last.parts[k] for k in from_rows if k.startswith("taken")} == \
        {k: v for k, v in from_rows.items() if k.startswith("taken")}
    assert service.verify(case.case_id).ok


def test_a_seal_from_before_the_task_sum_still_verifies(service, case):
    """Seals made before the count-and-sum format held the tasks as one digest: still checked so."""
    with service.ctx.reading() as session:
        last = session.scalars(select(AuditSeal).where(AuditSeal.chain == seals.case_chain(case.case_id))
                               .order_by(AuditSeal.seq.desc())).first()
        legacy = seals.case_parts(session, case.case_id, service.ctx.audit, legacy=True)
        prev = session.scalar(select(AuditSeal.mac).where(AuditSeal.chain == last.chain, AuditSeal.seq == last.seq - 1))
    assert "taken" in legacy and "taken_index" not in legacy
    sql(service, AuditSeal.__table__.update().where(AuditSeal.id == last.id).values(
        parts=legacy, digest=seals.digest(legacy),
        mac=seals.seal_mac(service.ctx.audit, last.chain, last.seq, last.at, legacy, prev or "")))
    assert service.verify(case.case_id, replay=False).ok
    sql(service, HumanTask.__table__.update().where(HumanTask.case_id == case.case_id).values(name="Anders"))
    findings = service.verify(case.case_id, replay=False).cases[0].findings
    assert any("de taken zijn gewijzigd" in f for f in findings), findings


def test_reordered_events_are_found(service, case):
    sql(service, Event.__table__.update().where(Event.case_id == case.case_id, Event.seq == 2).values(seq=1000))
    sql(service, Event.__table__.update().where(Event.case_id == case.case_id, Event.seq == 3).values(seq=2))
    sql(service, Event.__table__.update().where(Event.case_id == case.case_id, Event.seq == 1000).values(seq=3))
    result = service.verify(case.case_id).cases[0]
    assert "gebeurtenis 2" in " ".join(result.findings)


def test_a_history_rewritten_with_the_chain_recomputed_but_without_the_key_is_found(service, case):
    """The attacker changes an event, recomputes the (public) sha256 chain and even re-seals, but
    with a key of his own: the seals no longer verify with the real key."""
    with service.ctx.reading() as session:
        events = session.scalars(select(Event).where(Event.case_id == case.case_id).order_by(Event.seq)).all()
        for event in events:
            session.expunge(event)
    events[1].data = {**events[1].data, "data": {"advies_type": "geen"}}
    prev = ""
    for event in events:
        event.hash = event_hash(prev, event)
        prev = event.hash
        sql(service, Event.__table__.update().where(Event.id == event.id).values(data=event.data, hash=event.hash))
    assert service.verify(case.case_id, replay=False).cases[0].findings  # the seal does not match the new head
    forged_key = replace(service.ctx.audit, key=b"niet-de-echte-sleutel-0123456789abcdef")
    with service.ctx.reading() as session:
        parts = seals.case_parts(session, case.case_id, forged_key)
        last = session.scalars(select(AuditSeal).where(AuditSeal.chain == seals.case_chain(case.case_id))
                               .order_by(AuditSeal.seq.desc())).first()
    prev_mac = one(service, select(AuditSeal.mac).where(AuditSeal.chain == last.chain, AuditSeal.seq == last.seq - 1))
    sql(service, AuditSeal.__table__.update().where(AuditSeal.id == last.id).values(
        parts=parts, digest=seals.digest(parts),
        mac=seals.seal_mac(forged_key, last.chain, last.seq, last.at, parts, prev_mac[0] if prev_mac else "")))
    result = service.verify(case.case_id, replay=False).cases[0]
    assert any("niet met de auditsleutel" in f for f in result.findings), result.findings


def test_a_deleted_case_is_found_from_the_checkpoints(service, case, clock):
    service.write_checkpoint("voor het verwijderen")
    reference = case.case().referentie
    with service.engine.begin() as connection:
        drop_append_only_guards(connection)
        for table in ("outbox_attachment", "outbox_message", "vk_toestemming", "vk_verzending", "vk_versie",
                      "task_draft", "human_task", "event", "casus_organisatie", "case_member", "incident",
                      "achttien_start", "element_passage", "process_instance", "audit_seal"):
            if table == "outbox_attachment":
                connection.exec_driver_sql("DELETE FROM outbox_attachment WHERE message_id IN "
                                           f"(SELECT id FROM outbox_message WHERE case_id = {case.case_id})")
            elif table == "task_draft":
                connection.exec_driver_sql("DELETE FROM task_draft WHERE human_task_id IN "
                                           f"(SELECT id FROM human_task WHERE case_id = {case.case_id})")
            else:
                connection.exec_driver_sql(f"DELETE FROM {table} WHERE case_id = {case.case_id}")
        connection.exec_driver_sql(f"DELETE FROM casus WHERE id = {case.case_id}")
    report = service.verify()
    assert not report.ok
    assert any(reference in f and "ontbreekt" in f for f in report.findings), report.findings


def test_a_truncated_tail_is_found_from_the_checkpoints(service, case):
    service.write_checkpoint("voor het inkorten")
    last = one(service, select(AuditSeal.id, AuditSeal.seq).where(AuditSeal.chain == seals.case_chain(case.case_id))
               .order_by(AuditSeal.seq.desc()))
    sql(service, AuditSeal.__table__.delete().where(AuditSeal.id == last.id))
    findings = " ".join(service.verify(case.case_id, replay=False).cases[0].findings)
    assert f"verzegeling {last.seq} uit het controlepuntbestand ontbreekt" in findings


def test_a_changed_stored_diagram_is_found(service, case):
    sql(service, ProcessVersion.__table__.update().where(ProcessVersion.process_id == "p0_consultatie_advies")
        .values(xml=ProcessVersion.xml + " "))
    report = service.verify(replay=False)
    assert any("diagram van p0_consultatie_advies" in f for f in report.findings), report.findings
    assert any("procesversies" in f for f in report.findings)


def test_a_checkpoint_file_edited_by_hand_is_found(service, case):
    service.write_checkpoint("een")
    service.write_checkpoint("twee")
    path = service.ctx.audit.checkpoint_file
    lines = path.read_text().splitlines()
    line = json.loads(lines[0])
    line["reden"] = "anders"
    path.write_text("\n".join([json.dumps(line), lines[1]]) + "\n")
    report = service.verify(replay=False)
    assert any("regel 1: handtekening klopt niet" in f for f in report.findings), report.findings


def test_a_checkpoint_lists_only_the_chains_that_moved(service, case, clock):
    first = service.write_checkpoint("een")
    assert seals.case_chain(case.case_id) in first["ketens"] and seals.VERSIONS_CHAIN in first["ketens"]
    second = service.write_checkpoint("twee")
    assert second["ketens"] == {} and second["vorige"] == first["mac"]
    anchors = checkpoints.read(service.ctx.audit, service.ctx.audit.checkpoint_file)
    assert anchors.lines == 2 and not anchors.findings


def test_the_key_comes_from_the_environment_or_a_file_and_is_required_in_production(monkeypatch, tmp_path):
    from app.config import ConfigError

    monkeypatch.setenv("VHT_AUDIT_KEY", "kort")
    with pytest.raises(ConfigError, match="te kort"):
        AuditKey.from_env()
    monkeypatch.delenv("VHT_AUDIT_KEY")
    keyfile = tmp_path / "sleutel"
    keyfile.write_text("f" * 64)
    monkeypatch.setenv("VHT_AUDIT_KEY_FILE", str(keyfile))
    assert AuditKey.from_env().key == b"f" * 64
    monkeypatch.delenv("VHT_AUDIT_KEY_FILE")
    monkeypatch.setenv("VHT_ENV", "production")
    with pytest.raises(ConfigError, match="geen auditsleutel"):
        AuditKey.from_env()


def test_vht_verify_exits_1_and_names_the_case(tmp_path, monkeypatch):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/cli.sqlite", "VHT_INSTANCE_DIR": str(tmp_path)}
    runner = CliRunner()
    from app.cli import main

    def vht(*args):
        return runner.invoke(main, list(args), env=env, catch_exceptions=False)

    assert vht("init-db").exit_code == 0
    assert vht("deploy", "--reden", "test").exit_code == 0
    assert vht("demo").exit_code == 0
    clean = vht("verify", "--json")
    assert clean.exit_code == 0, clean.output
    summary = json.loads(clean.output)
    assert summary["resultaat"] == "in orde" and summary["aantal_casussen"] > 0
    assert {"case_id", "referentie", "resultaat", "bevinding"} <= set(summary["casussen"][0])
    from sqlalchemy import create_engine
    engine = create_engine(env["DATABASE_URL"])
    with engine.begin() as connection:
        case_id, reference = connection.exec_driver_sql("SELECT id, referentie FROM casus ORDER BY id LIMIT 1").first()
        connection.exec_driver_sql(f"UPDATE human_task SET completed_by = 'iemand' WHERE case_id = {case_id}")
    engine.dispose()
    tampered = vht("verify")
    assert tampered.exit_code == 1
    assert f"AFWIJKING {reference} (casus {case_id})" in tampered.output and "de taken" in tampered.output
    as_json = json.loads(vht("verify", "--json", "--case", str(case_id)).output)
    assert as_json["casussen"][0]["resultaat"] == "afwijking"


def test_cases_from_before_the_seals_are_reported_until_sealed(service, case):
    sql(service, AuditSeal.__table__.delete().where(AuditSeal.case_id == case.case_id))
    result = service.verify(case.case_id).cases[0]
    assert result.findings == ["de casus is nooit verzegeld (buiten de applicatie aangemaakt?)"]
    assert service.seal_existing() == 1
    assert service.verify(case.case_id).ok
    assert service.seal_existing() == 0
