"""Wikidata (any Wikibase repository): what students' edits did to entities (docs/wikidata.md).

summary: the figures of one revision, read off its machine-readable edit summary;
store: those figures kept per stored revision; derive: per student and window, from the
course's finest grain; figures: read out for stats, the API, CSV and campaigns.
"""
from .summary import FIGURES, figures_of

__all__ = ["FIGURES", "figures_of"]
