"""Implementation of a programme: what was installed, used and trained (monitor), whether more of it goes
with more learning (dose), and what it costs per student and per gain (cost).

Each is an analysis of its own, reading the implementation tables that field forms fill
(docs/DESIGN.md, "Public database schema") beside compare()'s results.
"""
