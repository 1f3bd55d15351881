"""Analysis of the serving model: elasticities, regimes, comparison across chips, uncertainty, inverse design,
the throughput--interactivity frontier and disaggregated serving.

Everything is pure JAX on top of :func:`workbook.model.serving.performance`; one module per
question, their public names re-exported here (``from workbook import analysis``).
"""

from workbook.analysis.comparison import compare_chips as compare_chips
from workbook.analysis.comparison import performance as performance
from workbook.analysis.disaggregation import disaggregated as disaggregated
from workbook.analysis.elasticity import METRIC_LABELS as METRIC_LABELS
from workbook.analysis.elasticity import METRICS as METRICS
from workbook.analysis.elasticity import PEAK_FIELDS as PEAK_FIELDS
from workbook.analysis.elasticity import compute_elasticity as compute_elasticity
from workbook.analysis.elasticity import elasticities as elasticities
from workbook.analysis.elasticity import elasticity_table as elasticity_table
from workbook.analysis.elasticity import grid_elasticities as grid_elasticities
from workbook.analysis.elasticity import serving_elasticities as serving_elasticities
from workbook.analysis.frontier import frontier_gradient as frontier_gradient
from workbook.analysis.frontier import frontier_grid as frontier_grid
from workbook.analysis.inverse_design import field_bracket as field_bracket
from workbook.analysis.inverse_design import match_chip as match_chip
from workbook.analysis.inverse_design import match_value as match_value
from workbook.analysis.inverse_design import solve_field_value as solve_field_value
from workbook.analysis.regimes import critical_batch as critical_batch
from workbook.analysis.regimes import critical_batch_table as critical_batch_table
from workbook.analysis.regimes import regime_map as regime_map
from workbook.analysis.uncertainty import EFFICIENCY_FIELDS as EFFICIENCY_FIELDS
from workbook.analysis.uncertainty import EFFICIENCY_SPREAD as EFFICIENCY_SPREAD
from workbook.analysis.uncertainty import chip_ranges as chip_ranges
from workbook.analysis.uncertainty import efficiency_ranges as efficiency_ranges
from workbook.analysis.uncertainty import monte_carlo as monte_carlo
from workbook.analysis.uncertainty import tornado as tornado
from workbook.calibration import calibrated_efficiency as calibrated_efficiency
