"""``foodmatch contracts``: a contract as a printable document, a participant's contracts as CSV,
and the contract's transitions.

``document`` and ``export`` read the service's database (``--db`` or ``FOODMATCH_DATABASE_URL``)
and change nothing; ``accept``, ``reject``, ``cancel``, ``confirm`` and ``amend`` go through the
service's HTTP API (``--api`` or ``FOODMATCH_API_URL``), so they work on either engine.
"""

from __future__ import annotations

from typing import Annotated

import typer

from matcher.clikit import DbOption, OutputOption, emit_text, fail, read_service_db

__all__ = [
    "accept",
    "amend",
    "cancel",
    "certificates_app",
    "confirm",
    "contracts_app",
    "document",
    "export",
    "reject",
    "revoke_certificate",
]

contracts_app = typer.Typer(
    help="Contract documents (HTML, Thai or English), CSV exports per group or buyer, and "
    "the contract's transitions (accept, reject, cancel, confirm, amend).",
    no_args_is_help=True,
)


@contracts_app.command()
def document(
    contract_id: Annotated[str, typer.Argument(help="The contract's id.")],
    lang: Annotated[str, typer.Option(help="th (Thai) or en (English).")] = "th",
    output: OutputOption = None,
    db: DbOption = None,
) -> None:
    """Write a contract as a printable HTML document."""
    from matcher.documents import check_lang
    from matcher.service.contract_documents import contract_document

    try:
        language = check_lang(lang)
    except ValueError:
        raise typer.BadParameter("must be th or en", param_hint="--lang") from None
    page = read_service_db(
        db,
        lambda uow, service: contract_document(
            uow,
            contract_id,
            crops=service.context.crops,
            lang=language,
            standards=service.context.standards,
            terms=service.context.contract_terms,
            districts=service.context.districts,
        ),
    )
    emit_text(page, output)


@contracts_app.command()
def export(
    group: Annotated[str | None, typer.Option("--group", help="A farmer group's id.")] = None,
    buyer: Annotated[str | None, typer.Option("--buyer", help="A buyer's id.")] = None,
    deliveries: Annotated[
        bool, typer.Option(help="One line per delivery instead of one per contract.")
    ] = False,
    output: OutputOption = None,
    db: DbOption = None,
) -> None:
    """Write a group's or a buyer's contracts (or their deliveries) as CSV."""
    from matcher.service.contract_documents import contracts_export

    if (group is None) == (buyer is None):
        raise typer.BadParameter("give exactly one of --group and --buyer")
    _, text = read_service_db(
        db,
        lambda uow, service: contracts_export(
            uow,
            crops=service.context.crops,
            group_id=group,
            buyer_id=buyer,
            deliveries=deliveries,
        ),
    )
    emit_text(text, output)


# --- transitions, through the HTTP API (the same on the embedded and the Kafka engine) --------

ApiOption = Annotated[
    str,
    typer.Option(
        "--api",
        envvar="FOODMATCH_API_URL",
        help="The service's API (FOODMATCH_API_URL).",
    ),
]
ActorOption = Annotated[
    str | None,
    typer.Option(
        "--as",
        help="Who acts: group:ID, buyer:ID or coordinator:NAME (default: the key's holder; "
        "only a coordinator's key may name another party).",
    ),
]
KeyOption = Annotated[
    str | None,
    typer.Option(
        "--key",
        envvar="FOODMATCH_API_KEY",
        help="API key (FOODMATCH_API_KEY; see foodmatch keys create).",
    ),
]
ReasonOption = Annotated[str, typer.Option(help="Why.")]
DEFAULT_API = "http://127.0.0.1:8000"


def _post(api: str, key: str | None, path: str, body: dict[str, object]) -> None:
    """POST ``body`` to the API and print the contract it answers; exit 1 on a refusal."""
    import json
    import urllib.error
    import urllib.request

    url = api.rstrip("/") + "/api/v1" + path
    body = {k: v for k, v in body.items() if v is not None}
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"}
        | ({"Authorization": f"Bearer {key}"} if key else {}),
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            answer = json.loads(response.read().decode())
    except urllib.error.HTTPError as err:
        detail = err.read().decode(errors="replace")
        raise fail(f"{err.code} {detail}", 1) from None
    except urllib.error.URLError as err:
        raise fail(f"cannot reach {url}: {err.reason}", 1) from None
    typer.echo(json.dumps(answer, ensure_ascii=False, indent=2))
    state = answer.get("state") if isinstance(answer, dict) else None
    if state:
        typer.echo(f"{answer.get('id', '')}: {state}", err=True)


