"""The hand-made MediaWiki XML export the wiki client is tested on, and what it holds."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from xml.sax.saxutils import escape


@dataclass(frozen=True)
class Edit:
    user: str
    timestamp: str  # ISO 8601, whole seconds, UTC ("Z")
    text: str

    @property
    def moment(self) -> datetime:
        return datetime.fromisoformat(self.timestamp.replace("Z", "+00:00")).astimezone(timezone.utc)

    @property
    def size(self) -> int:
        return len(self.text.encode())


@dataclass(frozen=True)
class Page:
    title: str
    ns: int
    edits: tuple[Edit, ...]  # oldest first, as an import needs them


def export_xml(pages: list[Page]) -> str:
    """An export (schema 0.11) of whole page histories; the wiki computes sizes and hashes itself."""
    out = ['<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.11/" version="0.11" xml:lang="en">']
    for page in pages:
        out.append(f"  <page>\n    <title>{escape(page.title)}</title>\n    <ns>{page.ns}</ns>")
        for edit in page.edits:
            out.append(
                "    <revision>\n"
                f"      <timestamp>{edit.timestamp}</timestamp>\n"
                f"      <contributor><username>{escape(edit.user)}</username></contributor>\n"
                "      <model>wikitext</model>\n      <format>text/x-wiki</format>\n"
                f'      <text xml:space="preserve">{escape(edit.text)}</text>\n'
                "    </revision>"
            )
        out.append("  </page>")
    out.append("</mediawiki>\n")
    return "\n".join(out)


# Accounts are created in this order, which is not alphabetical: MediaWiki lists several
# users' contributions by account (actor) order, and the tests pin that down.
ZOE, ALICE, BOB, IVY = "Zoe Zimmer", "Alice Example", "Bob Builder", "Instructor Ivy"
CROWD = [f"Crowd Member {i:02d}" for i in range(1, 61)]
USERS = [ZOE, ALICE, BOB, IVY, *CROWD]

# Three revisions each too large to share a response under the test wiki's result limit.
BIG_TEXT = ["Big page.<ref>one</ref>\n" + "é" * 1500, "Big page.<ref>one</ref><ref>two</ref>\n" + "e" * 3100,
            "Big page.\n" + "x" * 3200]

PAGES = [
    Page("Referenced", 0, (
        Edit(ALICE, "2024-03-01T10:00:00Z", "Intro.<ref>A</ref>\n"),
        Edit(BOB, "2024-03-02T10:00:00Z", 'Intro.<ref>A</ref>\nMore.<ref name="b">B</ref> and <REF NAME="b" />\n'),
        Edit(ALICE, "2024-03-03T10:00:00Z", "Intro.<ref>A</ref>\n== Notes ==\n<references/>\n"),
    )),
    Page("User:Alice Example/Sandbox", 2, (
        Edit(ALICE, "2024-03-01T00:00:00Z", "Sandbox draft."),
        Edit(ALICE, "2024-03-01T23:59:59Z", "Sandbox draft, longer now."),
    )),
    Page("Draft:Wikicourse topic", 118, (
        Edit(BOB, "2024-03-02T00:00:00Z", "A draft about a topic, with ümlauts."),
        Edit(ZOE, "2024-03-05T12:00:00Z", "A draft."),
    )),
    Page("Talk:Referenced", 1, (
        Edit(ALICE, "2024-03-02T12:00:00Z", "Talk pages do not count."),
    )),
    Page("Doomed", 0, (
        Edit(ALICE, "2024-03-02T08:00:00Z", "This page will be deleted.<ref>x</ref>"),
        Edit(ZOE, "2024-03-02T09:00:00Z", "This page will be deleted soon."),
    )),
    Page("Hidden text", 0, (
        Edit(BOB, "2024-03-04T10:00:00Z", "Visible.<ref>v</ref>"),
        Edit(BOB, "2024-03-04T11:00:00Z", "Libel an admin hides.<ref>h</ref><ref>i</ref>"),
        # MediaWiki never hides the current revision's text, so the hidden one needs a successor.
        Edit(ZOE, "2024-03-04T12:00:00Z", "Visible again.<ref>v</ref>"),
    )),
    Page("Crowd", 0, tuple(
        Edit(name, f"2024-03-10T00:{i:02d}:00Z", "Crowd page.\n" + "".join(f"* {n}\n" for n in CROWD[: i + 1]))
        for i, name in enumerate(CROWD)
    )),
    Page("Big", 0, tuple(Edit(ZOE, f"2024-03-06T0{i}:00:00Z", text) for i, text in enumerate(BIG_TEXT))),
    Page("Boundary", 0, (
        Edit(ALICE, "2024-03-31T23:59:59Z", "Last second of March."),
        Edit(ALICE, "2024-04-01T00:00:00Z", "First second of April, a bit longer."),
    )),
]

DELETED_PAGE = "Doomed"
HIDDEN = ("Hidden text", 1)  # page, index of the edit whose text is hidden


def pages_by_title() -> dict[str, Page]:
    return {page.title: page for page in PAGES}


@dataclass(frozen=True)
class Expected:
    """A contribution as the wiki should report it, without the ids the import assigns."""

    user: str
    title: str
    namespace: int
    timestamp: datetime
    sizediff: int
    new: bool


def expected_contributions(
    users: list[str], start: datetime, end: datetime, namespaces: tuple[int, ...] = (0, 2, 118)
) -> list[Expected]:
    """What usercontribs should list: visible edits in [start, end), by account order, then time."""
    found = []
    for page in PAGES:
        if page.title == DELETED_PAGE or page.ns not in namespaces:
            continue
        previous = 0
        for k, edit in enumerate(page.edits):
            if edit.user in users and start <= edit.moment < end:
                found.append(Expected(edit.user, page.title, page.ns, edit.moment, edit.size - previous, k == 0))
            previous = edit.size
    return sorted(found, key=lambda e: (USERS.index(e.user), e.timestamp))
