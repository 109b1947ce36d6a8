"""Passages: an entry's body as packable units, each scored against the query, and the block
`ctx context` packs for an entry (provenance, title, summary, then units in score order).

Pure functions of their arguments; budget.pack chooses among the blocks.
"""

from __future__ import annotations

from ctxtree.retrieval import budget as budgeting
from ctxtree.retrieval import enclosure
from ctxtree.retrieval.enclosure import Enclosure, one_line
from ctxtree.retrieval.index import Doc
from ctxtree.retrieval.tiers import Hit
from ctxtree.retrieval.tokenize import fold, stem, terms


def provenance(doc: Doc, status: str = "current") -> str:
    """The line that says where a packed entry comes from: id, kind, date, sources, status,
    and the notice on external text."""
    parts = [f"id: {doc.id}", doc.kind]
    episode = doc.kind == "episode"
    if doc.updated:
        parts.append(doc.updated[:10] if episode else f"updated {doc.updated[:10]}")
    # Turn ids are already inline in a transcript's lines; other sources are shown (two).
    sources = [] if episode else [(t, r) for t, r in doc.sources if t != "turn"]
    if sources:
        shown = [enclosure.inline(f"{t}:{r}") for t, r in sources[:2]]
        more = len(sources) - 2
        parts.append("source " + ", ".join(shown) + (f" (+{more})" if more > 0 else ""))
    if status != "current":
        parts.append(status)
    if doc.trust == "external":
        parts.append(enclosure.NOTICE)
    return " · ".join(parts)


def units(doc: Doc) -> list[str]:
    """The body's packable units (budget.units_of), without a heading that repeats the title."""
    found = budgeting.units_of(doc.body)
    if found and found[0].lstrip("# ").strip() == doc.title.strip() and found[0].startswith("#"):
        found = found[1:]
    return found


def unit_score(unit: str, weights: dict[str, float]) -> float:
    """idf-weighted share of the query's (stemmed) terms that a unit contains, in [0, 1]."""
    total = sum(weights.values())
    if total <= 0:
        return 0.0
    # A stem is a prefix of the term it comes from, and terms come from the folded text: a
    # unit whose folded text holds no query stem scores 0 (most units, decided without
    # tokenizing), and only terms that start with a query stem can stem to one.
    folded = fold(unit)
    if not any(term in folded for term in weights):
        return 0.0
    starts = tuple(weights)
    present = {stem(t) for t in terms(unit) if t.startswith(starts)}
    return sum(w for term, w in weights.items() if term in present) / total


# A line right after a matching line often answers it (a reply in a conversation, the body of
# a list item); the line before gives its setting. Units inherit part of their neighbours'
# match: score_i = max(s_i, AFTER * s_(i-1), BEFORE * s_(i+1)).
AFTER = 0.7
BEFORE = 0.4


def smoothed(scores: list[float]) -> tuple[float, ...]:
    """score_i = max(s_i, AFTER * s_(i-1), BEFORE * s_(i+1))."""
    out = []
    for i, own in enumerate(scores):
        prev = scores[i - 1] if i > 0 else 0.0
        nxt = scores[i + 1] if i + 1 < len(scores) else 0.0
        out.append(max(own, AFTER * prev, BEFORE * nxt))
    return tuple(out)


def block(
    doc: Doc, hit: Hit | None, weights: dict[str, float], fmt: str, weight: float,
    fence: Enclosure,
) -> budgeting.Block:  # fmt: skip
    """One entry's lines. An external entry's title, summary and passages stand quoted inside
    `fence` (see retrieval/enclosure.py): its heading is its provenance, which is ours."""
    lines = units(doc)
    scores = unit_scores(lines, weights)
    # The header alone is worth sending when it says more than the title of an entry whose
    # lines carry the matter (a summary), or when it is the whole entry (a title-only note).
    standalone = not lines or (bool(doc.summary) and doc.kind != "episode")
    where = provenance(doc, hit.status if hit is not None else "current")
    external = doc.trust == "external"
    if external:
        # An episode's title is made from the lines it holds (speakers, date, turn span), and
        # the date is on the heading: inside the enclosure it would cost ~20 tokens a block.
        named = [] if doc.kind == "episode" and lines else [f"title: {doc.title}"]
        inner = [*named, *([f"summary: {doc.summary}"] if standalone else [])]
        lines = [enclosure.quote(u) for u in lines]
    else:
        lines = [enclosure.escape_line(u) for u in lines]
    if fmt == "xml":
        from html import escape  # html.entities behind it: only XML output needs it

        attrs = f'id="{escape(doc.id)}" kind="{doc.kind}" trust="{doc.trust}"'
        if external:
            header = [
                f"<entry {attrs}>",
                f"<provenance>{escape(where)}</provenance>",
                fence.xml_open,
                *(escape(enclosure.quote(x), quote=False) for x in inner),
            ]
            footer: tuple[str, ...] = (enclosure.XML_CLOSE, "</entry>")
        else:
            header = [
                f"<entry {attrs}>",
                f"<title>{escape(one_line(doc.title))}</title>",
                f"<provenance>{escape(where)}</provenance>",
            ]
            if doc.summary:
                header.append(f"<summary>{escape(one_line(doc.summary))}</summary>")
            footer = ("</entry>",)
        return budgeting.Block(
            doc.id, tuple(header), tuple(escape(u, quote=False) for u in lines), scores,
            footer, weight, standalone,
        )  # fmt: skip
    if external:
        header = [f"### {where}", fence.open, *(enclosure.quote(line) for line in inner)]
        return budgeting.Block(
            doc.id, tuple(header), tuple(lines), scores, (fence.close,), weight, standalone
        )
    title = enclosure.escape_title(doc.title)
    # An episode takes one line: turns carry their own ids, the title its date.
    header = [f"### {title} · {where}"] if doc.kind == "episode" else [f"### {title}", where]
    if doc.summary and doc.kind != "episode":  # an episode's summary repeats its own lines
        header.append(f"> {one_line(doc.summary)}")
    return budgeting.Block(doc.id, tuple(header), tuple(lines), scores, (), weight, standalone)


def query_weights(weights: dict[str, float]) -> dict[str, float]:
    """Query term -> idf, keyed by stem (the highest weight when two terms share one)."""
    out: dict[str, float] = {}
    for term, weight in weights.items():
        key = stem(term)
        out[key] = max(out.get(key, 0.0), weight)
    return out


def unit_scores(lines: list[str], weights: dict[str, float]) -> tuple[float, ...]:
    """Each unit's smoothed score against the query's stemmed `weights`; with no query (core
    context), earlier units first: max(0, 0.5 - 0.05 * i)."""
    if weights:
        return smoothed([unit_score(u, weights) for u in lines])
    return tuple(max(0.0, 0.5 - 0.05 * i) for i in range(len(lines)))
