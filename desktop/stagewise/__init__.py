"""Stagewise: stage-of-change assessment, stage-matched interventions and clinical notes."""

__version__ = "0.1.0"
