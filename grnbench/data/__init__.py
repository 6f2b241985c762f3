"""The data stage: the dataset model and its label-free view, the edge universe (which pairs
are scored), splits and protocols (which pairs a method learns from and is tested on).
"""
