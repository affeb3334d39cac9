"""asnsql: JWST associations built by SQL rules over a DuckDB database."""

__version__ = "0.1.0"
