"""The command line (docs/cli.md): a thin layer over wikicourse's Python API."""
from __future__ import annotations

import functools
import logging
import sys
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Callable

import click

from . import settings
from .errors import InvalidInput, WikicourseError
from .roles import ROLES
from .terminal import escape, json_text

if TYPE_CHECKING:
    from sqlalchemy import Engine

# Each command imports what it runs, inside its function: starting one, or --help, loads
# neither the web stack, nor the workers, nor the update cycle, nor a database layer it
# does not use (tests/test_startup.py checks).


def parse_datetime(value: str) -> datetime:
    """ISO 8601; a date means its 00:00 UTC, a time without zone is UTC."""
    text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"malformed time {value!r}: use ISO 8601, e.g. 2024-01-31T12:00:00Z") from None
    return (t if t.tzinfo else t.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


class Context:
    def __init__(self, url: str | None):
        self.url = url
        self.connections: int | None = None  # a command that runs many updates at once sets it first
        self.create = True  # False: a command with nothing to do on a new database (pass_existing)
        self._engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            from .db import open_db

            self._engine = open_db(self.url, connections=self.connections, create=self.create)
        return self._engine


pass_ctx = click.make_pass_decorator(Context)


def pass_existing(command: Callable) -> Callable:
    """pass_ctx for a command that reads, or changes only what must exist already: a missing
    database is then an error, and is not created."""
    @functools.wraps(command)
    def run(ctx: Context, *args, **kwargs):
        ctx.create = False
        return command(ctx, *args, **kwargs)
    return pass_ctx(run)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", "url", envvar="WIKICOURSE_DB", metavar="URL",
              help="SQLAlchemy database URL [env WIKICOURSE_DB; default: SQLite in the user's data folder]")
@click.version_option(package_name="wikicourse")
@click.pass_context
def cli(ctx: click.Context, url: str | None) -> None:
    """Statistics of Wikimedia education courses.

    Each course's figures are kept in timeslices and kept correct as the course changes. Dates
    are YYYY-MM-DD, days in UTC; times (--as-of) are ISO 8601, UTC unless a zone is given."""
    ctx.obj = Context(url)


@cli.group()
def wiki() -> None:
    """Register the wikis courses track."""


@wiki.command("add")
@click.argument("domain")
@click.option("--api-url", help="Action API URL [default: https://DOMAIN/w/api.php]; file:/PATH for an XML export")
@click.option("--wikibase/--no-wikibase", default=None,
              help="Whether it is a Wikibase repository (Wikidata) [default: asked at its first update]")
@pass_ctx
def wiki_add(ctx: Context, domain: str, api_url: str | None, wikibase: bool | None) -> None:
    """Register a wiki by its domain."""
    from .wikis import add_wiki

    url = add_wiki(ctx.engine, domain, api_url, wikibase=wikibase)
    click.echo(escape(f"wiki {domain.lower()}: {url}"))


@wiki.command("list")
@pass_existing
def wiki_list(ctx: Context) -> None:
    """List the registered wikis."""
    from .wikis import list_wikis

    for w in list_wikis(ctx.engine):
        click.echo(f"{w['domain']}\t{escape(w['api_url'])}")


@cli.group()
def course() -> None:
    """Create and change courses."""


@course.command("create")
@click.argument("slug")
@click.option("--title", required=True, help="The course's title, as the dashboard shows it.")
@click.option("--start", required=True, metavar="DATE", help="Its first day: YYYY-MM-DD (UTC).")
@click.option("--end", required=True, metavar="DATE", help="Its last day, counted in full: YYYY-MM-DD (UTC).")
@click.option("--wiki", "wikis", multiple=True, required=True, metavar="DOMAIN",
              help="A registered wiki to track; repeat it for each wiki.")
@click.option("--timeslice-days", default=1, show_default=True, type=int, help="The length of a timeslice, in days.")
@click.option("--namespaces", "namespaces", multiple=True, metavar="DOMAIN:NS[,NS...]",
              help="The namespaces counted as articles on that wiki, by number or name (Main, Project, "
                   "Page, ...); main space by default, User and Draft always tracked besides; repeatable.")
