import json

import pytest

from brainlearn._readme import update_readme
from brainlearn.runner.report import benchmarks_block


def test_update_readme_replaces_only_the_named_block(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(
        "intro\n<!-- results:start -->\nold\n<!-- results:end -->\n"
        "mid\n<!-- benchmarks:start -->\nold bench\n<!-- benchmarks:end -->\nend\n"
    )
    assert update_readme(readme, "| new |", block="benchmarks")
    text = readme.read_text()
    assert "old\n" in text and "old bench" not in text and "| new |" in text
    assert text.startswith("intro\n") and text.endswith("end\n")
    assert not update_readme(readme, "| new |", block="benchmarks")  # idempotent
    with pytest.raises(ValueError, match="nothere:start"):
        update_readme(readme, "x", block="nothere")


def test_benchmarks_block_is_generated_from_the_json(tmp_path):
    assert benchmarks_block(tmp_path) is None
    (tmp_path / "mlp.json").write_text(json.dumps({
        "n_samples": 1000,
        "model_params": {"epochs": 100, "batch_size": 32},
        "fit_seconds": {"numba_median": 0.008, "numpy_median": 0.32},
        "speedup_vs_numpy": 40.0,
        "same_algorithm_check": {"max_abs_weight_diff": 1e-15},
        "cold_start": {"cache_warm": {"first_fit_s": 0.25},
                       "cache_cleared": {"first_fit_s": 6.0}},
        "environment": {"date": "2026-11-26", "cpu_count": 2},
    }))
    block = benchmarks_block(tmp_path)
    assert "8.0 ms" in block and "320 ms" in block and "**40x**" in block
    assert "0.25 s" in block and "6.0 s" in block


def test_spiking_speed_block_is_generated_from_the_json(tmp_path):
    phases = {"write_inputs": 1.0, "process_start": 2.0, "setup": 3.0, "loop": 50.0,
              "write_results": 4.0, "process_exit": 5.0, "read_results": 6.0}
    model = {"fit_us": 280.0, "predict_batched_us": 70.0, "predict_sequential_us": 700.0,
             "accuracy_batched": [0.96, 0.97], "accuracy_sequential": [0.965, 0.965],
             "breakdown_us": {"fit": phases, "predict_batched": phases,
                              "predict_sequential": phases}}
    (tmp_path / "snn.json").write_text(json.dumps({
        "date": "2026-11-27", "task": "xor", "n_samples": 1000,
        "machine": {"cpus": 2, "load_before": [1.5, 1.0, 1.0]},
        "per_sample_us": {"snn-stdp": model},
        "ratios": {"naive_over_fit": 900.0, "naive_over_predict": 3500.0,
                   "fit_over_floor": 4.7, "predict_over_floor": 1.2},
        "floor": {"floor_us": 60.0, "neuron_updates_per_sample": 45200.0,
                  "ns_per_neuron_update": 1.2, "synaptic_events_per_sample": 9000.0,
                  "ns_per_synaptic_event": 0.7},
        "naive": {"fit_us": 250000.0, "predict_us": 245000.0},
        "builds": {"programs": 4, "parallel_build_s": 50.0, "fresh_process_rebuilt": False},
        "loop_profile": {"predict_batched": {"neuron_updates": 0.5, "kernel": 0.1}},
    }))
    block = benchmarks_block(tmp_path)
    assert "| snn-stdp | 280 µs | 70 µs | 700 µs | 0.965 / 0.965 |" in block
    assert "**900x**" in block and "**3500x**" in block and "4.7x" in block
    assert "| time-step loop | 50.0 | 50.0 | 50.0 |" in block
    assert "reused them" in block and "neuron updates 50 %" in block and "load 1.5" in block

    # with the prediction on two cores: its column, the paired accuracies, its phases
    data = json.loads((tmp_path / "snn.json").read_text())
    data["per_sample_us"]["snn-stdp"].update({
        "predict_batched_jobs": 2, "predict_batched_jobs_us": 40.0,
        "accuracy_batched_jobs": [0.95, 0.98],
    })
    data["per_sample_us"]["snn-stdp"]["breakdown_us"]["predict_batched_2jobs"] = phases
    (tmp_path / "snn.json").write_text(json.dumps(data))
    block = benchmarks_block(tmp_path)
    assert "| snn-stdp | 280 µs | 70 µs | 40 µs | 700 µs | 0.965 / 0.965 / 0.965 |" in block
    assert "predict (batched, n_jobs=2)" in block and "1.75x faster" in block
    assert "(2 pairs): mean +0.0000 (95 % CI -0.1271 to +0.1271, paired t-test p 1.00), " \
        "from -0.010 to +0.010" in block
    assert "| time-step loop | 50.0 | 50.0 | 50.0 | 50.0 |" in block
    assert "n_jobs=2 (summed over the runs)" in block


def test_engine_options_paragraph_is_generated_from_the_json(tmp_path):
    def variant(us, acc, same):
        return {"predict_us": us, "accuracy": acc, "counts_equal_default": same,
                "ratio_to_default": us / 120.0}

    (tmp_path / "engine_options.json").write_text(json.dumps({
        "date": "2026-12-06", "task": "xor", "n_samples": 1000, "rounds": 7,
        "machine": {"cpus": 2, "load_before": 0.4},
        "variants": {"default": variant(120.0, 0.968, True),
                     "float32": variant(118.0, 0.968, True),
                     "openmp-2": variant(240.0, 0.971, False)},
    }))
    block = benchmarks_block(tmp_path)
    assert "default program (120 µs per sample, accuracy 0.968)" in block
    assert "single precision 0.98x (118 µs, the same spike counts)" in block
    assert "on 2 threads 2.00x (240 µs, accuracy 0.971)" in block
    assert "no normal draws" not in block and "load 0.4" in block  # variants not measured


def test_a_block_lives_in_one_of_the_readme_and_its_results_page(tmp_path):
    from brainlearn._readme import locate_blocks, results_page_for, update_block

    readme, page = tmp_path / "README.md", tmp_path / "RESULTS.md"
    readme.write_text("<!-- answer:start -->\nold\n<!-- answer:end -->\n")
    assert results_page_for(readme) is None  # no page yet: the README alone
    page.write_text("# Results\n<!-- results:start -->\nold\n<!-- results:end -->\n")
    assert results_page_for(readme) == page
    assert locate_blocks([readme, page]) == {"answer": readme, "results": page}
    assert update_block([readme, page], "results", "| new |")
    assert "| new |" in page.read_text() and "| new |" not in readme.read_text()
    with pytest.raises(ValueError, match="nothere:start"):
        update_block([readme, page], "nothere", "x")
    # the same block in both files: which one is it? refused, nothing written
    readme.write_text(readme.read_text() + "<!-- results:start -->\n<!-- results:end -->\n")
    before = page.read_text()
    with pytest.raises(ValueError, match="in both"):
        update_block([readme, page], "results", "| newer |")
    assert page.read_text() == before


def test_the_readme_speed_summary_is_generated_from_the_json(tmp_path):
    from brainlearn.runner.glance import benchmarks_summary

    assert benchmarks_summary(tmp_path) is None
    (tmp_path / "mlp.json").write_text(json.dumps({
        "fit_seconds": {"numba_median": 0.008, "numpy_median": 0.32}, "speedup_vs_numpy": 40.0}))
    (tmp_path / "snn.json").write_text(json.dumps({
        "per_sample_us": {"snn-stdp": {"fit_us": 280.0, "predict_batched_us": 70.0}},
        "ratios": {"naive_over_fit": 900.0, "naive_over_predict": 3500.0}}))
    text = benchmarks_summary(tmp_path)
    assert "8.0 ms" in text and "40x faster" in text
    assert "280 µs per training sample and 70 µs per prediction, 900x and 3500x" in text
    (tmp_path / "snn.json").write_text(json.dumps({
        "per_sample_us": {"snn-stdp": {"fit_us": 280.0, "predict_batched_us": 70.0,
                                       "predict_batched_jobs": 2,
                                       "predict_batched_jobs_us": 40.0}},
        "ratios": {"naive_over_fit": 900.0, "naive_over_predict": 3500.0}}))
    assert ("70 µs per prediction on one core (40 µs on 2 cores, `n_jobs=2`), 900x"
            in benchmarks_summary(tmp_path))


def test_the_diagnostics_table_groups_the_warnings_of_the_runs():
    """The results block's diagnostics: one row per model, task, step and kind of warning,
    how many of that model's runs on that task raised it, the numbers as ranges; none
    when no run warned."""
    from types import SimpleNamespace

    from brainlearn.runner.report import diagnostics_markdown

    def rec(model, task, seed, *warnings, n_train=1000):
        return SimpleNamespace(model=model, task=task, run_id=f"{model}-{task}-{seed}-{n_train}",
                               n_train=n_train, warnings=list(warnings) or None)

    def silent(pct, n, during="predict test"):
        return {"category": "RuntimeWarning", "count": 1, "during": during,
                "message": f"the efferent population did not spike in {pct}% of the {n} "
                           "presentations of this prediction: raise w_out_mv"}

    records = [rec("snn-stdp", "digits-parity", 0, silent(60, 539),
                   silent(68, 300, "predict train")),
               rec("snn-stdp", "digits-parity", 1, silent(56, 539)),
               rec("snn-stdp", "digits-parity", 2),
               rec("snn-stdp", "xor", 0),
               rec("snn-stdp", "xor", 0, silent(94, 1000), n_train=10),
               rec("mlp-seed", "xor", 0)]
    md = diagnostics_markdown(records)
    assert md.startswith("**Diagnostics.** 3 of these 6 runs raised warnings")
    rows = [line for line in md.splitlines() if line.startswith("| snn-stdp")]
    assert rows == [  # tasks in the registry's order, steps in a run's order, sizes apart
        "| snn-stdp | xor | 10 | predict test | 1 of 1 | RuntimeWarning: the efferent "
        "population did not spike in 94% of the 1000 presentations of this prediction |",
        "| snn-stdp | digits-parity | 1000 | predict test | 2 of 3 | RuntimeWarning: the "
        "efferent population did not spike in 56 to 60% of the 539 presentations of this "
        "prediction |",
        "| snn-stdp | digits-parity | 1000 | predict train | 1 of 3 | RuntimeWarning: the "
        "efferent population did not spike in 68% of the 300 presentations of this "
        "prediction |"]
    assert diagnostics_markdown([rec("mlp-seed", "xor", 0)]) is None


def test_a_warnings_kind_leaves_words_and_hashes_alone_and_keeps_signs():
    from brainlearn.runner.records import warning_kind
    from brainlearn.runner.report import _with_ranges

    msgs = ["program 184b82f7a862 of 2 inputs rebuilt at -0.5 mV: detail",
            "program 9f0e11aa0b3c of 2 inputs rebuilt at -0.2 mV: other detail"]
    kinds = {warning_kind(m) for m in msgs}
    assert kinds == {"program 184b82f7a862 of # inputs rebuilt at # mV",
                     "program 9f0e11aa0b3c of # inputs rebuilt at # mV"}
    assert _with_ranges("fired # spikes against #", ["fired 1 spikes against -0.5",
                                                     "fired 1.0 spikes against -0.2"]) == (
        "fired 1 spikes against -0.5 to -0.2")
