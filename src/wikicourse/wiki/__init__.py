"""The MediaWiki Action API client: transport, retries, requests, and the revision source built on them."""
from wikicourse.wiki.api import ActionAPI
from wikicourse.wiki.retry import Retry, RetryPolicy
from wikicourse.wiki.source import MediaWikiSource
from wikicourse.wiki.transport import Transport, default_user_agent

__all__ = ["ActionAPI", "MediaWikiSource", "Retry", "RetryPolicy", "Transport", "default_user_agent"]
