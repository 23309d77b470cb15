"""The bundled PMIA référentiel and the checks of the JSON loader."""

from __future__ import annotations

import copy
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from livret.domain.errors import LivretError, NotFound, ValidationError
from livret.domain.referentiel import (
    InvalidReferentiel,
    Referentiel,
    bundled_referentiel_path,
    load_referentiel_file,
    parse_referentiel,
)
from livret.resources import resource_path

PMIA_CC_CODES = [
    "CC1.1",
    "CC2.1",
    "CC2.2",
    "CC2.3",
    "CC2.4",
    "CC3.1",
    "CC3.2",
    "CC3.3",
    "CC4.1",
    "CC4.2",
    "CC5.1",
    "CC6.1",
    "CC6.2",
]


@pytest.fixture(scope="module")
def pmia() -> Referentiel:
    return load_referentiel_file(bundled_referentiel_path())


@pytest.fixture
def raw_pmia() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(bundled_referentiel_path().read_text(encoding="utf-8"))
    return data


def minimal() -> dict[str, Any]:
    """A small valid référentiel to break in the tests."""
    return {
        "id": "test",
        "title": "Référentiel de test",
        "version": "1",
        "common_competency_groups": [{"code": "CC1", "label": "Analyser"}],
        "common_competencies": [
            {"code": "CC1.1", "group": "CC1", "title": "Décoder"},
            {"code": "CC1.2", "group": "CC1", "title": "Analyser"},
        ],
        "specialties": [
            {
                "code": "SP",
                "title": "Spécialité",
                "competencies": [
                    {
                        "code": "C1",
                        "title": "Compétence 1",
                        "criteria": [
                            {"id": "SP-C1-01", "text": "Premier", "cc": "CC1.1"},
                            {"id": "SP-C1-02", "text": "Second", "cc": "CC1.2"},
                        ],
                    }
                ],
            }
        ],
    }


def problems_of(data: dict[str, Any]) -> tuple[str, ...]:
    with pytest.raises(InvalidReferentiel) as info:
        parse_referentiel(data)
    # Every problem is on its own line of the message shown to the user.
    lines = info.value.message.splitlines()
    assert lines[1:] == [f"- {p}" for p in info.value.problems]
    return info.value.problems


# The bundled PMIA référentiel -------------------------------------------------


def test_bundled_path_is_the_resources_file() -> None:
    path = bundled_referentiel_path()
    assert path.name == "pmia.json"
    assert path.parent.name == "referentiels"
    assert path.is_file()
    assert path == resource_path("referentiels", "pmia.json")


def test_pmia_header(pmia: Referentiel) -> None:
    assert pmia.id == "pmia"
    assert pmia.version == "0.1"
    assert "PMIA" in pmia.title


def test_pmia_has_13_common_competencies_in_order(pmia: Referentiel) -> None:
    assert [cc.code for cc in pmia.common_competencies] == PMIA_CC_CODES
    assert [cc.position for cc in pmia.common_competencies] == list(range(13))
    cc21 = pmia.cc("CC2.1")
    assert cc21.title.startswith("Approvisionner et préparer")
    assert (cc21.group_code, cc21.group_label) == ("CC2", "Préparer")
    assert pmia.cc("CC6.2").group_label == "Communiquer"


def test_pmia_specialties(pmia: Referentiel) -> None:
    assert [s.code for s in pmia.specialties] == ["PLP", "MSPC"]
    plp, mspc = pmia.specialties
    assert [c.code for c in plp.competencies] == [f"CP{i:02d}" for i in range(1, 11)]
    assert all(c.specialty_code == "PLP" for c in plp.competencies)
    assert mspc.title == "Maintenance des systèmes de production connectés"
    assert mspc.competencies == ()


def test_pmia_criteria_map_to_exactly_one_existing_cc(pmia: Referentiel) -> None:
    criteria = pmia.criteria()
    assert len(criteria) == 118
    assert len({c.id for c in criteria}) == len(criteria)
    cc_codes = set(PMIA_CC_CODES)
    for criterion in criteria:
        assert criterion.cc_code in cc_codes
    # Each CC's criteria partition the whole list.
    by_cc = [c for code in PMIA_CC_CODES for c in pmia.criteria_of_cc(code)]
    assert sorted(c.id for c in by_cc) == sorted(c.id for c in criteria)


