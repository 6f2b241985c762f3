"""The results stage: result rows, the aggregation of runs into comparison tables, and the
re-evaluation of a run folder.
"""
