"""The référentiel's JSON export round-trips, and the changes between two versions are named."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from livret.domain.referentiel import (
    Referentiel,
    bundled_referentiel_path,
    load_referentiel_file,
    parse_referentiel,
)
from livret.domain.referentiel_changes import Remapping, compare_referentiels
from livret.domain.referentiel_json import dumps_referentiel, referentiel_to_json

PMIA_FILE = bundled_referentiel_path("pmia")


@pytest.fixture(scope="module")
def pmia() -> Referentiel:
    return load_referentiel_file(PMIA_FILE)


def edited(ref: Referentiel) -> dict[str, Any]:
    return copy.deepcopy(referentiel_to_json(ref))


def test_json_export_gives_back_the_bundled_file(pmia: Referentiel) -> None:
    original = json.loads(PMIA_FILE.read_text("utf-8"))
    exported = json.loads(dumps_referentiel(pmia))
    assert parse_referentiel(exported) == pmia
    # Everything comes back, also what the app only keeps: sources, notes, levels,
    # MSPC's status, the groups' status, the criteria's edit and mapping notes.
    assert exported == original
    assert "œ" in dumps_referentiel(pmia).decode()  # readable accents, not \\u escapes


def test_the_same_referentiel_has_no_changes(pmia: Referentiel) -> None:
    changes = compare_referentiels(pmia, parse_referentiel(edited(pmia)))
    assert changes.empty
    assert changes.lines() == []


def test_filling_mspc_and_remapping_are_named(pmia: Referentiel) -> None:
    data = edited(pmia)
    data["version"] = "0.2"
    data["specialties"][1]["competencies"] = [
        {
            "code": "C1.1",
            "title": "Analyser l'organisation d'un système",
            "criteria": [
                {"id": "MSPC-C1.1-01", "text": "Le système est décrit", "cc": "CC1.1"},
                {"id": "MSPC-C1.1-02", "text": "Les énergies sont repérées", "cc": "CC2.1"},
            ],
        }
    ]
    first = data["specialties"][0]["competencies"][0]["criteria"][0]
    old_cc = first["cc"]
    first["cc"] = "CC2.1"
    first["text"] = "Les informations utiles sont collectées"
    changes = compare_referentiels(pmia, parse_referentiel(data))
    assert changes.header == ("Version : 0.1 → 0.2",)
    assert [c.code for c in changes.added_competencies] == ["C1.1"]
    assert [c.id for c in changes.added_criteria] == ["MSPC-C1.1-01", "MSPC-C1.1-02"]
    assert changes.remapped == (Remapping(first["id"], old_cc, "CC2.1"),)
    assert changes.changed_criteria == (f"Critère {first['id']} : texte modifié",)
    assert not changes.removed_criteria
    assert changes.lines() == [
        "Version : 0.1 → 0.2",
        "Compétence ajoutée : [MSPC] C1.1 Analyser l'organisation d'un système",
        "Critère ajouté : MSPC-C1.1-01 → CC1.1",
        "Critère ajouté : MSPC-C1.1-02 → CC2.1",
        f"Correspondance modifiée : {first['id']} {old_cc} → CC2.1",
        f"Critère {first['id']} : texte modifié",
    ]


def test_removals_moves_and_order(pmia: Referentiel) -> None:
    data = edited(pmia)
    competencies = data["specialties"][0]["competencies"]
    removed = competencies[0]["criteria"].pop()
    moved = competencies[1]["criteria"].pop(0)
    competencies[2]["criteria"].append(moved)
    competencies.insert(0, competencies.pop(3))
    changes = compare_referentiels(pmia, parse_referentiel(data))
    assert [c.id for c in changes.removed_criteria] == [removed["id"]]
    assert changes.changed_criteria == (
        f"Critère {moved['id']} : déplacé de [PLP] {competencies[2]['code']} vers "
        f"[PLP] {competencies[3]['code']}",
    )
    assert changes.order_changed
    assert not changes.empty


@given(st.data())
def test_any_single_criterion_edit_is_seen(data: st.DataObject) -> None:
    pmia = load_referentiel_file(PMIA_FILE)
    criteria = pmia.criteria()
    index = data.draw(st.integers(0, len(criteria) - 1))
    cc = data.draw(st.sampled_from([c.code for c in pmia.common_competencies]))
    text = data.draw(st.text(min_size=1, max_size=40).filter(str.strip))
    target = criteria[index]
    doc = edited(pmia)
    for specialty in doc["specialties"]:
        for competency in specialty["competencies"]:
            for item in competency["criteria"]:
                if item["id"] == target.id:
                    item["cc"], item["text"] = cc, text
    changes = compare_referentiels(pmia, parse_referentiel(doc))
    assert changes.empty == (cc == target.cc_code and text == target.text)
    assert bool(changes.remapped) == (cc != target.cc_code)
