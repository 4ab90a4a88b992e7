"""Site search for the Education and Solidarity Network."""

__version__ = "0.1.0"
