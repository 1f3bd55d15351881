"""Shared fixtures. Tests run on the CPU with JAX's float32 default."""

import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import pytest  # noqa: E402

from workbook import catalog  # noqa: E402


@pytest.fixture(scope="session")
def h100():
    return catalog.chip("nvidia_h100_sxm")


@pytest.fixture(scope="session")
def llama3_70b():
    return catalog.model("llama-3-70b")
