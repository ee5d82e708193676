"""The namespaces a course counts on each of its wikis (docs/metrics.md#namespaces).

Per course wiki, the **article namespaces** (main space by default): the figures that
speak of articles (characters, references, articles, new articles) count edits there.
The tracked namespaces are those plus User (2) and Draft (118), whose characters are
counted on their own.

A change of a course's namespaces is a course change like a date change: recorded at
once (`course_wikis.article_namespaces`), applied by the next update (`apply_namespaces`),
locally where the shared store holds what is needed.
"""
from __future__ import annotations

import json
from typing import Iterable, Mapping

from sqlalchemy import Connection, String, and_, cast, delete, false, literal, or_, select, update

from .errors import InvalidInput
from .models.tables import contribution_reads, course_wiki_timeslices, course_wikis, wikis
from .sources.base import NS_DRAFT, NS_MAIN, NS_USER

DEFAULT = (NS_MAIN,)
BESIDES = (NS_USER, NS_DRAFT)  # always tracked, never article namespaces: counted on their own


def parse(text: str) -> tuple[int, ...]:
    """'0,4' -> (0, 4): the stored form."""
    return tuple(sorted({int(p) for p in text.split(",") if p.strip()}))


def render(namespaces: Iterable[int]) -> str:
    return ",".join(str(n) for n in sorted(set(namespaces)))


def tracked(article: Iterable[int]) -> tuple[int, ...]:
    return tuple(sorted(set(article) | set(BESIDES)))


def check(article: Iterable[int]) -> tuple[int, ...]:
    """The article namespaces in order, or an InvalidInput saying what is wrong."""
    out = tuple(sorted(set(article)))
    if not out:
        raise InvalidInput("a wiki needs at least one article namespace")
    for ns in out:
        if ns < 0:
            raise InvalidInput(f"namespace {ns}: virtual namespaces (Special, Media) have no edits")
        if ns in BESIDES:
            raise InvalidInput(f"namespace {ns}: User and Draft are tracked besides the article namespaces")
    return out


def resolve(words: Iterable[str], names: Mapping[str, int] | None) -> tuple[int, ...]:
    """Numbers or names ('Project', 'Page', 'Main' or '' for main space) -> numbers.

    `names` maps the wiki's namespace names and aliases to their numbers, matched in any case
    and with `_` for a space (None: the wiki could not say; only numbers are understood then).
    """
    names = None if names is None else {fold(k): v for k, v in names.items()}
    out = []
    for word in words:
        word = word.strip()
        if word.lstrip("-").isdigit():
            ns = int(word)
            if names is not None and ns not in names.values():
                raise InvalidInput(f"the wiki has no namespace {ns}")
            out.append(ns)
            continue
        key = fold(word)
        if key in ("main", "(main)", "article"):
            out.append(NS_MAIN)
        elif names is not None and key in names:
            out.append(names[key])
        else:
            raise InvalidInput(f"the wiki has no namespace named {word!r}")
    return check(out)


def fold(name: str) -> str:
    return " ".join(name.replace("_", " ").split()).casefold()


def parse_option(values: Iterable[str]) -> dict[str, list[str]]:
    """`--namespaces DOMAIN:NS[,NS...]`, repeatable -> {domain: [word, ...]}."""
    out: dict[str, list[str]] = {}
    for value in values:
        domain, sep, rest = value.rpartition(":")  # (a namespace name holds no colon; a domain may)
        words = [w for w in rest.split(",") if w.strip()]
        if not sep or not domain.strip() or not words:
            raise InvalidInput(f"--namespaces {value!r}: expected DOMAIN:NS[,NS...]")
        out.setdefault(domain.strip(), []).extend(words)
    return out


def applied(conn: Connection, course_id: int) -> dict[int, tuple[int, ...]]:
    """wiki id -> the article namespaces the course's windows on it are derived with."""
    return {w: parse(ns) for w, ns in conn.execute(
        select(course_wikis.c.wiki_id, course_wikis.c.namespaces_applied).where(course_wikis.c.course_id == course_id))}


def in_article_space(by_wiki: Mapping[int, Iterable[int]], wiki_id, namespace):
    """SQL: the page (its wiki and current namespace) is in an article namespace of its wiki."""
    return or_(false(), *(and_(wiki_id == w, namespace.in_(sorted(ns))) for w, ns in by_wiki.items()))


def in_tracked_space(by_wiki: Mapping[int, Iterable[int]], wiki_id, namespace):
    return or_(namespace.in_(BESIDES), in_article_space(by_wiki, wiki_id, namespace))


def listed_in(spaces_column, namespace_column):
    """SQL: `namespace_column` is one of the comma-separated numbers of `spaces_column` ("0,4"
    holds ",4,"), the same on SQLite and PostgreSQL: for queries over several courses."""
    return (literal(",") + spaces_column + literal(",")).contains(
        literal(",") + cast(namespace_column, String) + literal(","))


