"""`python -m etl` is the same as `ckg`."""

from .cli import app

app(prog_name="ckg")
