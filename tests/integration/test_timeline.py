"""The case's timeline as an auditor reads it (issue 12, part 1): the values entered, labelled by
the form of the version the case ran on; before and after of a correction and of the
Veiligheidskaart; mails and documents sent as kinds of their own; filters; a completed task's
values as submitted. On SQLite and PostgreSQL."""
from datetime import timedelta

import pytest

from app.service import NotFound
from app.service import instances as instances_mod
from app.service.errors import CaseProblem
from app.service.timeline import KINDS
from tests.conftest import deploy_settings
from tests.procedures.driver import CaseDriver, casus
from tests.procedures.gesprek_steps import cab
from tests.vk.steps import naar_rvdk, p4_to_the_end

CAB = dict(cab("interventiegesprek"), netwerkpartner_gebruikers=["nina"])


def _case(service, clock) -> CaseDriver:
    """P0 into P3: start, vera claims and holds the CAB, anna processes it and plans the talk."""
    case = CaseDriver.start(service, clock, "p0_consultatie_advies", casus())
    service.claim(case.task("Task_CabHouden").id, "vera")
    clock.advance(timedelta(seconds=7))
    case.complete("Task_CabHouden", CAB)
    case.complete("Task_AdviesVerwerken", {"vk_advies_verwerkt": True})
    case.complete("Task_MomentPlannen", {"gesprek_datum": "2026-03-12T10:00",
                                         "deelnemers": [{"naam": "Petra de Vries", "rol": "ouder"}]})
    return case


def _values(entry) -> dict:
    return {v.label: v.text for v in entry.values}


def test_each_event_shows_the_values_entered_with_the_labels_of_its_form(service, clock):
    case = _case(service, clock)
    entries, options = service.timeline("anna", case.case_id)
    events = [e for e in entries if e.seq is not None]
    assert [(e.kind, e.type) for e in events] == [
        ("start", "instance_started"), ("claim", "task_claimed"), ("taak", "task_completed"),
        ("taak", "task_completed"), ("taak", "task_completed")]
    start, claimed, held, processed, planned = events
    assert start.label == "Procedure gestart" and start.actor_name == "Anna Inbrenger"
    assert _values(start)["Datum consultatie- en adviesbespreking"] == "02-03-2026"
    assert _values(start)["Lopende kinderbeschermingsmaatregel"] == "Geen"  # a choice by its label
    assert "Instellingen" not in _values(start)  # what the start adds itself was not entered by a person
    ouders = next(v for v in start.values if v.field == "ouders")
    assert ouders.table() == (["Naam", "Telefoon of e-mail", "Heeft gezag"],
                              [["Petra de Vries", "06-12345678", "Ja"], ["Mark de Vries", "—", "Ja"]])
    assert (claimed.title, claimed.actor) == ("Taak opgepakt: Consultatie- en adviesbespreking houden", "vera")

    assert held.title == "Taak afgerond: Consultatie- en adviesbespreking houden" and held.actor_name == "Vera VHT"
    assert held.at == claimed.at + timedelta(seconds=7)
    shown = _values(held)
    assert shown["Datum van de bespreking"] == "02-03-2026"
    assert shown["Soort advies"] == "Er zijn mogelijkheden om een andere aanpak in te zetten"
    assert shown["Geadviseerde interventies"] == "Interventiegesprek (vrijwillig kader)"
    assert shown["Aansluitende netwerkpartners met een account"] == "Nina Netwerkpartner"  # a person by name
    assert shown["Afspraken over de uitvoering"] == "1 rij"
    assert _values(processed) == {"Advies en afspraken zijn verwerkt in de Veiligheidskaart": "Ja"}
    assert _values(planned)["Datum en tijd van het gesprek"] == "12-03-2026 10:00"

    # The mails of the case follow the act that queued them; the card's first version its task.
    assert entries[entries.index(processed) + 1].title == "Veiligheidskaart versie 1"  # its task, not the CAB
    mail = next(e for e in entries if e.kind == "mail")
    assert mail.title.startswith("Mail: Nieuwe taak: Advies en afspraken verwerken")
    assert mail.details == ["Aan: anna@example.org", "Status: in de wachtrij"]
    assert entries.index(mail) == entries.index(held) + 1
    # The dict the AVG export writes: times to the second with their offset.
    assert held.as_dict()["at"] == "2026-03-02T09:00:07+01:00"
    assert held.as_dict()["values"][0] == {"field": "cab_gehouden_op", "label": "Datum van de bespreking",
                                           "text": "02-03-2026"}
    assert {k for k, _ in options.soorten} == {"start", "claim", "taak", "veiligheidskaart", "mail"}
    assert ("vera", "Vera VHT") in options.personen


