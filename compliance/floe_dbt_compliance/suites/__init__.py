"""The kit's suites: contract, concurrency-serialization, cache-TTL.

Collected only under ``--floe-dbt-compliance`` (files are named ``suite_*.py``
so a project's own test discovery never picks them up).
"""