@click.option("--uploads", is_flag=True,
              help="Count the files the students upload (docs/uploads.md): a few more requests per wiki "
                   "at each update.")
@pass_ctx
def course_create(ctx: Context, slug: str, title: str, start: str, end: str, wikis: tuple[str, ...],
                  timeslice_days: int, namespaces: tuple[str, ...], uploads: bool) -> None:
    """Create a course tracking one or more wikis."""
    from . import courses as course_api
    from .namespaces import resolve_option

    start_day = course_api.parse_date(start, "start date")
    end_day = course_api.parse_date(end, "end date")
    course_api.create_course(ctx.engine, slug, title=title, start=start_day, end=end_day, wikis=wikis,
                             timeslice_days=timeslice_days, namespaces=resolve_option(ctx.engine, namespaces))
    if uploads:
        from .uploads import count_uploads

        count_uploads(ctx.engine, slug, True)
    click.echo(f"course {slug} created; enroll students, then run `wikicourse update {slug}`")


@course.command("edit")
@click.argument("slug")
@click.option("--start", metavar="DATE", help="A new first day: YYYY-MM-DD (UTC).")
@click.option("--end", metavar="DATE", help="A new last day: YYYY-MM-DD (UTC).")
@click.option("--add-wiki", multiple=True, metavar="DOMAIN", help="Track this registered wiki too; repeatable.")
@click.option("--remove-wiki", multiple=True, metavar="DOMAIN",
              help="Stop tracking this wiki (its edits stop counting); repeatable.")
@click.option("--timeslice-days", type=int, help="New timeslice length (the next update rebuilds the windows from the stored revisions).")
@click.option("--namespaces", "namespaces", multiple=True, metavar="DOMAIN:NS[,NS...]",
              help="The namespaces counted as articles on that wiki, by number or name (Main, Project, "
                   "Page, ...); the next update re-derives the figures, fetching only what the store lacks; User and Draft always tracked besides; repeatable.")
@click.option("--uploads/--no-uploads", default=None,
              help="Count the files the students upload, or stop (the next update adjusts the figures).")
@pass_existing
def course_edit(ctx: Context, slug: str, start: str | None, end: str | None, add_wiki: tuple[str, ...],
                remove_wiki: tuple[str, ...], timeslice_days: int | None, namespaces: tuple[str, ...],
                uploads: bool | None) -> None:
    """Change a course's dates, wikis or namespaces.

    The next update adjusts its statistics. Says what changed; with values the course already
    has, says "nothing to change", writes nothing and exits 0; with no option at all, it is an
    error (exit 1)."""
    from . import courses as course_api

    from .namespaces import resolve_option

    if not (start or end or add_wiki or remove_wiki or timeslice_days is not None or namespaces
            or uploads is not None):
        raise InvalidInput("nothing to change: give --start, --end, --add-wiki, --remove-wiki, --timeslice-days, "
                           "--namespaces or --uploads")
    start_day = course_api.parse_date(start, "start date") if start else None
    end_day = course_api.parse_date(end, "end date") if end else None
    changes = course_api.edit_course(
        ctx.engine, slug, start=start_day, end=end_day,
        add_wikis=add_wiki, remove_wikis=remove_wiki, timeslice_days=timeslice_days,
        namespaces=resolve_option(ctx.engine, namespaces))
    described = changes.describe()
    if uploads is not None:
        from .uploads import count_uploads

        if count_uploads(ctx.engine, slug, uploads):
            described.append("uploads counted" if uploads else "uploads no longer counted")
    if not described:
        click.echo(f"course {slug}: nothing to change (it already has those values)")
    else:
        click.echo(f"course {slug} changed: {'; '.join(described)}; the next update adjusts its statistics")


