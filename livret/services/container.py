"""The use cases of one session, built once from the open database and the logged-in actor.

Each service is built (and its module imported) the first time it is used: the PDF,
import, account and privacy services bring reportlab, openpyxl, defusedxml or argon2,
none of which the first window needs.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from livret.domain.roles import Actor
from livret.services.database import Database

if TYPE_CHECKING:
    from livret.services.accounts import AccountService
    from livret.services.bilan_list import BilanListService
    from livret.services.bilans import BilanService
    from livret.services.catalog import CatalogService
    from livret.services.conseil import ConseilService
    from livret.services.dashboard import DashboardService
    from livret.services.establishment import EstablishmentService
    from livret.services.evaluations import EvaluationService
    from livret.services.exports import ExportService
    from livret.services.lsl import LslService
    from livret.services.marks import MarkService
    from livret.services.overview import OverviewService
    from livret.services.privacy import PrivacyService
    from livret.services.results_import import ResultsImportService
    from livret.services.siecle_import import SiecleImportService

S = TypeVar("S")


class _Service(Generic[S]):
    """A field of Services: the service given, or built from "module:Class" when first read."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, instance: None, owner: type) -> _Service[S]: ...

    @overload
    def __get__(self, instance: Services, owner: type) -> S: ...

    def __get__(self, instance: Services | None, owner: type) -> _Service[S] | S:
        if instance is None:
            return self  # the dataclass field's default: "build it when asked"
        built: S | None = instance.__dict__.get(self._name)
        if built is None:
            module, name = self.path.split(":")
            factory: Any = getattr(importlib.import_module(module), name)
            built = factory(instance.database, instance.actor)
            instance.__dict__[self._name] = built
        return built

    def __set__(self, instance: Services, value: S | _Service[S]) -> None:
        if value is not self:  # a service handed in (tests) stands instead
            instance.__dict__[self._name] = value


@dataclass(frozen=True)
class Services:
    """Every service acts as `actor` and checks its permissions (livret.domain.permissions)."""

    database: Database
    actor: Actor
    catalog: _Service[CatalogService] = _Service("livret.services.catalog:CatalogService")
    dashboards: _Service[DashboardService] = _Service("livret.services.dashboard:DashboardService")
    bilans: _Service[BilanService] = _Service("livret.services.bilans:BilanService")
    overviews: _Service[OverviewService] = _Service("livret.services.overview:OverviewService")
    bilan_list: _Service[BilanListService] = _Service("livret.services.bilan_list:BilanListService")
    marks: _Service[MarkService] = _Service("livret.services.marks:MarkService")
    exports: _Service[ExportService] = _Service("livret.services.exports:ExportService")
    evaluations: _Service[EvaluationService] = _Service(
        "livret.services.evaluations:EvaluationService"
    )
    siecle_import: _Service[SiecleImportService] = _Service(
        "livret.services.siecle_import:SiecleImportService"
    )
    results_import: _Service[ResultsImportService] = _Service(
        "livret.services.results_import:ResultsImportService"
    )
    accounts: _Service[AccountService] = _Service("livret.services.accounts:AccountService")
    establishment: _Service[EstablishmentService] = _Service(
        "livret.services.establishment:EstablishmentService"
    )
    privacy: _Service[PrivacyService] = _Service("livret.services.privacy:PrivacyService")
    lsl: _Service[LslService] = _Service("livret.services.lsl:LslService")
    conseil: _Service[ConseilService] = _Service("livret.services.conseil:ConseilService")


def build_services(database: Database, actor: Actor) -> Services:
    """The services of a session: `actor` is who logged in (or the local profile)."""
    return Services(database=database, actor=actor)
