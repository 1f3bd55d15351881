"""A differentiable workbook on the economics of AI inference hardware.

``import workbook as wb`` gives the names a notebook uses: the specs, the catalog, the
serving model and its sizing, the analysis (elasticities, regimes, comparison, uncertainty,
inverse design) and the calibrated efficiencies. The parts live in subpackages (see
ARCHITECTURE.md): :mod:`workbook.model`, :mod:`workbook.calibration`,
:mod:`workbook.analysis`, :mod:`workbook.econ` (imported by module name) and
:mod:`workbook.ui` (charts and widgets, never imported here: ``import workbook`` loads
neither altair nor ipywidgets).

>>> import workbook as wb
>>> chip, model = wb.catalog.chip("nvidia_h100_sxm"), wb.catalog.model("llama-3-70b")
>>> perf = wb.performance(chip, model, wb.workload("fp8", batch=64, chips=8))
>>> bool(perf.tokens_per_s_per_chip > 0)
True
>>> wb.workload("fp8", batch=0)
Traceback (most recent call last):
...
workbook.errors.InputError: batch: 0 is out of range; allowed [1, inf) sequences
"""

from workbook import analysis as analysis
from workbook import calibration as calibration
from workbook import catalog as catalog
from workbook import model as model
from workbook import numerics as numerics
from workbook.analysis import compare_chips as compare_chips
from workbook.analysis import critical_batch as critical_batch
from workbook.analysis import match_chip as match_chip
from workbook.analysis import monte_carlo as monte_carlo
from workbook.analysis import regime_map as regime_map
from workbook.analysis import serving_elasticities as serving_elasticities
from workbook.analysis import tornado as tornado
from workbook.calibration import calibrated_efficiency as calibrated_efficiency
from workbook.errors import InputError as InputError
from workbook.errors import require as require
from workbook.model.cost import usd_per_million_tokens as usd_per_million_tokens
from workbook.model.roofline import critical_batch_size as critical_batch_size
from workbook.model.serving import RESOURCES as RESOURCES
from workbook.model.serving import Performance as Performance
from workbook.model.serving import performance as performance
from workbook.model.sizing import max_batch as max_batch
from workbook.model.sizing import min_chips as min_chips
from workbook.specs import PRECISIONS as PRECISIONS
from workbook.specs import Chip as Chip
from workbook.specs import Efficiency as Efficiency
from workbook.specs import Model as Model
from workbook.specs import Workload as Workload
from workbook.specs import workload as workload

__version__ = "0.1.0"

__all__ = [
    # specs and data
    "Chip", "Model", "Workload", "Efficiency", "PRECISIONS", "workload", "catalog",
    # the model
    "model", "performance", "Performance", "RESOURCES", "max_batch", "min_chips", "critical_batch_size",
    "usd_per_million_tokens",
    # calibration and analysis
    "calibration", "calibrated_efficiency", "analysis", "compare_chips", "serving_elasticities", "regime_map",
    "critical_batch", "monte_carlo", "tornado", "match_chip",
    # shared
    "numerics", "InputError", "require",
]
