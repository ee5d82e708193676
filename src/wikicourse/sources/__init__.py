"""Where revisions come from: what a source gives (base), and an XML export read offline (dump).
The live wiki's source is in `wiki/`; `wikis.open_source` picks one for an API URL."""
from .base import TRACKED_NAMESPACES, Contribution, RevisionSource

__all__ = ["TRACKED_NAMESPACES", "Contribution", "RevisionSource"]
