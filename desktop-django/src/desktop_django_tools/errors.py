"""What happens when a tool fails: one error type, one line, one exit code.

Every failure the tools can explain is a ToolError: its cause, the next step, and the detail
(a tool's output) too long for the terminal. Nothing below the CLI prints its own failure
line or raises SystemExit; `desktop-django` (cli.main) catches a ToolError once and prints

    desktop-django COMMAND: cause. Next: step (full log: PATH)

to stderr (the log part when the command keeps a log), then exits with EXIT_FAILURE.
Usage errors stay argparse's (exit 2).
"""

from __future__ import annotations

from pathlib import Path

# The exit status of a command that failed with a ToolError (argparse uses 2 for usage errors).
EXIT_FAILURE = 1


class ToolError(RuntimeError):
    """A failure the user can act on."""

    def __init__(self, cause: str, next_step: str = "", detail: str = "") -> None:
        super().__init__(cause)
        self.cause = cause
        self.next_step = next_step
        self.detail = detail  # tool output: goes to the log (or above the line), not into it
        self.log: Path | None = None  # the command's log, when it keeps one

    def __str__(self) -> str:
        return self.line()

    def line(self) -> str:
        """The one line: the cause, and the next step when it is not already part of it."""
        return f"{self.cause}. Next: {self.next_step}" if self.next_step else self.cause
