"""The `ckg` command line: parse options, call one library function, render.

Exit codes: 0 success (for `validate`: conforms), 1 SHACL violations,
2 error, 3 the run completed but some inputs failed (see etl/errors.py).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from . import __version__
from .config import Settings, load_settings
from .errors import EXIT_ERROR, EXIT_OK, EXIT_PARTIAL, EXIT_VIOLATIONS, CkgError

app = typer.Typer(
    name="ckg",
    help="Turn news reporting on armed conflict into an RDF knowledge graph, check it with "
    "SHACL and query it across sources with SPARQL.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
out = Console()
err = Console(stderr=True)
T = TypeVar("T")

DEFAULT_OUT = Path("output")
OutOption = Annotated[Path, typer.Option("--out", "-o", help="Output folder.")]
StoreOption = Annotated[
    Path | None,
    typer.Option("--store", help="Oxigraph store folder [default: output/store]."),
]


def _call(function: Callable[[], T]) -> T:
    """Run a library call; map conflict-kg errors to a message and an exit code."""
    try:
        return function()
    except CkgError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        err.print("interrupted: earlier outputs are left as they were")
        raise typer.Exit(130) from None


@contextmanager
def _progress(enabled: bool = True) -> Iterator[Callable[[str, int, int], None]]:
    """A Rich progress bar on stderr, one task per stage."""
    if not enabled or not err.is_terminal:
        yield lambda stage, done, total: None
        return
    columns = (
        TextColumn("{task.description:>10}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=True) as bar:
        tasks: dict[str, Any] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield update


def _settings(**flags: Any) -> Settings:
    return _call(lambda: load_settings(flags))


def _version(value: bool) -> None:
    if value:
        out.print(f"conflict-kg {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """conflict-kg: a checked, queryable knowledge graph of conflict reporting."""


@app.command()
def run(
    sources: Annotated[
        list[Path] | None,
        typer.Argument(help="Article files or folders (.txt .md .html .jsonl) [default: examples]"),
    ] = None,
    out_dir: OutOption = DEFAULT_OUT,
    no_text: Annotated[bool, typer.Option("--no-text", help="Leave the article text out.")] = False,
    base_iri: Annotated[str | None, typer.Option(help="Base of instance IRIs.")] = None,
    batch_size: Annotated[int | None, typer.Option(help="spaCy batch size.")] = None,
    model: Annotated[str | None, typer.Option(help="spaCy model package to load.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    workers: Annotated[
        int | None,
        typer.Option(help="Extraction processes [default: one per core].", min=0),
    ] = None,
    engine: Annotated[
        str | None, typer.Option(help="Where extraction runs: local (processes) or dask.")
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(help="Dask scheduler address (with --engine dask) [default: a LocalCluster]."),
    ] = None,
) -> None:
    """Run the whole pipeline and write graph.trig, graph.ttl, validation.ttl, run.json and
    the store into the output folder. Incremental: unchanged articles are not extracted again."""
    from .pipeline import run_pipeline
    from .resources import examples_dir

    settings = _settings(
        include_text=False if no_text else None,
        base_iri=base_iri,
        batch_size=batch_size,
        model=model,
        workers=workers,
        engine=engine,
        scheduler=scheduler,
    )
    inputs = sources or [_call(examples_dir)]
    with _progress(not quiet) as progress:
        report = _call(lambda: run_pipeline(inputs, out_dir, settings, progress))
    _print_run(report)
    if not report.validation.conforms:
        raise typer.Exit(EXIT_VIOLATIONS)
    if report.failed:
        raise typer.Exit(EXIT_PARTIAL)


def _print_run(report: Any) -> None:
    table = Table(title="conflict-kg run", show_edge=False)
    for column in ("input", "status", "quantities", "events", "claims", "entities", "note"):
        table.add_column(column, overflow="fold")
    for record in report.inputs:
        counts = record.counts
        table.add_row(
            record.identifier,
            record.status,
            *(str(counts.get(k, "")) for k in ("quantities", "events", "claims", "entities")),
            record.reason,
        )
    out.print(table)
    totals = report.totals()
    shacl = "conforms" if report.validation.conforms else f"{totals['violations']} violation(s)"
    out.print(
        f"{totals['ok']} ok, {totals['skipped']} skipped, {totals['failed']} failed; "
        f"{totals.get('quantities', 0)} quantities, {totals.get('events', 0)} events, "
        f"{totals.get('claims', 0)} claims; SHACL: "
        f"{shacl}"
    )
    if totals.get("reused"):
        out.print(
            f"{totals['reused']} article(s) unchanged since the last run: not extracted again"
        )
    for name, path in report.outputs.items():
        out.print(f"  {name:15} {path}", highlight=False)


@app.command()
def extract(
    sources: Annotated[list[Path], typer.Argument(help="Article files or folders.")],
    out_file: Annotated[Path, typer.Option("--out", "-o", help="A .trig or .nq file to write.")],
    no_text: Annotated[bool, typer.Option("--no-text", help="Leave the article text out.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Extract RDF from articles into one TriG or N-Quads file, without a store."""
    from .pipeline import extract_to_file

    settings = _settings(include_text=False if no_text else None)
    with _progress(not quiet) as progress:
        report = _call(lambda: extract_to_file(sources, out_file, settings, progress))
    _print_run(report)
    if report.failed:
        raise typer.Exit(EXIT_PARTIAL)


