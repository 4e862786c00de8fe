"""The `ckg` command line: parse options, call one library function, render.

Exit codes: 0 success (for `validate`: conforms), 1 SHACL violations,
2 error, 3 the run completed but some inputs failed (see etl/errors.py).
"""

from __future__ import annotations

import sys
from collections import Counter
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
    """Run the whole pipeline and write graph.trig, graph.ttl, validation.ttl, report.html,
    run.json and the store into the output folder. Incremental: unchanged articles are not
    extracted again."""
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


# Up to this many inputs, the run's table lists each; past it, a corpus-sized run would
# print a screen per thousand articles, so the table keeps to the inputs that were not
# ok (run.json has every one).
TABLE_INPUTS = 50


def _print_run(report: Any) -> None:
    records = report.inputs
    if len(records) > TABLE_INPUTS:
        records = [r for r in records if r.status != "ok"][:TABLE_INPUTS]
    if records:
        out.print(_run_table(records))
    totals = report.totals()
    if len(report.inputs) > TABLE_INPUTS:
        not_ok = totals["skipped"] + totals["failed"]
        shown = f"the first {len(records)} of the" if not_ok > len(records) else "the"
        listed = f"the table shows {shown} {not_ok} not ok" if not_ok else "all ok"
        out.print(
            f"{len(report.inputs):,} inputs; {listed} "
            f"(every input is in {report.outputs.get('run.json', 'run.json')})",
            highlight=False,
        )
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


def _run_table(records: list[Any]) -> Table:
    table = Table(title="conflict-kg run", show_edge=False)
    for column in ("input", "status", "quantities", "events", "claims", "entities", "note"):
        table.add_column(column, overflow="fold")
    for record in records:
        counts = record.counts
        table.add_row(
            record.identifier,
            record.status,
            *(str(counts.get(k, "")) for k in ("quantities", "events", "claims", "entities")),
            record.reason,
        )
    return table


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
    max_rows: Annotated[
        int,
        typer.Option(help="Rows the table shows (the rest are counted); 0: all.", min=0),
    ] = 1_000,
) -> None:
    """Answer a SPARQL query over the store."""
    from .queries import resolve_query, run_query
    from .render import render_result
    from .store import open_store

    named = _call(lambda: resolve_query(query_ref))
    values = _parse_params(param or [])
    store = _call(lambda: open_store(store_dir or DEFAULT_OUT / "store"))
    result = _call(lambda: run_query(store, named, values))
    hide = {p.name for p in named.parameters}
    _call(lambda: render_result(result, fmt, out, hide=hide, table_rows=max_rows))


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
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help="ttl, trig, nt, nq or jsonld (RDF); graphml, neo4j or acled (property graph).",
        ),
    ],
    out_file: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="File to write [default: stdout]; for neo4j a folder [default: output/neo4j].",
        ),
    ] = None,
    store_dir: StoreOption = None,
) -> None:
    """Dump the store in an RDF format, or as a property graph (GraphML, Neo4j import CSVs,
    an ACLED-shaped CSV of events and figures)."""
    from .export import stream_export, write_export
    from .store import open_store

    store = _call(lambda: open_store(store_dir or DEFAULT_OUT / "store"))
    if fmt in {"graphml", "neo4j", "acled"}:
        _export_property_graph(store, fmt, out_file)
        return
    # straight from the store to the file or stdout: flat memory at any size
    if out_file is None:
        _call(lambda: stream_export(store, fmt, sys.stdout.buffer))
        sys.stdout.flush()
    else:
        _call(lambda: write_export(store, fmt, out_file))
        err.print(f"wrote {out_file.stat().st_size:,} bytes to {out_file}")


# --------------------------------------------------------------------------- evaluate


