"""Every built-in method's defaults are its authors' settings or a named deviation, and the
faithfulness tables in docs/methods/ are exactly what the code declares."""

from __future__ import annotations

from pathlib import Path

import pytest

from grnbench.faithfulness import check_faithfulness, markdown_table
from grnbench.registry import load_registry

DOC = Path(__file__).parents[1] / "docs" / "methods" / "faithfulness.md"
BUILT_IN = ["psgrn", "cnnc", "dgrns", "genie3", "grnboost2", "node", "correlation", "degree-prior", "random"]


def faithfulness_document() -> str:
    registry = load_registry()
    head = ("# Faithfulness to the authors\n\nGenerated from each method's declared `references` and `deviations` "
            "(`grnbench show METHOD --format markdown`); `tests/test_faithfulness.py` fails when this file and the "
            "code disagree. Regenerate with `python tests/test_faithfulness.py`.\n\n")
    return head + "\n".join(markdown_table(registry.get(name)) for name in BUILT_IN)


@pytest.mark.parametrize("name", BUILT_IN)
def test_defaults_are_the_authors_or_a_named_deviation(name):
    assert check_faithfulness(load_registry().get(name)) == []


def test_the_settings_the_review_found_wrong_are_the_authors_now():
    registry = load_registry()
    dgrns, cnnc, genie3 = (registry.get(n).parameters for n in ("dgrns", "cnnc", "genie3"))
    # DGRNS_train.py: no class weights, no early stopping, 50 epochs, last weights
    assert (dgrns["balance"], dgrns["patience"], dgrns["epochs"], dgrns["restore_best"]) == ("none", 0, 50, False)
    # CNNC TF script: 200 epochs, EarlyStopping that never fires, ≈1:1 negatives
    assert (cnnc["epochs"], cnnc["patience"], cnnc["balance"]) == (200, 0, "subsample")
    assert genie3["variant"] == "genie3py"  # Huynh-Thu et al. 2010
    for name in ("cnnc", "dgrns"):
        assert registry.get(name).parameters["selection"] == "shared"
        assert registry.get(name).references["selection"].value == "reference"


def test_docs_table_matches_the_code():
    assert DOC.read_text(encoding="utf-8") == faithfulness_document()


if __name__ == "__main__":
    DOC.write_text(faithfulness_document(), encoding="utf-8")
    print(f"written {DOC}")
