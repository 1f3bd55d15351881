"""A differentiable workbook on the economics of AI inference hardware.

The core is pure JAX and imports neither altair nor ipywidgets: charts live in
``workbook.charts`` and widgets in ``workbook.widgets``, loaded only when used.

>>> import workbook as wb
>>> chip, model = wb.catalog.chip("nvidia_h100_sxm"), wb.catalog.model("llama-3-70b")
>>> perf = wb.performance(chip, model, wb.workload("fp8", batch=64, chips=8))
>>> bool(perf.tokens_per_s_per_chip > 0)
True
"""

from workbook import catalog as catalog
from workbook.errors import InputError as InputError
from workbook.model.roofline import critical_batch_size as critical_batch_size
from workbook.model.serving import Performance as Performance
from workbook.model.sizing import max_batch as max_batch
from workbook.model.sizing import min_chips as min_chips
from workbook.model.serving import performance as performance
from workbook.specs import PRECISIONS as PRECISIONS
from workbook.specs import Chip as Chip
from workbook.specs import Efficiency as Efficiency
from workbook.specs import Model as Model
from workbook.specs import Workload as Workload
from workbook.specs import workload as workload

__version__ = "0.1.0"
