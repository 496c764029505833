"""Figures are rebuilt from saved results only; absent data skip a figure instead of failing."""

from __future__ import annotations

import shutil

import pytest

from brainlearn.cli import main
from brainlearn.figures.build import FIGURES, build_figures
from brainlearn.runner.energy import ENERGY_PJ, ENERGY_SOURCES
from brainlearn.runner.storage import load_records

EXPECTED = {"accuracy_by_task", "decision_boundaries", "learning_curves", "spike_raster",
            "receptive_fields", "data_scarcity", "compute_cost", "robustness",
            "weight_evolution", "contributions", "two_by_two", "confusion_matrix",
            "validation_vs_test", "presentation_time"}
#: drawn from the tiny fixture (test-only models); contributions needs the learners and their
#: controls (snn-stdp, snn-frozen, ...) and is drawn in tests/test_contributions.py; two_by_two
#: needs its four corners' models and is drawn in tests/test_two_by_two.py; the tiny spec asks
#: for no confusion matrix (issue 9's multi-class figures: tests/test_figures_multiclass.py)
#: nor presentation times (issue 23: tests/test_codes.py); validation_vs_test needs tuned
#: runs and is drawn in tests/test_tune.py
DRAWN = EXPECTED - {"contributions", "two_by_two", "confusion_matrix", "presentation_time",
                    "validation_vs_test"}


def test_the_figure_set_is_the_one_the_issue_names():
    assert set(FIGURES) == EXPECTED


@pytest.fixture(scope="module")
def built(fixture_results):
    """Every figure and table rebuilt by `brainlearn figures DIR`, with models made unusable:
    the figures must come from the saved results alone."""
    from brainlearn.figures import build

    def refuse(*a, **k):
        raise AssertionError("a model was run")

    drawn = {}
    original = build.build_figures

    def keep(*a, **k):
        drawn.update(original(*a, **k))
        return drawn

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("brainlearn.runner.execute._execute", refuse)
        mp.setattr("brainlearn.registry.make_model", refuse)
        mp.setattr(build, "build_figures", keep)
        assert main(["figures", str(fixture_results)]) == 0
    return drawn


def test_every_figure_is_written_as_png_and_svg(fixture_results, built):
    result = built
    assert {k for k, v in result.items() if "paths" in v} == DRAWN, result
    assert all("skipped" in result[n] for n in EXPECTED - DRAWN)
    for name in DRAWN:
        png = fixture_results / "figures" / f"{name}.png"
        svg = fixture_results / "figures" / f"{name}.svg"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
        assert b"<svg" in svg.read_bytes()[:2000] and svg.stat().st_size > 5000
    captions = (fixture_results / "figures" / "captions.md").read_text()
    assert all(f"## {name}" in captions for name in DRAWN)


def test_compute_cost_states_the_energies_and_their_sources(built):
    """The caption carries the per-operation energies and where they come from."""
    cap = built["compute_cost"]["caption"]
    for kind, pj in ENERGY_PJ.items():
        assert f"{pj} pJ" in cap and ENERGY_SOURCES[kind] in cap


