"""Stage failures as one line: the cause and the next step, with the full log's path.

Every step raises StageError for a failure it can explain; `desktop-django stage` prints its
one line and writes everything else (tool output, the traceback of anything unexpected) to
the build log beside the stage.
"""

from __future__ import annotations


class StageError(RuntimeError):
    """A failure the user can act on."""

    def __init__(self, cause: str, next_step: str, detail: str = "") -> None:
        super().__init__(cause)
        self.cause = cause
        self.next_step = next_step
        self.detail = detail  # tool output: goes to the log, not to the one line

    def line(self) -> str:
        return f"{self.cause}. Next: {self.next_step}"
