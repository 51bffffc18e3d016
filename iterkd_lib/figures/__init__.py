"""Plotly figures of IterKD runs: one function per figure, each reading a RunStore and returning a Figure.

One concern a file: `common` (the settings subtitle, the empty placeholder, record access), `records` (views
of one run's records: pass@1, level flow, difficulty distribution, judge vs tests, pylint, acceptance),
`training` (Stage I: losses, fault types, teacher yield, repair success), `study` (the study's figure),
`paper` (the paper's cycle diagram and ablation table, with which of its figures are reproduced in kind and
which only in shape), `tables` (a plotly table of record fields, two texts side by side), `export` (HTML always, PNG when kaleido finds
chromium; `iterkd figures RUN_DIR` calls it).

Not covered: computing anything a stage computes; figures read records and count, nothing more.

Entry points: everything re-exported below.
"""

from iterkd_lib.figures.common import is_empty, settings_text
from iterkd_lib.figures.export import PngExportUnavailable, export_figures, png_export_status, run_figures, save_figure
from iterkd_lib.figures.paper import (
                                      ABLATIONS,
                                      ablation_figure,
                                      ablation_markdown,
                                      ablation_name,
                                      ablation_rows,
                                      ablation_table,
                                      fig_cycle_diagram,
)
from iterkd_lib.figures.records import (
                                      fig_acceptance,
                                      fig_difficulty_distribution,
                                      fig_judge_rules,
                                      fig_judge_vs_tests,
                                      fig_level_flow,
                                      fig_pass_at_1,
                                      fig_pylint_categories,
)
from iterkd_lib.figures.tables import record_table, side_by_side_html
from iterkd_lib.figures.training import fig_fault_types, fig_loss_curves, fig_repair_success, fig_teacher_yield

__all__ = ["ABLATIONS", "PngExportUnavailable", "ablation_figure", "ablation_markdown", "ablation_name",
           "ablation_rows", "ablation_table", "export_figures", "fig_acceptance", "fig_cycle_diagram",
           "fig_difficulty_distribution", "fig_fault_types", "fig_judge_rules", "fig_judge_vs_tests", "fig_level_flow",
           "fig_loss_curves", "fig_pass_at_1", "fig_pylint_categories", "fig_repair_success", "fig_teacher_yield",
           "is_empty", "png_export_status", "record_table",
           "run_figures", "save_figure", "settings_text", "side_by_side_html"]
