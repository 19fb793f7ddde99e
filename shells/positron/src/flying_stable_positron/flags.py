"""The command-line flags that mean something beyond argparse (read before the toolkit loads)."""

# Positron's own flag for the process it re-executes after a trial failed in this process
# (the failed version): the rollback then knows what to tell the user.
AFTER_FAILED_TRIAL = "--after-failed-trial"
# `--install-backend-update FILE`: the menu item's flow with FILE instead of the picker (an
# administrator's script, or "Open with" on a .layer file), run once the backend serves.
INSTALL_BACKEND_UPDATE = "--install-backend-update"
