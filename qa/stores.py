"""Opening the passage store the settings name: the one place that knows both engines, so the
interface (`qa.store`) and the engines (`qa.index`, `qa.milvus`) need not know each other."""

from __future__ import annotations

from .embedding import Embedder
from .settings import Settings
from .store import PassageStore


def open_store(settings: Settings, embedder: Embedder) -> PassageStore:
    """The store `settings.store` names (empty: FAISS under `settings.index_dir`), for passages
    made by `embedder` with the settings' chunking."""
    from .ingest import signature

    s = settings
    made_by = signature(embedder.model_name, s.chunk_chars, s.chunk_overlap_sentences)
    if not s.store:
        from .index import ArticleIndex

        return ArticleIndex(s.index_dir, made_by, s.ann_threshold, s.ivf_nprobe, s.max_segments)
    from .milvus import MilvusStore

    return MilvusStore(s.store, made_by, lambda: embedder.dimension, s.store_batch)
