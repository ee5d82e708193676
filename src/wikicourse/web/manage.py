"""The signed-in pages: sign in and out, and a course's manage page with its actions.

Actions follow post/redirect/get: a form posts, the change is made by the same functions the
command line calls (wikicourse.courses, the updater), and the browser is sent back to the
manage page with a flash message. Bad input re-renders the page with the message (422).
"""
from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from .. import courses as course_api
from ..errors import CourseBusy, InvalidInput
from ..namespaces import resolve_option
from ..models import ROLES
from ..removal import removal_preview
from ..sessions import HOURS, close_session, open_session
from ..stats import course_stats
from ..tokens import Actor, authenticate
from ..update.runs import recent_runs
from .auth import COOKIE, OLD_COOKIE, check_csrf, page_actor, require_manager
from .limits import MAX_USERNAMES
from .views import render, set_flash

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form()]
Csrf = Annotated[str | None, Form()]


def local_path(target: str | None) -> str:
    """`target` if it is a path on this site, else "/" (never a redirect to another site)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target \
            or any(ord(ch) < 32 for ch in target):
        return "/"
    return target


def manage_url(slug: str) -> str:
    return f"/courses/{slug}/manage"


def back_to_manage(request: Request, slug: str, message: str, kind: str = "ok") -> RedirectResponse:
    response = RedirectResponse(manage_url(slug), status_code=303)
    set_flash(request, response, message, kind)
    return response


def acting(request: Request, slug: str, csrf: str | None) -> Actor:
    """The manager behind a posted form: 401 if not signed in, 403 for a bad form or no right."""
    actor = page_actor(request)
    if actor is None:
        require_manager(request, None, slug)
    check_csrf(request, csrf)
    return require_manager(request, actor, slug)


# ---- signing in and out -------------------------------------------------------------------------

@router.get("/login")
def login_page(request: Request, next: str = "/"):
    return render(request, "login.html", {"next": local_path(next)})


def from_this_site(request: Request) -> bool:
    """Whether the browser says the request comes from a page of this site: its Origin, else
    its Referer. Neither (or Origin "null") is no: browsers send one on a form's POST."""
    own = f"{request.url.scheme}://{request.url.netloc}"
    origin = request.headers.get("origin")
    if origin is not None:
        return origin == own
    referer = urlsplit(request.headers.get("referer", ""))
    return f"{referer.scheme}://{referer.netloc}" == own


