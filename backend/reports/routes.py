"""Reports API: GET /reports/{trend,comparison,regions,funnel,evidence}?format=json|csv|xlsx|svg.

`format=csv` writes one table (`table=`, default the report's first); `xlsx` writes them all, one sheet each;
`svg` draws the report's chart with its table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Response, get
from litestar.openapi.spec import OpenAPIFormat, OpenAPIMediaType, OpenAPIResponse, OpenAPIType, Operation, Schema
from litestar.params import FromQuery

from backend.errors import InvalidInput
from backend.http import DB, CurrentActor, Now
from backend.reports import charts, export, service
from backend.reports.schemas import ComparisonReport, EvidenceReport, FunnelReport, RegionsReport, TrendReport
from backend.reports.service import Report

FORMATS = ("json", "csv", "xlsx", "svg")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# What a 200 may be besides the JSON report: the files `format=csv|xlsx|svg` asks for.
FILES = {
    "text/csv; charset=utf-8": Schema(
        type=OpenAPIType.STRING, description="one table (`table=`), UTF-8 with a BOM"
    ),
    XLSX: Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY, description="every table, one sheet each"),
    "image/svg+xml; charset=utf-8": Schema(type=OpenAPIType.STRING, description="the report's chart"),
}


@dataclass
class ReportOperation(Operation):
    """A report's operation in the OpenAPI document: its 200 lists the file formats beside the JSON."""

    def __post_init__(self) -> None:
        ok = (self.responses or {}).get("200")
        if isinstance(ok, OpenAPIResponse) and ok.content is not None:
            ok.content.update({media: OpenAPIMediaType(schema=schema) for media, schema in FILES.items()})


def render(report: Report, output: str | None, table: str | None) -> Response[Any]:
    """The report in the format asked for (JSON by default)."""
    kind = output or "json"
    if kind not in FORMATS:
        raise InvalidInput.one("format", "invalid_choice", choices=", ".join(FORMATS))
    if kind == "json":
        return Response(report.public(), media_type="application/json")
    if kind == "svg":
        return Response(charts.render(report), media_type="image/svg+xml; charset=utf-8")
    if kind == "csv":
        chosen = report.table(table)
        filename = f"{report.kind}-{chosen.name}.csv"
        return Response(
            export.to_csv(chosen),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
    return Response(
        export.to_xlsx(report.tables, report.notes),
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{report.kind}.xlsx"'},
    )


@get("/reports/trend", sync_to_thread=True, operation_class=ReportOperation)
def trend(
    db: DB,
    actor: CurrentActor,
    now: Now,
    subject_type: FromQuery[str | None] = None,
    subject_id: FromQuery[str | None] = None,
    period: FromQuery[str | None] = None,
    periods: FromQuery[int | None] = None,
    metric: FromQuery[str | None] = None,
    format: FromQuery[str | None] = None,
    table: FromQuery[str | None] = None,
) -> Response[TrendReport]:
    """Each KPI over the last `periods` periods (default 6 months) ending with `period`, against target."""
    report = service.trend(db, actor, now, subject_type, subject_id, period, periods, metric)
    return render(report, format, table)


@get("/reports/comparison", sync_to_thread=True, operation_class=ReportOperation)
def comparison(
    db: DB,
    actor: CurrentActor,
    now: Now,
    unit_id: FromQuery[str | None] = None,
    period: FromQuery[str | None] = None,
    by: FromQuery[str | None] = None,
    sort: FromQuery[str | None] = None,
    order: FromQuery[str | None] = None,
    format: FromQuery[str | None] = None,
    table: FromQuery[str | None] = None,
) -> Response[ComparisonReport]:
    """Reps (`by=rep`) or child units (`by=team`) side by side; `sort=<metric>_<actual|attainment|pace>`."""
    return render(service.comparison(db, actor, now, unit_id, period, by, sort, order), format, table)


@get("/reports/regions", sync_to_thread=True, operation_class=ReportOperation)
def regions(
    db: DB,
    actor: CurrentActor,
    now: Now,
    unit_id: FromQuery[str | None] = None,
    period: FromQuery[str | None] = None,
    format: FromQuery[str | None] = None,
    table: FromQuery[str | None] = None,
) -> Response[RegionsReport]:
    """Child units with their KPIs, customers by city, the grid by province → city, and customers' coordinates
    (tables: regions, cities, city_revenue, provinces, province_cities, points)."""
    return render(service.regions(db, actor, now, unit_id, period), format, table)


@get("/reports/funnel", sync_to_thread=True, operation_class=ReportOperation)
def funnel(
    db: DB,
    actor: CurrentActor,
    now: Now,
    subject_type: FromQuery[str | None] = None,
    subject_id: FromQuery[str | None] = None,
    period: FromQuery[str | None] = None,
    format: FromQuery[str | None] = None,
    table: FromQuery[str | None] = None,
) -> Response[FunnelReport]:
    """Counts and amounts per stage, conversion between stages, days in stage; won and lost in the period."""
    return render(service.funnel(db, actor, now, subject_type, subject_id, period), format, table)


@get("/reports/evidence", sync_to_thread=True, operation_class=ReportOperation)
def evidence(
    db: DB,
    actor: CurrentActor,
    now: Now,
    subject_type: FromQuery[str | None] = None,
    subject_id: FromQuery[str | None] = None,
    period: FromQuery[str | None] = None,
    max_distance_m: FromQuery[float | None] = None,
    format: FromQuery[str | None] = None,
    table: FromQuery[str | None] = None,
) -> Response[EvidenceReport]:
    """Per rep: distance to the customer, GPS accuracy, time on site, share of out-of-range visits, flagged
    visits; and (`table=flagged`) each flagged visit with its flags, distance and time on site in words."""
    report = service.evidence(db, actor, now, subject_type, subject_id, period, max_distance_m)
    return render(report, format, table)


ROUTES = [trend, comparison, regions, funnel, evidence]
