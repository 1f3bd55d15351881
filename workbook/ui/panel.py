"""The base of every panel: controls wired with ``observe`` to a pure computation, charts updated in place.

A panel has ``controls`` (a dict of widgets by name), ``message`` (an ``HTML`` widget: empty,
or why the current settings are not shown, never a traceback), ``summary`` (an ``HTML``
widget with the numbers behind the charts), ``chart`` (an ``alt.JupyterChart``; a panel with
several has them all in ``chart_widgets``, by name, ``chart`` being the first),
``last_data`` (the DataFrame ``chart`` shows; ``last_frames`` has every chart's),
``updates`` (how many times the charts were redrawn) and ``widget`` (the whole panel, to
display; a panel also displays itself as the last expression of a cell).

A subclass builds its controls, then calls ``Panel.__init__``, and implements two methods:

* ``compute() -> (data, summary)``: the pure-function calls for the current control values.
  ``data`` is a tidy DataFrame for ``chart``, or a dict of them by chart name; ``summary`` is
  HTML in which every user-supplied string is escaped with :func:`html.escape`.
* ``draw(data) -> chart``: the Altair chart(s) of :mod:`workbook.ui.charts` for that data
  (a dict by chart name if there are several). It is called to build the charts, and again
  only when a control in ``redraw_on`` changes (an axis title, say); every other change swaps
  the rows of the charts' specs (:func:`workbook.ui.charts.replace_data`).

Settings that cannot be computed show a message and keep the last good charts: an
:class:`~workbook.errors.InputError` shows its own text; any other exception shows one line
with its type; data holding NaN or inf (which a JSON spec cannot carry) is not drawn. This
holds in the constructor too: a panel whose first computation fails is still built, with
empty charts and the message. The first panel made in a process switches
``alt.JupyterChart`` to offline mode (its JavaScript bundled by vl-convert), so panels render
without a CDN.
"""

from __future__ import annotations

import contextlib
import html
import warnings
from typing import Callable

import altair as alt
import ipywidgets as widgets
import pandas as pd

from workbook.errors import InputError
from workbook.ui import charts

MAIN = "chart"  # the name of a panel's only chart, when ``compute`` returns one DataFrame
_LONGEST_MESSAGE = 400  # characters of an error shown in ``message``
_offline = False


def error_html(text: str) -> str:
    """``text`` (plain, escaped here) as the red "Not shown" line of a panel's ``message``."""
    return f'<span style="color:#b2182b"><b>Not shown:</b> {html.escape(text)}</span>'


def error_text(exc: Exception) -> str:
    """One line saying what went wrong: an ``InputError``'s own text, else its type and first line."""
    text = (exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc)).strip()  # KeyError: no repr
    if isinstance(exc, InputError):
        text = " ".join(text.splitlines())
    else:
        first = text.splitlines()[0] if text else ""
        text = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    if len(text) > _LONGEST_MESSAGE:
        text = text[:_LONGEST_MESSAGE - 3] + "..."
    return text


def render_offline_once() -> None:
    """Switch ``alt.JupyterChart`` to offline mode (no CDN) the first time a panel is made."""
    global _offline
    if _offline:
        return
    _offline = True
    try:
        alt.JupyterChart.enable_offline()
    except Exception as exc:  # vl-convert-python is a dependency; without it charts load from a CDN
        warnings.warn(f"panels will load their JavaScript from a CDN: {exc}", stacklevel=3)


def _by_name(x) -> dict:
    return dict(x) if isinstance(x, dict) else {MAIN: x}


def _check_finite(frames: dict[str, pd.DataFrame]) -> None:
    for name, df in frames.items():
        bad = charts.nonfinite_columns(df)
        if bad:
            where = "" if name == MAIN else f" of {name}"
            raise InputError(f"the model gives NaN or inf in {', '.join(bad)}{where} at these settings "
                             "(is an input NaN or infinite?)")