@course.command("list")
@click.option("--search", metavar="TEXT", help="Only courses with TEXT in their title or slug (case- and accent-blind).")
@click.option("--wiki", metavar="DOMAIN", help="Only courses tracking this wiki.")
@click.option("--state", metavar="STATE", help="Only running, ended or upcoming courses (today, UTC).")
@click.option("--sort", metavar="FIELD",
              help="title, start, end, students, edits, characters, articles or last_update [default: start].")
@click.option("--desc/--asc", "descending", default=None,
              help="Order [default: A to Z for titles, else largest or newest first].")
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
@pass_existing
def course_list(ctx: Context, search: str | None, wiki: str | None, state: str | None, sort: str | None,
                descending: bool | None, as_json: bool) -> None:
    """List, search and sort the courses.

    Each course with its dates, state and headline figures."""
    from .listing import list_courses, render_courses

    found = list_courses(ctx.engine, search=search, wiki=wiki, state=state, sort=sort, descending=descending,
                         limit=None)
    click.echo(json_text(found) if as_json else render_courses(found))


@cli.command()
@click.argument("slug")
@click.argument("usernames", nargs=-1, required=True)
@click.option("--role", type=click.Choice(ROLES), default="student", show_default=True,
              help="Only students' edits count; instructors and staff are listed.")
@pass_ctx
def enroll(ctx: Context, slug: str, usernames: tuple[str, ...], role: str) -> None:
    """Enroll users in a course, or change a role.

    Usernames are checked against the course's wikis. Only students' edits count: a role
    change says what it does to the figures; a user already enrolled in that role is said so,
    and nothing changes (exit 0)."""
    from .courses import enroll as enroll_users

    changes = enroll_users(ctx.engine, slug, usernames, role)
    if new := [c.username for c in changes if c.before is None]:
        click.echo(escape(f"enrolled in {slug} as {role}: {', '.join(new)}"))
    for c in changes:  # a role changed, or none: said user by user
        if c.before is not None:
            click.echo(escape(c.describe()))


@cli.command()
@click.argument("slug")
@click.argument("usernames", nargs=-1, required=True)
@click.option("--dry-run", is_flag=True,
              help="Change nothing: print what each course figure would become at the next update.")
@pass_existing
def disenroll(ctx: Context, slug: str, usernames: tuple[str, ...], dry_run: bool) -> None:
    """Remove users from a course.

    A student's edits stop counting at the next update; an instructor's or staff's never
    counted."""
    if dry_run:
        from .removal import removal_preview, render_preview

        click.echo(render_preview(removal_preview(ctx.engine, slug, usernames)))
        return
    from .courses import disenroll as disenroll_users

    changes = disenroll_users(ctx.engine, slug, usernames)
    if students := [c.username for c in changes if c.before == "student"]:
        click.echo(escape(f"removed from {slug}: {', '.join(students)} (their edits stop counting at the next update)"))
    if staff := [f"{c.username} ({c.before})" for c in changes if c.before != "student"]:
        click.echo(escape(f"removed from {slug}: {', '.join(staff)} (listed only: their edits never counted)"))


@cli.group()
def campaign() -> None:
    """Group courses into campaigns, counted as one."""


@campaign.command("create")
@click.argument("slug")
@click.option("--title", required=True, help="The campaign's title, as the dashboard shows it.")
@pass_ctx
def campaign_create(ctx: Context, slug: str, title: str) -> None:
    """Create an empty campaign."""
    from .campaigns import create_campaign

    create_campaign(ctx.engine, slug, title=title)
    click.echo(f"campaign {slug} created; add courses with `wikicourse campaign add {slug} COURSE...`")


@campaign.command("add")
@click.argument("slug")
@click.argument("course_slugs", nargs=-1, required=True)
@pass_existing
def campaign_add(ctx: Context, slug: str, course_slugs: tuple[str, ...]) -> None:
    """Put courses in a campaign.

    A course may be in several campaigns."""
    from .campaigns import add_courses

    added = add_courses(ctx.engine, slug, course_slugs)
    click.echo(f"added to {slug}: {', '.join(added)}" if added else f"already in {slug}: nothing to add")


