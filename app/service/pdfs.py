"""PDFs are made after the act's commit, never inside its transaction.

WeasyPrint takes hundreds of milliseconds per document; inside the act that time was spent
holding SQLite's writer lock (every other act of every user waited). Now the act renders only
the HTML (Jinja, about a millisecond) and stores it with the outbox attachment; right after the
commit the PDF is made outside any transaction and written in a short one. Should that not
happen (the process stops), the worker makes it before it sends the mail.

A card that is sent keeps its PDF in the send log (vk_verzending): the attachment names that
row, and both get the same bytes in the same transaction, so what arrives is what the log keeps.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from sqlalchemy import select, update

from persistence.models import OutboxAttachment, VkVerzending

from . import seals

log = logging.getLogger("vht.pdfs")

LETTERS = "letters"
VEILIGHEIDSKAART = "veiligheidskaart"


@dataclass(frozen=True)
class PdfLater:
    """An attachment whose PDF is made after the commit: the HTML and which templates it is from."""

    html: str
    render_from: str  # LETTERS or VEILIGHEIDSKAART: the folder its files may come from
    send_log_id: int | None = None  # the vk_verzending row that keeps the PDF as sent


def _render(render_from: str, html: str) -> bytes:
    if render_from == LETTERS:
        from app.documents import letters

        return letters.render_pdf(html)
    from app.documents import veiligheidskaart

    return veiligheidskaart.render_pdf_from_html(html)


def attach(session, message_id: int, filename: str, content_type: str, later: PdfLater) -> None:
    """An attachment without its bytes yet; they are made right after this transaction commits."""
    row = OutboxAttachment(message_id=message_id, filename=filename, content_type=content_type, data=None,
                           html=later.html, render_from=later.render_from, vk_verzending_id=later.send_log_id)
    session.add(row)
    session.flush()
    pending = session.info.setdefault("pdfs_pending", [])
    if not pending:
        session.info.setdefault("after_commit", []).append(lambda ctx: _after_commit(ctx, pending))
    pending.append(row.id)


def _after_commit(ctx, attachment_ids: list[int]) -> None:
    try:
        render_pending(ctx, attachment_ids)
    except Exception:  # noqa: BLE001 - the act is committed; the worker renders before sending
        log.exception("PDFs of attachments %s not made after commit; the worker will make them", attachment_ids)


def render_pending(ctx, attachment_ids: list[int]) -> int:
    """Make the PDFs of these attachments that have none yet; how many were stored.

    Read, render and write are three steps: only the first and the last touch the database,
    each briefly. When two processes render the same attachment, the first write wins and the
    other's bytes are dropped (`data IS NULL` in the UPDATE).
    """
    with ctx.transaction() as session:
        todo = session.execute(
            select(OutboxAttachment.id, OutboxAttachment.html, OutboxAttachment.render_from,
                   OutboxAttachment.vk_verzending_id)
            .where(OutboxAttachment.id.in_(attachment_ids), OutboxAttachment.data.is_(None),
                   OutboxAttachment.html.is_not(None))).all()
    made: dict[tuple[str, str], bytes] = {}  # a letter that goes to several people is rendered once
    for row in todo:
        key = (row.render_from, row.html)
        if key not in made:
            made[key] = _render(row.render_from, row.html)
    stored = 0
    with ctx.transaction() as session:
        for row in todo:
            data = made[(row.render_from, row.html)]
            result = session.execute(update(OutboxAttachment)
                                     .where(OutboxAttachment.id == row.id, OutboxAttachment.data.is_(None))
                                     .values(data=data, html=None)
                                     .execution_options(synchronize_session=False))
            if result.rowcount == 1:
                stored += 1
                if row.vk_verzending_id is not None:
                    case_id = session.execute(
                        update(VkVerzending).where(VkVerzending.id == row.vk_verzending_id)
                        .values(pdf=data, pdf_sha256=hashlib.sha256(data).hexdigest())
                        .returning(VkVerzending.case_id).execution_options(synchronize_session=False)).scalar_one()
                    seals.touch(session, case_id)  # the send log now holds the PDF: seal it
    return stored
