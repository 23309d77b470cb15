"""The 1EdTech CASE export: valid against the CFPackage shape, a faithful tree, stable ids."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from livret.domain.referentiel import (
    Referentiel,
    bundled_referentiel_path,
    load_referentiel_file,
    parse_referentiel,
)
from livret.domain.referentiel_json import referentiel_to_json
from livret.exchange.case_package import case_package, stable_id

SCHEMA = json.loads(
    (Path(__file__).parent / "data" / "case_v1p0_cfpackage.schema.json").read_text("utf-8")
)
CHANGED_AT = dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def pmia() -> Referentiel:
    return load_referentiel_file(bundled_referentiel_path("pmia"))


@pytest.fixture(scope="module")
def package(pmia: Referentiel) -> dict[str, Any]:
    # Through JSON text, as a CASE consumer reads it.
    return json.loads(json.dumps(case_package(pmia, changed_at=CHANGED_AT)))


def test_the_package_is_valid_against_the_cfpackage_shape(package: dict[str, Any]) -> None:
    Draft202012Validator.check_schema(SCHEMA)
    errors = sorted(Draft202012Validator(SCHEMA).iter_errors(package), key=str)
    assert [f"{list(e.absolute_path)}: {e.message}" for e in errors] == []


def test_the_schema_catches_a_broken_package(package: dict[str, Any]) -> None:
    # The validation above means something: the schema refuses what CASE refuses.
    broken = json.loads(json.dumps(package))
    broken["CFItems"][0]["identifier"] = "PLP-CP01-01"
    del broken["CFItems"][1]["fullStatement"]
    broken["CFAssociations"][0]["associationType"] = "isParentOf"
    del broken["CFDocument"]["creator"]
    messages = [e.message for e in Draft202012Validator(SCHEMA).iter_errors(broken)]
    assert len(messages) == 4


def test_every_node_is_in_the_tree_once(pmia: Referentiel, package: dict[str, Any]) -> None:
    items = {item["identifier"]: item for item in package["CFItems"]}
    document_id = package["CFDocument"]["identifier"]
    groups = {cc.group_code for cc in pmia.common_competencies}
    competencies = sum(len(s.competencies) for s in pmia.specialties)
    assert (
        len(items)
        == len(package["CFItems"])
        == (
            len(groups)
            + len(pmia.common_competencies)
            + len(pmia.specialties)
            + competencies
            + len(pmia.criteria())
        )
    )
    child_of = [a for a in package["CFAssociations"] if a["associationType"] == "isChildOf"]
    # Each item has exactly one parent, which is the document or another item.
    assert Counter(a["originNodeURI"]["identifier"] for a in child_of) == Counter(
        dict.fromkeys(items, 1)
    )
    for association in package["CFAssociations"]:
        assert association["originNodeURI"]["identifier"] in items
        destination = association["destinationNodeURI"]["identifier"]
        assert destination in items or destination == document_id
        assert association["CFDocumentURI"]["identifier"] == document_id


def test_criteria_sit_under_their_competency_and_relate_to_their_cc(
    pmia: Referentiel, package: dict[str, Any]
) -> None:
    by_code = {(item["CFItemType"], item["humanCodingScheme"]): item for item in package["CFItems"]}
    parent = {
        a["originNodeURI"]["identifier"]: a
        for a in package["CFAssociations"]
        if a["associationType"] == "isChildOf"
    }
    related = {
        a["originNodeURI"]["identifier"]: a["destinationNodeURI"]["identifier"]
        for a in package["CFAssociations"]
        if a["associationType"] == "isRelatedTo"
    }
    for criterion in pmia.criteria():
        item = by_code[("Indicateur de performance", criterion.id)]
        assert item["fullStatement"] == criterion.text
        up = parent[item["identifier"]]
        assert up["sequenceNumber"] == criterion.position + 1
        competency = by_code[("Compétence", criterion.competency_code)]
        assert up["destinationNodeURI"]["identifier"] == competency["identifier"]
        cc = by_code[("Compétence commune", criterion.cc_code)]
        assert related[item["identifier"]] == cc["identifier"]
    cc = by_code[("Compétence commune", "CC2.1")]
    group = by_code[("Domaine de compétences communes", "CC2")]
    assert parent[cc["identifier"]]["destinationNodeURI"]["identifier"] == group["identifier"]


def test_identifiers_are_stable_uuid5(pmia: Referentiel, package: dict[str, Any]) -> None:
    later = case_package(pmia, changed_at=CHANGED_AT + dt.timedelta(days=30))
    identifiers = [item["identifier"] for item in package["CFItems"]]
    assert [item["identifier"] for item in later["CFItems"]] == identifiers
    assert [a["identifier"] for a in later["CFAssociations"]] == [
        a["identifier"] for a in package["CFAssociations"]
    ]
    assert all(uuid.UUID(identifier).version == 5 for identifier in identifiers)
    assert stable_id("pmia", "criterion", "PLP-CP01-01") in identifiers
    assert package["CFDocument"]["lastChangeDateTime"] == "2026-11-02T09:30:00+00:00"

    # Another référentiel id gives other identifiers; a new criterion keeps the others'.
    data = referentiel_to_json(pmia)
    data["specialties"][1]["competencies"] = [
        {
            "code": "C1",
            "title": "Préparer son intervention",
            "criteria": [{"id": "MSPC-C1-01", "text": "Le dossier est lu", "cc": "CC1.1"}],
        }
    ]
    grown = case_package(parse_referentiel(data), changed_at=CHANGED_AT)
    grown_ids = {item["identifier"] for item in grown["CFItems"]}
    assert set(identifiers) < grown_ids
    assert len(grown_ids) == len(identifiers) + 2
    other = case_package(parse_referentiel({**data, "id": "autre"}), changed_at=CHANGED_AT)
    assert not {item["identifier"] for item in other["CFItems"]} & grown_ids
