"""Descriptive queries about what the database holds (no statistics): used by Inicio and Datos."""

PROGRAMME_OVERVIEW_SQL = """
SELECT a.program, u.country, count(DISTINCT a.unit_id) AS units,
       count(DISTINCT o.student_key) AS students,
       string_agg(DISTINCT a.lab_type, ', ' ORDER BY a.lab_type) AS lab_types,
       min(a.start_year) AS first_start_year
FROM assignments a
JOIN units u USING (unit_id)
LEFT JOIN observations o ON o.unit_id = a.unit_id AND o.student_key IS NOT NULL
GROUP BY a.program, u.country
ORDER BY a.program = 'comparison', a.program, u.country
"""

COVERAGE_SQL = """
SELECT u.country, i.domain, o.indicator, count(*) AS observations,
       count(DISTINCT o.unit_id) AS units, min(o.year) AS first_year, max(o.year) AS last_year
FROM observations o
JOIN units u USING (unit_id)
JOIN indicators i ON i.code = o.indicator
GROUP BY ALL
ORDER BY u.country, i.domain, o.indicator
"""
