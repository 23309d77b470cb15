"""What each role may do: one role × action table, checked by every service method.

`Access.ALL` lets the role act on every learner; `Access.OWN` (Apprenant only) on
their own learner and, for bilans, on final ones only; a missing cell is a refusal.
The UI hides what this table refuses, but the services are what enforce it.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum, StrEnum

from livret.domain.errors import PermissionDenied
from livret.domain.roles import ROLE_LABELS, Actor, Role


class Access(Enum):
    ALL = "oui"
    OWN = "les siens"


class Action(StrEnum):
    LIST_CLASSES = "list_classes"
    VIEW_DASHBOARD = "view_dashboard"
    VIEW_CLASS_OVERVIEW = "view_class_overview"
    LIST_BILANS = "list_bilans"
    VIEW_BILAN = "view_bilan"
    WRITE_BILAN = "write_bilan"
    UNLOCK_BILAN = "unlock_bilan"
    EXPORT_BILAN_PDF = "export_bilan_pdf"
    EXPORT_CLASS_PDFS = "export_class_pdfs"
    VIEW_MARKS = "view_marks"
    SAVE_MARKS = "save_marks"
    EXPORT_MARKS = "export_marks"
    VIEW_CONSEIL = "view_conseil"
    WRITE_CONSEIL_REMARK = "write_conseil_remark"
    VIEW_LSL = "view_lsl"
    WRITE_LSL = "write_lsl"
    SET_LSL_PERIODICITY = "set_lsl_periodicity"
    VIEW_EVALUATIONS = "view_evaluations"
    WRITE_EVALUATIONS = "write_evaluations"
    IMPORT_SIECLE = "import_siecle"
    IMPORT_RESULTS = "import_results"
    VIEW_REFERENTIEL = "view_referentiel"
    EDIT_REFERENTIEL = "edit_referentiel"
    MANAGE_USERS = "manage_users"
    VIEW_AUDIT = "view_audit"
    MANAGE_ESTABLISHMENT = "manage_establishment"
    EXPORT_LEARNER_DATA = "export_learner_data"
    ERASE_LEARNER = "erase_learner"


ACTION_LABELS: dict[Action, str] = {
    Action.LIST_CLASSES: "lister les classes et leurs apprenants",
    Action.VIEW_DASHBOARD: "voir le tableau de bord d'un apprenant",
    Action.VIEW_CLASS_OVERVIEW: "voir la vue de la classe",
    Action.LIST_BILANS: "lister les bilans",
    Action.VIEW_BILAN: "lire un bilan",
    Action.WRITE_BILAN: "positionner, rédiger et enregistrer définitivement un bilan",
    Action.UNLOCK_BILAN: "déverrouiller un bilan définitif",
    Action.EXPORT_BILAN_PDF: "exporter le PDF d'un bilan",
    Action.EXPORT_CLASS_PDFS: "exporter les PDF d'une classe",
    Action.VIEW_MARKS: "voir les notes d'une classe",
    Action.SAVE_MARKS: "enregistrer les notes et leurs réglages",
    Action.EXPORT_MARKS: "exporter les notes (CSV, XLSX)",
    Action.VIEW_CONSEIL: "voir et exporter la vue du conseil de classe",
    Action.WRITE_CONSEIL_REMARK: "écrire les remarques du conseil de classe",
    Action.VIEW_LSL: "voir et exporter la synthèse LSL Pro",
    Action.WRITE_LSL: "renseigner la synthèse LSL Pro (degrés, PFMP, appréciation)",
    Action.SET_LSL_PERIODICITY: "choisir la périodicité des moyennes d'une classe (LSL Pro)",
    Action.VIEW_EVALUATIONS: "lister et ouvrir les évaluations",
    Action.WRITE_EVALUATIONS: "créer, modifier, supprimer une évaluation",
    Action.IMPORT_SIECLE: "importer les élèves (SIECLE)",
    Action.IMPORT_RESULTS: "importer des résultats (CSV, XLSX)",
    Action.VIEW_REFERENTIEL: "consulter et exporter le référentiel",
    Action.EDIT_REFERENTIEL: "modifier ou importer le référentiel",
    Action.MANAGE_USERS: "gérer les comptes",
    Action.VIEW_AUDIT: "consulter le journal",
    Action.MANAGE_ESTABLISHMENT: "modifier les informations de l'établissement",
    Action.EXPORT_LEARNER_DATA: "exporter toutes les données d'un apprenant (RGPD)",
    Action.ERASE_LEARNER: "effacer un apprenant et ses données (RGPD)",
}

_A, _O = Access.ALL, Access.OWN
_T, _D, _L, _M = Role.TEACHER, Role.DDFPT, Role.LEARNER, Role.ADMIN

PERMISSIONS: Mapping[Action, Mapping[Role, Access]] = {
    Action.LIST_CLASSES: {_T: _A, _D: _A, _M: _A},
    Action.VIEW_DASHBOARD: {_T: _A, _D: _A, _L: _O},
    Action.VIEW_CLASS_OVERVIEW: {_T: _A, _D: _A},
    Action.LIST_BILANS: {_T: _A, _D: _A, _L: _O},
    Action.VIEW_BILAN: {_T: _A, _D: _A, _L: _O},
    Action.WRITE_BILAN: {_T: _A, _D: _A},
    # Asked of the DDFPT in person: the unlock dialog takes a DDFPT account's password
    # (the countersignature), whoever is logged in on the computer.
    Action.UNLOCK_BILAN: {_D: _A},
    Action.EXPORT_BILAN_PDF: {_T: _A, _D: _A, _L: _O},
    Action.EXPORT_CLASS_PDFS: {_T: _A, _D: _A},
    Action.VIEW_MARKS: {_T: _A, _D: _A},
    Action.SAVE_MARKS: {_T: _A, _D: _A},
    Action.EXPORT_MARKS: {_T: _A, _D: _A},
    Action.VIEW_CONSEIL: {_T: _A, _D: _A},
    Action.WRITE_CONSEIL_REMARK: {_T: _A, _D: _A},
    Action.VIEW_LSL: {_T: _A, _D: _A},
    Action.WRITE_LSL: {_T: _A, _D: _A},
    # Set once per class for the whole establishment (the local profile owns its file).
    Action.SET_LSL_PERIODICITY: {_M: _A},
    Action.VIEW_EVALUATIONS: {_T: _A, _D: _A},
    Action.WRITE_EVALUATIONS: {_T: _A, _D: _A},
    Action.IMPORT_SIECLE: {_T: _A, _D: _A, _M: _A},
    Action.IMPORT_RESULTS: {_T: _A, _D: _A},
    Action.VIEW_REFERENTIEL: {_T: _A, _D: _A, _L: _A, _M: _A},
    Action.EDIT_REFERENTIEL: {_T: _A, _D: _A, _M: _A},
    Action.MANAGE_USERS: {_M: _A},
    Action.VIEW_AUDIT: {_D: _A, _M: _A},
    Action.MANAGE_ESTABLISHMENT: {_M: _A},
    # The right of access: the school answers it (Administrateur, DDFPT); a learner
    # reads their own livret in the app.
    Action.EXPORT_LEARNER_DATA: {_D: _A, _M: _A},
    # Erasing final bilans also needs a DDFPT's countersignature (as an unlock does).
    Action.ERASE_LEARNER: {_M: _A},
}

# The login-free local profile owns its file: it may also create the first accounts.
LOCAL_PROFILE_EXTRA: frozenset[Action] = frozenset(
    {Action.MANAGE_USERS, Action.SET_LSL_PERIODICITY}
)


def access(actor: Actor, action: Action) -> Access | None:
    """How far `actor` may do `action`: ALL, OWN (their own learner), or None."""
    if actor.local and action in LOCAL_PROFILE_EXTRA:
        return Access.ALL
    return PERMISSIONS[action].get(actor.role)


def allowed(actor: Actor, action: Action) -> bool:
    """True when the role may do the action at least on its own learner (to show a menu)."""
    return access(actor, action) is not None


def denied_message(actor: Actor, action: Action) -> str:
    label = ACTION_LABELS[action]
    de = "d'" if label[0] in "aeéèiouh" else "de "
    return f"Votre rôle ({ROLE_LABELS[actor.role]}) ne permet pas {de}{label}."


def require(actor: Actor, action: Action) -> Access:
    """The actor's access to the action, or PermissionDenied (in French)."""
    found = access(actor, action)
    if found is None:
        raise PermissionDenied(denied_message(actor, action))
    return found


