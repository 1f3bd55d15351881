"""Controls shared by the panels, and the check of a panel's constructor arguments.

A panel must be built whatever it is given, so :class:`ArgumentCheck` replaces an argument
that is not one of its control's options by the first option and keeps the reason, which the
panel shows in its ``message``. :func:`workload_controls` builds the model, precision, batch
and prompt-length controls that the chip-comparison and sensitivity panels share.
"""

from __future__ import annotations

import ipywidgets as widgets

from workbook import catalog
from workbook.errors import InputError, require_choice
from workbook.specs import PRECISIONS

#: Batch sizes B (sequences) offered by the batch sliders.
BATCHES = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096]
#: Prompt and output lengths T (tokens) offered by the length sliders.
CONTEXTS = [128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072]


def chip_name(chip_id: str) -> str:
    """The display name of a catalog chip (its id if it has none). Not HTML-escaped."""
    return catalog.chip_info(chip_id).get("name", chip_id)


class ArgumentCheck:
    """Checks a panel's constructor arguments against the options of their controls.

    A value that is not an option is replaced by the first option, and ``problems`` says so
    (plain text: the panel escapes it when it shows it).
    """

    def __init__(self):
        self.problems: list[str] = []

    def option(self, field: str, value, options):
        """``value`` if it is one of ``options``, else the first option (and a problem noted)."""
        options = list(options)
        try:
            return require_choice(field, value, options)
        except InputError as exc:
            self.problems.append(f"{exc}; showing {options[0]}")
            return options[0]

    def chip_ids(self, field: str, chip_ids, default) -> list[str]:
        """The known chips among ``chip_ids`` (``default`` if it is empty or none is known)."""
        known = set(catalog.chip_ids())
        ids = list(chip_ids) if chip_ids else list(default)
        unknown = [c for c in ids if c not in known]
        if unknown:
            self.problems.append(f"{field}: unknown chip(s) {', '.join(map(str, unknown))} left out")
        ids = [c for c in ids if c in known]
        return ids or [c for c in default if c in known]


def workload_controls(check: ArgumentCheck, model_id: str, precision: str, batch: int, context: int) -> dict:
    """Controls ``model``, ``precision``, ``batch`` (B, sequences) and ``context`` (prompt T, tokens)."""
    slider = dict(continuous_update=False)
    return {
        "model": widgets.Dropdown(options=catalog.model_ids(), description="model",
                                  value=check.option("model_id", model_id, catalog.model_ids())),
        "precision": widgets.Dropdown(options=list(PRECISIONS), description="precision",
                                      value=check.option("precision", precision, PRECISIONS)),
        "batch": widgets.SelectionSlider(options=BATCHES, value=check.option("batch", batch, BATCHES),
                                         description="batch B", **slider),
        "context": widgets.SelectionSlider(options=CONTEXTS, value=check.option("context", context, CONTEXTS),
                                           description="prompt T", **slider),
    }