def test_a_correction_shows_the_field_before_and_after(service, clock):
    case = _case(service, clock)
    service.upsert_user("bea", "Bea Beheerder", ["beheerder"], email="bea@example.org")
    service.correct_data(case.case_id, case.instance().id, "gesprek_datum", "2026-03-13T11:00", "bea", "Typfout")
    _auditor(service)
    [corrected], _ = service.timeline("ahmed", case.case_id, {"soort": "correctie"})
    assert corrected.label == "Gegevens gecorrigeerd (reparatie)" and corrected.actor_name == "Bea Beheerder"
    # Labelled by the form it was entered in (another form calls a field of that name otherwise).
    assert corrected.title == "Gegevens gecorrigeerd door de beheerder: Datum en tijd van het gesprek"
    [change] = corrected.changes
    assert (change.label, change.before, change.after) == (
        "Datum en tijd van het gesprek", "12-03-2026 10:00", "13-03-2026 11:00")
    assert corrected.details == ["Reden: Typfout"]


def _auditor(service) -> None:
    service.upsert_user("ahmed", "Ahmed Auditor", ["auditor"], email="ahmed@example.org")


def test_the_veiligheidskaart_changes_sends_and_mails(service, clock):
    case = naar_rvdk(service, clock)
    p4_to_the_end(case)
    entries, _ = service.timeline("anna", case.case_id)
    cards = [e for e in entries if e.kind == "veiligheidskaart"]
    assert [e.title for e in cards] == [f"Veiligheidskaart versie {n}" for n in (1, 2, 3, 4, 5)]
    # Only the sections that changed from the version before, with both texts.
    assert [c.label for c in cards[0].changes] == ["Advies van het VeiligheidsTeam",
                                                   "Afspraken van het VeiligheidsTeam (wie, wat, wanneer, monitoring)"]
    assert (cards[0].changes[0].before, cards[0].changes[0].after) == (
        "—", "In gesprek met het gezin over de zorgen en de afspraken.")
    [reaction] = cards[1].changes
    assert (reaction.label, reaction.before) == ("Reactie van ouders", "—")
    assert reaction.after == "Ontvangen op 02-03-2026:\nWij herkennen ons niet in punt 2."
    assert [c.label for c in cards[2].changes] == ["(Veiligheids)afspraken"]  # the chair's agreements
    assert [c.label for c in cards[4].changes] == ["Uitkomst uit het gesprek"]
    assert cards[4].changes[0].after == "Ouders aanvaarden hulp." and cards[4].actor == "anna"

    sends = [e for e in entries if e.kind == "verzending"]
    assert [e.title for e in sends] == [
        "Veiligheidskaart versie 1 naar de verzendlijst (VK naar RvdK)",
        "Veiligheidskaart versie 2 naar de verzendlijst (VK definitief verzonden)",
        "Veiligheidskaart versie 5 naar de verzendlijst (VK na gesprek verzonden)"]
    assert sends[0].details[:2] == ["Aan: regionaalveiligheidsteam-WBW@rvdk.nl", "Status: in de wachtrij"]
    # A send follows the act whose mail carried the card, right after that mail.
    mail_to_rvdk = next(e for e in entries if e.kind == "mail" and "toetsing" in e.title)
    assert entries.index(sends[0]) == entries.index(mail_to_rvdk) + 1
    assert entries[entries.index(mail_to_rvdk) - 1].title == "Taak afgerond: Veiligheidskaart controleren voor de RvdK"
    assert sends[0].process_id == "p4_interventiegesprek_rvdk"
    assert len({e.label for e in entries}) == len({e.kind for e in entries})  # one Dutch label per kind
    # The parents' reaction: a message, with its values labelled by the message's form.
    [reaction_message] = [e for e in entries if e.kind == "bericht"]
    assert reaction_message.label == "Bericht ontvangen" and reaction_message.values
    assert "Wij herkennen ons niet in punt 2." in [v.text for v in reaction_message.values]


