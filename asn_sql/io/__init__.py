"""Files <-> rows: pools in, association documents and exports out, files written whole.

Imports the shared ground only (asn_sql/*.py); never engine, tools, api or cli.
"""
