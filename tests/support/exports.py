"""Hand-made MediaWiki XML exports for tests: each page's history, oldest first."""
from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

# (timestamp, username, full text after the edit)
Edit = tuple[str, str, str]


def write_export(path: Path, pages: dict[tuple[str, int], list[Edit]], first_revid: int = 1000) -> Path:
    """Write an export-0.11 file; page ids and revision ids are assigned in order."""
    out = ['<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.11/" version="0.11" xml:lang="en">']
    revid = first_revid
    for page_id, ((title, ns), edits) in enumerate(pages.items(), start=1):
        out.append(f"  <page><title>{escape(title)}</title><ns>{ns}</ns><id>{page_id}</id>")
        for ts, user, text in sorted(edits):
            revid += 1
            out.append(f"    <revision><id>{revid}</id><timestamp>{ts}</timestamp>"
                       f"<contributor><username>{escape(user)}</username></contributor>"
                       f"<model>wikitext</model><format>text/x-wiki</format>"
                       f'<text xml:space="preserve">{escape(text)}</text></revision>')
        out.append("  </page>")
    out.append("</mediawiki>")
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path