def test_rebuilding_gives_the_same_svg(fixture_results, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for d in (a, b):
        shutil.copytree(fixture_results / "results", d / "results")
        build_figures(d, names=["spike_raster", "decision_boundaries"])
    for name in ("spike_raster", "decision_boundaries"):
        assert (a / "figures" / f"{name}.svg").read_bytes() == \
            (b / "figures" / f"{name}.svg").read_bytes()


def test_figures_drawn_in_processes_are_the_same_files(fixture_results, tmp_path,
                                                       monkeypatch):
    """Drawn in two processes (the command line's way for a large result set), every
    figure is the same file, with the same outcome, as drawn in this one."""
    from brainlearn.figures import build

    monkeypatch.setattr(build, "PARALLEL_MIN_RECORDS", 0)  # the fixture's few records
    started = []
    real = build._draw_in_processes
    monkeypatch.setattr(build, "_draw_in_processes",
                        lambda *a, **k: started.append(a) or real(*a, **k))
    a, b = tmp_path / "a", tmp_path / "b"
    for d in (a, b):
        shutil.copytree(fixture_results / "results", d / "results")
    names = ["accuracy_by_task", "decision_boundaries", "spike_raster", "learning_curves",
             "confusion_matrix"]
    serial = build_figures(a, names=names, jobs=1)
    assert not started
    parallel = build_figures(b, names=names, jobs=2)
    assert len(started) == 1
    assert list(parallel) == list(serial)
    for name, v in serial.items():
        w = parallel[name]
        assert w.keys() == v.keys() and w.get("caption") == v.get("caption"), name
        for path in v.get("paths", []):
            other = b / "figures" / path.rsplit("/", 1)[-1]
            assert other.read_bytes() == (a / "figures" / other.name).read_bytes(), path
    assert sum("paths" in v for v in serial.values()) >= 3


def test_figures_command_writes_the_tables_too(fixture_results, built):
    for name in ("summary.csv", "stats.csv", "summary.md"):
        assert (fixture_results / "results" / name).stat().st_size > 0


def test_absent_data_skips_a_figure_with_a_note(fixture_results, tmp_path, caplog):
    mlp_only = [r for r in load_records(fixture_results) if r.family == "mlp"]
    assert mlp_only
    with caplog.at_level("INFO", logger="brainlearn.figures.build"):
        result = build_figures(tmp_path, records=mlp_only,
                               names=["spike_raster", "weight_evolution", "data_scarcity"])
    assert "spiking" in result["spike_raster"]["skipped"]
    assert "skipped" in result["weight_evolution"]
    assert "paths" in result["data_scarcity"]
    assert "figure spike_raster skipped" in caplog.text
    assert not (tmp_path / "figures" / "spike_raster.png").exists()

    nothing = build_figures(tmp_path / "empty", records=[])
    assert all("skipped" in v for v in nothing.values())


def test_figures_without_results_is_a_usage_error(tmp_path, capsys):
    assert main(["figures", str(tmp_path)]) == 2
    assert "no saved runs" in capsys.readouterr().err


def test_readme_block_is_generated_from_summary_csv(fixture_results, tmp_path):
    from brainlearn._readme import markers
    from brainlearn.runner.report import update_readme_from_results

    README_START, README_END = markers("results")

    readme = tmp_path / "README.md"
    readme.write_text(f"x\n{README_START}\n{README_END}\n")
    assert update_readme_from_results(readme, fixture_results)
    text = readme.read_text()
    assert "| task | test-centroid (mlp) | spiky (snn) |" in text
    assert "| xor |" in text and "| breast-cancer |" in text


def test_readme_multiclass_block_comes_from_the_multiclass_results_directory(
        fixture_results, tmp_path):
    """The README's multiclass block is drawn from ``results-multiclass/`` under the output
    directory, and left alone while that directory has no results."""
    from brainlearn._readme import markers
    from brainlearn.runner.report import update_readme_from_results

    out = tmp_path / "out"
    shutil.copytree(fixture_results, out)
    readme = tmp_path / "README.md"
    (r0, r1), (m0, m1) = markers("results"), markers("multiclass")
    readme.write_text(f"{r0}\n{r1}\nK classes:\n{m0}\nold\n{m1}\n")
    update_readme_from_results(readme, out)
    assert "\nold\n" in readme.read_text()  # no multiclass results yet
    shutil.copytree(fixture_results / "results", out / "results-multiclass" / "results")
    assert update_readme_from_results(readme, out)
    text = readme.read_text()
    block = text[text.index(m0):text.index(m1)]
    assert "old" not in block and "| task | test-centroid (mlp) | spiky (snn) |" in block


def test_readme_summaries_and_the_results_page_are_written_together(fixture_results,
                                                                    tmp_path, capsys):
    """``--readme README.md`` writes the long tables into RESULTS.md beside it and the short
    summaries into the README; a block in both files is refused before any work."""
    from brainlearn._readme import markers
    from brainlearn.runner.report import update_readme_from_results

    out = tmp_path / "out"
    shutil.copytree(fixture_results, out)
    shutil.copytree(fixture_results / "results", out / "results-multiclass" / "results")
    readme, page = tmp_path / "README.md", tmp_path / "RESULTS.md"
    (s0, s1), (m0, m1) = markers("results-summary"), markers("multiclass-summary")
    readme.write_text(f"# x\n{s0}\nSTALE\n{s1}\nsee RESULTS.md\n{m0}\nSTALE\n{m1}\n")
    (r0, r1), (k0, k1) = markers("results"), markers("multiclass")
    page.write_text(f"# Results\n{r0}\nSTALE\n{r1}\n{k0}\nSTALE\n{k1}\n")
    assert update_readme_from_results(readme, out)  # the page found beside the README
    text, tables = readme.read_text(), page.read_text()
    assert "STALE" not in text and "STALE" not in tables
    assert "| task | test-centroid (mlp) | spiky (snn) |" in tables  # the long tables
    assert "| task | backprop MLP | spiking, local rules |" in text  # the summaries
    assert text.count("| xor |") == 2 and "#### Test accuracy" not in text
    assert not update_readme_from_results(readme, out)  # idempotent
    # the same through the command line, and a block in both files is a usage error
    assert main(["figures", str(out), "--readme", str(readme)]) == 0
    assert f"{readme} and {page} already up to date" in capsys.readouterr().err
    readme.write_text(readme.read_text() + f"{r0}\n{r1}\n")
    assert main(["figures", str(out), "--readme", str(readme)]) == 2
    assert "in both" in capsys.readouterr().err
    # without the page the README must hold the results block itself
    readme.write_text(f"{s0}\n{s1}\n")
    assert main(["figures", str(out), "--readme", str(readme), "--results-page",
                 str(tmp_path / "none.md")]) == 2


def test_seed_replication_figure_is_rebuilt_when_its_results_exist(tmp_path):
    from pathlib import Path

    src = Path(__file__).resolve().parent.parent / "results" / "seed_replication.json"
    if not src.is_file():
        pytest.skip("results/seed_replication.json is not in this checkout")
    assert "skipped" in build_figures(tmp_path, records=[],
                                      names=["seed_replication"])["seed_replication"]
    (tmp_path / "results").mkdir()
    shutil.copy(src, tmp_path / "results" / "seed_replication.json")
    res = build_figures(tmp_path, records=[], names=["seed_replication"])
    assert (tmp_path / "figures" / "seed_replication.png").stat().st_size > 0, res


def test_figures_before_any_run_draws_the_seed_replication_only(tmp_path, capsys):
    from pathlib import Path

    src = Path(__file__).resolve().parent.parent / "results" / "seed_replication.json"
    if not src.is_file():
        pytest.skip("results/seed_replication.json is not in this checkout")
    (tmp_path / "results").mkdir()
    shutil.copy(src, tmp_path / "results" / "seed_replication.json")
    assert main(["figures", str(tmp_path)]) == 0
    assert (tmp_path / "figures" / "seed_replication.png").stat().st_size > 0
    assert "run `brainlearn run` first" in capsys.readouterr().err
