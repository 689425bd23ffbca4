"""PDF reports (ReportLab, Qt-free): client progress summaries, practice reports, blank forms.

Modules: :mod:`.fonts` (embedded DejaVu Sans), :mod:`.layout` (page template), :mod:`.charts` (vector
charts), :mod:`.specs` (bands drawn per instrument), :mod:`.data` (input values and gatherers),
:mod:`.client_summary`, :mod:`.practice_report`, :mod:`.blank_form`.
"""