def require_all(actor: Actor, action: Action) -> None:
    """The action on any learner, or on none: OWN access is not enough."""
    if access(actor, action) is not Access.ALL:
        raise PermissionDenied(denied_message(actor, action))


def require_learner(actor: Actor, action: Action, learner_id: int) -> None:
    """The action on this learner: every learner (ALL), or only one's own (OWN)."""
    found = require(actor, action)
    if found is Access.OWN and learner_id != actor.learner_id:
        raise PermissionDenied(OWN_ONLY_MESSAGE)


def require_bilan(actor: Actor, action: Action, learner_id: int, status: str) -> None:
    """The action on this bilan: with OWN access, only one's own final bilans."""
    require_learner(actor, action, learner_id)
    if access(actor, action) is Access.OWN and status != "final":
        raise PermissionDenied(OWN_ONLY_MESSAGE)


OWN_ONLY_MESSAGE = (
    "Un apprenant ne consulte que ses propres bilans définitifs et son tableau de bord."
)


def markdown_table() -> str:
    """The table as Markdown (the README shows it; a test keeps the two equal)."""
    roles = list(Role)
    lines = [
        "| action | " + " | ".join(ROLE_LABELS[role] for role in roles) + " |",
        "|---|" + "---|" * len(roles),
    ]
    for action in Action:
        cells = [PERMISSIONS[action].get(role) for role in roles]
        shown = [cell.value if cell is not None else "non" for cell in cells]
        lines.append(f"| {ACTION_LABELS[action]} | " + " | ".join(shown) + " |")
    return "\n".join(lines)
