import hashlib
from pathlib import Path

import pytest

from qa.files import sha256_file, write_atomic


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path: Path):
    target = tmp_path / "a.txt"
    write_atomic(target, lambda tmp: tmp.write_text("old"), mode=0o644)

    def fail(tmp: Path) -> None:
        tmp.write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, fail)
    assert target.read_text() == "old" and target.stat().st_mode & 0o777 == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_sha256_of_a_file(tmp_path: Path):
    path = tmp_path / "b.bin"
    path.write_bytes(b"x" * 10_000_000)
    assert sha256_file(path) == hashlib.sha256(b"x" * 10_000_000).hexdigest()
