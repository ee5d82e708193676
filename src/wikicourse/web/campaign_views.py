"""The dashboard's campaign pages: every campaign, and one campaign's figures, wikis, courses
(sortable) and activity, with CSVs of its courses and wikis. Figures come from the campaign
document (`wikicourse campaign stats --json`), so page, CSV and API agree."""
from __future__ import annotations

from datetime import date, timedelta

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from ..campaign_stats import campaign_list, campaign_stats
from . import chart, exports
from .views import FIGURE_LABELS, render, sorted_table

router = APIRouter(include_in_schema=False)
CSVS = {"courses": exports.campaign_courses_rows, "wikis": exports.campaign_wikis_rows}
COURSE_COLUMNS = [("title", "Course", False), ("student_count", "Students", True),
                  ("article_count", "Articles", True), ("new_article_count", "New", True),
                  ("revision_count", "Revisions", True), ("character_sum", "Characters", True),
                  ("references_count", "References", True), ("character_sum_user", "User space", True),
                  ("character_sum_draft", "Drafts", True), ("last_update", "Last update", False)]


@router.get("/campaigns", response_class=HTMLResponse)
def campaigns_page(request: Request):
    return render(request, "campaigns.html", {"campaigns": campaign_list(request.app.state.engine)})


def _csv_route(kind: str) -> None:
    def download(request: Request, slug: str) -> Response:
        header, rows = CSVS[kind](campaign_stats(request.app.state.engine, slug))
        return exports.download(slug, kind, header, rows)

    router.add_api_route(f"/campaigns/{{slug:path}}/{kind}.csv", download, methods=["GET"],
                         name=f"campaign_{kind}_csv")


for _kind in CSVS:
    _csv_route(_kind)


def _charts(doc: dict) -> dict:
    """The activity charts over the span of the campaign's courses, one bar per day and wiki
    (none before a revision counts: the page says so in words)."""
    if not doc["activity"]:
        return {}
    start = min(c["start"] for c in doc["courses"])
    end = max(c["end"] for c in doc["courses"])
    days = [{**a, "start": f"{a['date']}T00:00:00Z", "needs_update": False,
             "end": f"{date.fromisoformat(a['date']) + timedelta(days=1)}T00:00:00Z"} for a in doc["activity"]]
    return {field: chart.chart(days, field, start=f"{start}T00:00:00Z", end=f"{end}T23:59:59Z",
                               svg_id=f"chart-{name}", label=label)
            for field, name, label in (("character_sum", "characters", "Characters added"),
                                       ("revision_count", "revisions", "Revisions"))} | {
        "legend": chart.legend(days)}


@router.get("/campaigns/{slug:path}", response_class=HTMLResponse)
def campaign_page(request: Request, slug: str, sort: str | None = None, dir: str | None = None):
    doc = campaign_stats(request.app.state.engine, slug)
    # Never-updated courses sort first going up, as their empty time would.
    rows = [{**c, "last_update": c["last_update"] or ""} for c in doc["courses"]]
    rows, headers = sorted_table(rows, COURSE_COLUMNS, sort, dir)
    return render(request, "campaign.html", {"campaign": doc["campaign"], "courses": rows, "headers": headers,
                                             "wikis": doc["wikis"], "charts": _charts(doc), "csvs": list(CSVS),
                                             "figure_labels": FIGURE_LABELS})