def test_reassignments_timers_and_messages_are_kinds_of_their_own(service, clock):
    case = _case(service, clock)
    service.upsert_user("anke", "Anke Tweede", ["inbrenger"], gemeente="roosendaal", email="anke@example.org")
    service.reassign(case.task("Task_VeiligheidInschatten").id, "anke", "Vakantie", "anna")
    case.move_clock(timedelta(days=40))  # past the streeftermijn of P3
    entries, _ = service.timeline("anna", case.case_id)
    [handed] = [e for e in entries if e.kind == "overdracht"]
    assert (handed.label, handed.actor) == ("Taak overgedragen", "anna")
    assert handed.title == "Taak overgedragen: Veiligheid van alle betrokkenen inschatten, van Anna Inbrenger aan Anke Tweede"
    assert handed.details == ["Reden: Vakantie"]
    [timer] = [e for e in entries if e.kind == "termijn"]
    assert (timer.label, timer.actor_name) == ("Termijn verstreken", "Systeem")
    assert timer.title == "Termijn verstreken: Streeftermijn na CAB"
    assert "Signalering: Streeftermijn overschreden" in timer.details
    assert entries[entries.index(timer) + 1].title == "Mail: Termijn verstreken in casus " + case.case().referentie


def test_a_move_by_the_beheerder_is_a_repair_of_its_own(service, clock):
    case = _case(service, clock)
    # The organising steps run side by side (a move is refused while they do): finish them first.
    case.complete("Task_VeiligheidInschatten", {"veiligheidsinschatting": "Rustig.", "veiligheidsmaatregelen": []})
    case.complete("Task_VoorzitterAfstemmen", {"voorzitter_type": "inbrenger"})
    case.complete("Task_LocatieKiezen", {"locatie_type": "gemeentehuis", "ruimte": "Zaal 2"})
    service.upsert_user("bea", "Bea Beheerder", ["beheerder"], email="bea@example.org")
    service.move_case(case.case_id, case.instance().id, "Task_OudersEnJeugdigeUitnodigen", "Task_JeugdigeAfspraken",
                      "bea", "Uitnodiging al buiten het systeem verstuurd")
    [moved], _ = service.timeline("anna", case.case_id, {"soort": "verplaatsing"})
    assert (moved.label, moved.actor_name) == ("Casus verplaatst (reparatie)", "Bea Beheerder")
    assert moved.title == ("Casus verplaatst door de beheerder: van Ouders en jeugdige uitnodigen "
                           "naar Afspreken wanneer de jeugdige aanwezig is en apart gesproken wordt")
    assert moved.details == ["Beëindigd: Ouders en jeugdige uitnodigen",
                             "Begonnen: Afspreken wanneer de jeugdige aanwezig is en apart gesproken wordt",
                             "Reden: Uitnodiging al buiten het systeem verstuurd"]


def test_a_retry_after_a_problem_is_a_repair_of_its_own(service, clock, monkeypatch):
    def broken(ctx, session, instance, event, outgoing):
        if event.type == "task_completed" and event.task_bpmn_id == "Task_CabHouden":
            raise RuntimeError("het sjabloon kon niet gemaakt worden")

    case = CaseDriver.start(service, clock, "p0_consultatie_advies", casus())
    monkeypatch.setattr(instances_mod, "AFTER_ACT", [*instances_mod.AFTER_ACT, broken])
    with pytest.raises(CaseProblem) as problem:
        case.complete("Task_CabHouden", CAB)
    monkeypatch.undo()
    service.upsert_user("bea", "Bea Beheerder", ["beheerder"], email="bea@example.org")
    service.retry_incident(problem.value.incident_id, "bea", "Sjabloon hersteld")
    [retried], _ = service.timeline("anna", case.case_id, {"soort": "reparatie"})
    assert (retried.label, retried.actor_name) == ("Opnieuw geprobeerd na een probleem (reparatie)", "Bea Beheerder")
    assert retried.title == f"Opnieuw geprobeerd door de beheerder (incident {problem.value.incident_id})"
    assert retried.details[-1] == "Reden: Sjabloon hersteld" and retried.details[0].startswith("Resultaat: ")


