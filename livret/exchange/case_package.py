"""A référentiel as a 1EdTech CASE 1.0 package (CFPackage: CFDocument, CFItems, CFAssociations).

The tree is the référentiel's: the document holds the common-competency groups and
the specialties; each common competency is a child of its group, each competency
of its specialty, each criterion of its competency (`isChildOf`, with the rank as
sequenceNumber). A criterion's common competency is an `isRelatedTo` association
in the grouping "Correspondance critère → compétence commune".

Identifiers are UUIDv5 computed from the référentiel id and each item's code, so
two exports of the same référentiel give the same identifiers and a CASE server
updates its items instead of duplicating them. URIs are `urn:uuid:` URNs: the
package does not claim a web address the school does not serve.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from livret.domain.referentiel import Referentiel

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://livret.invalid/referentiels")
"""Root of every identifier (fixed forever: changing it changes every identifier)."""

ITEM_TYPES: tuple[tuple[str, str, str], ...] = (
    ("group", "Domaine de compétences communes", "Groupe de compétences communes"),
    ("cc", "Compétence commune", "Compétence commune à la famille de métiers"),
    ("specialty", "Spécialité", "Spécialité de baccalauréat professionnel"),
    ("competency", "Compétence", "Compétence du référentiel de la spécialité"),
    ("criterion", "Indicateur de performance", "Critère évalué en formation ou en entreprise"),
)
MAPPING_GROUPING = "Correspondance critère → compétence commune"


def stable_id(ref_id: str, *parts: str) -> str:
    """The UUIDv5 of one node of the référentiel `ref_id` (e.g. "criterion", "PLP-CP01-01")."""
    return str(uuid.uuid5(NAMESPACE, "/".join((ref_id, *parts))))


def case_package(ref: Referentiel, *, changed_at: dt.datetime) -> dict[str, Any]:
    """The CFPackage JSON object of the référentiel, last changed at `changed_at`."""
    return _Builder(ref, changed_at).package()


class _Builder:
    def __init__(self, ref: Referentiel, changed_at: dt.datetime) -> None:
        self.ref = ref
        stamp = changed_at if changed_at.tzinfo else changed_at.astimezone()
        self.stamp = stamp.astimezone(dt.UTC).replace(microsecond=0).isoformat()
        self.doc_id = stable_id(ref.id, "document")
        self.doc_link = self.link(self.doc_id, ref.title)
        self.items: list[dict[str, Any]] = []
        self.associations: list[dict[str, Any]] = []
        self.type_ids = {key: stable_id(ref.id, "item-type", key) for key, _, _ in ITEM_TYPES}
        self.type_titles = {key: title for key, title, _ in ITEM_TYPES}
        self.grouping_id = stable_id(ref.id, "association-grouping", "criterion-cc")

    @staticmethod
    def link(identifier: str, title: str) -> dict[str, str]:
        return {"title": title, "identifier": identifier, "uri": f"urn:uuid:{identifier}"}

    def package(self) -> dict[str, Any]:
        ref = self.ref
        groups: dict[str, str] = {}
        for cc in ref.common_competencies:
            if cc.group_code not in groups:
                groups[cc.group_code] = self.item(
                    ("group", cc.group_code),
                    kind="group",
                    statement=cc.group_label or cc.group_code,
                    code=cc.group_code,
                    rank=len(groups),
                    parent=None,
                )
        ranks: dict[str, int] = {}
        for cc in ref.common_competencies:
            rank = ranks[cc.group_code] = ranks.get(cc.group_code, -1) + 1
            self.item(
                ("cc", cc.code),
                kind="cc",
                statement=cc.title,
                code=cc.code,
                rank=rank,
                parent=(groups[cc.group_code], cc.group_label or cc.group_code),
            )
        cc_links = {
            cc.code: self.link(stable_id(ref.id, "cc", cc.code), f"{cc.code} {cc.title}")
            for cc in ref.common_competencies
        }
        for specialty in ref.specialties:
            specialty_id = self.item(
                ("specialty", specialty.code),
                kind="specialty",
                statement=specialty.title,
                code=specialty.code,
                rank=len(groups) + specialty.position,
                parent=None,
            )
            for competency in specialty.competencies:
                competency_id = self.item(
                    ("competency", specialty.code, competency.code),
                    kind="competency",
                    statement=competency.title,
                    code=competency.code,
                    rank=competency.position,
                    parent=(specialty_id, specialty.title),
                )
                for criterion in competency.criteria:
                    criterion_id = self.item(
                        ("criterion", criterion.id),
                        kind="criterion",
                        statement=criterion.text,
                        code=criterion.id,
                        rank=criterion.position,
                        parent=(competency_id, competency.title),
                    )
                    self.associate(
                        "isRelatedTo",
                        self.link(criterion_id, criterion.text),
                        cc_links[criterion.cc_code],
                        grouping=True,
                    )
        document: dict[str, Any] = {
            "identifier": self.doc_id,
            "uri": f"urn:uuid:{self.doc_id}",
            "creator": "Livret",
            "title": ref.title,
            "lastChangeDateTime": self.stamp,
            "version": ref.version,
            "language": "fr",
            "CFPackageURI": self.doc_link,
        }
        if isinstance(note := ref.extra.get("mapping_note"), str):
            document["notes"] = note
        return {
            "CFDocument": document,
            "CFItems": self.items,
            "CFAssociations": self.associations,
            "CFDefinitions": self.definitions(),
        }

    def item(
        self,
        key: Sequence[str],
        *,
        kind: str,
        statement: str,
        code: str,
        rank: int,
        parent: tuple[str, str] | None,
    ) -> str:
        identifier = stable_id(self.ref.id, *key)
        self.items.append(
            {
                "identifier": identifier,
                "uri": f"urn:uuid:{identifier}",
                "fullStatement": statement,
                "humanCodingScheme": code,
                "listEnumeration": str(rank + 1),
                "CFItemType": self.type_titles[kind],
                "CFItemTypeURI": self.link(self.type_ids[kind], self.type_titles[kind]),
                "language": "fr",
                "CFDocumentURI": self.doc_link,
                "lastChangeDateTime": self.stamp,
            }
        )
        own = self.link(identifier, f"{code} {statement}")
        destination = self.link(*parent) if parent else self.doc_link
        self.associate("isChildOf", own, destination, sequence=rank + 1)
        return identifier

    def associate(
        self,
        kind: str,
        origin: dict[str, str],
        destination: dict[str, str],
        *,
        sequence: int | None = None,
        grouping: bool = False,
    ) -> None:
        identifier = stable_id(
            self.ref.id, "association", kind, origin["identifier"], destination["identifier"]
        )
        association: dict[str, Any] = {
            "identifier": identifier,
            "uri": f"urn:uuid:{identifier}",
            "associationType": kind,
            "originNodeURI": origin,
            "destinationNodeURI": destination,
            "CFDocumentURI": self.doc_link,
            "lastChangeDateTime": self.stamp,
        }
        if sequence is not None:
            association["sequenceNumber"] = sequence
        if grouping:
            association["CFAssociationGroupingURI"] = self.link(self.grouping_id, MAPPING_GROUPING)
        self.associations.append(association)

    def definitions(self) -> dict[str, Any]:
        return {
            "CFItemTypes": [
                {
                    "identifier": self.type_ids[key],
                    "uri": f"urn:uuid:{self.type_ids[key]}",
                    "title": title,
                    "description": description,
                    "hierarchyCode": str(rank + 1),
                    "lastChangeDateTime": self.stamp,
                }
                for rank, (key, title, description) in enumerate(ITEM_TYPES)
            ],
            "CFAssociationGroupings": [
                {
                    "identifier": self.grouping_id,
                    "uri": f"urn:uuid:{self.grouping_id}",
                    "title": MAPPING_GROUPING,
                    "lastChangeDateTime": self.stamp,
                }
            ],
        }
