"""A long-lived jwst process for bench/differential.py: reads pool paths, answers documents.

Run with the Python of a virtualenv where jwst is installed (never asnsql's own):

    /path/to/jwst-venv/bin/python bench/jwst_worker.py

jwst takes seconds to import, so one process loads it once and then serves requests, one
JSON object a line on stdin: ``{"pool": "/tmp/x/pool.csv", "args": ["-i", "o001"]}`` (args
optional). Each answer is one JSON line on stdout: ``{"files": {"<file name>": "<document
text>", ...}}`` with what ``asn_generate <pool> <args>`` would write, or ``{"error": "<one line>"}``
when jwst cannot run the pool. jwst's own log output goes to stderr.

This file imports nothing from asnsql and asnsql imports nothing from jwst.
"""

from __future__ import annotations

import json
import logging
import os
import sys


def _serve() -> None:
    protocol = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
    # Anything jwst prints must not mix with the answers.
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    logging.disable(logging.CRITICAL)

    from jwst.associations.lib.dms_base import DMSBaseMixin
    from jwst.associations.lib.rules_level3_base import DMS_Level3_Base
    from jwst.associations.main import Main

    protocol.write(json.dumps({"ready": True}) + "\n")
    for line in sys.stdin:
        request = json.loads(line)
        # Class-level counters survive between runs in one process; start each pool afresh.
        DMSBaseMixin.reset_sequence()
        DMS_Level3_Base.sequences.clear()
        try:
            generator = Main([request["pool"], "--dry-run", *request.get("args", [])])
            generator.generate()
            files = {}
            for asn in generator.associations:
                try:
                    name, text = asn.dump(format="json")
                except Exception:  # jwst skips what it cannot serialize; so do we
                    continue
                files[name] = text
            answer = {"files": files}
        except BaseException as error:  # a pool jwst cannot run is an answer too
            message = f"{type(error).__name__}: {error}".splitlines()[0] if str(error) else ""
            answer = {"error": message or type(error).__name__}
        protocol.write(json.dumps(answer) + "\n")


if __name__ == "__main__":
    _serve()
