"""PDF reports (ReportLab, Qt-free): client progress summaries, practice reports, blank forms.

Modules: :mod:`.fonts` (embedded DejaVu Sans), :mod:`.layout` (page template), :mod:`.geometry` (scales,
ticks and band spans, shared with the screen), :mod:`.charts` (stage timeline and drawing parts),
:mod:`.trend_charts` (score trends drawn from the instrument files' ``[presentation]``, bar charts),
:mod:`.data` (input values and gatherers), :mod:`.client_summary`, :mod:`.practice_report`,
:mod:`.blank_form`.
"""
