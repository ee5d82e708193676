"""The command line of SPEC §5: a thin layer over wikicourse's Python API."""
from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from typing import TYPE_CHECKING

import click

from . import settings
from .errors import InvalidInput, WikicourseError
from .roles import ROLES

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
        self._engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            from .db import open_db

            self._engine = open_db(self.url, connections=self.connections)
        return self._engine


pass_ctx = click.make_pass_decorator(Context)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", "url", envvar="WIKICOURSE_DB", metavar="URL",
              help="SQLAlchemy database URL [env WIKICOURSE_DB; default: SQLite in the user's data folder]")
@click.version_option(package_name="wikicourse")
@click.pass_context
def cli(ctx: click.Context, url: str | None) -> None:
    """Course statistics for Wikimedia education programs, kept in timeslices."""
    ctx.obj = Context(url)


@cli.group()
def wiki() -> None:
    """Register the wikis courses track."""


@wiki.command("add")
@click.argument("domain")
@click.option("--api-url", help="Action API URL [default: https://DOMAIN/w/api.php]; file:/PATH for an XML export")
@pass_ctx
def wiki_add(ctx: Context, domain: str, api_url: str | None) -> None:
    """Register a wiki by its domain."""
    from .wikis import add_wiki

    url = add_wiki(ctx.engine, domain, api_url)
    click.echo(f"wiki {domain.lower()}: {url}")


@wiki.command("list")
@pass_ctx
def wiki_list(ctx: Context) -> None:
    """List the registered wikis."""
    from sqlalchemy import select

    from .wikis import wikis as wikis_table

    with ctx.engine.connect() as conn:
        for domain, url in conn.execute(select(wikis_table.c.domain, wikis_table.c.api_url)
                                        .order_by(wikis_table.c.domain)):
            click.echo(f"{domain}\t{url}")


@cli.group()
def course() -> None:
    """Create and change courses."""


@course.command("create")
@click.argument("slug")
@click.option("--title", required=True)
@click.option("--start", required=True, metavar="DATE")
@click.option("--end", required=True, metavar="DATE")
@click.option("--wiki", "wikis", multiple=True, required=True, metavar="DOMAIN")
@click.option("--timeslice-days", default=1, show_default=True, type=int)
@pass_ctx
def course_create(ctx: Context, slug: str, title: str, start: str, end: str, wikis: tuple[str, ...],
                  timeslice_days: int) -> None:
    """Create a course tracking one or more wikis."""
    from . import courses as course_api

    course_api.create_course(ctx.engine, slug, title=title, start=course_api.parse_date(start, "start date"),
                             end=course_api.parse_date(end, "end date"), wikis=wikis,
                             timeslice_days=timeslice_days)
    click.echo(f"course {slug} created; enroll students, then run `wikicourse update {slug}`")


@course.command("edit")
@click.argument("slug")
@click.option("--start", metavar="DATE")
@click.option("--end", metavar="DATE")
@click.option("--add-wiki", multiple=True, metavar="DOMAIN")
@click.option("--remove-wiki", multiple=True, metavar="DOMAIN")
@click.option("--timeslice-days", type=int, help="New timeslice length (the next update rebuilds the windows from the stored revisions).")
@pass_ctx
def course_edit(ctx: Context, slug: str, start: str | None, end: str | None, add_wiki: tuple[str, ...],
                remove_wiki: tuple[str, ...], timeslice_days: int | None) -> None:
    """Change a course's dates, wikis or timeslice length; the next update adjusts its statistics."""
    from . import courses as course_api

    course_api.edit_course(
        ctx.engine, slug,
        start=course_api.parse_date(start, "start date") if start else None,
        end=course_api.parse_date(end, "end date") if end else None,
        add_wikis=add_wiki, remove_wikis=remove_wiki, timeslice_days=timeslice_days)
    click.echo(f"course {slug} changed; the next update adjusts its statistics")


@cli.command()
@click.argument("slug")
@click.argument("usernames", nargs=-1, required=True)
@click.option("--role", type=click.Choice(ROLES), default="student", show_default=True)
@pass_ctx
def enroll(ctx: Context, slug: str, usernames: tuple[str, ...], role: str) -> None:
    """Enroll users (checked against the course's wikis)."""
    from .courses import enroll as enroll_users

    names = enroll_users(ctx.engine, slug, usernames, role)
    click.echo(f"enrolled in {slug} as {role}: {', '.join(names)}")


