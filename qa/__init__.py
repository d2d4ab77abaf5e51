"""article-qa: offline question answering with citations over a folder of news articles.

from qa import answer
result = answer("Where did Jake Sullivan and Wang Yi hold talks?")
result.text, result.abstained, result.citations
"""

from .answers import Answer, Citation
from .pipeline import QA, answer, default_qa
from .settings import Settings

__all__ = ["QA", "Answer", "Citation", "Settings", "answer", "default_qa"]