@router.post("/login")
def login(request: Request, token: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/"):
    # No CSRF token exists before signing in; the browser's Origin tells a form of another site.
    if not from_this_site(request):
        raise HTTPException(403, "sign in from this site's own form")
    engine = request.app.state.engine
    actor = authenticate(engine, token.strip())
    if actor is None:
        return render(request, "login.html", {"next": local_path(next),
                                              "error": "That token is not valid (mistyped, or revoked)."}, 401)
    response = RedirectResponse(local_path(next), status_code=303)
    response.set_cookie(COOKIE, open_session(engine, actor), max_age=HOURS * 3600, httponly=True,
                        samesite="lax", secure=request.url.scheme == "https")
    _forget_old_cookie(request, response)
    return response


def _forget_old_cookie(request: Request, response: Response) -> None:
    """The browser drops the cookie older versions signed in with (the token itself)."""
    if OLD_COOKIE in request.cookies:
        response.delete_cookie(OLD_COOKIE)


@router.post("/logout")
def logout(request: Request, csrf: Csrf = None):
    if request.cookies.get(COOKIE):  # signed in: only this site's own form may sign out
        check_csrf(request, csrf)
        close_session(request.app.state.engine, request.cookies.get(COOKIE))
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(COOKIE)
    _forget_old_cookie(request, response)
    set_flash(request, response, "Signed out.")
    return response


# ---- the manage page ----------------------------------------------------------------------------

def manage_page(request: Request, slug: str, status: int = 200, **extra):
    engine = request.app.state.engine
    doc = course_stats(engine, slug, ("course", "users"))
    runs = recent_runs(engine, slug, 5)
    return render(request, "manage.html", {"course": doc["course"], "tab": "manage", "users": doc["users"],
                                           "runs": runs, "run": runs[0] if runs else None, "roles": ROLES,
                                           **extra}, status)


@router.get("/courses/{slug:path}/manage")
def manage(request: Request, slug: str):
    actor = page_actor(request)
    if actor is None:
        return RedirectResponse("/login?" + urlencode({"next": manage_url(slug)}), status_code=303)
    require_manager(request, actor, slug)
    return manage_page(request, slug)


@router.post("/courses/{slug:path}/enroll")
def enroll(request: Request, slug: str, csrf: Csrf = None, usernames: Text = "",
           role: Annotated[str, Form()] = "student"):
    acting(request, slug, csrf)
    # A name a line: only "\n" ends one, and only spaces, tabs and "\r" are trimmed (not U+0085
    # and its kind, which splitlines and strip take as line breaks and spaces too, and which the
    # name's check must see).
    names = [n for n in (line.strip(" \t\r") for line in usernames.split("\n")) if n]
    try:
        if len(names) > MAX_USERNAMES:  # as the API: each name is looked up on the course's wikis
            raise InvalidInput(f"at most {MAX_USERNAMES} usernames at once, not {len(names):,}")
        changes = course_api.enroll(request.app.state.engine, slug, names, role,
                                    source_factory=request.app.state.source_factory)
    except InvalidInput as exc:
        return manage_page(request, slug, 422, flash={"kind": "error", "message": f"Nobody enrolled: {exc}"},
                           typed={"usernames": usernames, "role": role})
    new = [c.username for c in changes if c.before is None]
    said = [f"Enrolled as {role}: {_some(new)}." + (" Their edits count from the next update." if
                                                     role == "student" else "")] if new else []
    said += [c.describe() + "." for c in changes if c.before is not None]  # a role changed, or none
    return back_to_manage(request, slug, " ".join(said))


def _some(names: list[str], room: int = 200) -> str:
    """The names, or those that fit in about `room` characters and how many more (a flash
    message stays short)."""
    shown: list[str] = []
    for name in names:
        if shown and len(", ".join([*shown, name])) > room:
            break
        shown.append(name)
    more = len(names) - len(shown)
    return ", ".join(shown) + (f" and {more:,} more" if more else "")


@router.get("/courses/{slug:path}/disenroll")
def confirm_disenroll(request: Request, slug: str, username: str = ""):
    actor = page_actor(request)
    if actor is None:
        target = f"/courses/{slug}/disenroll?" + urlencode({"username": username})
        return RedirectResponse("/login?" + urlencode({"next": target}), status_code=303)
    require_manager(request, actor, slug)
    engine = request.app.state.engine
    preview = removal_preview(engine, slug, [username])
    return render(request, "confirm_disenroll.html", {
        "course": course_stats(engine, slug, ("course",))["course"], "tab": "manage",
        "user": preview["users"][0], **preview})


@router.post("/courses/{slug:path}/disenroll")
def disenroll(request: Request, slug: str, csrf: Csrf = None, username: Text = ""):
    acting(request, slug, csrf)
    (removed,) = course_api.disenroll(request.app.state.engine, slug, [username])
    effect = "Their edits stop counting at the next update." if removed.before == "student" else \
        f"As {removed.before}, their edits never counted."
    return back_to_manage(request, slug, f"Removed {removed.username}. {effect}")


@router.post("/courses/{slug:path}/edit")
def edit(request: Request, slug: str, csrf: Csrf = None, start: Text = "", end: Text = "",
         add_wiki: Text = "", remove_wiki: Annotated[list[str], Form()] = [],  # noqa: B006 (FastAPI copies it)
         timeslice_days: Text = "",
         ns_wiki: Annotated[list[str], Form()] = [], ns_list: Annotated[list[str], Form()] = []):  # noqa: B006
    acting(request, slug, csrf)
    engine = request.app.state.engine
    typed_ns = dict(zip(ns_wiki, ns_list))
    try:
        days = course_api.parse_days(timeslice_days) if timeslice_days.strip() else None
        # Only the wikis whose namespaces were retyped: resolving names asks the wiki.
        shown = {d: ", ".join(map(str, ns)) for d, ns in
                 course_stats(engine, slug, ("course",))["course"]["article_namespaces"].items()}
        spaces = resolve_option(engine, [f"{d}:{v}" for d, v in typed_ns.items() if v.strip() != shown.get(d)])
        changes = course_api.edit_course(
            engine, slug,
            start=course_api.parse_date(start, "start date") if start.strip() else None,
            end=course_api.parse_date(end, "end date") if end.strip() else None,
            add_wikis=[add_wiki.strip()] if add_wiki.strip() else [], remove_wikis=remove_wiki,
            timeslice_days=days, namespaces=spaces)
    except InvalidInput as exc:
        return manage_page(request, slug, 422, flash={"kind": "error", "message": f"Nothing changed: {exc}"},
                           typed={"start": start, "end": end, "add_wiki": add_wiki,
                                  "timeslice_days": timeslice_days, "ns": typed_ns})
    if changes.nothing:
        return back_to_manage(request, slug, "Nothing to change: the course already has those values.")
    return back_to_manage(request, slug, f"Course changed: {'; '.join(changes.describe())}. "
                                         "The next update adjusts the statistics.")


@router.post("/courses/{slug:path}/update")
def start_update(request: Request, slug: str, csrf: Csrf = None, full: Annotated[bool, Form()] = False):
    acting(request, slug, csrf)
    try:
        started = request.app.state.updater.start(slug, full=full)
    except CourseBusy as exc:
        return back_to_manage(request, slug, f"Not started: {exc}.", "error")
    return back_to_manage(request, slug, started.message)
