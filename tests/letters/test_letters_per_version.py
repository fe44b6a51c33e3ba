"""A letter template changed by a process owner reaches new cases only: a case keeps the letters
deployed with its version, also when its invitation goes out after the change."""
import pytest
from sqlalchemy import select

from app.service import DeployRefused
from persistence.models import OutboxAttachment, OutboxMessage
from tests.letters.test_corrected_invitations import pdf_text
from tests.procedures.gesprek_steps import organiseren, start_through_p0

LETTER = "letters/uitnodiging_ouders.html.j2"
NEW_LINE = "Nieuwe zin van de procesbeheerder."


def parents_letter(service, case_id: int) -> str:
    """The text of the parents' letter in the case's outbox: its HTML, or once the PDF is made
    (right after the act's commit, which drops the HTML) the PDF's text."""
    with service.ctx.reading() as session:
        rows = session.execute(select(OutboxAttachment.html, OutboxAttachment.data).join(OutboxMessage, OutboxAttachment.message_id == OutboxMessage.id)
                               .where(OutboxMessage.case_id == case_id,
                                      OutboxAttachment.filename == "uitnodiging_ouders.pdf")).all()
    assert rows, f"no parents' letter for case {case_id}"
    texts = {" ".join(html.split()) if html else pdf_text(data) for html, data in rows}
    assert len(texts) == 1  # the inbrenger's copy and a parent's are the same letter
    return texts.pop()


def test_a_running_case_keeps_its_letter_and_a_new_case_gets_the_changed_one(service, clock):
    service.upsert_user("pieter", "Pieter Proces", ["procesbeheerder"])
    before = start_through_p0(service, clock, "interventiegesprek")  # started on the old letters

    draft = service.create_draft("pieter", "Brief: extra zin")
    old = service.draft_tree("pieter", draft.id).files[LETTER]
    assert NEW_LINE not in old
    new = old.replace("</body>", f"<p>{NEW_LINE}</p>\n</body>", 1)
    assert new != old
    assert service.save_draft_file("pieter", draft.id, LETTER, new).ok
    deployed = service.deploy_draft("pieter", draft.id, "extra zin in de brief aan de ouders")
    assert {d.status for d in deployed} == {"gewijzigd"}  # every procedure: a new version

    after = start_through_p0(service, clock, "interventiegesprek")
    # Both invitations go out now, after the change.
    organiseren(before, "2026-04-30T10:00", jeugdige="uitgenodigd")
    organiseren(after, "2026-04-30T10:00", jeugdige="uitgenodigd")

    assert NEW_LINE not in parents_letter(service, before.case_id)
    assert NEW_LINE in parents_letter(service, after.case_id)


def test_a_template_that_does_not_render_is_refused_at_deploy(service, clock):
    service.upsert_user("pieter", "Pieter Proces", ["procesbeheerder"])
    draft = service.create_draft("pieter", "Kapot")
    for broken in ("{% if aanhef %}zonder endif", "{{ ''.__class__.__mro__ }}", "{{ onbekende_variabele }}"):
        result = service.save_draft_file("pieter", draft.id, LETTER, broken)
        assert [p.file for p in result.problems] == [LETTER], broken
        with pytest.raises(DeployRefused, match="uitnodiging_ouders"):
            service.deploy_draft("pieter", draft.id, "probeer")
    assert service.draft("pieter", draft.id).files  # the concept is kept
