"""Messages from outside a procedure, recorded for a case: POST /api/cases/{id}/messages/{name}.

The same act as the page *bericht vastleggen* and `vht message`: the payload is checked by the
form `forms/bericht_<name>.json`. The parents' reaction (`reactie_ouders_ontvangen`) is taken
however late it comes (app/service/messages.py)."""
from __future__ import annotations

from flask.views import MethodView
from marshmallow import Schema, fields

from .auth import current_username, require_may_act, service
from .blueprint import Blueprint
from .schemas import FormDataSchema

blp = Blueprint("api_messages", __name__, url_prefix="/api", description="Berichten van buiten (reactie van ouders)")


class DeliveredSchema(Schema):
    case_id = fields.Integer(required=True)
    message = fields.String(required=True, metadata={"description": "de naam van het bericht"})
    instance_id = fields.Integer(allow_none=True, metadata={
        "description": "de procedure die op het bericht wachtte; null als geen procedure er nog op wachtte"})
    na_verzenddag = fields.Boolean(required=True, metadata={
        "description": "true: geen procedure wachtte er nog op (bijv. na de verzenddag); toch vastgelegd"})
    vk_versie = fields.Integer(allow_none=True, metadata={
        "description": "de versie van de Veiligheidskaart waarin het bericht staat, als de kaart veranderde"})
    opnieuw_verstuurd = fields.Boolean(required=True, metadata={
        "description": "true: de bijgewerkte kaart is opnieuw gemaild aan de ontvangers van de definitieve "
                       "kaart en de voorzitter (zie het verzendlog)"})


@blp.route("/cases/<int:case_id>/messages/<string(maxlength=80):name>")  # as messages.NAME: longer is 404
class Message(MethodView):
    @blp.arguments(FormDataSchema, description="De velden van het formulier `forms/bericht_<name>.json`, bijv. "
                                               "`{\"reactie_ouders\": \"...\", \"ontvangen_op\": \"2026-03-12\"}`.")
    @blp.response(200, DeliveredSchema)
    @blp.errors(403, 404, 409,
                e403="Alleen de inbrenger of een betrokkene van de casus legt een bericht vast; een auditor niet",
                e404="De casus bestaat niet of is niet voor u, het bericht bestaat niet, of de casus neemt het nu "
                     "niet aan (de ouders is nog niet om een reactie gevraagd)",
                e422="Ongeldige inhoud van het bericht: per veld een melding in `velden`")
    @blp.doc(summary="Leg een bericht van buiten vast, zoals de reactie van ouders op de Veiligheidskaart",
             description="Een reactie van ouders wordt nooit geweigerd omdat die te laat is: na de verzenddag "
                         "(of als de procedure al verder is) wordt het een nieuwe versie van de Veiligheidskaart, "
                         "die naar dezelfde ontvangers gaat als de definitieve kaart en naar de voorzitter.")
    def post(self, data, case_id, name):
        username = current_username()
        service().case_for(username, case_id)  # 404 before 403: a case one may not see does not exist
        require_may_act()
        return service().deliver_message_for(username, case_id, name, data)