def test_pmia_cp03_04(pmia: Referentiel) -> None:
    criterion = pmia.criterion("PLP-CP03-04")
    assert criterion.cc_code == "CC2.1"
    assert (criterion.specialty_code, criterion.competency_code) == ("PLP", "CP03")
    assert criterion.position == 3
    assert criterion.confidence == "high"
    assert criterion.text.startswith("Les outillages, les matières d'œuvre")
    assert criterion in pmia.criteria_of_cc("CC2.1")


def test_pmia_criteria_in_referentiel_order(pmia: Referentiel) -> None:
    ids = [c.id for c in pmia.criteria()]
    assert ids[0] == "PLP-CP01-01"
    assert ids.index("PLP-CP02-01") > ids.index("PLP-CP01-01")
    assert ids == sorted(ids)  # PMIA ids happen to sort in référentiel order


def test_lookups_of_unknown_codes(pmia: Referentiel) -> None:
    with pytest.raises(NotFound) as info:
        pmia.cc("CC9.9")
    assert info.value.message == "Compétence commune inconnue : « CC9.9 »."
    with pytest.raises(NotFound) as info:
        pmia.criterion("PLP-CP99-01")
    assert info.value.message == "Critère inconnu : « PLP-CP99-01 »."


def test_extra_keys_are_ignored(raw_pmia: dict[str, Any]) -> None:
    assert "sources" in raw_pmia
    raw_pmia["unknown_key"] = {"anything": [1, 2]}
    assert len(parse_referentiel(raw_pmia).criteria()) == 118


# Broken variants ---------------------------------------------------------------


def test_minimal_is_valid() -> None:
    ref = parse_referentiel(minimal())
    assert [c.id for c in ref.criteria()] == ["SP-C1-01", "SP-C1-02"]
    assert ref.cc("CC1.2").position == 1


def test_duplicate_criterion_id(raw_pmia: dict[str, Any]) -> None:
    cp05 = raw_pmia["specialties"][0]["competencies"][4]
    cp05["criteria"][0]["id"] = "PLP-CP03-04"
    assert problems_of(raw_pmia) == (
        "Critère PLP-CP03-04 : identifiant en double (déjà utilisé dans [PLP] CP03).",
    )


def test_unknown_cc(raw_pmia: dict[str, Any]) -> None:
    raw_pmia["specialties"][0]["competencies"][2]["criteria"][3]["cc"] = "CC9.9"
    assert problems_of(raw_pmia) == (
        "Critère PLP-CP03-04 : compétence commune « CC9.9 » inconnue.",
    )


def test_missing_and_blank_text() -> None:
    data = minimal()
    criteria = data["specialties"][0]["competencies"][0]["criteria"]
    del criteria[0]["text"]
    criteria[1]["text"] = "   "
    assert problems_of(data) == (
        "Critère SP-C1-01 : champ « text » manquant.",
        "Critère SP-C1-02 : le champ « text » est vide.",
    )


def test_every_problem_is_reported_at_once(raw_pmia: dict[str, Any]) -> None:
    data = copy.deepcopy(raw_pmia)
    plp = data["specialties"][0]["competencies"]
    plp[0]["criteria"][1]["id"] = "PLP-CP01-01"  # duplicate
    plp[2]["criteria"][3]["cc"] = "CC9.9"  # unknown CC
    del plp[3]["criteria"][0]["text"]  # missing text
    plp[4]["criteria"][0]["id"] = "PLP CP05 01"  # spaces
    data["common_competencies"].append({"code": "CC1.1", "group": "CC1", "title": "Bis"})
    data["specialties"].append({"code": "PLP", "title": "Encore", "competencies": []})
    data["levels"] = data["levels"][:4]
    problems = problems_of(data)
    assert problems == (
        "Échelle de niveaux : les codes doivent être exactement NE, 1, 2, 3, 4 "
        "(trouvé : NE, 1, 2, 3).",
        "Compétence commune CC1.1 : code en double.",
        "Critère PLP-CP01-01 : identifiant en double (déjà utilisé dans [PLP] CP01).",
        "Critère PLP-CP03-04 : compétence commune « CC9.9 » inconnue.",
        "Critère PLP-CP04-01 : champ « text » manquant.",
        "Compétence [PLP] CP05, critère n° 1 : « PLP CP05 01 » n'est pas un code valide "
        "(lettres, chiffres, points et tirets, sans espace, 100 caractères au plus).",
        "Spécialité PLP : code en double.",
    )


