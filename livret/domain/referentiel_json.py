"""Write a référentiel back to the JSON shape it is read from (resources/referentiels/*.json).

to_json(parse_referentiel(data)) gives back the same référentiel: the fields the
app models (codes, titles, mapping, order) and the ones it only keeps (sources,
notes, levels, a specialty's reference and status, a group's status, a
criterion's notes). Only fields of common competencies and competencies other
than those modelled are not kept (the bundled file has none).
"""

from __future__ import annotations

import json
from typing import Any

from livret.domain.referentiel import Referentiel


def referentiel_to_json(ref: Referentiel) -> dict[str, Any]:
    """The référentiel as a JSON-ready dict, in référentiel order."""
    data: dict[str, Any] = {"id": ref.id, "title": ref.title, "version": ref.version}
    data.update(ref.extra)
    groups: dict[str, str] = {}
    for cc in ref.common_competencies:
        if cc.group_label:
            groups.setdefault(cc.group_code, cc.group_label)
    if groups:
        data["common_competency_groups"] = [
            {"code": code, "label": label, **ref.group_extra.get(code, {})}
            for code, label in groups.items()
        ]
    data["common_competencies"] = [
        {"code": cc.code, "group": cc.group_code, "title": cc.title}
        for cc in ref.common_competencies
    ]
    data["specialties"] = [
        {
            "code": specialty.code,
            "title": specialty.title,
            **specialty.extra,
            "competencies": [
                {
                    "code": competency.code,
                    "title": competency.title,
                    "criteria": [
                        {
                            "id": criterion.id,
                            "text": criterion.text,
                            "cc": criterion.cc_code,
                            **(
                                {"confidence": criterion.confidence}
                                if criterion.confidence is not None
                                else {}
                            ),
                            **criterion.extra,
                        }
                        for criterion in competency.criteria
                    ],
                }
                for competency in specialty.competencies
            ],
        }
        for specialty in ref.specialties
    ]
    return data


def dumps_referentiel(ref: Referentiel) -> bytes:
    """The référentiel as UTF-8 JSON text, indented, accents kept readable."""
    return (json.dumps(referentiel_to_json(ref), ensure_ascii=False, indent=1) + "\n").encode()
