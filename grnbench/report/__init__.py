"""The report stage: the self-contained HTML report, its sections, statistics figures and plots.
"""