def test_structural_problems() -> None:
    data: dict[str, Any] = {
        "title": 12,
        "version": "",
        "levels": [{"code": "NE"}, {"code": 1}, {"code": 2}, {"code": 3}, {"code": 4}],
        "common_competency_groups": [{"code": "G1", "label": "Un"}],
        "common_competencies": [
            {"code": "CC1", "group": "G2", "title": "Inconnu"},
            "pas un objet",
        ],
        "specialties": [
            {"code": "A", "title": "A", "competencies": [{"code": "C", "title": "C"}]},
            {"code": "B", "title": "B", "competencies": {}},
            {
                "code": "C",
                "title": "C",
                "competencies": [
                    {"code": "K", "title": "K", "criteria": []},
                    {"code": "K", "title": "K2", "criteria": []},
                ],
            },
        ],
    }
    assert problems_of(data) == (
        "Référentiel : champ « id » manquant.",
        "Référentiel : le champ « title » doit être un texte.",
        "Référentiel : le champ « version » est vide.",
        "Référentiel : l'élément n° 2 de « common_competencies » doit être un objet.",
        "Compétence commune CC1 : groupe « G2 » inconnu.",
        "Compétence [A] C : champ « criteria » manquant.",
        "Spécialité B : le champ « competencies » doit être une liste.",
        "Compétence [C] K : code en double dans la spécialité.",
    )


def test_levels_codes_must_be_exactly_the_scale() -> None:
    data = minimal()
    data["levels"] = [{"code": c} for c in ("NE", "1", "2", "3", "4", "5")]
    assert problems_of(data) == (
        "Échelle de niveaux : les codes doivent être exactement NE, 1, 2, 3, 4 "
        "(trouvé : NE, 1, 2, 3, 4, 5).",
    )
    data["levels"] = [{"code": c} for c in ("4", "3", "2", "1", "NE")]
    parse_referentiel(data)  # order does not matter


def test_without_groups_the_group_label_is_empty() -> None:
    data = minimal()
    del data["common_competency_groups"]
    assert parse_referentiel(data).cc("CC1.1").group_label == ""


def test_root_must_be_an_object(tmp_path: Path) -> None:
    path = tmp_path / "list.json"
    path.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(ValidationError, match="objet JSON à sa racine"):
        load_referentiel_file(path)


# Files ---------------------------------------------------------------------------


def test_bad_json_gives_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{\n  "id": "x",\n  "title": "y"\n  "version": "1"\n}\n', encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        load_referentiel_file(path)
    assert info.value.message == (
        "Le fichier « broken.json » n'est pas un JSON valide : erreur ligne 4, colonne 3."
    )


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes('{"title": "Référentiel"}'.encode("latin-1"))
    with pytest.raises(ValidationError, match="n'est pas encodé en UTF-8"):
        load_referentiel_file(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="Fichier introuvable"):
        load_referentiel_file(tmp_path / "absent.json")


def test_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(minimal()).encode("utf-8"))
    assert load_referentiel_file(path).id == "test"


def test_file_problems_are_listed(tmp_path: Path) -> None:
    data = minimal()
    data["specialties"][0]["competencies"][0]["criteria"][1]["cc"] = "CC7"
    data["specialties"][0]["competencies"][0]["criteria"][1]["id"] = "SP-C1-01"
    path = tmp_path / "two.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(InvalidReferentiel) as info:
        load_referentiel_file(path)
    assert info.value.message == (
        "Le référentiel contient 2 erreurs :\n"
        "- Critère SP-C1-01 : compétence commune « CC7 » inconnue.\n"
        "- Critère SP-C1-01 : identifiant en double (déjà utilisé dans [SP] C1)."
    )


