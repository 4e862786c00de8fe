"""Fuzz target: text -> ingest -> spaCy -> extraction -> RDF, parsed back by Oxigraph.

Any exception is a finding: the pipeline would record the article as failed
instead of keeping its facts. Run by `make fuzz` (see fuzz/README.md).
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports(include=["etl"]):
    from pyoxigraph import RdfFormat, parse

    from etl.config import Settings
    from etl.extract import extract_doc
    from etl.gazetteer import load_gazetteer
    from etl.ingest import _plain_document
    from etl.model import Document
    from etl.nlp import build_pipeline, model_identity, pipe_documents
    from etl.pipeline import _nquad_lines
    from etl.rdf import article_graph, entities_graph
    from etl.text import decode

NLP = build_pipeline()
GAZETTEER = load_gazetteer()
MODEL = model_identity(NLP)
SETTINGS = Settings(max_chars=1_000)  # small pieces, so the joins of pieces get fuzzed too


def test_one_input(data: bytes) -> None:
    try:
        text, _ = decode(data)
    except ValueError:
        return  # binary: refused by design
    if not text.strip():
        return
    document: Document = _plain_document("fuzz.txt", text, None)
    ((doc, _),) = list(pipe_documents(NLP, [document], 1, SETTINGS.max_chars))
    extraction = extract_doc(doc, document, GAZETTEER, MODEL)
    for mention in extraction.mentions:
        assert document.text[mention.begin : mention.end] == mention.text
    graphs = [article_graph(extraction, SETTINGS), entities_graph(extraction.entities, SETTINGS)]
    data = b"".join(line for graph in graphs for line in _nquad_lines(graph))
    assert list(parse(data, format=RdfFormat.N_QUADS))


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
