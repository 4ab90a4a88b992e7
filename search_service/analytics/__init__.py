"""Search analytics for editors, private by design (docs/analytics.md).

What visitors look for and what they open, counted without anything that
identifies a person: `recorder` turns one answered search or one opened result
into a record (normalised query, filters, number of results, the day); `ids`
draws the random, signed search ids that join a click to its search; `writer`
takes records off the request path and writes them in batches to `store`, a
SQLite file under `SEARCH_DATA_DIR`; `report` reads the figures back (the
`report` command, the admin page drawn by `page` with the SVG of `charts`).
"""
