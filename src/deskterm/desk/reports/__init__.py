"""The desk's numbers for a range of days: volume, backlog, speed, reopens, time logged, who
did what, trending tags, the articles used most and the searches that found nothing.

- :mod:`.model`: the report as frozen read models, and its JSON shape
- :mod:`.build`: what the report is made of, each number one SQL aggregation
  (:mod:`deskterm.db.reports`), cached per range and filters until the desk changes
- :mod:`.drill`: the queue filter that lists exactly the tickets behind a number or a row
- :mod:`.render`: the report as a table, CSV or a self-contained HTML page
"""
