"""Every notebook in notebooks/ executes top to bottom (small settings) and is stored without outputs."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
# Notebooks that study a data set of ../shared/data (unit tests never need it: they skip without it).
NEEDS_DATA = {"02-mnist-latents.ipynb": "mnist"}


def _data_missing(name: str) -> bool:
    from swiftlic.data import DataNotFoundError, data_root

    try:
        return not (data_root() / NEEDS_DATA[name]).exists()
    except DataNotFoundError:
        return True


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_stored_without_outputs(path):
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: strip outputs before commit"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_executes(path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    if path.name in NEEDS_DATA and _data_missing(path.name):
        pytest.skip(f"{path.name} needs ../shared/data/{NEEDS_DATA[path.name]} (or SWIFTLIC_DATA)")
    monkeypatch.setenv("SWIFTLIC_NB_SMALL", "1")  # notebooks read this to pick bundled data and few settings
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
