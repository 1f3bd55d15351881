"""Shared fixtures. Tests run on the CPU with JAX's float32 default."""

import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

from workbook import catalog  # noqa: E402

# Property tests draw the same examples on every run (a clean CI clone has no example database):
# a failure is reproducible, never a matter of which examples one run happened to draw.
settings.register_profile("workbook", derandomize=True, print_blob=True)
settings.load_profile("workbook")


@pytest.fixture(scope="session")
def h100():
    return catalog.chip("nvidia_h100_sxm")


@pytest.fixture(scope="session")
def llama3_70b():
    return catalog.model("llama-3-70b")
