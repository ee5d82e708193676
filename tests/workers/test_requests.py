"""Update requests coalesce: at most one message per course waits, whoever asks and however often."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from support.race import at_once
from support.workers import Sender, cid, course_on
from wikicourse.clock import now_utc
from wikicourse.db import open_db
from wikicourse.workers.requests import (
    QUEUED_EXPIRES,
    request_update,
    taken,
    update_requests,
)


def request_row(engine, course_id):
    with engine.connect() as conn:
        return conn.execute(select(update_requests).where(update_requests.c.course_id == course_id)).one()


def test_a_second_request_while_one_waits_sends_nothing(engine, tmp_path, sender):
    course = cid(engine, course_on(engine, tmp_path))
    assert request_update(engine, course, "short", sender.send("course")) is True
    assert request_update(engine, course, "short", sender.send("course")) is False
    assert sender.sent == [("course", "short")]
    assert sender.waiting() == {"short": 1, "medium": 0, "long": 0}
    row = request_row(engine, course)
    assert row.queued_at is not None and row.queue == "short"


def test_once_a_worker_took_the_message_the_next_request_sends_again(db, tmp_path, sender):
    engine = db
    course = cid(engine, course_on(engine, tmp_path))
    assert request_update(engine, course, "short", sender.send("course"))
    taken(engine, course)
    assert request_row(engine, course).queued_at is None
    assert request_update(engine, course, "medium", sender.send("course", "medium")) is True
    assert sender.sent == [("course", "short"), ("course", "medium")]
    assert request_row(engine, course).queue == "medium"
    assert request_update(engine, course, "short", sender.send("course")) is False  # coalesced again


def test_taken_without_any_request_is_harmless(engine, tmp_path, sender):
    course = cid(engine, course_on(engine, tmp_path))
    taken(engine, course)
    assert request_update(engine, course, "short", sender.send("course")) is True


def test_a_message_queued_longer_than_it_can_have_waited_is_presumed_lost_and_sent_again(db, tmp_path, sender):
    engine = db
    course = cid(engine, course_on(engine, tmp_path))
    assert request_update(engine, course, "short", sender.send("course"))
    with engine.begin() as conn:  # queued just under the limit: still waiting
        conn.execute(update(update_requests).values(queued_at=now_utc() - QUEUED_EXPIRES + timedelta(minutes=5)))
    assert request_update(engine, course, "short", sender.send("course")) is False
    with engine.begin() as conn:  # its broker lost it long ago
        conn.execute(update(update_requests).values(queued_at=now_utc() - QUEUED_EXPIRES - timedelta(minutes=5)))
    assert request_update(engine, course, "short", sender.send("course")) is True
    assert len(sender.sent) == 2
    assert request_row(engine, course).queued_at >= now_utc() - timedelta(minutes=1)  # claimed anew


def test_a_send_that_fails_leaves_no_claim_behind(db, tmp_path, sender):
    engine = db
    course = cid(engine, course_on(engine, tmp_path))

    def refused():
        raise ConnectionError("broker down")

    with pytest.raises(ConnectionError):
        request_update(engine, course, "short", refused)
    assert request_update(engine, course, "short", sender.send("course")) is True  # not coalesced into nothing
    assert sender.waiting()["short"] == 1


def test_a_send_to_an_unreachable_broker_leaves_no_claim_behind(engine, tmp_path, redis_url, sender):
    import redis

    course = cid(engine, course_on(engine, tmp_path))
    down = Sender("redis://127.0.0.1:1/0")
    try:
        with pytest.raises(redis.exceptions.ConnectionError):
            request_update(engine, course, "short", down.send("course"))
    finally:
        down.broker.close()
    assert request_update(engine, course, "short", sender.send("course")) is True


def race(url: str, course: int, redis_url: str) -> tuple[list[bool], Sender]:
    """Schedulers, each with its own engine, request the course at once."""
    shared = Sender(redis_url)
    results = at_once(url, lambda engine: request_update(engine, course, "short", shared.send("course")))
    assert all(isinstance(r, bool) for r in results), results
    return results, shared


def test_concurrent_requests_send_exactly_one_message(any_url, tmp_path, redis_url):
    engine = open_db(any_url)
    try:
        course = cid(engine, course_on(engine, tmp_path))
        for round_ in range(3):  # the first race creates the request row; the next ones update it
            results, shared = race(any_url, course, redis_url)
            try:
                assert sorted(results) == [False] * 7 + [True], f"round {round_}"
                assert len(shared.sent) == 1
                assert shared.waiting()["short"] == round_ + 1  # one more message per round, really sent
            finally:
                shared.broker.close()
            taken(engine, course)  # a worker takes it: the next round sends one again
    finally:
        engine.dispose()
