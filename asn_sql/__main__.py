"""Allow ``python -m asn_sql``."""

from asn_sql.cli.entry import run

run()