@app.command()
def evaluate(
    gold: Annotated[
        Path, typer.Option("--gold", help="Folder of gold facts, one <article>.jsonl each.")
    ],
    graph: Annotated[
        Path | None,
        typer.Option(
            "--graph",
            help="A store folder or an RDF file (.trig .nq .ttl .nt) "
            "[default: output/store, else output/graph.trig].",
        ),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
) -> None:
    """Score the graph against gold facts: precision, recall and F1 per fact kind, qualifier,
    attribution and entity-type accuracy, and how often an entity is one node across sources."""
    import json

    from .evaluate import evaluate as run_evaluation

    if fmt not in {"table", "json"}:
        err.print(f"[bold red]error:[/] unknown format {fmt!r}: use table or json")
        raise typer.Exit(EXIT_ERROR)
    result = _call(lambda: run_evaluation(gold, graph))
    if fmt == "json":
        sys.stdout.write(json.dumps(result.as_dict(), indent=2) + "\n")
        return
    _print_evaluation(result)


def _print_evaluation(result: Any) -> None:
    table = Table(title="conflict-kg evaluation", show_edge=False)
    for column in ("metric", "precision", "recall", "F1", "matched", "predicted", "gold"):
        table.add_column(column, justify="left" if column == "metric" else "right")
    for name, score in result.scores().items():
        table.add_row(
            name.replace("_", " "),
            f"{score.precision:.3f}",
            f"{score.recall:.3f}",
            f"{score.f1:.3f}",
            str(score.tp),
            str(score.predicted),
            str(score.gold),
        )
    out.print(table)
    for name, ratio in result.ratios().items():
        value = "n/a" if ratio.value is None else f"{ratio.value:.3f}"
        out.print(f"{name.replace('_', ' '):26} {value}  ({ratio.correct} of {ratio.total})")
    overmerged = ", ".join(result.overmerged_entities) or "none"
    out.print(f"{'over-merged entities':26} {overmerged}", highlight=False)
    if result.articles_missing:
        missing = ", ".join(result.articles_missing)
        out.print(f"[yellow]gold articles missing from the graph:[/] {missing}", highlight=False)


# --------------------------------------------------------------------------- conflicts


@app.command()
def conflicts(
    measure: Annotated[
        str, typer.Option("--measure", "-m", help="Only this measure, e.g. TroopCount.")
    ] = "",
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, json or csv.")] = "table",
    store_dir: StoreOption = None,
) -> None:
    """Figures several sources report for the same measure, subject and place, grouped and
    labelled agreeing, compatible, conflicting or later update, with source, speaker and
    sentence."""
    import csv
    import json

    from .conflicts import as_rows, find_conflicts
    from .store import open_store

    if fmt not in {"table", "json", "csv"}:
        err.print(f"[bold red]error:[/] unknown format {fmt!r}: use table, json or csv")
        raise typer.Exit(EXIT_ERROR)
    store = _call(lambda: open_store(store_dir or DEFAULT_OUT / "store"))
    groups = _call(lambda: find_conflicts(store, measure))
    if fmt == "json":
        sys.stdout.write(json.dumps([g.as_dict() for g in groups], indent=2) + "\n")
    elif fmt == "csv":
        rows = as_rows(groups)
        if rows:
            writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
    else:
        _print_conflicts(groups, as_rows(groups))


# Past this many pairs a group's pairs are counted by label, not listed one per line: a
# group of 50 figures makes over a thousand, and a large store millions (-f json has them).
PAIRS_LISTED = 20


def _print_conflicts(groups: list[Any], rows: list[Any]) -> None:
    from .conflicts import AGREEING, COMPATIBLE, CONFLICTING, LATER_UPDATE

    columns = ("value", "qualifier", "interval", "time", "source", "speaker", "sentence")
    rows_of: dict[int, list[Any]] = {}
    for row in rows:
        rows_of.setdefault(row["group"], []).append(row)
    for number, group in enumerate(groups, start=1):
        about = " · ".join(p for p in (group.subject_label, group.place_label) if p)
        table = Table(
            title=f"{number}. {group.measure} ({group.unit}) {about}: {group.label}",
            title_justify="left",
            show_edge=False,
            expand=True,
        )
        for column in columns:
            compact = column in {"value", "qualifier", "interval"}
            table.add_column(column, no_wrap=compact, ratio=None if compact else 2, overflow="fold")
        table.columns[-1].ratio = 5  # the sentence gets most of the room
        for row in rows_of.get(number, []):
            table.add_row(*(str(row[c]) for c in columns))
        out.print(table)
        if len(group.pairs) > PAIRS_LISTED:
            tally = Counter(pair.label for pair in group.pairs)
            counts = ", ".join(
                f"{tally[label]:,} {label}"
                for label in (CONFLICTING, LATER_UPDATE, COMPATIBLE, AGREEING)
                if tally[label]
            )
            out.print(
                f"   {len(group.pairs):,} pairs across sources: {counts} (-f json lists each)",
                highlight=False,
            )
            continue
        for pair in group.pairs:
            out.print(
                f"   {pair.first.value} ({pair.first.article}) vs {pair.second.value} "
                f"({pair.second.article}): {pair.label}",
                highlight=False,
            )
    out.print(f"{len(groups)} group(s)", style="dim")


# ---- serve and push: the graph over HTTP -------------------------------------------------


@app.command()
def serve(
    host: Annotated[
        str, typer.Option(help="Address to listen on; anything but loopback is public.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 7878,
    store_dir: StoreOption = None,
    workers: Annotated[int, typer.Option(help="Query worker processes.", min=1)] = 2,
    timeout: Annotated[
        float, typer.Option(help="Seconds a query may run before it is stopped.", min=0.1)
    ] = 30.0,
    max_rows: Annotated[
        int, typer.Option(help="Rows (or triples) in one answer; the rest are cut.", min=1)
    ] = 100_000,
    max_body: Annotated[int, typer.Option(help="Bytes in a request body.", min=1)] = 1_000_000,
    queue_wait: Annotated[
        float, typer.Option(help="Seconds a request waits for a free worker before a 503.")
    ] = 2.0,
    allow_update: Annotated[
        bool, typer.Option("--allow-update", help="Accept SPARQL updates (needs --update-token).")
    ] = False,
    update_token: Annotated[
        str | None,
        typer.Option(envvar="CKG_UPDATE_TOKEN", help="Bearer token that updates must carry."),
    ] = None,
) -> None:
    """Answer SPARQL 1.1 Protocol queries over the store (read-only unless told otherwise);
    the query page is at http://HOST:PORT/ ."""
    from .pool import Limits
    from .server import is_loopback
    from .server import serve as serve_endpoint

    if allow_update and not update_token:
        err.print("[bold red]error:[/] --allow-update needs --update-token (or CKG_UPDATE_TOKEN)")
        raise typer.Exit(EXIT_ERROR)
    if not is_loopback(host):
        err.print(f"[yellow]warning:[/] listening on {host}: other machines can query the store")
    store = store_dir or DEFAULT_OUT / "store"

    def announce(address: str) -> None:
        err.print(
            f"SPARQL endpoint on {address}/sparql, query page on {address}/",
            highlight=False,
            soft_wrap=True,
        )

    limits = Limits(workers, timeout, queue_wait, max_rows, max_body)
    token = update_token if allow_update else None
    _call(lambda: serve_endpoint(store, host, port, limits, token, announce))


@app.command()
def push(
    endpoint: Annotated[
        str,
        typer.Option(
            help="Graph Store Protocol URL of the target, e.g. http://host:7878/store "
            "(Oxigraph) or http://host:3030/ds/data (Fuseki)."
        ),
    ],
    query_endpoint: Annotated[
        str | None,
        typer.Option(
            help="SPARQL query URL of the target for the final count check "
            "[default: guessed from --endpoint]."
        ),
    ] = None,
    user: Annotated[str | None, typer.Option(help="User for HTTP basic auth.")] = None,
    password: Annotated[
        str | None, typer.Option(envvar="CKG_PUSH_PASSWORD", help="Password for basic auth.")
    ] = None,
    token: Annotated[
        str | None, typer.Option(envvar="CKG_PUSH_TOKEN", help="Bearer token.")
    ] = None,
    per_article: Annotated[
        bool,
        typer.Option(
            "--graph-per-article/--union",
            help="One named graph per article (and the entities graph), or their union "
            "into the default graph.",
        ),
    ] = True,
    retries: Annotated[int, typer.Option(help="Retries per graph on transient errors.")] = 4,
    store_dir: StoreOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Upload the graphs to another triple store with the SPARQL 1.1 Graph Store Protocol
    (one PUT per graph, so pushing again replaces), then check the triple counts there."""
    from .push import push_store, target
    from .store import open_store

    where = _call(lambda: target(endpoint, query_endpoint, user, password, token))
    store = _call(lambda: open_store(store_dir or DEFAULT_OUT / "store"))
    with _progress(not quiet) as progress:
        report = _call(lambda: push_store(store, where, per_article, progress, retries))
    triples = sum(report.graphs.values())
    out.print(
        f"pushed {len(report.graphs)} graph(s), {triples:,} triples, to {endpoint}; "
        f"the counts there match ({report.retries} retried request(s))",
        highlight=False,
        soft_wrap=True,
    )


def _export_property_graph(store: Any, fmt: str, out_file: Path | None) -> None:
    from .property_graph import neo4j_import_command, render_property_graph, write_property_graph

    if fmt == "neo4j" or out_file is not None:
        target = out_file or DEFAULT_OUT / "neo4j"
        written = _call(lambda: write_property_graph(store, fmt, target))
        for path in written:
            err.print(f"wrote {path.stat().st_size:,} bytes to {path}", highlight=False)
        if fmt == "neo4j":
            err.print(neo4j_import_command(target, [p.name for p in written]), highlight=False)
        return
    sys.stdout.buffer.write(_call(lambda: render_property_graph(store, fmt)))
    sys.stdout.flush()


@app.command()
def report(
    out_file: Annotated[Path, typer.Option("--out", "-o", help="HTML file to write.")] = DEFAULT_OUT
    / "report.html",
    store_dir: StoreOption = None,
) -> None:
    """Write a self-contained HTML report of the store: sources, conflicting figures with their
    evidence, charts per measure, the entity network, lineage and the event timeline. It
    opens offline."""
    from .report import write_report

    store_path = store_dir or DEFAULT_OUT / "store"
    written = _call(lambda: write_report(store_path, out_file))
    out.print(f"report: {written}", highlight=False)
