"""Deterministic generator of realistic MediaWiki XML exports, and of the facts they hold."""
from __future__ import annotations

import argparse
import dataclasses
import hashlib
import itertools
import json
import math
import random
import re
import sys
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import IO, Iterator, Mapping, Sequence
from xml.sax.saxutils import escape

from wikicourse.demo import DEMO_END, DEMO_INSTRUCTOR, DEMO_OTHERS, DEMO_START, DEMO_STUDENTS, DEMO_WIKI
from wikicourse.refs import count_refs

UTC = timezone.utc

# Share of pages per namespace: articles, their talk pages, sandboxes, user talk, drafts.
DEFAULT_MIX: Mapping[int, float] = {0: 0.70, 1: 0.04, 2: 0.14, 3: 0.04, 118: 0.08}
# Accounts that wrote the articles that existed before the course; never enrolled.
BACKGROUND_USERS: tuple[str, ...] = ("Veteran Editor", "Harbour Gnome")
_PREFIX = {0: "", 1: "Talk:", 2: "User:", 3: "User talk:", 118: "Draft:"}
_DAY = 86400


@dataclass(frozen=True, slots=True)
class RevisionFact:
    """One generated revision, with what the metrics (docs/metrics.md) need to score it."""

    user: str  # canonical username, or an IP address when anonymous
    title: str  # full title, with the namespace prefix ("User:X/sandbox", "Draft:Y")
    namespace: int
    timestamp: datetime  # aware UTC, whole seconds, unique within one export
    size: int  # bytes of the text in UTF-8
    sizediff: int  # size - parent size; for a creation, the size
    new: bool  # the revision created the page
    refs: int  # count_refs(text)
    parent_refs: int  # count_refs(parent text); 0 for a creation
    deleted: bool = False  # the page is meant to be deleted on the wiki after import
    wiki: str = ""
    revid: int = 0  # the export's revision id (a wiki assigns its own on import)
    pageid: int = 0  # the export's page id
    anonymous: bool = False  # an IP edit: usercontribs never lists it
    # The wikitext and its parent's, kept only when asked (generate(keep_text=True)), so that
    # a test oracle can count references with its own code.
    text: str | None = field(default=None, repr=False, compare=False)
    parent_text: str | None = field(default=None, repr=False, compare=False)

    @property
    def references_added(self) -> int:
        return max(0, self.refs - self.parent_refs)


def account_names(facts: Sequence[RevisionFact]) -> list[str]:
    """The accounts an import needs (MediaWiki wants them created before importDump.php)."""
    return sorted({f.user for f in facts if not f.anonymous})


# -- vocabulary -------------------------------------------------------------------------
# Small on purpose; mixed with non-ASCII so that bytes differ from characters.

