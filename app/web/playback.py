"""The case page's player (frontend/playback.js): the playback frames as JSON, values as people read them."""
from __future__ import annotations

from app.formdefs import FormDefinition
from app.service.form_values import labelled, moment
from app.service.playback import Playback

from .common import user_names


def playback_json(result: Playback) -> dict:
    names = user_names()
    # One definition with every field of the forms the case ran with: the labels of its data keys.
    form = FormDefinition("", "", None, tuple(result.fields.values()))

    def values(data: dict) -> list[dict]:
        return [v.as_dict() for v in labelled(form, data, names)]

    return {
        "casus": result.case_id,
        "gebeurtenissen": result.events,
        "afwijking": {"seq": result.diverged_at, "reden": result.reason} if result.reason else None,
        "diagrammen": {str(pv.id): {"process_id": pv.process_id, "naam": pv.name or pv.process_id,
                                    "versie": pv.version, "xml": pv.xml} for pv in result.versions.values()},
        "stappen": [{
            "seq": f.seq, "at": f.at, "moment": moment(f.at, seconds=True), "type": f.type, "label": f.label,
            "actor": f.actor, "door": f.actor_name, "instantie": f.instance_id,
            "element": f.element,
            "ingevoerd": [v.as_dict() for v in f.values],
            "wijzigingen": [c.as_dict() for c in f.changes],
            "procedures": [{
                "instantie": i.instance_id, "process_id": i.process_id, "naam": i.name or i.process_id,
                "versie": i.version, "process_version_id": i.process_version_id, "afgerond": i.finished,
                "diagrammen": [{"process_version_id": d.process_version_id, "process_id": d.process_id,
                                "afgerond": d.completed, "actief": d.active} for d in i.diagrams],
                "gegevens": values(i.data),
            } for i in f.instances],
        } for f in result.frames],
    }
