"""Benchmarks: each module runs alone (``python bench/<name>.py``); ``python -m bench`` runs all.

Figures are ratios against a baseline measured in the same run, because this machine is
shared and noisy; BENCHMARKS.md records them with the command that produced them.
"""
