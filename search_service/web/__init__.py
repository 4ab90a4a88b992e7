"""The HTTP side: the FastAPI app, the `serve` and `search` commands, the widget's files."""
