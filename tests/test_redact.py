"""without_credentials: a URL's user:password@ never reaches a message, wherever the URL sits in it."""
from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wikicourse.errors import WikiError
from wikicourse.redact import without_credentials


@pytest.mark.parametrize("text, shown", [
    ("https://bot:pw@wiki.example.org/w/api.php", "https://wiki.example.org/w/api.php"),
    ("http://bot:p@ss@127.0.0.1:8080/api.php?x=a@b", "http://127.0.0.1:8080/api.php?x=a@b"),  # a raw "@"
    ("redis://:secret@queue:6379/0", "redis://queue:6379/0"),
    ("x.org answered HTTP 401 for 'https://u:p@x.org/api.php'; again: https://u:p@x.org",
     "x.org answered HTTP 401 for 'https://x.org/api.php'; again: https://x.org"),
    ("https://wiki.example.org/wiki/User:Ann@home", "https://wiki.example.org/wiki/User:Ann@home"),
    ("file:/exports/a@b.xml", "file:/exports/a@b.xml"),
    ("one.test: accounts renamed (Ann@x -> Ann)", "one.test: accounts renamed (Ann@x -> Ann)"),
])
def test_credentials_are_removed_and_nothing_else(text, shown):
    assert without_credentials(text) == shown


@given(user=st.text(min_size=1), password=st.text(min_size=1), around=st.text())
def test_no_percent_encoded_password_survives_in_an_error(user, password, around):
    url = f"https://{quote(user, safe='')}:{quote(password, safe='')}@wiki.example.org/w/api.php"
    message = str(WikiError(f"{around} {url} {around}"))
    assert f":{quote(password, safe='')}@" not in message
    assert "https://wiki.example.org/w/api.php" in message
