"""One exception family for everything a user or a wiki can cause; messages are fit to print."""
from .redact import without_credentials


class WikicourseError(Exception):
    """Base of every error the command line prints as one line. Its message may quote a URL
    (a wiki's API URL): the URL's credentials are removed here, for every error at once."""

    def __init__(self, *args: object) -> None:
        super().__init__(*(without_credentials(a) if isinstance(a, str) else a for a in args))


class InvalidInput(WikicourseError):
    """Bad input: an unknown course, wiki or user, a malformed date, an end before the start."""


class UnknownCourse(InvalidInput):
    """No course has that slug."""


class UnknownCampaign(InvalidInput):
    """No campaign has that slug."""


class UnknownStudent(InvalidInput):
    """Nobody by that name is enrolled in the course."""


class UnknownArticle(InvalidInput):
    """No article of that id was edited in the course."""


class WikiError(WikicourseError):
    """A wiki could not give what was asked."""


class WikiUnavailable(WikiError):
    """Retries or the time budget ran out (timeouts, 5xx, 429, maxlag)."""


class WikiAPIError(WikiError):
    """The Action API answered with an error code."""

    def __init__(self, code: str, info: str):
        super().__init__(f"wiki API error {code}: {info}")
        self.code = code
        self.info = info


class AccountRenamed(WikiError):
    """Accounts asked for by their old names: {old name: new name} (None: no account by that id)."""

    def __init__(self, wiki: str, renamed: dict[str, str | None]):
        names = ", ".join(f"{old} -> {new or '?'}" for old, new in renamed.items())
        super().__init__(f"{wiki}: accounts renamed ({names}): asked for again under their new names")
        self.renamed = renamed


class CourseBusy(WikicourseError):
    """Another update of the course is running (one update per course at a time)."""


class DatabaseBusy(WikicourseError):
    """Another process held a lock on the database longer than the caller waits (the web answers
    503 with Retry-After, as for its other lock waits): try again shortly."""


class NoDatabase(WikicourseError):
    """A command that needs an existing database found none (or one without wikicourse's tables)."""
