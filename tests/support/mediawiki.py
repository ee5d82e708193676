"""A real MediaWiki on loopback for tests, driven through scripts/mediawiki/."""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Iterable

import httpx

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts" / "mediawiki"


class TestWiki:
    """A fresh wiki in `root` served on 127.0.0.1:`port`; `settings` is PHP appended to LocalSettings.php.

    Package installation (once per machine, as root) happens in up() when needed, so CI
    never has to skip a test for want of a wiki.
    """

    __test__ = False  # a helper, not a pytest test class

    def __init__(self, root: Path, port: int, *, settings: str = "") -> None:
        self.root = Path(root)
        self.port = port
        self.settings = settings

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api.php"

    @property
    def data(self) -> Path:
        return self.root / "data"

    def page_revisions(self, title: str) -> list[dict]:
        """A page's revisions (ids, timestamp, user, size), oldest first, read with a plain HTTP client."""
        params = {"action": "query", "prop": "revisions", "titles": title, "rvprop": "ids|timestamp|user|size",
                  "rvdir": "newer", "rvlimit": "max", "format": "json", "formatversion": "2"}
        page = httpx.get(self.api_url, params=params).json()["query"]["pages"][0]
        return page.get("revisions", [])

    def _run(self, script: str, *args: str, stdin: str | None = None) -> str:
        env = {**os.environ, "ROOT": str(self.root), "PORT": str(self.port), "MW_EXTRA_SETTINGS": self.settings}
        done = subprocess.run(
            ["bash", str(SCRIPTS / script), *args],
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{script} {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def up(self) -> None:
        """Install a fresh wiki (erasing `root`) and serve it; returns once the API answers."""
        self._run("up.sh")

    def down(self) -> None:
        self._run("down.sh")

    def create_users(self, names: Iterable[str]) -> None:
        """Create accounts, all in one PHP process; they must exist before an import credits them."""
        names = list(names)
        if names:
            self._run("users.sh", *names)

    def import_dump(self, xml_path: Path) -> None:
        self._run("import.sh", str(xml_path))

    def delete_page(self, title: str) -> None:
        """Delete a page and its revisions, as deleteBatch.php (an admin's deletion) does."""
        self._run("delete.sh", title)

    def hide_revision_text(self, revid: int) -> None:
        """Revision-delete a revision's text (what an admin's "hide text" does), straight in the database."""
        with sqlite3.connect(self.data / "wiki.sqlite") as db:
            db.execute("UPDATE revision SET rev_deleted = rev_deleted | 1 WHERE rev_id = ?", (revid,))
        db.close()

    def snapshot(self) -> None:
        """Keep a copy of the wiki's databases; call while no request is in flight."""
        target = self.root / "data.snapshot"
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(self.data, target)

    def restore(self) -> None:
        """Put the databases back as snapshot() found them (a few ms); call while idle."""
        source = self.root / "data.snapshot"
        if not source.is_dir():
            raise RuntimeError(f"no snapshot in {source}")
        # Files are overwritten in place and strays (journals) removed, so the server's
        # document root and paths stay valid.
        for path in self.data.rglob("*"):
            if path.is_file() and not (source / path.relative_to(self.data)).exists():
                path.unlink()
        shutil.copytree(source, self.data, dirs_exist_ok=True)

    def __enter__(self) -> TestWiki:
        self.up()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.down()
