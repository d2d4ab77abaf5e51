from pathlib import Path

import pytest

from qa import Settings
from qa.settings import SettingError


def test_env_vars_override_defaults_and_keywords_override_env(monkeypatch):
    monkeypatch.setenv("QA_TOP_K", "7")
    monkeypatch.setenv("QA_MIN_SUPPORT", "0.25")
    monkeypatch.setenv("QA_INDEX_DIR", "/tmp/somewhere")
    monkeypatch.setenv("QA_READER_MODEL", "Qwen/Qwen2.5-1.5B-Instruct")
    s = Settings.from_env(top_k=3)
    assert s.top_k == 3 and s.min_support == 0.25
    assert s.index_dir == Path("/tmp/somewhere")
    assert s.reader_model == "Qwen/Qwen2.5-1.5B-Instruct"


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [("QA_EXTRACT_PASS", "ture", "true or false"), ("QA_TOP_K", "five", "a number")],
)
def test_a_bad_value_is_refused_naming_the_variable(monkeypatch, name, value, expected):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingError, match=f"{name}='{value}': expected {expected}"):
        Settings.from_env()


def test_booleans_read_both_ways(monkeypatch):
    monkeypatch.setenv("QA_EXTRACT_PASS", " Off ")
    assert Settings.from_env().extract_pass is False
    monkeypatch.setenv("QA_EXTRACT_PASS", "YES")
    assert Settings.from_env().extract_pass is True
