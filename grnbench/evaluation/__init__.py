"""The evaluation stage: metrics from scored pairs, the metric catalogue (every column,
declared once), bootstrap and rank statistics, pair classes and network analysis.
"""
