"""workbook/ui/memory.py and the on-disk Vega bundle of charts.enable_offline (notebook memory, README
"Time and memory per notebook")."""

import altair as alt
import jax
import jax.numpy as jnp

from workbook.ui import charts, memory


def test_free_compiled_drops_compiled_programs_and_keeps_results():
    f = jax.jit(lambda x: jnp.sin(x) * 2.0)
    before = f(jnp.arange(4.0))
    assert f._cache_size() == 1
    memory.free_compiled()
    assert f._cache_size() == 0  # the compiled program is gone
    assert (f(jnp.arange(4.0)) == before).all()  # compiled again (or loaded from a cache): the same result
    assert f._cache_size() == 1


def test_enable_offline_writes_the_bundle_once_and_reads_it_back(tmp_path, monkeypatch):
    chart = alt.JupyterChart
    monkeypatch.setattr(chart, "_is_offline", False, raising=False)
    monkeypatch.setattr(chart, "_esm", chart._esm, raising=False)
    charts.enable_offline(tmp_path)
    written = list(tmp_path.glob("jupyterchart-offline-*.js"))
    assert len(written) == 1 and chart._is_offline
    bundle = written[0].read_text(encoding="utf-8")
    assert bundle == chart._esm and "vega" in bundle.lower()
    assert not list(tmp_path.glob("*.tmp"))  # written atomically
    # a new kernel: read back from disk, the same JavaScript
    monkeypatch.setattr(chart, "_is_offline", False)
    monkeypatch.setattr(chart, "_esm", "")
    charts.enable_offline(tmp_path)
    assert chart._is_offline and chart._esm == bundle


def test_enable_offline_with_an_unwritable_cache_still_goes_offline(tmp_path, monkeypatch):
    chart = alt.JupyterChart
    monkeypatch.setattr(chart, "_is_offline", False, raising=False)
    monkeypatch.setattr(chart, "_esm", chart._esm, raising=False)
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    charts.enable_offline(blocker / "cache")  # its parent is a file: the cache cannot be made
    assert chart._is_offline and "vega" in chart._esm.lower()
