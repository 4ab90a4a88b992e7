"""The search core: query parsing, ranking, filters, facets, snippets, suggestions (no HTTP)."""