class Panel:
    """Base of every panel: see the module docstring for what a subclass provides.

    Parameters
    ----------
    controls:
        The widgets by name; each one's ``value`` is observed.
    rows:
        Control names per row of the layout (default: all in one wrapping row).
    handlers:
        Control name -> callable(change) for controls that do more than recompute (load a
        price, say); it usually ends in :meth:`refresh` or runs inside :meth:`holding`.
    problems:
        Plain-text notes on constructor arguments that were replaced, shown in ``message``.
    """

    #: Controls whose change rebuilds the charts (with :meth:`draw`) rather than swapping rows.
    redraw_on: tuple[str, ...] = ()

    def __init__(self, controls: dict, *, rows: list[list[str]] | None = None,
                 handlers: dict[str, Callable] | None = None, problems=()):
        render_offline_once()
        self.controls = controls
        self.message = widgets.HTML(value="")
        self.summary = widgets.HTML(value="")
        self.updates = 0
        self.last_error: Exception | None = None  # the last exception shown in ``message``
        self._holding = False
        self._redraw = False
        try:
            data, summary = self._computed()
        except Exception as exc:  # the panel is still built: empty charts and the message
            self._show_error(exc)
            data, summary = self.empty_data(), ""
            self._redraw = True  # the first good computation rebuilds the charts
        self.last_frames = _by_name(data)
        self.summary.value = summary
        self.chart_widgets = {name: alt.JupyterChart(c) for name, c in _by_name(self.draw(data)).items()}
        self.chart = next(iter(self.chart_widgets.values()))
        if problems:
            shown = [*problems, error_text(self.last_error)] if self.last_error else list(problems)
            self.message.value = error_html("; ".join(shown))
        handlers = handlers or {}
        for name, w in controls.items():
            w.observe(self._guarded(handlers.get(name, self._on_change)), names="value")
        box = widgets.Layout(flex_flow="row wrap")
        rows = rows or [list(controls)]
        self.widget = widgets.VBox([
            *(widgets.HBox([controls[k] for k in row], layout=box) for row in rows),
            self.message, self.summary, widgets.HBox(list(self.chart_widgets.values())),
        ])

    # -- what a subclass provides -------------------------------------------------------------

    def compute(self) -> tuple[pd.DataFrame | dict[str, pd.DataFrame], str]:  # pragma: no cover - abstract
        """Tidy data for the chart(s) and an HTML summary, for the current control values."""
        raise NotImplementedError

    def draw(self, data) -> alt.TopLevelMixin | dict:  # pragma: no cover - abstract
        """The Altair chart(s) of ``data``, as returned by :meth:`compute`."""
        raise NotImplementedError

    def empty_data(self) -> pd.DataFrame | dict[str, pd.DataFrame]:
        """What the charts show before any computation succeeded (no rows)."""
        return pd.DataFrame()

    # -- wiring ---------------------------------------------------------------------------------

    @property
    def last_data(self) -> pd.DataFrame:
        """The DataFrame drawn in ``chart`` (the first chart)."""
        return next(iter(self.last_frames.values()))

    def refresh(self) -> bool:
        """Recompute and update the charts; on failure show why in ``message`` and keep them.

        Returns whether the charts were updated.
        """
        return self._attempt(self._update)

    @contextlib.contextmanager
    def holding(self):
        """Change several controls at once: one :meth:`refresh` after the block, none inside."""
        self._holding = True
        try:
            yield
        finally:
            self._holding = False
        self.refresh()

    def _on_change(self, change=None):
        if change is not None and any(change["owner"] is self.controls[k] for k in self.redraw_on):
            self._redraw = True
        self._update()

    def _guarded(self, handler: Callable) -> Callable:
        return lambda change: self._attempt(handler, change)

    def _attempt(self, fn: Callable, *args) -> bool:
        try:
            fn(*args)
        except Exception as exc:  # a panel never shows a traceback
            self._show_error(exc)
            return False
        return True

    def _show_error(self, exc: Exception) -> None:
        self.last_error = exc
        self.message.value = error_html(error_text(exc))

    def _computed(self):
        data, summary = self.compute()
        _check_finite(_by_name(data))
        return data, summary

    def _update(self) -> None:
        if self._holding:
            return
        data, summary = self._computed()
        frames = _by_name(data)
        if self._redraw:
            for name, c in _by_name(self.draw(data)).items():
                self.chart_widgets[name].chart = c
            self._redraw = False
        else:
            for name, df in frames.items():
                w = self.chart_widgets[name]
                w.spec = charts.replace_data(w.spec, df)
        self.last_frames = frames
        self.last_error = None
        self.message.value = ""
        self.summary.value = summary
        self.updates += 1

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)
