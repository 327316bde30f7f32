"""`python -m itdd ARGS`: the `itdd` command without the installed script."""

from itdd.cli import app

app()
