"""A real MediaWiki on loopback for tests, driven through scripts/mediawiki/."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Iterable

import httpx

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts" / "mediawiki"
# The account up.sh installs: a sysop and bureaucrat.
ADMIN, ADMIN_PASSWORD = "Admin", "Admin-Password-2024"
MW_INSTALL = "/usr/share/mediawiki"  # Debian's package, where install.sh puts it


def uploads_settings(root: Path) -> str:
    """PHP for a wiki that takes uploads into `root`/images and serves them through img_auth.php
    (the test server's document root is the MediaWiki package, which the tests cannot write)."""
    return (f'$wgEnableUploads = true; $wgUploadDirectory = "{root}/images"; $wgUploadPath = "/img_auth.php";'
            ' $wgGroupPermissions["user"]["upload"] = true;')


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

    def create_users(self, names: Iterable[str], password: str | None = None) -> None:
        """Create accounts, all in one PHP process; they must exist before an import credits them.
        With a `password`, each account gets it (one PHP process per account), so that tests
        can log in as them (`login`) and edit through the API."""
        names = list(names)
        if names:
            self._run("users.sh", *names)
        if password is not None:
            for name in names:
                self._maintenance("changePassword.php", f"--user={name}", f"--password={password}")

    def _maintenance(self, script: str, *args: str) -> str:
        """Run one of MediaWiki's maintenance scripts on this wiki."""
        env = {**os.environ, "MW_CONFIG_FILE": str(self.root / "LocalSettings.php")}
        done = subprocess.run(["php", f"{MW_INSTALL}/maintenance/{script}", *args], env=env,
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"{script} {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def login(self, username: str, password: str) -> WikiSession:
        """A session logged in as `username` (a context manager): API actions with a csrf token."""
        return WikiSession(self.api_url, username, password)

    def import_images(self, folder: Path, user: str, timestamp: str, comment: str = "wikicourse test") -> str:
        """Upload every file in `folder` as `user` at `timestamp` (YYYYMMDDHHMMSS), as an import of
        past uploads does (importImages.php): the upload log dates them then."""
        return self._maintenance("importImages.php", f"--user={user}", f"--timestamp={timestamp}",
                                 f"--comment={comment}", str(folder))

    def import_dump(self, xml_path: Path) -> None:
        self._run("import.sh", str(xml_path))

    def delete_page(self, title: str) -> None:
        """Delete a page and its revisions, as deleteBatch.php (an admin's deletion) does."""
        self._run("delete.sh", title)

    def move_page(self, old: str, new: str, redirect: bool = False) -> None:
        """Move a page and its history to a new title as an admin would (moveBatch.php); the page
        keeps its id, and Admin adds a null revision, dated now, at the new title."""
        self._run("move.sh", old, new, *(["--redirect"] if redirect else []))

    def undelete_page(self, title: str, timestamps: Iterable[str] | None = None) -> None:
        """Restore a deleted page: all its deleted revisions (undelete.php), or only those with the
        given timestamps ("2024-03-05T10:00:00Z"), through the API's action=undelete as Admin."""
        if timestamps is None:
            self._run("undelete.sh", title)
            return
        stamps = list(timestamps)
        if not stamps:
            raise ValueError("no revision to restore")
        self._admin_action("undelete", title=title, timestamps="|".join(stamps), reason="wikicourse test")

    def rename_user(self, old: str, new: str) -> None:
        """Rename an account as a bureaucrat would (Renameuser); its id and edits stay, under the new name."""
        self._run("rename.sh", old, new)

    def hide_revision(self, revid: int, text: bool = True, user: bool = False, comment: bool = False) -> None:
        """Revision-delete parts of a revision as an admin would (action=revisiondelete as Admin).
        MediaWiki refuses to hide the text of a page's current revision."""
        self._revision_delete(revid, "hide", text=text, user=user, comment=comment)

    def unhide_revision(self, revid: int, text: bool = True, user: bool = False, comment: bool = False) -> None:
        """Undo hide_revision for the parts named."""
        self._revision_delete(revid, "show", text=text, user=user, comment=comment)

    def hide_revision_text(self, revid: int) -> None:
        """Revision-delete a revision's text (what an admin's "hide text" does)."""
        self.hide_revision(revid, text=True)

    def _revision_delete(self, revid: int, verb: str, *, text: bool, user: bool, comment: bool) -> None:
        parts = [name for name, on in (("content", text), ("user", user), ("comment", comment)) if on]
        if not parts:
            raise ValueError("name at least one of text, user, comment")
        result = self._admin_action("revisiondelete", type="revision", ids=str(revid), **{verb: "|".join(parts)},
                                    reason="wikicourse test")["revisiondelete"]
        errors = [e for item in result.get("items", []) for e in item.get("errors", [])]
        if result.get("status") != "Success" or errors:
            raise RuntimeError(f"revisiondelete {verb} {parts} of r{revid} failed: {result}")

    def _admin_action(self, action: str, **params: str) -> dict:
        """POST an API action with a csrf token in a session logged in as Admin; the response, checked for errors."""
        with self.login(ADMIN, ADMIN_PASSWORD) as admin:
            return admin.post(action, **params)

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


class WikiSession:
    """An HTTP session logged in to a TestWiki (clientlogin), posting API actions with its csrf token."""

    COMMON = {"format": "json", "formatversion": "2"}

    def __init__(self, api_url: str, username: str, password: str) -> None:
        self.api_url = api_url
        self.username = username
        self.client = httpx.Client(timeout=60)
        try:
            login_token = self.get(action="query", meta="tokens", type="login")["query"]["tokens"]["logintoken"]
            login = self._post({"action": "clientlogin", "username": username, "password": password,
                                "loginreturnurl": "http://127.0.0.1/", "logintoken": login_token})["clientlogin"]
            if login.get("status") != "PASS":
                raise RuntimeError(f"login as {username} failed: {login}")
            self.csrf = self.get(action="query", meta="tokens")["query"]["tokens"]["csrftoken"]
        except BaseException:
            self.client.close()
            raise

    def get(self, **params: str) -> dict:
        return self._checked(self.client.get(self.api_url, params={**params, **self.COMMON}), params)

    def post(self, action: str, **params: str) -> dict:
        """POST `action` with the session's csrf token; the response, checked for errors."""
        return self._post({"action": action, **params, "token": self.csrf})

    def _post(self, data: dict) -> dict:
        return self._checked(self.client.post(self.api_url, data={**data, **self.COMMON}), data)

    @staticmethod
    def _checked(response: httpx.Response, params: dict) -> dict:
        response.raise_for_status()
        body = response.json()
        if "error" in body:
            raise RuntimeError(f"{params.get('action')} failed: {body['error']}")
        return body

    def edit(self, title: str, text: str, summary: str = "wikicourse test") -> dict:
        """Save `text` as the page's new revision: {"newrevid", "newtimestamp", ...} (a no-change edit fails)."""
        result = self.post("edit", title=title, text=text, summary=summary)["edit"]
        if result.get("result") != "Success" or "newrevid" not in result:
            raise RuntimeError(f"edit of {title!r} by {self.username} saved nothing: {result}")
        return result

    def upload(self, filename: str, content: bytes, text: str = "", comment: str = "wikicourse test") -> dict:
        """Upload a new file as this user (action=upload, multipart): {"result", "filename", "imageinfo"}."""
        response = self.client.post(self.api_url, data={"action": "upload", "filename": filename, "text": text,
                                                        "comment": comment, "ignorewarnings": "1",
                                                        "token": self.csrf, **self.COMMON},
                                    files={"file": (filename, content, "application/octet-stream")})
        result = self._checked(response, {"action": "upload"})["upload"]
        if result.get("result") != "Success":
            raise RuntimeError(f"upload of {filename!r} by {self.username} failed: {result}")
        return result

    def move(self, old: str, new: str, reason: str = "wikicourse test") -> dict:
        """Move a page as this user (a user without suppressredirect leaves a redirect behind)."""
        return self.post("move", **{"from": old, "to": new, "reason": reason})["move"]

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> WikiSession:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