@campaign.command("remove")
@click.argument("slug")
@click.argument("course_slugs", nargs=-1, required=True)
@pass_existing
def campaign_remove(ctx: Context, slug: str, course_slugs: tuple[str, ...]) -> None:
    """Take courses out of a campaign.

    The courses themselves stay."""
    from .campaigns import remove_courses

    click.echo(f"removed from {slug}: {', '.join(remove_courses(ctx.engine, slug, course_slugs))}")


@campaign.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
@pass_existing
def campaign_list(ctx: Context, as_json: bool) -> None:
    """List every campaign with its figures.

    Each campaign with its number of courses and its figures."""
    from .campaign_stats import campaign_list as listing
    from .report import render_campaigns

    found = listing(ctx.engine)
    click.echo(json_text(found) if as_json else render_campaigns(found))


@campaign.command("stats")
@click.argument("slug")
@click.option("--json", "as_json", is_flag=True, help="Print the whole document as JSON.")
@click.option("--until", metavar="DATE", help="Count only revisions of that day or earlier: YYYY-MM-DD (UTC).")
@pass_existing
def campaign_stats(ctx: Context, slug: str, as_json: bool, until: str | None) -> None:
    """Show a campaign's figures, then its courses'.

    The campaign's figures count each revision once, however many of its courses count it."""
    from .campaign_stats import campaign_stats as stats_of
    from .courses import parse_date
    from .report import render_campaign

    doc = stats_of(ctx.engine, slug, parse_date(until, "--until date") if until else None)
    click.echo(json_text(doc) if as_json else render_campaign(doc))


UPDATE_PARTIAL = 3  # `update`'s exit status when a wiki failed (documented in its --help and README.md)

grace_option = click.option(
    "--grace-days", default=settings.grace_days, show_default=f"{settings.GRACE_DAYS}, or $WIKICOURSE_GRACE_DAYS",
    type=click.IntRange(0), help="Keep following the wikis' past this many days after a course's end.")


@cli.command()
@click.argument("slug")
@click.option("--full", is_flag=True, help="Rebuild from scratch: recreate the timeslices, re-fetch everything.")
@click.option("--as-of", metavar="DATETIME",
              help="Fix the clock: nothing after it is fetched. ISO 8601, e.g. 2024-01-31T12:00:00Z "
                   "(UTC unless a zone is given; a date alone is its 00:00).")
@click.option("--progress/--no-progress", default=None,
              help="Show the update's progress on stderr [default: when stderr is a terminal].")
@grace_option
@pass_existing
def update(ctx: Context, slug: str, full: bool, as_of: str | None, progress: bool | None, grace_days: int) -> None:
    """Bring a course's statistics up to date.

    Fetches only what is new, and follows the wikis' past (moves, deletions, restores, hidden
    revisions, renames) until the grace period after the course's end.

    \b
    Exit status:
      0  done
      1  refused (unknown course, bad input, another update running) or failed
      3  partial: a wiki failed (named by its domain on stderr); what the others
         gave counts, and the next update fetches the rest"""
    from .changes import label, summarize
    from .update.cycle import update_course

    when = parse_datetime(as_of) if as_of else None
    show = sys.stderr.isatty() if progress is None else progress
    report = update_course(ctx.engine, slug, full=full, as_of=when, on_progress=_show_progress if show else None,
                           grace_days=grace_days)
    click.echo(f"{slug}: {report.status}, as of {report.as_of:%Y-%m-%d %H:%M:%S}Z; "
               f"{report.revisions} revisions fetched in {report.requests} requests")
    for field, (old, new) in report.figures.items():
        click.echo(f"  {field}: {old} -> {new}")
    up = report.uploads
    if up.requests:
        click.echo(f"  uploads: {up.log_reads} upload logs read, usage of {up.refreshed} files read "
                   f"({up.usage_changed} changed), in {up.requests} of the requests")
    for line in summarize([{"label": label(r["kind"]), "subject": "", "detail": "", "count": 0, **r}
                           for r in report.reasons]):
        click.echo(f"  why: {escape(line['text'])}")
    if not report.followed:
        click.echo(f"  the course ended over {grace_days} days ago: changes to the wikis' past no longer followed "
                   "(--grace-days, or --full to rebuild)")
    for err in report.errors:
        click.echo(f"  not done, retried at the next update: {escape(err)}", err=True)
    if report.status == "partial":
        sys.exit(UPDATE_PARTIAL)  # for cron and CI: the figures lack what a wiki did not give


