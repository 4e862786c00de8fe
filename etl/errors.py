"""One error hierarchy for the whole package, and the exit codes the CLI maps it to.

    CkgError                 base; exit code 2
    ├── ConfigError          a setting or option is invalid
    ├── InputError           an input file cannot be read or parsed (names the file)
    ├── ResourceError        the ontology, shapes, gazetteer or a query file is missing or broken
    ├── QueryError           a SPARQL query is unknown, malformed or got a bad parameter
    │   └── RefusedError     the endpoint will not run it (update, SERVICE, LOAD)
    ├── StoreError           the Oxigraph store cannot be opened or written
    └── PushError            an upload to another triple store failed or did not add up

Exit codes of `ckg` (documented in the README):

    0  success; for `validate`, the graph conforms
    1  the graph does not conform to the shapes (SHACL violations)
    2  an error: nothing usable was produced
    3  the run completed, but some input files failed or were skipped as unreadable
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_VIOLATIONS = 1
EXIT_ERROR = 2
EXIT_PARTIAL = 3


class CkgError(Exception):
    """Base of every error conflict-kg raises on purpose."""

    exit_code = EXIT_ERROR


class ConfigError(CkgError):
    """A setting, option or environment variable has an invalid value."""


class InputError(CkgError):
    """An input file cannot be read or parsed; the message names the file and the problem."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


class ResourceError(CkgError):
    """A packaged resource (ontology, shapes, gazetteer, query) is missing or malformed."""


class QueryError(CkgError):
    """A SPARQL query is unknown or malformed, or a parameter is invalid."""


class StoreError(CkgError):
    """The Oxigraph store cannot be opened, read or written."""


class RefusedError(QueryError):
    """A request the endpoint will not run: an update when read-only, SERVICE or LOAD."""


class PushError(CkgError):
    """Uploading the graph to another store failed or the store holds other counts."""