_PLACES = (
    "Łódź", "Kraków", "Gdańsk", "Plzeň", "Brașov", "Timișoara", "Zürich", "Düsseldorf",
    "Tromsø", "Reykjavík", "Málaga", "Córdoba", "São Paulo", "Besançon", "Jyväskylä",
    "Nîmes", "Ålesund", "Eger", "Cluj-Napoca", "Kumasi", "Mombasa", "Arequipa",
    "Valparaíso", "Cusco", "Hội An", "Mandalay", "Kandy", "Jaipur", "Kochi", "Sapporo",
    "Kōbe", "Tartu", "Kaunas", "Tbilisi", "Yerevan", "Oaxaca", "Mérida", "Nuuk", "Hobart",
    "Dunedin", "Galway", "Aberdeen", "Bergen", "Turku", "Lviv", "Graz", "Ghent", "Porto",
    "Bologna", "Salzburg",
)
_PLACE_TOPICS = (
    "History of {p}", "Geography of {p}", "Economy of {p}", "Culture of {p}",
    "Architecture of {p}", "Flora of {p}", "Climate of {p}", "Transport in {p}",
    "Education in {p}", "Music of {p}", "Cuisine of {p}", "{p} Cathedral",
    "{p} Botanical Garden", "{p} Central Station", "University of {p}",
    "{p} Museum of Art", "{p} Old Town", "{p} Public Library", "Siege of {p}",
    "{p} Observatory", "Treaty of {p}", "{p} Lighthouse", "{p} Tramway", "{p} Marathon",
)
_FIRST = (
    "Ana", "Bogdan", "Chiara", "Dagný", "Émile", "Fatima", "Grzegorz", "Hanna", "Ingrid",
    "José", "Kalinda", "Lúcia", "Mihai", "Nadia", "Oğuz", "Pilar", "Quentin", "Rasmus",
    "Søren", "Tereza", "Umar", "Vilja", "Wanjiru", "Xiadani", "Yusuf", "Zsófia",
    "Aurelio", "Birgitta", "Czesław", "Dorota",
)
_LAST = (
    "Kovač", "Nowak", "Ferreira", "Lindqvist", "Okonkwo", "Haddad", "Brennan", "Müller",
    "Sørensen", "Petrescu", "Yamada", "Castillo", "Novák", "Ibáñez", "Dubois", "Mensah",
    "Halvorsen", "Rossi", "Szabó", "Kaya", "Andersen", "Łukasik", "Moreau", "Ndiaye",
    "Pereira", "Virtanen", "Ó Briain", "Gallo", "Jansen", "Wójcik",
)
_OCCUPATIONS = (
    "painter", "botanist", "architect", "composer", "engineer", "historian", "poet",
    "cartographer", "physician", "photographer", "linguist", "astronomer",
)
_GENERA = (
    "Carex", "Saxifraga", "Gentiana", "Primula", "Ranunculus", "Campanula", "Draba",
    "Pedicularis", "Silene", "Potentilla", "Euphrasia", "Hieracium", "Alchemilla",
    "Sorbus", "Rubus", "Taraxacum", "Festuca", "Luzula", "Salix", "Dianthus",
)
_EPITHETS = (
    "alpina", "borealis", "montana", "nivalis", "rupestris", "sylvatica", "palustris",
    "maritima", "minor", "major", "gracilis", "hirsuta", "glabra", "lutea", "rubra",
    "pallida", "nana", "elegans", "robusta", "tenuis", "ovata", "crispa", "aquatica",
    "arvensis", "pratensis", "caespitosa", "lanata", "praecox", "serotina", "velutina",
)
_ADJ = (
    "medieval", "baroque", "coastal", "industrial", "early modern", "neo-Gothic",
    "alpine", "colonial", "post-war", "vernacular", "Romanesque", "Hanseatic", "rural",
)
_NOUNS = (
    "façades", "bridges", "guild halls", "archives", "gardens", "markets", "churches",
    "harbour walls", "manuscripts", "festivals", "workshops", "meadows", "fortifications",
)
_SECTIONS = (
    "History", "Etymology", "Description", "Geography", "Legacy", "Reception",
    "Early life", "Career", "Distribution and habitat", "Conservation", "Architecture",
    "Economy", "Notable people", "In popular culture", "Research", "Administration",
)
_PUBLISHERS = (
    "Oxford University Press", "Cambridge University Press", "Routledge", "Springer",
    "Éditions du Seuil", "Wydawnictwo Literackie", "Gyldendal", "Suhrkamp",
)
_WORD_SWAPS = (
    ("about", "approximately"), ("many", "numerous"), ("built", "constructed"),
    ("large", "sizeable"), ("old", "historic"), ("known", "noted"), ("began", "started"),
    ("city", "town"), ("important", "significant"), ("near", "close to"),
    ("first", "initially"), ("published", "issued"), ("restored", "renovated"),
    ("destroyed", "ruined"), ("recorded", "counted"), ("protected", "heritage"),
    ("considerably", "markedly"), ("usually", "commonly"), ("finest", "best"),
)
_SENTENCES = (
    "{S} was first described in {y} by {person}.",
    "According to a survey published in {y}, {s} drew about {n} visitors a year.",
    "The {adj} period saw {s} change considerably, especially after the reforms of {y}.",
    "Historians such as {person} have argued that {s} owes much to trade with {place}.",
    "In {y}, a commission led by {person} published a report on {s}.",
    "{S} is known for its {adj} {noun}, which are among the best preserved in the region.",
    "Many of its {noun} were restored between {y} and {y2} with support from {place}.",
    "The name is usually traced to an old word meaning “{meaning}”.",
    "Scholars disagree about the role of {s} during the {adj} era.",
    "Since {y}, {s} has been listed as a protected site — a status confirmed in {y2}.",
    "A large fire in {y} destroyed part of the {noun}; reconstruction lasted until {y2}.",
    "The collections include about {n} items, many of them donated by {person}.",
    "{person} described the {noun} as “the finest north of {place}”.",
    "Field work in {y} recorded {n} specimens near {place}, a figure revised in {y2}.",
    "Its population fell by about {pct} % between {y} and {y2}.",
)
_MEANINGS = ("river crossing", "white stone", "market place", "oak grove", "small harbour", "high meadow")
_TALK = (
    "I have added a few sources to the {sec} section; please check the page numbers.",
    "Could we expand the lead a little? It does not mention {place} at all.",
    "Nice work on the draft. Consider citing {person} for the claims about {y}.",
    "The paragraph on the {adj} period needs a reliable source.",
    "I moved the unsourced material here until someone can verify it.",
    "Thanks for the feedback — I will rework the {sec} section this week.",
)
# A space after a sentence's full stop or after its references ends a sentence here.
_SENTENCE_END = re.compile(r"(?<=[.”]) |(?<=</ref>) |(?<=/>) ")
_YEAR = re.compile(r"(?<![0-9])1[5-9][0-9][0-9](?![0-9])")
_IPS = ("192.0.2.17", "198.51.100.4", "203.0.113.88", "2001:db8::7", "192.0.2.201")


