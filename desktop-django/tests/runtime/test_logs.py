"""The log file handler on a disk that refuses every write (/dev/full: ENOSPC each time)."""

import logging
import os

import pytest
from desktop_django.logs import FileOrStderrHandler
from desktop_django_testing.ci import only_on


@only_on("linux", reason="/dev/full")
def test_a_full_disk_is_one_line_on_stderr_then_the_records(capfd):
    if not os.path.exists("/dev/full"):
        pytest.fail("/dev/full is missing on this Linux")
    handler = FileOrStderrHandler("/dev/full", encoding="utf-8", delay=True)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger = logging.getLogger("test.full-disk")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        for number in range(100):
            logger.warning("record %d", number)
    finally:
        logger.removeHandler(handler)
        handler.close()
    err = capfd.readouterr().err
    assert err.count("cannot write log file /dev/full (No space left on device)") == 1
    assert "Logging error" not in err
    assert "Traceback" not in err
    assert [line for line in err.splitlines() if line.startswith("WARNING record")] == [
        f"WARNING record {number}" for number in range(100)
    ]
