"""Shared fixtures: the real embedder and one real pipeline over the seed articles.

Heavy objects are session-scoped so the models load once per test run.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from qa import QA, Settings
from qa.embedding import Embedder

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings.from_env()


@pytest.fixture(scope="session")
def embedder(settings: Settings) -> Embedder:
    e = Embedder(settings.embed_model)
    e.warm_up()
    return e


@pytest.fixture(scope="session")
def seed_qa(tmp_path_factory: pytest.TempPathFactory, settings: Settings) -> QA:
    """The real pipeline (real embedder, FAISS index, reader) over the seeds, indexed aside."""
    return QA(SEEDS, tmp_path_factory.mktemp("seed-index"), settings)


@pytest.fixture
def articles_dir(tmp_path: Path) -> Path:
    """A private copy of the seed articles that a test may change."""
    folder = tmp_path / "articles"
    shutil.copytree(SEEDS, folder)
    return folder
