"""The build cache: `brainlearn cache` lists compiled programs and removes stale ones."""

import json
from pathlib import Path

import pytest

pytest.importorskip("brian2")

from brainlearn.cli import main  # noqa: E402
from brainlearn.snn.build import build_key  # noqa: E402
from brainlearn.snn.cache import cached_builds, remove_build  # noqa: E402
from brainlearn.snn.model import SpikingClassifier  # noqa: E402


def _fake_build(snn_dir: Path, key: str, desc: dict | None, size: int) -> Path:
    build = snn_dir / key
    (build / "runs").mkdir(parents=True)
    (build / "main").write_bytes(b"x" * size)
    (build / "brainlearn_map.json").write_text("{}")
    if desc is not None:
        (build / "spec.json").write_text(json.dumps(desc))
    (snn_dir / f"{key}.lock").touch()
    return build


@pytest.fixture
def base(tmp_path):
    spec = SpikingClassifier(n_hidden=4, n_per_feature=3, n_per_class=2)._make_spec(2)
    snn = tmp_path / "worker-0" / "snn"  # as a sweep's per-worker cache lays it out
    _fake_build(snn, build_key(spec), spec.describe(), 1000)  # what this code compiles today
    _fake_build(snn, "0123456789abcdef0123", spec.describe(), 3000)  # older code: stale
    _fake_build(snn, "fedcba9876543210fedc", None, 500)  # no description: stale
    (snn / "half.tmp-1234").mkdir()  # a build in progress is not listed
    return tmp_path, build_key(spec)


def test_builds_are_listed_with_size_and_staleness(base):
    root, fresh = base
    builds = {b["key"]: b for b in cached_builds(root)}
    assert set(builds) == {fresh, "0123456789abcdef0123", "fedcba9876543210fedc"}
    assert builds[fresh]["stale"] is False
    assert builds["0123456789abcdef0123"]["stale"] and builds["fedcba9876543210fedc"]["stale"]
    assert builds[fresh]["bytes"] == 1000 + len("{}") + len(
        (builds[fresh]["path"] / "spec.json").read_text())
    assert cached_builds(root / "missing") == []


def test_remove_build_deletes_the_directory_and_its_lock(base):
    root, fresh = base
    path = next(b["path"] for b in cached_builds(root) if b["key"] == fresh)
    remove_build(path)
    assert not path.exists() and not (path.parent / f"{fresh}.lock").exists()


def test_cli_clears_only_stale_builds(base, capsys):
    root, fresh = base
    assert main(["cache", str(root)]) == 0
    out = capsys.readouterr().out
    assert "3 build(s)" in out and out.count("(stale)") == 2
    assert main(["cache", str(root), "--stale", "--clear"]) == 0
    assert "removed 2 build(s)" in capsys.readouterr().out
    assert [b["key"] for b in cached_builds(root)] == [fresh]
    assert (root / "worker-0" / "snn" / "half.tmp-1234").is_dir()


def test_default_base_follows_the_environment(base, monkeypatch, capsys):
    root, fresh = base
    monkeypatch.setenv("BRAINLEARN_CACHE", str(root / "worker-0"))
    monkeypatch.chdir(root)
    assert main(["cache"]) == 0
    out = capsys.readouterr().out
    assert f"under {root / 'worker-0'}" in out
    for key in (fresh, "0123456789abcdef0123", "fedcba9876543210fedc"):
        assert str(root / "worker-0" / "snn" / key) in out


def test_precompiled_headers_are_listed_and_a_stale_one_cleared(base, monkeypatch, capsys):
    """The builds' shared precompiled headers (``snn/pch/<key>``) are listed with the
    programs; one this compiler and these flags would not use is stale."""
    from brainlearn.snn import pch

    root, fresh = base
    monkeypatch.setattr(pch, "header_key", lambda flags: "aaaaaaaaaaaaaaaa")
    for key, size in (("aaaaaaaaaaaaaaaa", 700), ("bbbbbbbbbbbbbbbb", 900)):
        d = root / "worker-0" / "snn" / "pch" / key
        d.mkdir(parents=True)
        (d / pch.PCH_NAME).write_text("")
        (d / (pch.PCH_NAME + ".gch")).write_bytes(b"g" * size)
    found = {b["key"]: b for b in cached_builds(root)}
    assert found["pch/aaaaaaaaaaaaaaaa"]["stale"] is False
    assert found["pch/bbbbbbbbbbbbbbbb"]["stale"] and found["pch/bbbbbbbbbbbbbbbb"]["bytes"] == 900
    assert main(["cache", str(root), "--stale", "--clear"]) == 0
    capsys.readouterr()
    assert sorted(b["key"] for b in cached_builds(root)) == sorted(["pch/aaaaaaaaaaaaaaaa", fresh])


def test_headers_are_not_called_stale_where_the_compiler_is_unknown(base, monkeypatch):
    from brainlearn.snn import pch

    root, _ = base
    monkeypatch.setattr(pch, "header_key", lambda flags: None)  # no GCC on this path
    d = root / "worker-0" / "snn" / "pch" / "cccccccccccccccc"
    d.mkdir(parents=True)
    (d / (pch.PCH_NAME + ".gch")).write_bytes(b"g")
    assert {b["key"]: b["stale"] for b in cached_builds(root)}["pch/cccccccccccccccc"] is False
