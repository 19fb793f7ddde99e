"""Stage failures: a ToolError (desktop_django_tools/errors.py) raised by a stage step.

`desktop-django stage` writes each one's detail (tool output) and the traceback of anything
unexpected to the build log beside the stage; the CLI prints the one line with the log's path.
"""

from __future__ import annotations

from desktop_django_tools.errors import ToolError


class StageError(ToolError):
    """A stage step that failed for a reason the user can act on."""