def _topics(rnd: random.Random) -> Iterator[tuple[str, str]]:
    """Distinct (title, kind) pairs without end: places, people, species, then qualified ones."""
    topics = [(t.format(p=p), "place") for t in _PLACE_TOPICS for p in _PLACES]
    topics += [(f"{f} {l}", "person") for f in _FIRST for l in _LAST]
    topics += [(f"{g} {e}", "species") for g in _GENERA for e in _EPITHETS]
    rnd.shuffle(topics)
    yield from topics
    # People with an occupation qualifier, as Wikipedia disambiguates them.
    more = [(f"{f} {l} ({o})", "person") for o in _OCCUPATIONS for f in _FIRST for l in _LAST]
    rnd.shuffle(more)
    yield from more
    for n in itertools.count(2):  # only for very large exports
        for title, kind in topics:
            yield f"{title} ({n})", kind


def make_usernames(n: int, seed: int = 0) -> list[str]:
    """n distinct plausible (canonical) usernames, many with non-ASCII letters."""
    rnd = random.Random(seed)
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < n:
        first, last = rnd.choice(_FIRST), rnd.choice(_LAST)
        style = rnd.random()
        if style < 0.6:
            name = f"{first} {last}"
        elif style < 0.8:
            name = f"{first}{last.replace(' ', '')}{rnd.randrange(1, 100)}"
        else:
            name = f"{first} {last[0]}.{rnd.randrange(10, 1000)}"
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


# -- page texts -------------------------------------------------------------------------


class _Page:
    """A page's wikitext as lead + sections of paragraphs, so edits can be realistic."""

    __slots__ = ("title", "ns", "kind", "subject", "header", "sections", "footer", "ref_names")

    def __init__(self, title: str, ns: int, kind: str, subject: str) -> None:
        self.title = title
        self.ns = ns
        self.kind = kind
        self.subject = subject  # what the prose is about (the title without prefix)
        self.header = ""
        self.sections: list[list] = []  # [heading or None, [paragraph, ...]]
        self.footer = ""
        self.ref_names: list[str] = []  # named references defined so far, for reuse

    def render(self) -> str:
        parts = [self.header]
        for heading, paras in self.sections:
            if heading:
                parts.append(f"== {heading} ==\n")
            parts.append("\n\n".join(paras))
            parts.append("\n\n")
        parts.append(self.footer)
        return "".join(parts)

    def paragraphs(self) -> list[tuple[int, int]]:
        return [(i, j) for i, (_, paras) in enumerate(self.sections) for j in range(len(paras))]


class _Writer:
    """Prose, references and talk comments drawn from the vocabulary."""

    def __init__(self, rnd: random.Random) -> None:
        self.rnd = rnd

    def person(self) -> str:
        return f"{self.rnd.choice(_FIRST)} {self.rnd.choice(_LAST)}"

    def sentence(self, subject: str) -> str:
        r = self.rnd
        y = r.randrange(1520, 2020)
        return r.choice(_SENTENCES).format(
            S=subject if r.random() < 0.5 else "It",
            s=subject,
            y=y,
            y2=y + r.randrange(2, 60),
            person=self.person(),
            place=r.choice(_PLACES),
            adj=r.choice(_ADJ),
            noun=r.choice(_NOUNS),
            n=r.randrange(200, 90000),
            pct=r.randrange(2, 40),
            meaning=r.choice(_MEANINGS),
        )

    def reference(self, page: _Page) -> str:
        r = self.rnd
        if page.ref_names and r.random() < 0.25:
            # Reusing a named reference: <ref name="x" /> counts as a reference too.
            return f'<ref name="{r.choice(page.ref_names)}" />'
        last, y = r.choice(_LAST), r.randrange(1890, 2024)
        if r.random() < 0.6:
            cite = (
                f"{{{{cite book |last={last} |first={r.choice(_FIRST)} |title={r.choice(_ADJ).capitalize()} "
                f"{r.choice(_NOUNS)} of {r.choice(_PLACES)} |publisher={r.choice(_PUBLISHERS)} |year={y} "
                f"|page={r.randrange(3, 400)}}}}}"
            )
        else:
            cite = (
                f"{{{{cite web |url=https://example.org/{last.lower().replace(' ', '-')}/{y} "
                f"|title={page.subject} |website={r.choice(_PLACES)} Heritage Society |access-date=2023-{r.randrange(1, 13):02d}-{r.randrange(1, 29):02d}}}}}"
            )
        if r.random() < 0.3:
            name = f"{last.replace(' ', '')}{y}"
            if name not in page.ref_names:
                page.ref_names.append(name)
                return f'<ref name="{name}">{cite}</ref>'
        return f"<ref>{cite}</ref>"

    def paragraph(self, page: _Page, refs: float) -> str:
        r = self.rnd
        out = []
        for _ in range(r.randrange(2, 5)):
            out.append(self.sentence(page.subject))
            if r.random() < refs:
                out[-1] += self.reference(page)
        return " ".join(out)

    def lead(self, page: _Page) -> str:
        r, t = self.rnd, page.subject
        if page.kind == "person":
            y = r.randrange(1700, 1950)
            first = f"'''{t.split(' (')[0]}''' ({y}–{y + r.randrange(30, 95)}) was a {r.choice(_OCCUPATIONS)} from [[{r.choice(_PLACES)}]]."
        elif page.kind == "species":
            first = f"'''''{t}''''' is a species of flowering plant found in the {r.choice(_ADJ)} meadows around [[{r.choice(_PLACES)}]]."
        else:
            place = next((p for p in _PLACES if p in t), None) or r.choice(_PLACES)
            first = f"'''{t}''' is a subject closely tied to [[{place}]] and its {r.choice(_ADJ)} {r.choice(_NOUNS)}."
        return first + " " + self.paragraph(page, 0.3)

    def talk_comment(self, user: str, when: datetime) -> str:
        r = self.rnd
        text = r.choice(_TALK).format(
            sec=r.choice(_SECTIONS), place=r.choice(_PLACES), person=self.person(), y=r.randrange(1600, 2000), adj=r.choice(_ADJ)
        )
        return f"{text} [[User:{user}|{user}]] ([[User talk:{user}|talk]]) {when:%H:%M}, {when.day} {when:%B %Y} (UTC)"


