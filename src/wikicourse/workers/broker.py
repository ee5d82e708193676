"""The Dramatiq broker on Redis, its queues, and the one actor: update a course.

Queues sort updates by their measured cost (schedule.py), so that a huge course never
holds up small ones: run workers on every queue, or dedicate some to `short`.
"""
from __future__ import annotations

from typing import Callable

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import Retries, ShutdownNotifications

from .. import settings

QUEUES = ("short", "medium", "long")
ACTOR = "update_course"


def make_broker(redis_url: str) -> RedisBroker:
    """A broker whose messages survive a killed worker: unacknowledged, they go back to their
    queue once the worker has missed heartbeats for $WIKICOURSE_BROKER_HEARTBEAT_MS (60 s;
    settings.broker, which the commands read first: a bad value is refused before they start)."""
    # No TimeLimit or AgeLimit: an update takes as long as it takes (the wiki client has its
    # own budgets), and a message that waited is still wanted.
    middleware = [ShutdownNotifications(), Retries(max_retries=3, min_backoff=15_000, max_backoff=300_000)]
    # maintenance_chance: the sweep that requeues dead workers' messages, often (queues are short)
    broker = RedisBroker(url=redis_url, middleware=middleware, **settings.broker())
    for queue in QUEUES:
        broker.declare_queue(queue)
    return broker


def declare_actor(broker: RedisBroker, handler: Callable[[str, bool], None]) -> dramatiq.Actor:
    """The update actor on `broker`; `handler(slug, full)` runs it (a sender may pass any handler)."""
    return dramatiq.actor(handler, broker=broker, actor_name=ACTOR, queue_name=QUEUES[0])


def send(broker: RedisBroker, actor: dramatiq.Actor, slug: str, queue: str, delay_ms: int | None = None,
         full: bool = False) -> None:
    broker.enqueue(actor.message(slug, full).copy(queue_name=queue), delay=delay_ms)


def queue_lengths(broker: RedisBroker) -> dict[str, dict[str, int]]:
    """Messages waiting, and delayed, per queue (Dramatiq keeps a delayed queue beside each)."""
    client, ns = broker.client, broker.namespace
    return {q: {"waiting": client.llen(f"{ns}:{q}"), "delayed": client.llen(f"{ns}:{q}.DQ")} for q in QUEUES}
