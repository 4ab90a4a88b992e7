"""The site itself as a source: `corpus fetch` and `sync` (see docs/fetch.md).

`sources` (sources.yaml) → `discover` (sitemaps, feeds) → `client` (polite HTTP)
with `robots` and `urls` (one spelling per page) → `store` (pages and sidecars
under `<corpus>/site/`, written atomically) → `report`; `run` ties one fetch
run together and `commands` is the CLI side of it.
"""