def _reason(exc: BaseException) -> str:
    """An exception's first line (a database error's own, not SQLAlchemy's wrapping), or its kind."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _show_progress(p) -> None:
    counts = f" {p.done:,}/{p.total:,} students on wikis," if p.total else ""
    click.echo(f"  {p.step}:{counts} {p.revisions:,} revisions", err=True)


@cli.command()
@click.argument("slug")
@click.option("--json", "as_json", is_flag=True, help="Print the course document as JSON (docs/json.md).")
@click.option("--until", metavar="DATE",
              help="The figures as of the end of DATE (23:59:59 UTC), from the stored timeslices: YYYY-MM-DD.")
@click.option("--per-wiki", is_flag=True, help="Only the course figures split by wiki (with --json: {\"wikis\": [...]}).")
@pass_existing
def stats(ctx: Context, slug: str, as_json: bool, until: str | None, per_wiki: bool) -> None:
    """Show a course's statistics."""
    from .courses import parse_date

    day = parse_date(until, "--until date") if until is not None else None
    if per_wiki:
        from .stats import per_wiki as split

        if day is not None:
            raise InvalidInput("--per-wiki counts every stored window: it takes no --until")
        rows = split(ctx.engine, slug)
        if as_json:
            click.echo(json_text({"wikis": rows}))
            return
        from .report import render_per_wiki

        click.echo(render_per_wiki(slug, rows))
        return
    from .stats import course_stats

    doc = course_stats(ctx.engine, slug, until=day)
    if as_json:
        click.echo(json_text(doc))
        return
    from .report import render

    click.echo(render(doc))


@cli.command()
@click.argument("slug")
@click.option("--limit", default=20, show_default=True, type=int, help="How many runs to list.")
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
@pass_existing
def changes(ctx: Context, slug: str, limit: int, as_json: bool) -> None:
    """Explain why a course's figures moved.

    Each recent update's moved figures, before and after, and their reasons."""
    from .changes import course_changes, render

    found = course_changes(ctx.engine, slug, limit)
    click.echo(json_text(found) if as_json else render(slug, found))


sort_option = click.option("--sort", default="timestamp", show_default=True,
                           help="timestamp, wiki, title, namespace, characters, references, new or rev_id "
                                "(username too for an article)")
dir_option = click.option("--dir", "direction", type=click.Choice(["asc", "desc"]),
                          help="[default: newest or largest first, text A to Z]")
page_option = click.option("--page", default=1, show_default=True, type=int, help="Which page of revisions.")
per_page_option = click.option("--per-page", default=50, show_default=True, type=int, help="Revisions per page.")


@cli.command()
@click.argument("slug")
@click.argument("username")
@sort_option
@dir_option
@page_option
@per_page_option
@click.option("--json", "as_json", is_flag=True, help="Print the drill-down as JSON.")
@pass_existing
def student(ctx: Context, slug: str, username: str, sort: str, direction: str | None, page: int, per_page: int,
            as_json: bool) -> None:
    """Show a student's counted revisions.

    Each revision the course counts (with its diff link), their pages and their figures per wiki."""
    from .drilldowns import Paging, student_drilldown

    doc = student_drilldown(ctx.engine, slug, username, Paging(sort, direction, page, per_page))
    if as_json:
        click.echo(json_text(doc))
        return
    from .drilldown_report import render_student

    click.echo(render_student(doc))