def _create(page: _Page, w: _Writer, user: str, when: datetime, background: bool, target: int) -> str:
    """Fill a new page; returns the edit summary."""
    r = w.rnd
    if page.ns in (1, 3):
        page.sections = [[r.choice(("Feedback", "Sources", "Welcome!", "Draft review", "Lead section")), [w.talk_comment(user, when)]]]
        return "new section"
    page.sections = [[None, [w.lead(page)]]]
    # A student moving a sandbox draft into place creates a long page at once.
    sections = r.choice((0, 0, 1, 1, 2, 3)) if not background else r.choice((0, 0, 1))
    for _ in range(min(sections, target // 1000)):
        page.sections.append([r.choice(_SECTIONS), [w.paragraph(page, 0.35) for _ in range(r.randrange(1, 3))]])
    if page.ns == 2:
        page.header = "{{User sandbox}}\n<!-- EDIT BELOW THIS LINE -->\n"
        page.footer = "== References ==\n<references />\n" if r.random() < 0.7 else ""
    else:
        page.header = "{{Draft article}}\n" if page.ns == 118 else ("{{Short description|Topic}}\n" if r.random() < 0.4 else "")
        refs = r.choice(("== References ==\n<references/>\n", "== References ==\n{{Reflist}}\n", "== Notes ==\n<references />\n"))
        category = f"\n[[Category:{r.choice(_PLACES)}]]\n" if page.ns == 0 else ""
        page.footer = refs + category + ("{{stub}}\n" if background else "")
    return f"Created page with '{page.sections[0][1][0][:60]}'"


def _edit(page: _Page, w: _Writer, user: str, when: datetime, anonymous: bool, target: int, size: int) -> tuple[str, bool]:
    """Change the page the way people do; returns (edit summary, minor)."""
    r = w.rnd
    if page.ns in (1, 3):
        if r.random() < 0.3:
            page.sections.append([r.choice(_SECTIONS), [w.talk_comment(user, when)]])
            return "new section", False
        page.sections[-1][1].append(":" + w.talk_comment(user, when))
        return "reply", False
    paras = page.paragraphs()
    over = size > target
    if anonymous:
        ops = ("copyedit", "remove_para", "add_sentence")
        weights = (0.6, 0.2, 0.2)
    else:
        ops = ("add_para", "add_section", "add_ref", "copyedit", "remove_para", "remove_ref", "trim", "add_sentence", "remove_sentence")
        if over:
            weights = (0.10, 0.02, 0.10, 0.20, 0.22, 0.08, 0.08, 0.05, 0.15)
        else:
            weights = (0.32, 0.10, 0.14, 0.16, 0.06, 0.05, 0.02, 0.11, 0.04)
    op = r.choices(ops, weights)[0]
    if op in ("remove_para", "trim") and len(paras) <= 1:
        op = "copyedit"
    if op == "add_para":
        i = r.randrange(len(page.sections))
        page.sections[i][1].append(w.paragraph(page, 0.35))
        heading = page.sections[i][0]
        return (f"/* {heading} */ expanded" if heading else "Expanded the lead"), False
    if op == "add_section":
        existing = {s[0] for s in page.sections}
        heading = r.choice([s for s in _SECTIONS if s not in existing] or ["Further reading"])
        page.sections.append([heading, [w.paragraph(page, 0.4) for _ in range(r.randrange(1, 3))]])
        return f"Added section: {heading}", False
    if op == "add_sentence":
        i, j = r.choice(paras)
        page.sections[i][1][j] += " " + w.sentence(page.subject)
        return "Added a sentence", False
    if op == "add_ref":
        i, j = r.choice(paras)
        page.sections[i][1][j] += w.reference(page)
        return "Added a citation", False
    if op == "remove_sentence":
        i, j = r.choice(paras)
        sentences = _SENTENCE_END.split(page.sections[i][1][j])
        if len(sentences) > 1:
            # Never the opening sentence of the lead, which names the subject.
            del sentences[r.randrange(1 if (i, j) == (0, 0) else 0, len(sentences))]
            page.sections[i][1][j] = " ".join(sentences)
            return "Removed a dubious claim", False
        op = "copyedit"
    if op == "remove_ref":
        with_refs = [(i, j) for i, j in paras if "<ref" in page.sections[i][1][j]]
        if with_refs:
            i, j = r.choice(with_refs)
            text = page.sections[i][1][j]
            start = text.index("<ref")
            close = text.find(">", start)
            if text[close - 1] != "/":  # <ref ...>...</ref> rather than <ref ... />
                close = text.index("</ref>", close) + len("</ref>") - 1
            page.sections[i][1][j] = text[:start] + text[close + 1 :]
            return "Removed an unreliable source", False
        op = "copyedit"
    if op == "remove_para":
        i, j = r.choice(paras[1:])  # never the lead's first paragraph
        del page.sections[i][1][j]
        if not page.sections[i][1]:
            del page.sections[i]
        return ("" if anonymous else "Removed unsourced paragraph"), False
    if op == "trim":
        # A reviewer cutting a bloated article: half of the later sections go.
        later = list(range(1, len(page.sections)))
        r.shuffle(later)
        for i in sorted(later[: max(1, len(later) // 2)], reverse=True):
            del page.sections[i]
        if len(page.sections) == 1 and len(page.sections[0][1]) > 1:
            del page.sections[0][1][1:]
        return "Trimmed per review: off-topic and unsourced material", False
    # copyedit: swap a word either way; a few bytes more or less, sometimes none.
    i, j = r.choice(paras)
    text = page.sections[i][1][j]
    for a, b in r.sample(_WORD_SWAPS, len(_WORD_SWAPS)):
        if r.random() < 0.5:
            a, b = b, a
        k = text.find(f" {a} ")
        if k >= 0:
            page.sections[i][1][j] = text[: k + 1] + b + text[k + 1 + len(a) :]
            return "copyedit", r.random() < 0.6
    year = _YEAR.search(text)
    if year:
        # Correcting a date: same size, so a zero sizediff.
        fixed = str(int(year.group()) + r.choice((-1, 1)))
        page.sections[i][1][j] = text[: year.start()] + fixed + text[year.end() :]
        return "Fixed a date", True
    page.sections[i][1][j] = text + " " + w.sentence(page.subject)
    return "Added a sentence", False


# -- planning ---------------------------------------------------------------------------


@dataclass(slots=True)
class _Plan:
    title: str
    ns: int
    kind: str
    subject: str
    owner: str
    preexisting: bool
    count: int = 1
    times: list[int] = dataclasses.field(default_factory=list)
    users: list[str] = dataclasses.field(default_factory=list)
    deleted: bool = False
    pageid: int = 0


def _sha1_base36(data: bytes) -> str:
    n = int.from_bytes(hashlib.sha1(data).digest(), "big")
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = []
    while n:
        n, d = divmod(n, 36)
        out.append(digits[d])
    return "".join(reversed(out)).rjust(31, "0")


def _canonical(name: str) -> str:
    name = " ".join(name.replace("_", " ").split())
    if not name:
        raise ValueError("empty username")
    return name[0].upper() + name[1:]


def generate(
    path: Path | str | None,
    *,
    users: Sequence[str],
    pages: int,
    revisions: int,
    start: datetime,
    days: int,
    seed: int,
    namespaces_mix: Mapping[int, float] = DEFAULT_MIX,
    background_users: Sequence[str] = BACKGROUND_USERS,
    preexisting: float = 0.3,
    outside: float = 0.03,
    anonymous: float = 0.02,
    deleted_pages: float = 0.0,
    activity: Mapping[str, float] | None = None,
    page_size: int = 2500,
    wiki: str = "",
    sitename: str = "Wikicourse Test Wiki",
    keep_text: bool = False,
) -> list[RevisionFact]:
    """Write an export of exactly `revisions` revisions over `pages` pages; return its facts.

    The course period is [start, start + days). `preexisting` is the share of articles
    created before it by `background_users` (then edited by `users`), `outside` the share
    of edits falling just before or after it, `anonymous` the share of IP edits on
    articles, `deleted_pages` the share of students' new articles and drafts whose facts
    say deleted=True (the export still holds them, so a test can import then delete).
    `activity` weighs users (default: a shuffled heavy-to-light spread); `page_size` is
    the typical size in bytes that pages grow to before edits turn to trimming.
    Facts come oldest first; `path=None` only computes them. Same arguments, same bytes.
    `keep_text` keeps each revision's wikitext (and its parent's) in its fact.
    """
    if start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    if not users:
        raise ValueError("at least one user is needed")
    if not set(namespaces_mix) <= set(_PREFIX):
        raise ValueError(f"namespaces_mix may only use namespaces {sorted(_PREFIX)}")
    users = [_canonical(u) for u in users]
    background = [_canonical(u) for u in background_users] or users[:1]
    rnd = random.Random(seed)
    plans, ranked, weights = _plan_pages(rnd, users, background, pages, namespaces_mix, preexisting, deleted_pages, activity)
    _plan_counts(rnd, plans, revisions)
    _plan_timelines(rnd, plans, ranked, weights, background, start, days, outside, anonymous)

    # Ids as an export from one wiki would have them: revisions and pages numbered in time order.
    order = sorted(((t, k, n) for k, p in enumerate(plans) for n, t in enumerate(p.times)))
    revids: list[list[int]] = [[0] * p.count for p in plans]
    for revid, (_, k, n) in enumerate(order, start=1):
        revids[k][n] = revid
    plans_by_creation = sorted(range(len(plans)), key=lambda k: plans[k].times[0])
    for pageid, k in enumerate(plans_by_creation, start=1):
        plans[k].pageid = pageid

    facts: list[RevisionFact] = []
    out: IO[str] | None = None
    try:
        if path is not None:
            out = open(path, "w", encoding="utf-8", newline="\n")
            out.write(_header(sitename))
        for k in plans_by_creation:
            _simulate(plans[k], revids[k], rnd, page_size, wiki, facts, out, keep_text)
        if out is not None:
            out.write("</mediawiki>\n")
    finally:
        if out is not None:
            out.close()
    facts.sort(key=lambda f: f.revid)
    return facts


def _plan_pages(
    rnd: random.Random,
    users: list[str],
    background: list[str],
    pages: int,
    mix: Mapping[int, float],
    preexisting: float,
    deleted_pages: float,
    activity: Mapping[str, float] | None,
) -> tuple[list[_Plan], list[str], list[float]]:
    total = sum(mix.values())
    counts = {ns: int(round(pages * share / total)) for ns, share in mix.items() if ns != 0}
    n_main = pages - sum(counts.values())
    if n_main < 1 and 0 in mix:
        raise ValueError("too few pages for this namespace mix")
    n_pre = int(round(n_main * preexisting))
    topics = _topics(rnd)
    # Heavy and light editors, as in any real course: weight falls with a shuffled rank.
    ranked = users[:]
    rnd.shuffle(ranked)
    weights = [1 / (i + 1) ** 0.7 for i in range(len(ranked))]
    if activity is not None:
        given = {_canonical(u): a for u, a in activity.items()}
        weights = [given.get(u, 1.0) for u in ranked]
    # The first owners go round the class so that everybody gets something to work on.
    owners_seq: list[str] = ranked[:]

    def next_owner() -> str:
        return owners_seq.pop(0) if owners_seq else rnd.choices(ranked, weights)[0]

    plans: list[_Plan] = []
    for _ in range(n_pre):
        title, kind = next(topics)
        plans.append(_Plan(title, 0, kind, title, rnd.choice(background), True))
    for _ in range(n_main - n_pre):
        title, kind = next(topics)
        plans.append(_Plan(title, 0, kind, title, next_owner(), False))
    for _ in range(counts.get(118, 0)):
        title, kind = next(topics)
        plans.append(_Plan("Draft:" + title, 118, kind, title, next_owner(), False))
    sandboxes: dict[str, int] = {}
    for _ in range(counts.get(2, 0)):
        owner = next_owner()
        n = sandboxes[owner] = sandboxes.get(owner, 0) + 1
        subject, kind = next(topics)
        title = f"User:{owner}/sandbox" if n == 1 else f"User:{owner}/sandbox{n}"
        plans.append(_Plan(title, 2, kind, subject, owner, False))
    articles = [p.title for p in plans if p.ns == 0]
    for i in range(min(counts.get(1, 0), len(articles))):
        plans.append(_Plan("Talk:" + articles[i], 1, "talk", articles[i], next_owner(), False))
    talk_owners = rnd.sample(users, min(counts.get(3, 0), len(users)))
    for owner in talk_owners:
        plans.append(_Plan("User talk:" + owner, 3, "talk", owner, rnd.choice(ranked), False))
    # Pad to exactly `pages` when the talk namespaces ran out of articles or users.
    while len(plans) < pages:
        title, kind = next(topics)
        plans.append(_Plan(title, 0, kind, title, next_owner(), False))
    for p in plans:
        if not p.preexisting and p.ns in (0, 118) and rnd.random() < deleted_pages:
            p.deleted = True
    return plans, ranked, weights


def _plan_counts(rnd: random.Random, plans: list[_Plan], revisions: int) -> None:
    for p in plans:
        p.count = 2 if p.preexisting else 1
    spare = revisions - sum(p.count for p in plans)
    if spare < 0:
        raise ValueError(f"{revisions} revisions cannot cover {len(plans)} pages (pre-existing ones need two)")
    factor = {0: 1.0, 1: 0.3, 2: 1.3, 3: 0.4, 118: 0.8}
    weights = [rnd.lognormvariate(0, 0.9) * factor[p.ns] * (0.6 if p.preexisting else 1.0) for p in plans]
    for k in rnd.choices(range(len(plans)), weights, k=spare):
        plans[k].count += 1


def _plan_timelines(
    rnd: random.Random,
    plans: list[_Plan],
    ranked: list[str],
    weights: list[float],
    background: list[str],
    start: datetime,
    days: int,
    outside: float,
    anonymous: float,
) -> None:
    s = int(start.timestamp())
    e = s + days * _DAY
    used: set[int] = set()

    def unique(t: int) -> int:
        # One edit per second per wiki keeps every ordering (by time, by id) the same.
        while t in used:
            t += 1
        used.add(t)
        return t

    def course_time(lo: int, early: bool = False) -> int:
        x = rnd.random()
        if x < outside / 2:
            return e + rnd.randrange(0, 4 * _DAY)  # a late edit, after the course
        if early and x < outside:
            return s - rnd.randrange(60, 5 * _DAY)  # an early one, before it starts
        return rnd.randrange(lo, e)

    def someone(owner: str) -> str:
        return rnd.choices(ranked, weights)[0] if len(ranked) > 1 else owner

    for p in plans:
        if p.preexisting:
            created = s - rnd.randrange(30 * _DAY, 1500 * _DAY)
            history = max(1, min(p.count - 1, round(p.count * rnd.uniform(0.1, 0.5))))
            # (time, whether it belongs to the course's activity rather than the page's past)
            timeline = [(unique(created), False)]
            timeline += [(unique(rnd.randrange(created + 60, s - 6 * _DAY)), False) for _ in range(history - 1)]
            timeline += [(unique(course_time(s, early=True)), True) for _ in range(p.count - history)]
            timeline.sort()
            times, who = [t for t, _ in timeline], [p.owner]
            for _, course in timeline[1:]:
                if not course:
                    who.append(rnd.choice(_IPS) if rnd.random() < 0.15 else rnd.choice(background))
                else:
                    x = rnd.random()
                    who.append(rnd.choice(_IPS) if x < anonymous * 2 else rnd.choice(background) if x < 0.1 else someone(p.owner))
            p.times, p.users = times, who
            continue
        early = {2: (0.0, 0.5), 118: (0.1, 0.7), 0: (0.2, 0.85), 1: (0.3, 0.9), 3: (0.0, 0.8)}[p.ns]
        if rnd.random() < outside:
            created = s - rnd.randrange(3600, 5 * _DAY)  # a student who started early
        else:
            created = s + rnd.randrange(int(early[0] * days * _DAY), max(1, int(early[1] * days * _DAY)))
        times = sorted([unique(created)] + [unique(course_time(created + 60)) for _ in range(p.count - 1)])
        who = [p.owner]
        for _ in times[1:]:
            x = rnd.random()
            if p.ns == 2:
                who.append(p.owner if x < 0.92 else someone(p.owner))
            elif p.ns in (1, 3):
                who.append(someone(p.owner))
            elif p.ns == 0 and x < anonymous:
                who.append(rnd.choice(_IPS))
            else:
                who.append(p.owner if x < 0.62 else someone(p.owner))
        p.times, p.users = times, who


# -- writing ----------------------------------------------------------------------------


def _header(sitename: str) -> str:
    names = {-2: "Media", -1: "Special", 0: "", 1: "Talk", 2: "User", 3: "User talk", 4: "Project",
             6: "File", 10: "Template", 14: "Category", 118: "Draft", 119: "Draft talk"}
    ns_xml = "".join(
        f'      <namespace key="{k}" case="first-letter">{escape(v)}</namespace>\n' if v
        else f'      <namespace key="{k}" case="first-letter" />\n'
        for k, v in names.items()
    )
    return (
        '<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.11/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="http://www.mediawiki.org/xml/export-0.11/ http://www.mediawiki.org/xml/export-0.11.xsd" '
        'version="0.11" xml:lang="en">\n'
        "  <siteinfo>\n"
        f"    <sitename>{escape(sitename)}</sitename>\n"
        "    <dbname>wikicourse</dbname>\n"
        "    <base>http://127.0.0.1/index.php/Main_Page</base>\n"
        "    <generator>wikicourse.demo.generate</generator>\n"
        "    <case>first-letter</case>\n"
        "    <namespaces>\n" + ns_xml + "    </namespaces>\n"
        "  </siteinfo>\n"
    )


def _simulate(
    plan: _Plan, revids: list[int], rnd: random.Random, page_size: int, wiki: str, facts: list[RevisionFact],
    out: IO[str] | None, keep_text: bool = False,
) -> None:
    """Play one page's history, oldest first, into facts and (optionally) the export."""
    page = _Page(plan.title, plan.ns, plan.kind, plan.subject)
    w = _Writer(rnd)
    # Pages settle around a size of their own; beyond it, edits tend to cut rather than add.
    target = int(min(5 * page_size, rnd.lognormvariate(math.log(page_size), 0.5)))
    parts: list[str] = []
    if out is not None:
        parts.append(f"  <page>\n    <title>{escape(plan.title)}</title>\n    <ns>{plan.ns}</ns>\n    <id>{plan.pageid}</id>\n")
    size = refs = 0
    parent = 0
    parent_text = ""
    for n, (t, user) in enumerate(zip(plan.times, plan.users)):
        when = datetime.fromtimestamp(t, UTC)
        anon = user in _IPS
        minor = False
        if n == 0:
            summary = _create(page, w, user, when, plan.preexisting, target)
        else:
            summary, minor = _edit(page, w, user, when, anon, target, size)
        text = page.render()
        data = text.encode("utf-8")
        new_size, new_refs = len(data), count_refs(text)
        facts.append(
            RevisionFact(
                user=user, title=plan.title, namespace=plan.ns, timestamp=when, size=new_size,
                sizediff=new_size - size, new=n == 0, refs=new_refs, parent_refs=refs,
                deleted=plan.deleted, wiki=wiki, revid=revids[n], pageid=plan.pageid, anonymous=anon,
                text=text if keep_text else None, parent_text=parent_text if keep_text else None,
            )
        )
        if out is not None:
            who = f"<ip>{user}</ip>" if anon else f"<username>{escape(user)}</username>"
            parts.append(
                "    <revision>\n"
                f"      <id>{revids[n]}</id>\n"
                + (f"      <parentid>{parent}</parentid>\n" if parent else "")
                + f"      <timestamp>{when:%Y-%m-%dT%H:%M:%SZ}</timestamp>\n"
                f"      <contributor>{who}</contributor>\n"
                + ("      <minor />\n" if minor else "")
                + (f"      <comment>{escape(summary)}</comment>\n" if summary else "")
                + "      <model>wikitext</model>\n      <format>text/x-wiki</format>\n"
                f'      <text bytes="{new_size}" xml:space="preserve">{escape(text)}</text>\n'
                f"      <sha1>{_sha1_base36(data)}</sha1>\n"
                "    </revision>\n"
            )
        size, refs, parent, parent_text = new_size, new_refs, revids[n], text
    if out is not None:
        parts.append("  </page>\n")
        out.write("".join(parts))


# -- the bundled demo -------------------------------------------------------------------

DEMO_ARGS: dict = dict(
    users=DEMO_STUDENTS + DEMO_INSTRUCTOR + DEMO_OTHERS,
    pages=40,
    revisions=300,
    start=datetime(DEMO_START.year, DEMO_START.month, DEMO_START.day, tzinfo=UTC),
    days=(DEMO_END - DEMO_START).days + 1,
    seed=6,
    activity={**{u: 1.0 for u in DEMO_STUDENTS}, **{u: 0.25 for u in DEMO_INSTRUCTOR + DEMO_OTHERS}},
    page_size=500,
    outside=0.05,
    wiki=DEMO_WIKI,
    sitename="Wikicourse Demo Wiki",
)


def generate_demo(path: Path | str | None) -> list[RevisionFact]:
    """The bundled demo export (course 2024-01-01 … 2024-01-31); None only computes its facts."""
    return generate(path, **DEMO_ARGS)


def facts_to_json(facts: Sequence[RevisionFact]) -> list[dict]:
    return [
        {**dataclasses.asdict(f), "timestamp": f.timestamp.strftime("%Y-%m-%dT%H:%M:%SZ")}
        for f in facts
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m wikicourse.demo.generate",
        description="Write a deterministic, realistic MediaWiki XML export (importable with importDump.php).",
    )
    parser.add_argument("out", type=Path, help="the XML file to write")
    parser.add_argument("--users", type=int, default=20, help="number of generated usernames")
    parser.add_argument("--revisions", type=int, default=2000)
    parser.add_argument("--pages", type=int, help="default: revisions / 10")
    parser.add_argument("--days", type=int, default=30, help="length of the course period")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--start", type=date.fromisoformat, default=date(2024, 1, 1), help="YYYY-MM-DD")
    parser.add_argument("--wiki", default="", help="wiki name stored in the facts")
    parser.add_argument("--facts", type=Path, help="also write the facts as JSON here")
    parser.add_argument("--accounts", type=Path, help="also write the account names here, one a line")
    parser.add_argument("--demo", action="store_true", help="write the bundled demo export (other options ignored)")
    a = parser.parse_args(argv)
    if a.demo:
        facts = generate_demo(a.out)
    else:
        facts = generate(
            a.out,
            users=make_usernames(a.users, a.seed),
            pages=a.pages or max(1, a.revisions // 10),
            revisions=a.revisions,
            start=datetime(a.start.year, a.start.month, a.start.day, tzinfo=UTC),
            days=a.days,
            seed=a.seed,
            wiki=a.wiki,
        )
    if a.facts:
        a.facts.write_text(json.dumps(facts_to_json(facts), ensure_ascii=False, indent=0), encoding="utf-8")
    if a.accounts:
        a.accounts.write_text("".join(n + "\n" for n in account_names(facts)), encoding="utf-8")
    titles = {f.title for f in facts}
    print(
        f"{a.out}: {len(facts)} revisions, {len(titles)} pages, {len(account_names(facts))} accounts, "
        f"{sum(f.references_added for f in facts)} references added",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