def store_namespaces(conn: Connection, wiki_id: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """What the shared store holds of a wiki: (namespaces fetched, namespaces with references)."""
    fetched, refs, _ = store_state(conn, wiki_id)
    return fetched, refs


def store_state(conn: Connection, wiki_id: int) -> tuple[tuple[int, ...], tuple[int, ...], int]:
    """store_namespaces and the store's generation, read together (a fetch is made with them)."""
    row = conn.execute(select(wikis.c.namespaces, wikis.c.ref_namespaces, wikis.c.store_generation)
                       .where(wikis.c.id == wiki_id)).one()
    return parse(row.namespaces), parse(row.ref_namespaces), row.store_generation


def widen_store(conn: Connection, wiki_id: int, article: Iterable[int]) -> bool:
    """Make the store hold what counting `article` needs on the wiki; returns whether it grew.

    When it grows, every span of the wiki's store is forgotten: it was read without the new
    namespaces (or their references). The rows stay, replaced when whoever needs a span
    next reads it again (a course counting as before reads only its current window again).
    The store's generation grows with it: a fetch under way with the old namespaces records
    spans of the old generation, which hold nothing (no lock is needed).
    """
    fetched, refs = store_namespaces(conn, wiki_id)
    want_fetched, want_refs = set(fetched) | set(tracked(article)), set(refs) | set(article)
    if want_fetched == set(fetched) and want_refs == set(refs):
        return False
    conn.execute(update(wikis).where(wikis.c.id == wiki_id)
                 .values(namespaces=render(want_fetched), ref_namespaces=render(want_refs),
                         store_generation=wikis.c.store_generation + 1))
    conn.execute(delete(contribution_reads).where(contribution_reads.c.wiki_id == wiki_id))  # no longer of use
    return True


def apply_namespaces(conn: Connection, ctx) -> list[dict]:
    """Pre-update: apply each course wiki's new article namespaces; returns the reasons.

    Fewer namespaces: the windows are derived again from the finest grain, which holds
    every namespace the store fetched. More: the store is widened if it lacked them, and
    the students' coverage goes back to the period's start, so that the copy step takes
    their windows again from the store, which asks the wiki only for what no span holds.
    """
    from .timeslices.manage import mark, reset_coverage

    reasons = []
    for cw in ctx.wikis:
        row = conn.execute(
            select(course_wikis.c.article_namespaces, course_wikis.c.namespaces_applied, wikis.c.domain)
            .join(wikis, wikis.c.id == course_wikis.c.wiki_id)
            .where(course_wikis.c.course_id == ctx.course_id, course_wikis.c.wiki_id == cw.wiki_id)).one()
        wanted, before = parse(row.article_namespaces), parse(row.namespaces_applied)
        widen_store(conn, cw.wiki_id, wanted)  # a course's first update too: the store must hold them
        if wanted == before:
            continue
        if set(wanted) - set(before):
            reset_coverage(conn, ctx.course_id, cw.wiki_id, cw.grid)
        horizon = cw.grid.horizon(ctx.as_of)
        mark(conn, ctx.course_id, cw.wiki_id, list(conn.scalars(select(course_wiki_timeslices.c.start).where(
            course_wiki_timeslices.c.course_id == ctx.course_id, course_wiki_timeslices.c.wiki_id == cw.wiki_id,
            course_wiki_timeslices.c.start < horizon))))
        conn.execute(update(course_wikis)
                     .where(course_wikis.c.course_id == ctx.course_id, course_wikis.c.wiki_id == cw.wiki_id)
                     .values(namespaces_applied=render(wanted)))
        reasons.append(dict(kind="namespaces", subject=row.domain,
                            detail=f"{row.namespaces_applied} -> {row.article_namespaces}"))
    return reasons


def resolve_option(engine, values: Iterable[str], source_factory=None) -> dict[str, tuple[int, ...]]:
    """`--namespaces DOMAIN:NS[,NS...]` values -> {domain: article namespaces}, names and numbers
    checked against each wiki's own list (one siteinfo request per wiki named)."""
    from .wikis import open_source, wiki_ids, wiki_urls

    wanted = parse_option(values)
    if not wanted:
        return {}
    with engine.connect() as conn:
        ids = wiki_ids(conn, list(wanted))
        urls = wiki_urls(conn, list(ids.values()))
    factory = source_factory or open_source
    out, shown = {}, {}
    for domain, words in wanted.items():
        source = factory(urls[ids[domain]])
        try:
            names = source.namespace_names()  # a wiki that fails to answer: its WikiError
        finally:
            if source_factory is None:
                source.close()
        try:
            out[domain] = resolve(words, names)
        except InvalidInput as exc:
            raise InvalidInput(f"{domain}: {exc}") from None
        local: dict[str, str] = {}
        for name, number in names.items():  # each namespace's local name comes first
            local.setdefault(str(number), name)
        shown[ids[domain]] = json.dumps(local, ensure_ascii=False, sort_keys=True)
    with engine.begin() as conn:  # kept to show them (course documents never ask the wiki)
        for wiki_id, text in shown.items():
            conn.execute(update(wikis).where(wikis.c.id == wiki_id).values(namespace_names=text))
    return out


def named(conn: Connection, course_id: int) -> list[dict]:
    """Each wiki's article namespaces as the course document shows them: numbers, and names as
    the wiki last said them (main space is "(main)"; a number the wiki was not asked about
    is its own name)."""
    rows = conn.execute(select(wikis.c.domain, course_wikis.c.article_namespaces, wikis.c.namespace_names)
                        .join(wikis, wikis.c.id == course_wikis.c.wiki_id)
                        .where(course_wikis.c.course_id == course_id).order_by(wikis.c.domain))
    out = []
    for domain, ns, text in rows:
        local = json.loads(text) if text else {}
        out.append(dict(wiki=domain, article_namespaces=list(parse(ns)),
                        names=["(main)" if n == NS_MAIN else local.get(str(n), str(n)) for n in parse(ns)]))
    return out
