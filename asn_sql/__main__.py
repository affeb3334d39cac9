"""Allow ``python -m asn_sql``."""

from asn_sql.cli.main import run

run()
