"""`ctx query`: an answer with sources, through tiers 0-4 (tiers 3-4 need a model)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from ctxtree.cli.errors import handled
from ctxtree.cli.options import (
    TOKENS,
    CommandOpt,
    ExplainOpt,
    JsonOpt,
    ModelOpt,
    TreeOpt,
    bounded_option,
)
from ctxtree.cli.output import emit_json, note, out
from ctxtree.errors import ExitCode

if TYPE_CHECKING:
    from ctxtree.service.query import QueryResult

TIERS = (0, 4)


def register(app: typer.Typer) -> None:
    @app.command()
    @handled
    def query(
        question: Annotated[str, typer.Argument(help="The question, in plain words.")],
        no_llm: Annotated[
            bool, typer.Option("--no-llm", help="Never call a model (same as --max-tier 2).")
        ] = False,
        max_tier: Annotated[
            int | None,
            bounded_option(
                "--max-tier",
                bounds=TIERS,
                help="Highest tier to try: 2 = no model, 3 = one model call, 4 = tool loop. "
                "Default: 4 with a model configured, else 2.",
            ),
        ] = None,
        budget: Annotated[
            int | None,
            bounded_option(
                "--budget",
                "-b",
                bounds=TOKENS,
                help="Tokens of memory to prefetch (default: budgets.context).",
            ),
        ] = None,
        model: ModelOpt = None,
        llm_command: CommandOpt = None,
        explain: ExplainOpt = False,
        tree: TreeOpt = None,
        json_out: JsonOpt = False,
    ) -> None:
        """Answer a question from memory, with the entry ids that support it.

        Tiers 0-2 (no model) answer when search is confident. Otherwise, with a model
        configured (llm.model / llm.command, or --model / --llm-command), tier 3 asks it once
        over the best material and tier 4 lets it search, read and follow relations within
        llm.max_steps, llm.max_tokens and llm.max_seconds. Every citation is checked against
        its entry before anything is printed. Without a model, a weak match is printed as
        "not confident". Exit 0 for a supported answer; 3 when memory does not hold one (not
        in memory, not confident, unverifiable, or the budget ran out).

        \b
        Examples:
          ctx query "how do refresh tokens rotate?"
          ctx query "why did we drop redis?" --model gpt-4o-mini --json
          ctx query "what does the deploy script check?" --no-llm
        """
        from ctxtree.errors import UsageError
        from ctxtree.service import query as querying
        from ctxtree.service.session import open_session

        if no_llm and max_tier is not None and max_tier >= 3:
            raise UsageError(f"--no-llm contradicts --max-tier {max_tier}", "pass one of them")
        ceiling = 2 if no_llm else max_tier
        result = querying.query(open_session(tree), question, ceiling, budget, model, llm_command)
        if json_out:
            emit_json(result.to_json())
        else:
            _render(result)
        if explain:
            for line in result.explain:
                note(f"explain: {line}")
            note(f"explain: {_cost(result)}")
        if result.status != querying.ANSWERED:
            raise typer.Exit(int(ExitCode.NOT_FOUND))


def _cost(result: QueryResult) -> str:
    spent = sum(v for v in result.timings.values() if v is not None)
    if not result.model:
        return f"{spent:.0f} ms, no model call"
    usage = result.usage
    tokens = f"{usage.input_tokens or 0} in + {usage.output_tokens or 0} out tokens"
    tokens += " (estimated)" if result.estimated else ""
    cost = f", ${usage.cost_usd:.4f}" if usage.cost_usd is not None else ""
    from ctxtree.wording import plural

    return f"{spent:.0f} ms, {result.model}, {plural(result.steps, 'call')}, {tokens}{cost}"


def _render(result: QueryResult) -> None:
    from ctxtree.retrieval.enclosure import one_line
    from ctxtree.service import query as querying

    status = result.status
    if status in (querying.ANSWERED, querying.NOT_CONFIDENT):
        if status == querying.NOT_CONFIDENT:
            out("Not confident: memory holds nothing that clearly answers this. Closest:")
        out(result.answer)
        verified = [c for c in result.citations if c.verified]
        if verified and result.model:
            out("")
            out("Sources:")
            for citation in verified:
                out(f'  {citation.id}: "{one_line(citation.quote)}"')
        rejected = [c for c in result.citations if not c.verified]
        for citation in rejected:
            note(f"rejected citation {citation.id}: {citation.why}")
        if not result.enough:
            note("the model said memory may hold more than it read")
    elif status == querying.NOT_IN_MEMORY:
        note("not in memory: nothing stored answers this; add what you learn with `ctx add`")
    elif status == querying.UNVERIFIED:
        note(
            "the model's answer could not be verified against memory: no citation names an "
            "entry that contains the quoted words, so nothing is shown as fact"
        )
        for citation in result.citations:
            note(f"  rejected {citation.id or '(no id)'}: {citation.why}")
    elif status == querying.EXHAUSTED:
        note(result.answer)
    note(f"tier {result.tier} · {_cost(result)}")
