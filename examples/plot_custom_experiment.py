"""
A custom experiment
===================

An experiment is a TOML file (:doc:`/guide/toml`). Here one is written from Python, run
with the runner's API into a temporary directory, and read back: the records, the
statistics table and a figure -- what ``brainlearn run my.toml --out DIR`` does.
"""

import os
import tempfile
from pathlib import Path

import matplotlib.image as mpimg
import matplotlib.pyplot as plt

from brainlearn.figures.build import build_figures
from brainlearn.runner import load_spec, resolve_runs, run_sweep, write_reports

tiny = os.environ.get("BRAINLEARN_DOCS_TINY") == "1"
n, seeds = (100, 2) if tiny else (500, 3)
out = Path(tempfile.mkdtemp(prefix="brainlearn-example-"))
spec = out / "my.toml"
spec.write_text(f"""
[experiment]
name = "mlp-vs-references"
description = "the classic Keras MLP against two references"

[[models]]
name = "mlp-seed"
params = {{ epochs = {10 if tiny else 100} }}

[[models]]
name = "ref-logreg"

[[models]]
name = "ref-knn"

[[sweep]]
name = "comparison"
tasks = ["linear", "xor"]
seeds = {seeds}
n_train = {n}
n_test = {n}
analyses = ["decision_boundaries"]

[options]
boundary_grid = 21
""")

runs = resolve_runs([load_spec(spec)])
print(f"{len(runs)} runs, e.g. {runs[0].task} x {runs[0].label} seed {runs[0].seed}")
report = run_sweep(runs, out, jobs=1, progress=False)
write_reports(out)
print((out / "results" / "summary.md").read_text()[:1500])

# %%
# A second call finds every run recorded and does nothing: results are resumable.
again = run_sweep(runs, out, jobs=1, progress=False)

# %%
# The figures are drawn from the saved records only:
drawn = build_figures(out, names=["accuracy_by_task", "decision_boundaries"])
fig, ax = plt.subplots(figsize=(8, 4))
ax.imshow(mpimg.imread(drawn["accuracy_by_task"]["paths"][0]))
ax.set_axis_off()
print(drawn["accuracy_by_task"]["caption"])