@contracts_app.command()
def accept(
    contract_id: str,
    actor: ActorOption = None,
    api: ApiOption = DEFAULT_API,
    key: KeyOption = None,
) -> None:
    """The group accepts a proposed contract."""
    _post(api, key, f"/contracts/{contract_id}/accept", {"actor": actor})


@contracts_app.command()
def reject(
    contract_id: str,
    actor: ActorOption = None,
    reason: ReasonOption = "",
    api: ApiOption = DEFAULT_API,
    key: KeyOption = None,
) -> None:
    """The group rejects a proposed contract (its quantity is re-matched)."""
    _post(api, key, f"/contracts/{contract_id}/reject", {"actor": actor, "reason": reason})


@contracts_app.command()
def cancel(
    contract_id: str,
    reason: ReasonOption,
    actor: ActorOption = None,
    api: ApiOption = DEFAULT_API,
    key: KeyOption = None,
) -> None:
    """Either party cancels a contract, with a reason."""
    _post(api, key, f"/contracts/{contract_id}/cancel", {"actor": actor, "reason": reason})


@contracts_app.command()
def confirm(
    contract_id: str,
    day: Annotated[str, typer.Argument(help="Delivery date, YYYY-MM-DD.")],
    received: Annotated[int, typer.Option(min=0, help="Quantity received.")],
    refused: Annotated[int, typer.Option(min=0, help="Quantity refused for quality.")] = 0,
    refusal_reason: Annotated[
        str | None,
        typer.Option(
            help="Why it was refused (needed with --refused): not_fresh, residue_test_failed, "
            "wrong_size, late or other."
        ),
    ] = None,
    refusal_note: Annotated[
        str | None, typer.Option(help="With --refusal-reason other: in your own words.")
    ] = None,
    actor: ActorOption = None,
    api: ApiOption = DEFAULT_API,
    key: KeyOption = None,
) -> None:
    """The kitchen confirms a delivery: what it received, what it refused and why."""
    body: dict[str, object] = {"actor": actor, "received": received, "refused": refused}
    if refusal_reason is not None:
        body["refusal_reason"] = refusal_reason
    if refusal_note is not None:
        body["refusal_note"] = refusal_note
    _post(api, key, f"/contracts/{contract_id}/deliveries/{day}/confirm", body)


@contracts_app.command()
def amend(
    contract_id: str,
    agreed_by: Annotated[str, typer.Option(help="The other party, who agreed.")],
    change: Annotated[
        list[str],
        typer.Option(help="DATE=QUANTITY or DATE=NEW_DATE:QUANTITY (repeat for more)."),
    ],
    reason: ReasonOption = "",
    actor: ActorOption = None,
    api: ApiOption = DEFAULT_API,
    key: KeyOption = None,
) -> None:
    """Change deliveries by agreement of both parties."""
    lines: list[dict[str, object]] = []
    for item in change:
        day, _, rest = item.partition("=")
        new_day, _, quantity = rest.rpartition(":")
        if not day or not quantity.isdigit():
            raise fail(f"--change {item!r}: use DATE=QUANTITY")
        line: dict[str, object] = {"date": day, "quantity": int(quantity)}
        if new_day:
            line["new_date"] = new_day
        lines.append(line)
    body: dict[str, object] = {
        "actor": actor,
        "agreed_by": agreed_by,
        "deliveries": lines,
        "reason": reason,
    }
    _post(api, key, f"/contracts/{contract_id}/amend", body)


certificates_app = typer.Typer(help="Certificates: revoke one from a date.", no_args_is_help=True)


@certificates_app.command("revoke")
def revoke_certificate(
    certificate_id: str,
    on: Annotated[str, typer.Option("--on", help="Revoked from this date, YYYY-MM-DD.")],
    actor: ActorOption = None,
    reason: ReasonOption = "",
    api: ApiOption = DEFAULT_API,
    key: KeyOption = None,
) -> None:
    """Revoke a certificate from a date: the next round re-matches the deliveries from then."""
    body: dict[str, object] = {"revoked_on": on, "reason": reason, "actor": actor}
    _post(api, key, f"/certificates/{certificate_id}/revoke", body)
