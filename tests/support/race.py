"""Contenders at once: the same action from several threads, each with its own engine (as
separate processes would have), released together by a barrier."""
from __future__ import annotations

import threading
from typing import Callable

from sqlalchemy import Engine

from wikicourse.db import open_db


def at_once(url: str, action: Callable[[Engine], object], contenders: int = 8) -> list[object]:
    """What `action` returned, or raised, in each contender (in the order they ended)."""
    engines = [open_db(url, migrate=False) for _ in range(contenders)]
    barrier = threading.Barrier(contenders)
    outcomes: list[object] = []

    def contend(engine: Engine) -> None:
        barrier.wait()
        try:
            outcomes.append(action(engine))
        except Exception as exc:  # an outcome like any other: the caller judges it
            outcomes.append(exc)

    threads = [threading.Thread(target=contend, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for e in engines:
        e.dispose()
    return outcomes