@app.command()
def validate(
    graph: Annotated[
        Path, typer.Argument(help="RDF file to check (.trig .nq .ttl .nt .jsonld).")
    ] = DEFAULT_OUT / "graph.trig",
    report_file: Annotated[
        Path | None, typer.Option("--report", help="Write the SHACL report as Turtle here.")
    ] = None,
) -> None:
    """Check a graph against the SHACL shapes. Exit 0 conforms, 1 violations, 2 error."""
    from .export import atomic_write
    from .validate import validate_file

    result = _call(lambda: validate_file(graph))
    out.print(result.text(), highlight=False)
    if report_file is not None:
        data = result.report.serialize(format="turtle", encoding="utf-8")
        _call(lambda: atomic_write(report_file, data))
    raise typer.Exit(EXIT_OK if result.conforms else EXIT_VIOLATIONS)


def _parse_params(params: list[str]) -> dict[str, str]:
    values = {}
    for item in params:
        name, sep, value = item.partition("=")
        if not sep or not name:
            err.print(f"[bold red]error:[/] --param {item!r}: write NAME=VALUE")
            raise typer.Exit(EXIT_ERROR)
        values[name.strip()] = value
    return values


@app.command()
def query(
    query_ref: Annotated[
        str,
        typer.Argument(
            metavar="NAME_OR_FILE_OR_TEXT", help="A named query, a .rq file or SPARQL text."
        ),
    ],
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="A parameter as NAME=VALUE.")
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="table, csv, tsv, json, or ttl for CONSTRUCT.")
    ] = "table",
    store_dir: StoreOption = None,
) -> None:
    """Answer a SPARQL query over the store."""
    from .queries import resolve_query, run_query
    from .render import render_result
    from .store import open_store

    named = _call(lambda: resolve_query(query_ref))
    values = _parse_params(param or [])
    store = _call(lambda: open_store(store_dir or DEFAULT_OUT / "store"))
    result = _call(lambda: run_query(store, named, values))
    _call(lambda: render_result(result, fmt, out, hide={p.name for p in named.parameters}))


@app.command("queries")
def list_queries() -> None:
    """List the named cross-source questions with their descriptions and parameters."""
    from .queries import named_queries

    for name, named in _call(named_queries).items():
        out.print(f"[bold]{name}[/] — {named.title}", highlight=False)
        out.print(f"    {named.description}", highlight=False)
        for parameter in named.parameters:
            out.print(
                f"    --param {parameter.name}=…  {parameter.description} "
                f"(default: {parameter.default})",
                highlight=False,
            )


@app.command()
def export(
    fmt: Annotated[str, typer.Option("--format", "-f", help="ttl, trig, nt, nq or jsonld.")],
    out_file: Annotated[
        Path | None, typer.Option("--out", "-o", help="File to write [default: stdout].")
    ] = None,
    store_dir: StoreOption = None,
) -> None:
    """Dump the store in an RDF format."""
    from .export import atomic_write, export_store
    from .store import open_store

    store = _call(lambda: open_store(store_dir or DEFAULT_OUT / "store"))
    data = _call(lambda: export_store(store, fmt))
    if out_file is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        _call(lambda: atomic_write(out_file, data))
        err.print(f"wrote {len(data):,} bytes to {out_file}")