@cli.command()
@click.argument("slug")
@click.argument("article_id", type=int)
@sort_option
@dir_option
@page_option
@per_page_option
@click.option("--json", "as_json", is_flag=True, help="Print the drill-down as JSON.")
@pass_existing
def article(ctx: Context, slug: str, article_id: int, sort: str, direction: str | None, page: int, per_page: int,
            as_json: bool) -> None:
    """Show an article's counted revisions.

    Its revisions the course counts, its editors and its figures per window (ARTICLE_ID: as
    `student` and `recent` list them)."""
    from .drilldowns import Paging, article_drilldown

    doc = article_drilldown(ctx.engine, slug, article_id, Paging(sort, direction, page, per_page))
    if as_json:
        click.echo(json_text(doc))
        return
    from .drilldown_report import render_article

    click.echo(render_article(doc))


@cli.command()
@click.argument("slug")
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON (docs/uploads.md).")
@pass_existing
def uploads(ctx: Context, slug: str, as_json: bool) -> None:
    """Show the files a course's students uploaded.

    The new files the upload figures count, newest first, with their usage as last read
    from the wiki, and the deleted ones (which count nowhere)."""
    from .uploads import course_uploads_list

    doc = course_uploads_list(ctx.engine, slug)
    if as_json:
        click.echo(json_text(doc))
        return
    from .report import render_uploads

    click.echo(render_uploads(doc))


@cli.command()
@click.argument("slug")
@click.option("--limit", default=20, show_default=True, type=int, help="How many revisions to list.")
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
@pass_existing
def recent(ctx: Context, slug: str, limit: int, as_json: bool) -> None:
    """Show a course's latest counted edits.

    The revisions the course counts, newest first."""
    from .drilldowns import recent_activity

    doc = recent_activity(ctx.engine, slug, limit)
    if as_json:
        click.echo(json_text(doc))
        return
    from .drilldown_report import render_recent

    click.echo(render_recent(doc))


def _redis_url(_ctx, _param, url: str | None) -> str | None:
    """A URL Redis's client can connect to: its scheme and port checked before anything starts."""
    from urllib.parse import urlparse

    from .redact import without_credentials

    if url is None:
        return url
    try:
        parts = urlparse(url)
        parts.port  # a port that is no number, or out of range, raises
        if parts.scheme not in ("redis", "rediss", "unix"):
            raise ValueError("redis://, rediss:// or unix://")
    except ValueError as exc:
        raise click.BadParameter(f"not a Redis URL: {without_credentials(url)!r} ({exc})") from None
    return url


redis_option = click.option("--redis", "redis_url", envvar="WIKICOURSE_REDIS", metavar="URL",
                            default="redis://127.0.0.1:6379/0", show_default=True, callback=_redis_url,
                            help="The workers' broker [env WIKICOURSE_REDIS]")


@cli.command()
@redis_option
@click.option("--queues", default="short,medium,long", show_default=True,
              help="Queues to take updates from, comma-separated.")
