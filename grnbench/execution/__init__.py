"""The execution stage: the run plan (every decision about a run, made once), the task, the
serial and Dask backends, the isolated task process, the cache, the manifest and run folder,
device and cost estimates.
"""
