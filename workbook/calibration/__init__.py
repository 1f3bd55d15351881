"""Calibration: measured results, the tuner that plays each submitter, the fit and its report.

* :mod:`~workbook.calibration.measurements` -- rows of measured results and dataset profiles;
* :mod:`~workbook.calibration.tuning` -- best batch and parallelism per row (vmapped);
* :mod:`~workbook.calibration.fitting` -- efficiency factors fitted to those rows, and the
  shipped ``calibration.json`` (its names are re-exported here);
* :mod:`~workbook.calibration.report` -- validation and cross-validation reports (imported
  on use: ``from workbook.calibration import report``).
"""

from workbook.calibration.fitting import (
    FITTED as FITTED,
    PRIORS as PRIORS,
    STEPS as STEPS,
    CALIBRATION_STATUSES as CALIBRATION_STATUSES,
    calibrated_efficiency as calibrated_efficiency,
    calibration_status as calibration_status,
    CalibrationWarning as CalibrationWarning,
    calibration as calibration,
    calibration_problem as calibration_problem,
    cross_validated_predictions as cross_validated_predictions,
    efficiency as efficiency,
    efficiency_from_json as efficiency_from_json,
    error_summary as error_summary,
    family as family,
    fit as fit,
    fit_calibration as fit_calibration,
    grouped_errors as grouped_errors,
    predict as predict,
    row_efficiencies as row_efficiencies,
    system_fold as system_fold,
    to_json as to_json,
)