@click.option("--threads", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Updates this worker runs at once.")
@click.option("--wiki-interval", default=0.0, show_default=True, type=click.FloatRange(0, 60),
              help="Seconds between two requests to one wiki, across all workers.")
@click.option("--log-max-age", default=60.0, show_default=True, type=click.FloatRange(0),
              help="Seconds a wiki's log, read by one course's update, serves the others on the wiki.")
@click.option("--round-age", default=300.0, show_default=True, type=click.FloatRange(0),
              help="Seconds an update round (every followed student of a wiki read at once) serves the "
                   "courses updated after it, which then count as of its time; 0: each course reads its own.")
@click.option("--log-format", type=click.Choice(["json", "text"]), default="json", show_default=True)
@pass_ctx
def worker(ctx: Context, redis_url: str, queues: str, threads: int, wiki_interval: float, log_max_age: float,
           round_age: float, log_format: str) -> None:
    """Run course updates from the queues.

    Runs until stopped; SIGTERM lets the running updates finish."""
    from . import logs
    from .workers.broker import QUEUES
    from .workers.worker import run_worker

    wanted = [q.strip() for q in queues.split(",") if q.strip()]
    if not wanted or set(wanted) - set(QUEUES):
        raise InvalidInput(f"--queues: choose among {', '.join(QUEUES)}")
    settings.broker()  # a bad setting is refused before the worker starts
    logs.setup(json_lines=log_format == "json")
    # Each update holds a connection, one per wiki it fetches from, and one for its heartbeat.
    ctx.connections = max(10, threads * 6)
    run_worker(ctx.engine, redis_url, wanted, threads=threads, interval=wiki_interval, log_max_age=log_max_age,
               round_age=round_age)


@cli.command()
@redis_option
@click.argument("slugs", nargs=-1)
@click.option("--every", type=click.FloatRange(1), metavar="SECONDS",
              help="Go on scheduling, every SECONDS, until stopped.")
@grace_option
@pass_ctx
def schedule(ctx: Context, redis_url: str, slugs: tuple[str, ...], every: float | None, grace_days: int) -> None:
    """Queue updates of the courses that need one.

    Every course that needs an update, or the courses SLUGS, each on a queue chosen by its cost."""
    import time

    from redis.exceptions import RedisError
    from sqlalchemy.exc import SQLAlchemyError

    from .workers.schedule import schedule_updates

    settings.broker()  # a bad setting is refused at once, not only once a course is due
    while True:
        try:
            for line in schedule_updates(ctx.engine, redis_url, grace_days, list(slugs) or None):
                click.echo(line)
        except (RedisError, SQLAlchemyError) as exc:
            if every is None:
                raise
            # A scheduler left running outlives a database or broker that is down for a while.
            click.echo(f"error: {escape(_reason(exc))}; trying again in {every:g} s", err=True)
        if every is None:
            return
        time.sleep(every)


@cli.command()
@redis_option
@pass_existing
def status(ctx: Context, redis_url: str) -> None:
    """Show the queues and the updates' state.

    The queues, the running and failed updates, and each course's last update."""
    from .workers.status import render_status

    click.echo(render_status(ctx.engine, redis_url))


@cli.command()
@click.argument("slug")
@pass_existing
def unlock(ctx: Context, slug: str) -> None:
    """Release a course's update lock.

    Closes its running update as interrupted and says what it released: the holder (host and
    pid), since when it held the lock, its last heartbeat. The next update resumes from the last
    checkpoint; a holder still running stops at its next progress write. A course not locked is
    said so (exit 0)."""
    from .clock import now_utc
    from .update.runs import release_lock

    held = release_lock(ctx.engine, slug)
    if held is None:
        click.echo(f"course {slug}: not locked (no update is running)")
        return
    beat = held["heartbeat_at"]
    click.echo(f"course {slug}: update lock released (run {held['run']}, now interrupted)\n"
               f"  holder: {held['holder']} (host {held['host'] or '?'}, pid {held['pid'] or '?'})\n"
               f"  since: {held['started_at']:%Y-%m-%d %H:%M:%S}Z\n"
               f"  last heartbeat: " + (f"{beat:%Y-%m-%d %H:%M:%S}Z ({(now_utc() - beat).total_seconds():.0f} s ago)"
                                        if beat else "none"))


@cli.group()
def token() -> None:
    """Access tokens for the web actions.

    A token's secret is shown once, when it is created; only its hash is stored."""


@token.command("create")
@click.argument("label")
@click.option("--admin", is_flag=True, help="Act on every course.")
@click.option("--user", "username", metavar="USERNAME",
              help="An instructor's wiki username: act on the courses where they are instructor or staff.")
@pass_ctx
def token_create(ctx: Context, label: str, admin: bool, username: str | None) -> None:
    """Create a token and show its secret once.

    The secret alone goes to stdout; its number, label and role, and the reminder that it is
    shown once, to stderr."""
    from .tokens import issue_token

    if admin == bool(username):
        raise InvalidInput("give either --admin or --user USERNAME")
    made = issue_token(ctx.engine, label, role="admin" if admin else "instructor", username=username)
    scope = "every course" if made.role == "admin" else f"the courses where {made.username} is instructor or staff"
    # The secret alone on stdout, so that `$(wikicourse token create ...)` captures just it.
    click.echo(f"token #{made.id} {made.label!r}: {made.role}, acts on {scope}", err=True)
    click.echo(made.secret)
    click.echo("(the secret above is shown this once: give it to its holder; only its hash is kept)", err=True)


@token.command("list")
@pass_existing
def token_list(ctx: Context) -> None:
    """List tokens (never their secrets)."""
    from .tokens import list_tokens

    for t in list_tokens(ctx.engine):
        state = f"revoked {t['revoked_at']:%Y-%m-%d}" if t["revoked_at"] else "active"
        used = f"{t['last_used_at']:%Y-%m-%d %H:%M}Z" if t["last_used_at"] else "never"
        label, who = escape(t["label"]), escape(t["username"] or "-")
        click.echo(f"#{t['id']}\t{label}\t{t['role']}\t{who}\t{state}\tlast used {used}")


@token.command("revoke")
@click.argument("token_id", type=int)
@pass_existing
def token_revoke(ctx: Context, token_id: int) -> None:
    """Revoke a token by its number.

    Its number is the one `token list` shows."""
    from .tokens import revoke_token

    revoke_token(ctx.engine, token_id)
    click.echo(f"token #{token_id} revoked")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="The port to listen on (0: any free one).")