def test_deeply_nested_file(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    with pytest.raises(ValidationError, match="imbriqué trop profondément"):
        load_referentiel_file(path)


# Resources -------------------------------------------------------------------------


def test_missing_resource_is_a_french_error() -> None:
    with pytest.raises(LivretError) as info:
        bundled_referentiel_path("absent")
    assert info.value.message == (
        "Ressource introuvable : « referentiels/absent.json ». "
        "L'installation de Livret est incomplète."
    )


@pytest.mark.parametrize("parts", [("..", "pyproject.toml"), ("referentiels/pmia.json",), ()])
def test_resource_names_cannot_escape(parts: tuple[str, ...]) -> None:
    with pytest.raises(LivretError, match="Nom de ressource invalide"):
        resource_path(*parts)


def test_installed_layout_is_searched_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import livret

    site = tmp_path / "site-packages" / "livret"
    (site / "resources" / "referentiels").mkdir(parents=True)
    (site / "__init__.py").write_text("", encoding="utf-8")
    installed = site / "resources" / "referentiels" / "pmia.json"
    installed.write_text("{}", encoding="utf-8")
    # A checkout-like folder next to it must lose against the installed copy.
    (tmp_path / "site-packages" / "resources" / "referentiels").mkdir(parents=True)
    (tmp_path / "site-packages" / "resources" / "referentiels" / "pmia.json").write_text(
        "{}", encoding="utf-8"
    )
    monkeypatch.setattr(livret, "__file__", str(site / "__init__.py"))
    assert bundled_referentiel_path() == installed.resolve()


def test_checkout_layout_is_the_fallback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import livret

    package = tmp_path / "checkout" / "livret"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    shipped = tmp_path / "checkout" / "resources" / "referentiels" / "pmia.json"
    shipped.parent.mkdir(parents=True)
    shipped.write_text("{}", encoding="utf-8")
    monkeypatch.setattr(livret, "__file__", str(package / "__init__.py"))
    assert bundled_referentiel_path() == shipped.resolve()


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "id",
                    "title",
                    "version",
                    "code",
                    "label",
                    "group",
                    "cc",
                    "text",
                    "criteria",
                    "competencies",
                    "specialties",
                    "common_competencies",
                    "common_competency_groups",
                    "levels",
                    "confidence",
                ]
            ),
            children,
            max_size=6,
        )
    ),
    max_leaves=30,
)


@given(st.binary(max_size=2000) | JSON_VALUES.map(lambda v: json.dumps(v).encode()))
def test_random_files_are_refused_in_french_never_crash(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "referentiel.json"
        path.write_bytes(content)
        try:
            load_referentiel_file(path)
        except ValidationError as exc:
            assert exc.message.strip()


def test_hostile_numbers_depth_and_texts_are_refused_naming_them() -> None:
    from livret.domain.referentiel import parse_referentiel_bytes

    pmia = json.loads(bundled_referentiel_path().read_text(encoding="utf-8"))

    def refusal(data: bytes) -> str:
        with pytest.raises(ValidationError) as refused:
            parse_referentiel_bytes(data, "r.json")
        return refused.value.message

    huge = json.dumps({**pmia, "note": 1}).replace('"note": 1', '"note": ' + "9" * 5000)
    assert "contient un nombre de 5\u202f000 chiffres (30 au plus) (ligne 1)" in refusal(
        huge.encode()
    )
    assert "nombre trop grand (1e999)" in refusal(b'{"a": 1e999}')
    assert "« NaN », qui n'est pas un nombre JSON" in refusal(b'{"a": NaN}')
    deep: object = "x"
    for _ in range(40):
        deep = [deep]
    assert "imbriqué sur plus de 32 niveaux" in refusal(json.dumps({**pmia, "x": deep}).encode())
    pmia["common_competencies"][0]["title"] = "T" * 600
    assert (
        f"Compétence commune {pmia['common_competencies'][0]['code']} : le champ « title » "
        "est trop long (600 caractères ; 500 au plus)."
    ) in refusal(json.dumps(pmia).encode())
    assert "fichier incomplet" in refusal(json.dumps(pmia).encode()[:1000])