def test_filters_narrow_and_combine(service, clock):
    case = _case(service, clock)
    everything, _ = service.timeline("anna", case.case_id)
    by_vera, _ = service.timeline("anna", case.case_id, {"persoon": "vera"})
    assert [e.type for e in by_vera] == ["task_claimed", "task_completed"]
    tasks_of_p0, _ = service.timeline("anna", case.case_id, {"procedure": "p0_consultatie_advies", "soort": "taak"})
    assert [e.title for e in tasks_of_p0] == ["Taak afgerond: Consultatie- en adviesbespreking houden"]
    mails, _ = service.timeline("anna", case.case_id, {"soort": "mail"})
    assert mails and all(e.kind == "mail" for e in mails) and len(mails) < len(everything)
    both, _ = service.timeline("anna", case.case_id, {"persoon": "vera", "soort": "claim"})
    assert [e.type for e in both] == ["task_claimed"]
    assert service.timeline("anna", case.case_id, {"persoon": "vera", "soort": "mail"})[0] == []
    # Unfiltered options stay offered while filtering.
    _, options = service.timeline("anna", case.case_id, {"persoon": "vera"})
    assert ("anna", "Anna Inbrenger") in options.personen
    assert set(KINDS) >= {k for k, _ in options.soorten}


def test_only_who_may_see_the_case_gets_its_timeline(service, clock):
    case = _case(service, clock)
    with pytest.raises(NotFound):
        service.timeline("bram", case.case_id)  # another gemeente's inbrenger, not involved
    _auditor(service)
    assert service.timeline("ahmed", case.case_id)[0]


def test_a_completed_task_is_shown_as_submitted_to_whoever_may_see_the_case(service, clock):
    case = _case(service, clock)
    held = next(t for t in service.tasks(case_id=case.case_id, state="completed") if t.bpmn_id == "Task_CabHouden")
    _auditor(service)
    for username in ("vera", "anna", "ahmed"):  # who did it, the inbrenger, the auditor
        task, _, _ = service.task_for(username, held.id)
        submitted = service.submitted(username, held.id)
        assert task.state == "completed" and submitted.completed_by == "vera"
        assert submitted.completed_by_name == "Vera VHT" and submitted.completed_at == held.completed_at
        assert submitted.form_title and submitted.data["advies_tekst"] == CAB["advies_tekst"]
        labelled = {v.label: v.text for v in submitted.values}
        assert labelled["Advies"] == CAB["advies_tekst"] and labelled["Datum van de bespreking"] == "02-03-2026"
        assert "Benodigde partijen voor het netwerkberaad" not in labelled  # not submitted (hidden field)
    for outsider in ("bram", "victor"):
        with pytest.raises(NotFound):
            service.task_for(outsider, held.id)
        with pytest.raises(NotFound):
            service.submitted(outsider, held.id)
    open_task = case.task("Task_VeiligheidInschatten")
    with pytest.raises(NotFound):
        service.task_for("vera", open_task.id)  # an open task stays with who may work on it


def test_the_values_keep_the_labels_of_the_version_the_case_ran_on(service, clock):
    case = _case(service, clock)
    clock.advance(timedelta(minutes=5))
    deploy_settings(service, streeftermijn_gesprek_dagen=10)  # a second version of every procedure
    view = service.case_view("anna", case.case_id)
    [instance] = view.instances
    assert instance.version.version == 1
    assert {d.process_id: d.version for d in instance.diagrams} == {
        "p0_consultatie_advies": 1, "p3_interventiegesprek": 1, "sp_vk_verwerken": 1, "sp_gesprek_organiseren": 1}
    newest = {v.process_id: v.version for v in service.newest_process_versions()}
    assert newest["sp_vk_verwerken"] == 2  # the newest has the same content, but is not what the case ran
    entries, _ = service.timeline("anna", case.case_id, {"soort": "taak"})
    assert _values(entries[0])["Datum van de bespreking"] == "02-03-2026"


def test_the_timeline_reads_a_fixed_number_of_statements_however_long_the_case(service, clock):
    """The case page reads it on every view: no query per event, mail or version."""
    from sqlalchemy import event

    statements = []

    def count(*args, **kwargs):
        statements.append(1)

    short = CaseDriver.start(service, clock, "p0_consultatie_advies", casus())
    long = naar_rvdk(service, clock)
    p4_to_the_end(long)
    event.listen(service.engine, "before_cursor_execute", count)
    try:
        counted = []
        for case in (short, long):
            statements.clear()
            entries, _ = service.timeline("anna", case.case_id)
            counted.append((len(entries), len(statements)))
    finally:
        event.remove(service.engine, "before_cursor_execute", count)
    (few, short_statements), (many, long_statements) = counted
    assert many > 10 * few and long_statements == short_statements, counted
