"""The engine: rule files rendered and run over the database (SQL in, rows out).

Imports the shared ground only (asn_sql/*.py); never io, tools, api or cli.
"""