@cli.command()
@click.argument("slug")
@click.argument("usernames", nargs=-1, required=True)
@pass_ctx
def disenroll(ctx: Context, slug: str, usernames: tuple[str, ...]) -> None:
    """Remove users from a course; their edits stop counting at the next update."""
    from .courses import disenroll as disenroll_users

    names = disenroll_users(ctx.engine, slug, usernames)
    click.echo(f"removed from {slug}: {', '.join(names)} (their edits stop counting at the next update)")


@cli.group()
def campaign() -> None:
    """Group courses into campaigns, counted as one."""


@campaign.command("create")
@click.argument("slug")
@click.option("--title", required=True)
@pass_ctx
def campaign_create(ctx: Context, slug: str, title: str) -> None:
    """Create an empty campaign."""
    from .campaigns import create_campaign

    create_campaign(ctx.engine, slug, title=title)
    click.echo(f"campaign {slug} created; add courses with `wikicourse campaign add {slug} COURSE...`")


@campaign.command("add")
@click.argument("slug")
@click.argument("course_slugs", nargs=-1, required=True)
@pass_ctx
def campaign_add(ctx: Context, slug: str, course_slugs: tuple[str, ...]) -> None:
    """Put courses in a campaign (a course may be in several)."""
    from .campaigns import add_courses

    added = add_courses(ctx.engine, slug, course_slugs)
    click.echo(f"added to {slug}: {', '.join(added)}" if added else f"already in {slug}: nothing to add")


@campaign.command("remove")
@click.argument("slug")
@click.argument("course_slugs", nargs=-1, required=True)
@pass_ctx
def campaign_remove(ctx: Context, slug: str, course_slugs: tuple[str, ...]) -> None:
    """Take courses out of a campaign (the courses themselves stay)."""
    from .campaigns import remove_courses

    click.echo(f"removed from {slug}: {', '.join(remove_courses(ctx.engine, slug, course_slugs))}")


@campaign.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
@pass_ctx
def campaign_list(ctx: Context, as_json: bool) -> None:
    """Every campaign with its number of courses and its figures."""
    from .campaign_stats import campaign_list as listing
    from .report import render_campaigns

    found = listing(ctx.engine)
    click.echo(json.dumps(found, indent=1, ensure_ascii=False) if as_json else render_campaigns(found))


@campaign.command("stats")
@click.argument("slug")
@click.option("--json", "as_json", is_flag=True, help="Print the whole document as JSON.")
@click.option("--until", metavar="DATE", help="Count only revisions of that day (UTC) or earlier.")
@pass_ctx
def campaign_stats(ctx: Context, slug: str, as_json: bool, until: str | None) -> None:
    """A campaign's figures (each revision counted once), then its courses' own."""
    from .campaign_stats import campaign_stats as stats_of
    from .courses import parse_date
    from .report import render_campaign

    doc = stats_of(ctx.engine, slug, parse_date(until, "--until date") if until else None)
    click.echo(json.dumps(doc, indent=1, ensure_ascii=False) if as_json else render_campaign(doc))


grace_option = click.option(
    "--grace-days", default=settings.grace_days, show_default=f"{settings.GRACE_DAYS}, or $WIKICOURSE_GRACE_DAYS",
    type=click.IntRange(0), help="Keep following the wikis' past this many days after a course's end.")


@cli.command()
@click.argument("slug")
@click.option("--full", is_flag=True, help="Rebuild from scratch: recreate the timeslices, re-fetch everything.")
@click.option("--as-of", metavar="DATETIME", help="Fix the clock: nothing after it is fetched.")
@click.option("--progress/--no-progress", default=None,
              help="Show the update's progress on stderr [default: when stderr is a terminal].")
@grace_option
@pass_ctx
def update(ctx: Context, slug: str, full: bool, as_of: str | None, progress: bool | None, grace_days: int) -> None:
    """Bring a course's statistics up to date, following the wikis' past (moves, deletions,
    restores, hidden revisions, renames) until the grace period after its end."""
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
    for line in summarize([{"label": label(r["kind"]), "subject": "", "detail": "", "count": 0, **r}
                           for r in report.reasons]):
        click.echo(f"  why: {line['text']}")
    if not report.followed:
        click.echo(f"  the course ended over {grace_days} days ago: changes to the wikis' past no longer followed "
                   "(--grace-days, or --full to rebuild)")
    for err in report.errors:
        click.echo(f"  not fetched (retried next update): {err}", err=True)


