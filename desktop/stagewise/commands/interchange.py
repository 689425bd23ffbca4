"""``stagewise import`` and ``stagewise export``: the practice interchange format (docs/interchange.md)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from stagewise.commands._common import (
    add_export_arguments,
    add_practice_arguments,
    cli_actor,
    opened,
    refuse_existing,
    warn_unencrypted,
)


def register(subparsers: Any) -> None:
    """Add ``import`` and ``export`` to the CLI."""
    imp = subparsers.add_parser(
        "import",
        help="import clients from an interchange JSON file",
        description=(
            "Import clients and their records from a Stagewise interchange file. The whole file is checked "
            "first: if anything is wrong, every problem is listed and nothing is imported."
        ),
    )
    add_practice_arguments(imp)
    imp.add_argument("file", metavar="FILE", type=Path, help="the JSON file to import")
    imp.set_defaults(func=_import)

    exp = subparsers.add_parser(
        "export",
        help="export clients to an interchange JSON file (unencrypted)",
        description=(
            "Write every client (or one) to a Stagewise interchange JSON file. The file is NOT encrypted: "
            "keep it safe and delete it when it is no longer needed."
        ),
    )
    add_practice_arguments(exp)
    add_export_arguments(exp)
    exp.add_argument(
        "--fhir",
        action="store_true",
        help="write a FHIR R4 Bundle (Patient, Questionnaire, QuestionnaireResponse, Observation) instead",
    )
    exp.set_defaults(func=_export)


def _counts(sections: dict[str, int] | Any) -> str:
    parts = [f"{n} {name.replace('_', ' ')}" for name, n in dict(sections).items()]
    return f" ({', '.join(parts)})" if parts else ""


def _import(args: argparse.Namespace) -> int:
    from stagewise.core.interchange import format as interchange

    doc = interchange.read_document(args.file)  # a file that is not JSON fails before any unlocking
    with opened(args) as practice:
        with practice.session_factory.begin() as s:
            summary = interchange.import_document(s, doc, actor=cli_actor())
    print(
        f"Imported {summary.clients} client(s) with {summary.focuses} focus(es){_counts(summary.sections)}."
    )
    return 0


def _export(args: argparse.Namespace) -> int:
    from stagewise.core.interchange import format as interchange

    out: Path = args.out
    refuse_existing(out, force=args.force)
    if args.fhir:
        return _export_fhir(args)
    with opened(args) as practice:
        with practice.session_factory.begin() as s:
            result = interchange.export_practice(s, actor=cli_actor(), chart_number=args.client)
            interchange.write_file(out, result.text, overwrite=args.force)
    warn_unencrypted(out)
    print(f"Exported {result.clients} client(s) with {result.focuses} focus(es){_counts(result.sections)}.")
    return 0


def _export_fhir(args: argparse.Namespace) -> int:
    from stagewise.core.interchange import fhir_bundle

    with opened(args) as practice:
        summary = fhir_bundle.write_fhir_bundle(
            practice, args.out, client_chart=args.client, actor=cli_actor(), overwrite=args.force
        )
    warn_unencrypted(args.out)
    print(f"Exported a FHIR bundle: {summary}.")
    return 0
