"""The bottom layer: opening the published database, its public schema, SQL helpers and snapshot publishing.

Nothing here knows the layers above: the steps a writer runs before publishing a snapshot (derived
tables, stored results, checks) are passed to :func:`analysis.db.snapshot.writable_snapshot` by
``analysis.precompute.publish``.
"""