def _reason(exc: BaseException) -> str:
    """An exception's first line (a database error's own, not SQLAlchemy's wrapping), or its kind."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _show_progress(p) -> None:
    counts = f" {p.done:,}/{p.total:,} students on wikis," if p.total else ""
    click.echo(f"  {p.step}:{counts} {p.revisions:,} revisions", err=True)


@cli.command()
@click.argument("slug")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON document of SPEC §5.")
@click.option("--until", metavar="DATE",
              help="The figures as of the end of DATE (23:59:59 UTC), from the stored timeslices.")
@pass_ctx
def stats(ctx: Context, slug: str, as_json: bool, until: str | None) -> None:
    """Show a course's statistics."""
    from .courses import parse_date
    from .stats import course_stats

    day = parse_date(until, "--until date") if until is not None else None
    doc = course_stats(ctx.engine, slug, until=day)
    if as_json:
        click.echo(json.dumps(doc, indent=1, ensure_ascii=False))
        return
    from .report import render

    click.echo(render(doc))


@cli.command()
@click.argument("slug")
@click.option("--limit", default=20, show_default=True, type=int, help="How many runs to list.")
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
@pass_ctx
def changes(ctx: Context, slug: str, limit: int, as_json: bool) -> None:
    """Why a course's figures moved: each recent update's moved figures and their reasons."""
    from .changes import course_changes, render

    found = course_changes(ctx.engine, slug, limit)
    click.echo(json.dumps(found, indent=1, ensure_ascii=False) if as_json else render(slug, found))


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
@pass_ctx
def student(ctx: Context, slug: str, username: str, sort: str, direction: str | None, page: int, per_page: int,
            as_json: bool) -> None:
    """A student's counted revisions, their pages and their figures per wiki."""
    from .drilldowns import Paging, student_drilldown

    doc = student_drilldown(ctx.engine, slug, username, Paging(sort, direction, page, per_page))
    if as_json:
        click.echo(json.dumps(doc, indent=1, ensure_ascii=False))
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
@pass_ctx
def article(ctx: Context, slug: str, article_id: int, sort: str, direction: str | None, page: int, per_page: int,
            as_json: bool) -> None:
    """An article's counted revisions in a course, its editors and figures per window
    (ARTICLE_ID: as `student` and `recent` list them)."""
    from .drilldowns import Paging, article_drilldown

    doc = article_drilldown(ctx.engine, slug, article_id, Paging(sort, direction, page, per_page))
    if as_json:
        click.echo(json.dumps(doc, indent=1, ensure_ascii=False))
        return
    from .drilldown_report import render_article

    click.echo(render_article(doc))


@cli.command()
@click.argument("slug")
@click.option("--limit", default=20, show_default=True, type=int, help="How many revisions to list.")
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
@pass_ctx
def recent(ctx: Context, slug: str, limit: int, as_json: bool) -> None:
    """A course's latest counted revisions, newest first."""
    from .drilldowns import recent_activity

    doc = recent_activity(ctx.engine, slug, limit)
    if as_json:
        click.echo(json.dumps(doc, indent=1, ensure_ascii=False))
        return
    from .drilldown_report import render_recent

    click.echo(render_recent(doc))


