"""Two real MediaWikis on loopback holding the generated exports, and the fetch floor client.

Importing 25,000 revisions takes MediaWiki minutes, so each wiki's databases are kept in
the cache folder once imported (keyed by the dataset and the wiki scripts) and copied
back into a freshly installed wiki on later runs.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Sequence

import httpx

from dataset import REPO, Export, Params
from support.mediawiki import SCRIPTS, TestWiki
from support.ports import free_port

FORMAT_VERSION = "1"  # of the cached data folders


def _scripts_hash() -> str:
    h = hashlib.sha256(FORMAT_VERSION.encode())
    for path in sorted(SCRIPTS.iterdir()):
        if path.is_file():
            h.update(path.name.encode() + path.read_bytes())
    return h.hexdigest()[:12]


def _site(api_url: str) -> dict:
    params = {"action": "query", "meta": "siteinfo", "siprop": "general|statistics", "format": "json",
              "formatversion": "2"}
    return httpx.get(api_url, params=params, timeout=60).json()["query"]


def _copy_into(source: Path, data: Path) -> None:
    """TestWiki.restore()'s way: overwrite in place and drop strays, so the server's paths stay valid."""
    for path in data.rglob("*"):
        if path.is_file() and not (source / path.relative_to(data)).exists():
            path.unlink()
    shutil.copytree(source, data, dirs_exist_ok=True)


@dataclass
class LiveWikis:
    wikis: dict[str, TestWiki]  # domain -> wiki
    mw_version: str
    setup_seconds: float
    imported_now: bool

    @property
    def api_urls(self) -> dict[str, str]:
        return {d: w.api_url for d, w in self.wikis.items()}

    def down(self) -> None:
        for w in self.wikis.values():
            try:
                w.down()
            except Exception:  # noqa: BLE001 - best effort at exit
                pass


def start(params: Params, exports: dict[str, Export], cache: Path, log: Callable[[str], None],
          run: str = "run") -> LiveWikis:
    """The wikis, imported (or copied from the cache), served from cache/`run`: each benchmark
    has a run folder of its own, so that they may run side by side."""
    t0 = time.perf_counter()
    folder = cache / params.key() / f"mediawiki-{_scripts_hash()}"
    run_root = cache / run
    taken: set[int] = set()
    wikis = {d: TestWiki(run_root / d, free_port(8411, 8499, taken)) for d in exports}
    log(f"  starting {len(wikis)} MediaWikis ({', '.join(w.api_url for w in wikis.values())})")
    # up() installs the packages on a fresh machine, then a fresh wiki: one at a time.
    for w in wikis.values():
        w.up()
    imported_now = False
    try:
        version = _site(next(iter(wikis.values())).api_url)["general"]["generator"]
        meta_path = folder / "meta.json"
        meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
        if meta.get("generator") == version and all((folder / d / "data").is_dir() for d in wikis):
            log(f"  reusing the imported wikis cached in {folder}")
            for d, w in wikis.items():
                _copy_into(folder / d / "data", w.data)
        else:
            log(f"  importing {sum(e.revisions for e in exports.values())} revisions into {version} "
                f"(MediaWiki imports ~150 revisions/s; cached in {folder} for later runs)")
            shutil.rmtree(folder, ignore_errors=True)

            def load(domain: str) -> float:
                t = time.perf_counter()
                w, e = wikis[domain], exports[domain]
                w.create_users(e.accounts)
                w.import_dump(e.path)
                return time.perf_counter() - t

            with ThreadPoolExecutor(len(wikis)) as pool:
                took = dict(zip(wikis, pool.map(load, list(wikis))))
            for d, w in wikis.items():
                log(f"    {d}: imported in {took[d]:.0f} s")
                tmp = folder / d / "data.part"
                shutil.rmtree(tmp, ignore_errors=True)
                shutil.copytree(w.data, tmp)
                tmp.rename(folder / d / "data")
            meta_path.write_text(json.dumps({"generator": version, "imported_seconds": took}))
            imported_now = True
        for d, w in wikis.items():
            stats = _site(w.api_url)["statistics"]
            log(f"    {d}: {stats['edits']} edits, {stats['pages']} pages, {stats['users']} accounts")
    except BaseException:
        for w in wikis.values():
            w.down()
        raise
    return LiveWikis(wikis, version, time.perf_counter() - t0, imported_now)


# -- the fetch floor ----------------------------------------------------------------------

UCPROP = "ids|title|timestamp|size|sizediff|flags"
USER_AGENT = "wikicourse-benchmark-floor/1 (https://github.com/wikicourse/wikicourse; wikicourse@example.org)"


@dataclass
class Floor:
    requests: int = 0
    seconds: float = 0.0
    contributions: int = 0
    contents: int = 0  # revisions whose content came back
    contribs_requests: int = 0
    contents_requests: int = 0
    bytes: int = 0
    cpu: float = 0.0  # this process's CPU seconds


def _ts(t: datetime) -> str:
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def fetch_floor(api_url: str, users: Sequence[str], start: datetime, end: datetime,
                namespaces: Sequence[int] = (0, 2, 118), content_namespaces: Sequence[int] = (0,)) -> Floor:
    """A minimal serial client: the users' contributions in [start, end) and the contents of
    those revisions in `content_namespaces` and their parents, each once, in as few requests as
    the API allows (50 users per usercontribs request with uclimit=max, 50 revision ids per
    content request). Contents default to main space's, the only ones wikicourse asks for.
    """
    out = Floor()
    t0 = time.perf_counter()
    revids: set[int] = set()
    with httpx.Client(headers={"User-Agent": USER_AGENT}, timeout=120) as client:

        def query(params: dict) -> list[dict]:
            base = {**params, "action": "query", "format": "json", "formatversion": "2"}
            results, cont = [], {}
            while True:
                r = client.get(api_url, params={**base, **cont})
                r.raise_for_status()
                out.requests += 1
                out.bytes += len(r.content)
                data = r.json()
                if "error" in data:
                    raise RuntimeError(f"{api_url}: {data['error']}")
                results.append(data)
                if "continue" not in data:
                    return results
                cont = data["continue"]

        names = list(users)
        for i in range(0, len(names), 50):
            results = query({"list": "usercontribs", "ucuser": "|".join(names[i:i + 50]), "ucdir": "newer",
                             "ucstart": _ts(start), "ucend": _ts(end - timedelta(seconds=1)),
                             "ucnamespace": "|".join(map(str, namespaces)), "uclimit": "max", "ucprop": UCPROP})
            out.contribs_requests += len(results)
            for data in results:
                for c in data["query"]["usercontribs"]:
                    out.contributions += 1
                    if c["ns"] not in content_namespaces:
                        continue
                    revids.add(c["revid"])
                    if c.get("parentid"):
                        revids.add(c["parentid"])
        wanted = sorted(revids)
        for i in range(0, len(wanted), 50):
            results = query({"prop": "revisions", "revids": "|".join(map(str, wanted[i:i + 50])),
                             "rvprop": "ids|content", "rvslots": "main"})
            out.contents_requests += len(results)
            for data in results:
                for page in data["query"].get("pages", []):
                    out.contents += sum(1 for r in page.get("revisions", []) if "content" in r.get("slots", {}).get("main", {}))
    out.seconds = time.perf_counter() - t0
    return out


def fetch_floor_all(api_urls: dict[str, str], users: Sequence[str], start: datetime, end: datetime,
                    concurrent: bool) -> tuple[Floor, dict[str, Floor]]:
    """The floor over every wiki: one after the other, or one thread per wiki (as wikicourse fetches)."""
    t0, cpu = time.perf_counter(), time.process_time()
    per: dict[str, Floor] = {}
    if concurrent:
        lock = threading.Lock()

        def one(domain: str) -> None:
            f = fetch_floor(api_urls[domain], users, start, end)
            with lock:
                per[domain] = f

        threads = [threading.Thread(target=one, args=(d,)) for d in api_urls]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    else:
        for d, url in api_urls.items():
            per[d] = fetch_floor(url, users, start, end)
    if len(per) != len(api_urls):
        raise RuntimeError("a floor fetch failed")
    total = Floor(seconds=time.perf_counter() - t0, cpu=time.process_time() - cpu)
    for f in per.values():
        for name in ("requests", "contributions", "contents", "contribs_requests", "contents_requests", "bytes"):
            setattr(total, name, getattr(total, name) + getattr(f, name))
    return total, per


__all__ = ["LiveWikis", "start", "Floor", "fetch_floor", "fetch_floor_all", "REPO"]
