from pathlib import Path

from qa import Settings


def test_env_vars_override_defaults_and_keywords_override_env(monkeypatch):
    monkeypatch.setenv("QA_TOP_K", "7")
    monkeypatch.setenv("QA_MIN_SUPPORT", "0.25")
    monkeypatch.setenv("QA_INDEX_DIR", "/tmp/somewhere")
    monkeypatch.setenv("QA_READER_MODEL", "Qwen/Qwen2.5-1.5B-Instruct")
    s = Settings.from_env(top_k=3)
    assert s.top_k == 3 and s.min_support == 0.25
    assert s.index_dir == Path("/tmp/somewhere")
    assert s.reader_model == "Qwen/Qwen2.5-1.5B-Instruct"
