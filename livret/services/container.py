"""The use cases of one session, built once from the open database and the logged-in actor."""

from __future__ import annotations

from dataclasses import dataclass

from livret.domain.roles import Actor
from livret.services.accounts import AccountService
from livret.services.bilan_list import BilanListService
from livret.services.bilans import BilanService
from livret.services.catalog import CatalogService
from livret.services.dashboard import DashboardService
from livret.services.database import Database
from livret.services.establishment import EstablishmentService
from livret.services.evaluations import EvaluationService
from livret.services.exports import ExportService
from livret.services.marks import MarkService
from livret.services.overview import OverviewService
from livret.services.privacy import PrivacyService
from livret.services.results_import import ResultsImportService
from livret.services.siecle_import import SiecleImportService


@dataclass(frozen=True, slots=True)
class Services:
    """Every service acts as `actor` and checks its permissions (livret.domain.permissions)."""

    database: Database
    actor: Actor
    catalog: CatalogService
    dashboards: DashboardService
    bilans: BilanService
    overviews: OverviewService
    bilan_list: BilanListService
    marks: MarkService
    exports: ExportService
    evaluations: EvaluationService
    siecle_import: SiecleImportService
    results_import: ResultsImportService
    accounts: AccountService
    establishment: EstablishmentService
    privacy: PrivacyService


def build_services(database: Database, actor: Actor) -> Services:
    """The services of a session: `actor` is who logged in (or the local profile)."""
    return Services(
        database=database,
        actor=actor,
        catalog=CatalogService(database, actor),
        dashboards=DashboardService(database, actor),
        bilans=BilanService(database, actor),
        overviews=OverviewService(database, actor),
        bilan_list=BilanListService(database, actor),
        marks=MarkService(database, actor),
        exports=ExportService(database, actor),
        evaluations=EvaluationService(database, actor),
        siecle_import=SiecleImportService(database, actor),
        results_import=ResultsImportService(database, actor),
        accounts=AccountService(database, actor),
        establishment=EstablishmentService(database, actor),
        privacy=PrivacyService(database, actor),
    )
