"""Every docstring example in the package runs (and fails the suite when it goes stale)."""

import doctest
import importlib
import pkgutil

import pytest

import workbook

# __main__ runs the CLI when imported
MODULES = sorted(m.name for m in pkgutil.walk_packages(workbook.__path__, "workbook.") if m.name != "workbook.__main__")


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.failed == 0, f"{name}: {result.failed} of {result.attempted} doctest examples failed"