redis_option = click.option("--redis", "redis_url", envvar="WIKICOURSE_REDIS", metavar="URL",
                            default="redis://127.0.0.1:6379/0", show_default=True,
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
    """Run course updates from the queues until stopped (SIGTERM lets running updates finish)."""
    from . import logs
    from .workers.broker import QUEUES
    from .workers.worker import run_worker

    wanted = [q.strip() for q in queues.split(",") if q.strip()]
    if not wanted or set(wanted) - set(QUEUES):
        raise InvalidInput(f"--queues: choose among {', '.join(QUEUES)}")
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
    """Queue an update of every course that needs one (or of SLUGS), sorted into queues by cost."""
    import time

    from redis.exceptions import RedisError
    from sqlalchemy.exc import SQLAlchemyError

    from .workers.schedule import schedule_updates

    while True:
        try:
            for line in schedule_updates(ctx.engine, redis_url, grace_days, list(slugs) or None):
                click.echo(line)
        except (RedisError, SQLAlchemyError) as exc:
            if every is None:
                raise
            # A scheduler left running outlives a database or broker that is down for a while.
            click.echo(f"error: {_reason(exc)}; trying again in {every:g} s", err=True)
        if every is None:
            return
        time.sleep(every)


@cli.command()
@redis_option
@pass_ctx
def status(ctx: Context, redis_url: str) -> None:
    """The queues, running and failed updates, and each course's last update."""
    from .workers.status import render_status

    click.echo(render_status(ctx.engine, redis_url))


@cli.group()
def token() -> None:
    """Access tokens for the web actions (shown once, stored hashed)."""


@token.command("create")
@click.argument("label")
@click.option("--admin", is_flag=True, help="Act on every course.")
@click.option("--user", "username", metavar="USERNAME",
              help="An instructor's wiki username: act on the courses where they are instructor or staff.")
@pass_ctx
def token_create(ctx: Context, label: str, admin: bool, username: str | None) -> None:
    """Create a token; its secret is printed once, to give to its holder."""
    from .tokens import create_token

    if admin == bool(username):
        raise InvalidInput("give either --admin or --user USERNAME")
    click.echo(create_token(ctx.engine, label, role="admin" if admin else "instructor", username=username))


@token.command("list")
@pass_ctx
def token_list(ctx: Context) -> None:
    """List tokens (never their secrets)."""
    from .tokens import list_tokens

    for t in list_tokens(ctx.engine):
        state = f"revoked {t['revoked_at']:%Y-%m-%d}" if t["revoked_at"] else "active"
        used = f"{t['last_used_at']:%Y-%m-%d %H:%M}Z" if t["last_used_at"] else "never"
        click.echo(f"#{t['id']}\t{t['label']}\t{t['role']}\t{t['username'] or '-'}\t{state}\tlast used {used}")


@token.command("revoke")
@click.argument("token_id", type=int)
@pass_ctx
def token_revoke(ctx: Context, token_id: int) -> None:
    """Revoke a token by its number (from `token list`)."""
    from .tokens import revoke_token

    revoke_token(ctx.engine, token_id)
    click.echo(f"token #{token_id} revoked")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--redis", "redis_url", metavar="URL",
              help="Where workers run: queue the updates started here for them (else they run in this process).")
@pass_ctx
def serve(ctx: Context, host: str, port: int, redis_url: str | None) -> None:
    """Serve the dashboard and the HTTP API (API description at /docs)."""
    import uvicorn

    from .web import create_app

    click.echo(f"serving http://{host}:{port}/ (Ctrl-C stops)", err=True)
    uvicorn.run(create_app(ctx.engine, redis_url=redis_url), host=host, port=port, log_level="warning")


def main() -> None:
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.NoArgsIsHelpError as exc:  # bare `wikicourse`: the help is the answer
        click.echo(exc.ctx.get_help() if exc.ctx else exc.format_message())
        sys.exit(0)
    except click.ClickException as exc:  # usage errors too: one line, no usage banner
        click.echo(f"error: {exc.format_message()}", err=True)
        sys.exit(exc.exit_code)
    except click.Abort:
        click.echo("aborted", err=True)
        sys.exit(1)
    except WikicourseError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("interrupted: the next update resumes where this one stopped", err=True)
        sys.exit(130)
    except Exception as exc:
        if _raised_by(exc, "redis.exceptions", "RedisError"):
            click.echo(f"error: the workers' broker (Redis): {_reason(exc)}", err=True)
        elif _raised_by(exc, "sqlalchemy.exc", "SQLAlchemyError"):
            click.echo(f"error: database: {_reason(exc)}", err=True)
        else:
            raise
        sys.exit(1)


def _raised_by(exc: Exception, module: str, name: str) -> bool:
    """isinstance(exc, module.name), without importing `module` to find out: an exception
    cannot be of a class from a library this process never imported."""
    loaded = sys.modules.get(module)
    return loaded is not None and isinstance(exc, getattr(loaded, name))
