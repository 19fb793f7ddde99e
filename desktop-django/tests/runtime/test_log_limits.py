"""RateLimitedLog: the first line of a kind at once, the rest of its interval counted."""

import logging
import time

from desktop_django.log_limits import RateLimitedLog


def test_a_flood_is_one_line_then_one_summary(caplog):
    limited = RateLimitedLog(logging.getLogger("test.flood"), interval=0.3)
    with caplog.at_level(logging.WARNING, logger="test.flood"):
        written = [limited.warning("refusals", "refused %d", number) for number in range(100)]
        time.sleep(0.6)
    messages = [record.getMessage() for record in caplog.records]
    assert written == [True] + [False] * 99
    assert messages[0] == "refused 0"
    assert messages[1].startswith("99 more refusals in the last 0 s"), messages
    assert len(messages) == 2


def test_kinds_are_limited_apart(caplog):
    limited = RateLimitedLog(logging.getLogger("test.kinds"), interval=60)
    with caplog.at_level(logging.WARNING, logger="test.kinds"):
        assert limited.warning("bad hosts", "host")
        assert limited.warning("bad tokens", "token")
        assert not limited.warning("bad hosts", "host again")