@click.option("--redis", "redis_url", metavar="URL", callback=_redis_url,
              help="Where workers run: queue the updates started here for them (else they run in this process).")
@click.option("--access-log", is_flag=True, help="Log each request on stdout (off by default).")
@click.option("--forwarded-allow-ips", envvar="WIKICOURSE_FORWARDED_ALLOW_IPS", default="127.0.0.1",
              show_default=True, metavar="IPS",
              help="The reverse proxies whose X-Forwarded-Proto and -For headers are believed: addresses or "
                   "networks, comma-separated ('*': any) [env WIKICOURSE_FORWARDED_ALLOW_IPS]")
@pass_existing
def serve(ctx: Context, host: str, port: int, redis_url: str | None, access_log: bool,
          forwarded_allow_ips: str) -> None:
    """Serve the dashboard and the HTTP API.

    The API's description is at /docs.
    A port in use is a one-line error and exit status 1."""
    from . import logs
    from .web import create_app
    from .web.serving import address, listen, run, trusted_proxies

    proxies = trusted_proxies(forwarded_allow_ips)
    app = create_app(ctx.engine, redis_url=redis_url)
    sock = listen(host, port)
    click.echo(f"serving {address(sock)} (Ctrl-C stops)", err=True)
    logs.setup(json_lines=False, level=logging.WARNING)  # its warnings may quote a wiki or a URL: escaped
    run(app, sock, access_log=access_log, forwarded_allow_ips=proxies)


def main() -> None:
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.NoArgsIsHelpError as exc:  # bare `wikicourse`: the help is the answer
        click.echo(exc.ctx.get_help() if exc.ctx else exc.format_message())
        sys.exit(0)
    except click.ClickException as exc:  # usage errors too: one line, no usage banner
        click.echo(f"error: {escape(exc.format_message())}", err=True)
        sys.exit(exc.exit_code)
    except click.Abort:
        click.echo("aborted", err=True)
        sys.exit(1)
    except WikicourseError as exc:  # its text may quote a wiki's or a user's: kept to one line
        click.echo(f"error: {escape(str(exc))}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("interrupted: the next update resumes where this one stopped", err=True)
        sys.exit(130)
    except Exception as exc:
        if _raised_by(exc, "redis.exceptions", "RedisError"):
            click.echo(f"error: the workers' broker (Redis): {escape(_reason(exc))}", err=True)
        elif _raised_by(exc, "sqlalchemy.exc", "SQLAlchemyError"):
            click.echo(f"error: database: {escape(_reason(exc))}", err=True)
        else:
            raise
        sys.exit(1)


def _raised_by(exc: Exception, module: str, name: str) -> bool:
    """isinstance(exc, module.name), without importing `module` to find out: an exception
    cannot be of a class from a library this process never imported."""
    loaded = sys.modules.get(module)
    return loaded is not None and isinstance(exc, getattr(loaded, name))
