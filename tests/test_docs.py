"""The documentation stands alone: the CLI reference matches the code, relative links lead to
files of the repository, and nothing points at a specification outside it."""
from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from cogapp import Cog
from cogapp.cogapp import CogCheckFailed

ROOT = Path(__file__).resolve().parent.parent
CLI_REFERENCE = ROOT / "docs" / "cli.md"
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# What must not be pointed at: the sibling folder and the sections of the old specification.
FORBIDDEN = ("../" + "shared", "SPEC" + " §")
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)  # https:, mailto:, ...


def cog_check(path: Path) -> tuple[bool, str]:
    """Run cog in check mode on `path`: (current, what cog printed, with the diff)."""
    out = io.StringIO()
    cog = Cog()
    cog.set_output(stdout=out, stderr=out)
    try:
        cog.callable_main(["cog", "--check", "--diff", "--verbosity=0", str(path)])
    except CogCheckFailed:
        return False, out.getvalue()
    return True, out.getvalue()


def test_the_cli_reference_is_generated_from_the_current_commands():
    current, output = cog_check(CLI_REFERENCE)
    assert current, f"docs/cli.md is stale: run `make docs` to regenerate it\n{output}"
    text = CLI_REFERENCE.read_text()
    for command in ("## `wikicourse`", "## `wikicourse update`", "## `wikicourse campaign stats`",
                    "## `wikicourse token create`"):
        assert command in text


def test_a_stale_cli_reference_fails_the_check(tmp_path):
    stale = tmp_path / "cli.md"
    shutil.copy(CLI_REFERENCE, stale)
    text = stale.read_text()
    assert "Show a course's statistics." in text
    stale.write_text(text.replace("Show a course's statistics.", "Show a course's figures.", 1))
    current, output = cog_check(stale)
    assert not current
    assert "Show a course's statistics." in output  # the diff says what the code prints now


def _tracked_files() -> list[Path]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    names = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    return [ROOT / n for n in names.decode().split("\0") if n]


def test_no_tracked_file_points_outside_the_repository_for_its_definitions():
    offenders = []
    for path in _tracked_files():
        if path == Path(__file__).resolve() or not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # images and other binary files
        offenders += [f"{path.relative_to(ROOT)}: {s!r}" for s in FORBIDDEN if s in text]
    assert not offenders, "say it in the docs/ pages instead:\n" + "\n".join(offenders)


def _prose(text: str) -> str:
    """The text outside fenced code blocks and inline code, where links are links."""
    text = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    return re.sub(r"`[^`\n]*`", "", text)


def _anchor(heading: str) -> str:
    """The fragment a Markdown heading gets, as GitHub makes it."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower().replace("`", ""))
    return text.replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    return {_anchor(m.group(1)) for m in re.finditer(r"^#+\s+(.*)$", _prose(page.read_text()), re.M)}


def relative_links(page: Path) -> list[str]:
    return [t for t in LINK.findall(_prose(page.read_text())) if not EXTERNAL.match(t)]


def broken_links(page: Path, root: Path = ROOT) -> list[str]:
    broken = []
    for target in relative_links(page):
        path, _, fragment = target.partition("#")
        resolved = (page.parent / path).resolve() if path else page
        if not resolved.is_relative_to(root) or not resolved.exists():
            broken.append(target)
        elif fragment and resolved.suffix == ".md" and fragment not in _anchors(resolved):
            broken.append(target)
    return broken


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_lead_to_files_of_the_repository(page):
    assert not broken_links(page), f"{page.relative_to(ROOT)}: links to nothing in the repository"


def test_the_link_check_sees_a_broken_link(tmp_path):
    page = ROOT / "docs" / "README.md"
    assert relative_links(page), "the index links to the other pages"
    probe = tmp_path / "page.md"
    probe.write_text("# Title\n\n[ok](page.md#title) [gone](missing.md) [out](../../x.md) [anchor](#nowhere)\n"
                     "```\n[not a link](in-code.md)\n```\n")
    assert broken_links(probe, root=tmp_path) == ["missing.md", "../../x.md", "#nowhere"]


def test_every_setting_the_code_reads_is_in_the_operators_table():
    """An operator finds every environment variable in one place (docs/operating.md)."""
    read = set()
    for source in (ROOT / "src" / "wikicourse").rglob("*.py"):
        read |= set(re.findall(r"WIKICOURSE_[A-Z_]+", source.read_text(encoding="utf-8")))
    table = set(re.findall(r"^\| `(WIKICOURSE_[A-Z_]+)` \|", (ROOT / "docs" / "operating.md").read_text(encoding="utf-8"),
                           re.M))
    assert len(read) >= 10 and read == table, (read - table, table - read)
