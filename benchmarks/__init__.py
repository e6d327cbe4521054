"""The vidcore benchmark suite: ``python -m benchmarks [--quick] [--only data,models,training]``.

Every benchmark measures its baseline in the same run and reports a ratio, because a shared
machine's absolute speed drifts. Results go to ``benchmarks/results/<date>.json`` with a Markdown
table and PNG plots beside it.
"""
