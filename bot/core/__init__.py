"""The Discord-free core: models, loading and validation, matching, storage."""

from .errors import KnowledgeError, Problem
from .loader import load_article, load_entry_file, load_knowledge
from .matcher import Matcher, MatchSettings
from .models import Article, Entry, KnowledgeBase, Paragraph, Reply, Source, Suggestion

__all__ = [
    "Article",
    "Entry",
    "KnowledgeBase",
    "KnowledgeError",
    "MatchSettings",
    "Matcher",
    "Paragraph",
    "Problem",
    "Reply",
    "Source",
    "Suggestion",
    "load_article",
    "load_entry_file",
    "load_knowledge",
]
