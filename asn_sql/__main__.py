"""Allow ``python -m asn_sql``."""

from asn_sql.cli import run

run()
