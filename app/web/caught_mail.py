"""For the beheerder: the post the local mail catcher kept (no SMTP_HOST: app/mailcatcher.py), with
its attachments, and a banner on every page when the real mail server has refused mail or been out
of reach for more than 15 minutes."""
from __future__ import annotations

import io
import re

from flask import abort, render_template, send_file

from app import mailcatcher
from app.service.access import ADMIN
from app.service.mail_health import trouble

from .access_logging import listed, logs_access
from .auth import current_user, login_required
from .blueprint import page_blueprint
from .common import service

bp = page_blueprint("caught_mail", __name__)
# The Message-ID the outbox gives each mail (app/service/outbox.py): its row, and so its case.
OUTBOX_ID = re.compile(r"^<outbox-(\d+)@")


def _require_admin():
    if ADMIN not in (current_user().rollen or []):
        abort(403)


def _cases(mails) -> list[int]:
    """The cases the shown mails belong to, for the access log."""
    case_of = {m.id: m.case_id for m in service().outbox()}
    ids = (OUTBOX_ID.match(m.message_id) for m in mails)
    return [c for c in dict.fromkeys(case_of.get(int(i.group(1))) for i in ids if i) if c is not None]


@bp.get("/beheer/mail")
@login_required
@logs_access("lokale post")
def mails():
    _require_admin()
    caught = mailcatcher.caught()
    listed(_cases(caught))
    return render_template("beheer_mail.html", nav="post", mails=caught, enabled=mailcatcher.enabled(),
                           folder=mailcatcher.mail_dir())


@bp.get("/beheer/mail/<name>/bijlage/<int:number>")
@login_required
@logs_access("lokale post")
def attachment(name: str, number: int):
    _require_admin()
    mail = mailcatcher.read(name)
    if mail is None or not 1 <= number <= len(mail.attachments):
        abort(404)
    listed(_cases([mail]))
    part = mail.attachments[number - 1]
    # Always a download: an HTML or calendar file from a mail is not opened as a page of ours.
    return send_file(io.BytesIO(part.data), mimetype=part.content_type, as_attachment=True,
                     download_name=part.filename)


@bp.app_context_processor
def mail_banner() -> dict:
    """For the beheerder, with a real mail server: since when it has not taken mail (over 15 minutes)."""
    user = current_user()
    if mailcatcher.enabled() or user is None or ADMIN not in (user.rollen or []):
        return {"lokale_post": mailcatcher.enabled(), "mailserver_storing": None}
    ctx = service().ctx
    with ctx.reading() as session:
        return {"lokale_post": False, "mailserver_storing": trouble(session, ctx.now())}
