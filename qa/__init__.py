"""article-qa: offline question answering with citations over a folder of news articles.

from qa import answer
result = answer("Where did Jake Sullivan and Wang Yi hold talks?")
result.text, result.abstained, result.citations
"""

from .answers import Answer, Citation
from .settings import Settings


def __getattr__(name: str):
    """The pipeline (FAISS, torch) loads on first use, so the data types import light."""
    if name in ("QA", "answer", "default_qa"):
        from . import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'qa' has no attribute {name!r}")


__all__ = ["QA", "Answer", "Citation", "Settings", "answer", "default_qa"]
