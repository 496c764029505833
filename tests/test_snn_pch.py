"""The shared precompiled header of the builds (:mod:`brainlearn.snn.pch`).

Made once per cache directory and used by GCC for a unit compiled with the build's flags,
to the same object code; anything that keeps it from being made (no GCC, a failing
compiler, a path the makefile cannot hold, a directory that cannot be made) gives no
arguments and no error.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from brainlearn.snn import build, pch

GCC = pch._gcc_version(pch.compiler()) is not None
needs_gcc = pytest.mark.skipif(not GCC, reason="the C++ compiler is not GCC")

#: a unit like Brian2's (they all include <iostream>, whose static initialiser the header
#: would otherwise add)
UNIT = """#include <cmath>
#include <iostream>
#include <vector>
#include <random>
double f(const std::vector<double>& v) {
    double s = 0.0;
    for (double x : v) s += std::exp(-x) * 0.5;
    return s;
}
"""


def _script(path: Path, body: str) -> Path:
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    d = tmp_path_factory.mktemp("pch")
    return d, pch.include_args(d, build.COMPILE_ARGS)


@needs_gcc
def test_the_header_is_made_once_and_then_reused(made):
    d, args = made
    assert len(args) == 1 and args[0].startswith("-include")
    header = Path(args[0].removeprefix("-include"))
    gch = header.with_name(header.name + ".gch")
    assert header.is_file() and gch.is_file() and header.parent.parent == d.resolve()
    stamp = gch.stat().st_mtime_ns
    assert pch.include_args(d, build.COMPILE_ARGS) == args
    assert gch.stat().st_mtime_ns == stamp
    assert not list(d.glob("*.tmp-*"))
    # other flags: another header beside it, not this one overwritten
    other = pch.include_args(d, [*build.COMPILE_ARGS, "-O2"])
    assert other and other != args and gch.stat().st_mtime_ns == stamp


@needs_gcc
def test_gcc_uses_it_and_compiles_the_same_code(made, tmp_path):
    _, args = made
    src = tmp_path / "unit.cpp"
    src.write_text(UNIT)
    flags = ["-c", "-Wno-write-strings", *build.COMPILE_ARGS]
    with_pch = subprocess.run([pch.compiler(), *flags, *args, "-H", str(src), "-o",
                               str(tmp_path / "a.o")], capture_output=True, text=True)
    assert with_pch.returncode == 0, with_pch.stderr
    # -H marks a precompiled header GCC used with "!" (and one it could not use with "x")
    assert any(line.startswith("! ") and line.endswith(".gch")
               for line in with_pch.stderr.splitlines()), with_pch.stderr[:2000]
    plain = subprocess.run([pch.compiler(), *flags, str(src), "-o", str(tmp_path / "b.o")],
                           capture_output=True, text=True)
    assert plain.returncode == 0, plain.stderr
    if shutil.which("objdump") is None:
        pytest.skip("no objdump to compare the object code")

    def code(obj):
        out = subprocess.run(["objdump", "-d", str(obj)], capture_output=True, text=True,
                             check=True).stdout
        return out.split("\n", 3)[3]  # past the file name line

    assert code(tmp_path / "a.o") == code(tmp_path / "b.o")


def test_no_gcc_no_header(tmp_path, monkeypatch):
    fake = _script(tmp_path / "clang++", 'echo "clang version 17.0.6"\n')
    monkeypatch.setenv("CXX", str(fake))
    assert pch.include_args(tmp_path / "pch", build.COMPILE_ARGS) == []
    assert not (tmp_path / "pch").exists()


def test_a_failing_compiler_leaves_no_header_and_raises_nothing(tmp_path, monkeypatch):
    fake = _script(tmp_path / "g++", 'if [ "$1" = "--version" ]; then echo "g++ (GCC) 12.2.0";'
                   ' exit 0; fi\necho "internal compiler error" >&2\nexit 1\n')
    monkeypatch.setenv("CXX", str(fake))
    d = tmp_path / "pch"
    assert pch.include_args(d, build.COMPILE_ARGS) == []
    assert not [p for p in d.iterdir() if not p.name.endswith(".lock")]


@needs_gcc
@pytest.mark.parametrize("where", ["a file on the way", "a space in the path"])
def test_a_directory_it_cannot_use_gives_no_arguments(tmp_path, where):
    if where == "a file on the way":
        (tmp_path / "file").write_text("")
        d = tmp_path / "file" / "pch"
    else:
        d = tmp_path / "with space" / "pch"
    assert pch.include_args(d, build.COMPILE_ARGS) == []


def test_flag_checks_are_remembered_per_compiler(tmp_path, monkeypatch):
    """The flags Brian2's compiler checks found to compile are stored in the cache and
    start the next build's checks; a damaged file or a directory that cannot be written changes
    nothing but the speed."""
    cpp_prefs = pytest.importorskip("brian2.codegen.cpp_prefs")
    known: dict = {}
    monkeypatch.setattr(cpp_prefs, "_compiler_flag_compatibility", known)
    with pch.remember_flag_checks(tmp_path):
        known[("cc", "-O1")] = True  # what a check concludes
        known[("cc", "-fno-such-flag")] = False
    files = list(tmp_path.glob("flags-*.json"))
    assert len(files) == 1
    fresh: dict = {}
    monkeypatch.setattr(cpp_prefs, "_compiler_flag_compatibility", fresh)
    with pch.remember_flag_checks(tmp_path):
        # only what compiled is kept: a failed check is made again, never a flag dropped
        assert fresh == {("cc", "-O1"): True}
    # another compiler: its own file, nothing of this one's answers
    monkeypatch.setenv("CC", "another-cc")
    other: dict = {}
    monkeypatch.setattr(cpp_prefs, "_compiler_flag_compatibility", other)
    with pch.remember_flag_checks(tmp_path):
        assert other == {}
    monkeypatch.delenv("CC")
    files[0].write_text("{not json")
    damaged: dict = {}
    monkeypatch.setattr(cpp_prefs, "_compiler_flag_compatibility", damaged)
    with pch.remember_flag_checks(tmp_path):
        assert damaged == {}
        damaged[("cc", "-w")] = True
    assert json.loads(files[0].read_text()) == [["cc", "-w", True]]
    (tmp_path / "file").write_text("")
    with pch.remember_flag_checks(tmp_path / "file" / "pch"):
        damaged[("cc", "-O2")] = True  # cannot be stored: no error


def test_gcc_is_recognised_by_any_name(tmp_path, monkeypatch):
    fake = _script(tmp_path / "c++", 'echo "c++ (Debian 12.2.0-14) 12.2.0"\n'
                   'echo "Copyright (C) 2022 Free Software Foundation, Inc."\n')
    assert pch._gcc_version(str(fake)) == "c++ (Debian 12.2.0-14) 12.2.0"
    clang = _script(tmp_path / "cc", 'echo "Debian clang version 14.0.6"\n')
    assert pch._gcc_version(str(clang)) is None


@needs_gcc
def test_a_header_in_use_is_not_removed_under_a_build(made):
    """A build holds its header's lock shared while it compiles; ``brainlearn cache
    --clear`` (remove_build, the lock taken exclusively) waits for it."""
    import threading

    from brainlearn.snn.cache import remove_build

    d, args = made
    header = Path(args[0].removeprefix("-include"))
    removed = threading.Event()
    with pch.header(d, build.COMPILE_ARGS) as in_use:
        assert in_use == args
        t = threading.Thread(target=lambda: (remove_build(header.parent), removed.set()))
        t.start()
        assert not removed.wait(0.5) and header.is_file()
    t.join(10)
    assert removed.is_set() and not header.parent.exists()
    with pch.header(d, build.COMPILE_ARGS) as again:  # made again for the next build
        assert again == args and header.with_name(header.name + ".gch").is_file()
