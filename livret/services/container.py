"""The use cases of one run, built once from the open database and handed to the windows."""

from __future__ import annotations

from dataclasses import dataclass, replace

from livret.domain.roles import Actor, Role
from livret.services.bilan_list import BilanListService
from livret.services.bilans import BilanService
from livret.services.catalog import CatalogService
from livret.services.dashboard import DashboardService
from livret.services.database import Database
from livret.services.evaluations import EvaluationService
from livret.services.exports import ExportService
from livret.services.marks import MarkService
from livret.services.overview import OverviewService
from livret.services.results_import import ResultsImportService
from livret.services.siecle_import import SiecleImportService
from livret.services.users import local_actor


@dataclass(frozen=True, slots=True)
class Services:
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

    def for_role(self, role: Role) -> Services:
        """The same services, acting as the local profile with another role."""
        actor = local_actor(self.database, role)
        return replace(
            self,
            actor=actor,
            bilans=BilanService(self.database, actor),
            marks=MarkService(self.database, actor),
            exports=ExportService(self.database, actor),
            evaluations=EvaluationService(self.database, actor),
            siecle_import=SiecleImportService(self.database, actor),
            results_import=ResultsImportService(self.database, actor),
        )


def build_services(database: Database, role: Role = Role.TEACHER) -> Services:
    actor = local_actor(database, role)
    return Services(
        database=database,
        actor=actor,
        catalog=CatalogService(database),
        dashboards=DashboardService(database),
        bilans=BilanService(database, actor),
        overviews=OverviewService(database),
        bilan_list=BilanListService(database),
        marks=MarkService(database, actor),
        exports=ExportService(database, actor),
        evaluations=EvaluationService(database, actor),
        siecle_import=SiecleImportService(database, actor),
        results_import=ResultsImportService(database, actor),
    )
