"""Stage records, stage wording, the intervention library and the practice's stage metrics."""
