"""Build, describe and verify the staged backend (`.stage/backend/`): the stage contract.

Run through nox (`nox -s stage`, `nox -s verify-stage`); see docs/stage.md.
"""
