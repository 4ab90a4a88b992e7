"""The index: the Whoosh schema, generations on disk, the build, the serving view.

Generations built before the package was split into stages pickled their field
their codec and field formats as `search_service.index.FastCodec`,
`TermListPositions` and `TermListFrequency`: they stay importable here so those
generations still open.
"""

from search_service.index.schema import FastCodec, TermListFrequency, TermListPositions

__all__ = ["FastCodec", "TermListFrequency", "TermListPositions"]
