"""Which entries a description refers to: `ctx forget --matching` and `ctx supersede
--matching` (pure; the service reads the entries and writes).

Evidence, strongest first; a request is matched by the strongest kind it contains:
1. identity (tree/identity.py): an email, handle, number or non-Latin name of the request, in
   any of its forms. A request naming an identifier selects only entries holding that
   identifier: a purge of one SSN never takes an entry with another number.
2. names: capitalised words of the request that are not request words (`Frank`, `Stripe`);
   an entry must contain every one, as a whole word (or as a transliterated name), and every
   relation group the request names (`Frank's phone`); other words only describe the person
   (`Frank the engineer`) and select nothing less.
3. terms: the remaining content words, each widened to its relation group in RELATIONS
   (employer ~ works, job, company ...); for forget an entry must match every group, for
   supersede entries are ranked by the idf-weighted share of groups they match.
Every selected entry carries its reasons (which form or term matched, as written) and the
lines that hold them, so nothing is selected that the output cannot justify.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ctxtree.retrieval.tokenize import STOPWORDS, query_terms, stem, terms
from ctxtree.tree import identity
from ctxtree.tree.model import Entry

# Words that say what to do, not what to do it to.
REQUEST_WORDS = frozenset(
    (
        "forget forgets purge erase delete remove drop release update updates change correct "
        "correction fix replace supersede supersedes set new now no longer anymore everything "
        "anything all info information about regarding detail details fact facts record "
        "records entry entries memory memories stored know thing things please "
        "mention mentions mentioned"
    ).split()
)

# Relation groups for personal facts: a request naming one word of a group also matches
# entries using another ("update the user's employer" -> "User works at Stripe"). Only
# used to match descriptions, never to rank search results. Words are stemmed (tokenize.stem)
# when compared, so list base forms.
RELATIONS: tuple[frozenset[str], ...] = tuple(
    frozenset(group.split())
    for group in (
        "employer employ employed employee work works worked job jobs company career "
        "occupation profession hired",
        "spouse married marry marriage wife husband partner wedding fiance fiancee",
        "live lives living home reside resides resident moved relocated hometown address",
        "phone telephone mobile cell number",
        "email mail e-mail inbox",
        "birthday born birth birthdate age",
        "name named called",
        "pet dog cat",
        "child children kid kids son daughter",
        "parent parents mother father mom dad",
        "sibling brother sister",
        "commute commutes commuting bike bicycle cycle ride rides drive drives car transport",
        "diet vegetarian vegan food eat eats meat",
        "allergy allergic allergies intolerant intolerance",
        "hobby hobbies enjoy enjoys likes like hobby interest",
        "school university college study studies studied degree",
        "salary pay paid income earn earns",
        "ssn social security national id passport license",
        "card credit debit",
    )
)
_GROUP_OF: dict[str, list[frozenset[str]]] = {}
for _group in RELATIONS:
    for _word in _group:
        _GROUP_OF.setdefault(stem(_word), []).append(frozenset(stem(w) for w in _group))

_REQUEST_STEMS = frozenset(stem(w) for w in REQUEST_WORDS)
_CAPITALISED = re.compile(r"\b[A-Z][\w'-]*")


@dataclass(frozen=True)
class Match:
    id: str
    title: str
    score: float  # share of the request's evidence it holds, 0..1
    reasons: tuple[str, ...]
    lines: tuple[str, ...]  # the entry's lines (title, body) that hold the evidence
    facts: tuple[str, ...] = ()  # when only these facts go and the rest stays (identifiers)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "title": self.title,
            "score": round(self.score, 3),
            "reasons": list(self.reasons),
            "lines": list(self.lines),
        }
        if self.facts:
            data["facts"] = list(self.facts)
        return data


@dataclass(frozen=True)
class Group:
    """One thing the request asks about: its words as written, their stems, and the stems of
    their relation group (RELATIONS) that also count."""

    words: tuple[str, ...]
    own: frozenset[str]
    accepted: frozenset[str]

    @property
    def label(self) -> str:
        return " ".join(self.words)


@dataclass(frozen=True)
class Request:
    """A description taken apart: identifiers, names and term groups."""

    identifiers: tuple[identity.Identifier, ...]
    names: tuple[str, ...]
    groups: tuple[Group, ...]
    latin_keys: frozenset[str] = frozenset()  # how its Latin words could spell a name

    @property
    def kind(self) -> str:
        if self.identifiers:
            return "identity"
        if self.names:
            return "names"
        return "terms" if self.groups else "nothing"


def _names(query: str) -> tuple[str, ...]:
    """Capitalised words after the first (a request's first word is capitalised anyway)."""
    found = []
    for match in _CAPITALISED.finditer(query):
        word = match.group(0).casefold().removesuffix("'s").removesuffix("\u2019s")
        if query[: match.start()].strip() and word not in REQUEST_WORDS | STOPWORDS:
            found.append(word)
    return tuple(dict.fromkeys(found))


def parse_request(query: str) -> Request:
    idents = tuple(i for i in identity.identifiers(query) if i.kind != "name" or i.keys)
    idents = tuple(dict((i.keys, i) for i in idents).values())
    names = _names(query)
    by_relation: dict[frozenset[str], list[str]] = {}
    for word in query_terms(identity.replace_numbers(query)):
        base = stem(word)
        if base in _REQUEST_STEMS or word in STOPWORDS or word in names or word.isdigit():
            continue
        accepted = frozenset({base}.union(*_GROUP_OF.get(base, [])))
        by_relation.setdefault(accepted, []).append(word)
    groups = tuple(
        Group(tuple(words), frozenset(stem(w) for w in words), accepted)
        for accepted, words in by_relation.items()
    )
    latin = frozenset(identity.latin_name_keys(query)) if names else frozenset()
    return Request(idents, names, groups, latin)


def _text(entry: Entry) -> str:
    return "\n".join([entry.title, entry.summary, " ".join(entry.keywords), entry.body])


def _lines_with(entry: Entry, needles: Sequence[str], matcher: Any) -> tuple[str, ...]:
    heading = f"# {entry.title}"
    lines = [entry.title, *(line for line in entry.body.splitlines() if line.strip() != heading)]
    return tuple(
        dict.fromkeys(
            line.strip()
            for line in lines
            if line.strip() and any(matcher(line, n) for n in needles)
        )
    )


def _identity_reasons(request: Request, entry: Entry) -> tuple[list[str], list[str]]:
    """Reasons and the raw forms that matched, for each request identifier the entry holds."""
    text = _text(entry)
    found = identity.identifiers(text)
    latin: set[str] | None = None
    reasons: list[str] = []
    forms: list[str] = []
    for wanted in request.identifiers:
        keys = set(wanted.keys)
        hits = [f.raw for f in found if keys & set(f.keys) and f.kind == wanted.kind]
        if wanted.kind == "name":
            if latin is None:
                latin = identity.latin_name_keys(text)
            if keys & latin:
                hits += _latin_spellings(text, keys & latin)
        for hit in dict.fromkeys(hits):
            reasons.append(f"{wanted.kind} {wanted.canonical} (written {hit!r})")
            forms.append(hit)
    return reasons, forms


def _latin_spellings(text: str, keys: set[str]) -> list[str]:
    """The words of `text` that spell one of the name `keys` (`Xiaoming Wang`)."""
    words = re.findall(r"[A-Za-z]+", text)
    out = []
    for size in range(1, identity.MAX_NAME_WORDS + 1):
        for start in range(len(words) - size + 1):
            window = words[start : start + size]
            if identity.latin_name_keys(" ".join(window)) & keys and any(
                "".join(w.casefold() for w in order) in keys
                for order in itertools.permutations(window)
            ):
                out.append(" ".join(window))
    return out


def _contains_word(line: str, word: str) -> bool:
    return word in terms(line) or word in identity.name_keys(line)


def _name_hits(request: Request, entry: Entry) -> tuple[list[str], list[str]]:
    """Each request name the entry holds: as a word, or inside a non-Latin name the request's
    Latin words spell (`Xiaoming Wang` -> 王小明)."""
    text = _text(entry)
    words = set(terms(text))
    spelled = {
        ident.raw: set(ident.keys) & request.latin_keys
        for ident in identity.identifiers(text)
        if ident.kind == "name"
    }
    reasons, forms = [], []
    for name in request.names:
        if name in words:
            reasons.append(f"name {name!r}")
            forms.append(name)
            continue
        for raw, keys in spelled.items():
            if any(name in key for key in keys):
                reasons.append(f"name {name!r} (in {raw}, {'/'.join(sorted(keys))})")
                forms.append(raw)
                break
    return reasons, forms


# How much one matched word says about the entry: where it is (title, id path and keywords
# describe the entry; the body may mention things in passing) times what it is (the
# request's own word, or another word of its relation group). A group's strength is the sum
# over its distinct matched words, capped at MAX_STRENGTH.
IN_TITLE, IN_BODY = 1.0, 0.5
OWN_WORD, RELATED_WORD = 1.0, 0.6
MAX_STRENGTH = 1.5


@dataclass(frozen=True)
class Evidence:
    strength: float
    found: tuple[str, ...]  # the entry's words that matched, as they appear


def _evidence(group: Group, entry: Entry) -> Evidence:
    head_text = " ".join([entry.title, entry.id.replace("/", " "), *entry.keywords])
    body_text = "\n".join([entry.summary, entry.body])
    # Non-Latin names take part through their transliterations (王小明 -> xiaoming).
    heading = terms(head_text) + sorted(identity.name_keys(head_text))
    body = terms(body_text) + sorted(identity.name_keys(body_text))
    strength: dict[str, float] = {}
    found: dict[str, str] = {}
    for place, words in ((IN_TITLE, heading), (IN_BODY, body)):
        for word in words:
            base = stem(word)
            if base not in group.accepted:
                continue
            value = place * (OWN_WORD if base in group.own else RELATED_WORD)
            if value > strength.get(base, 0.0):
                strength[base] = value
                found.setdefault(base, word)
    return Evidence(min(MAX_STRENGTH, sum(strength.values())), tuple(found.values()))


def _reasons(request: Request, evidence: Sequence[Evidence]) -> tuple[str, ...]:
    out = []
    for group, ev in zip(request.groups, evidence, strict=True):
        if ev.strength > 0:
            shown = ", ".join(repr(w) for w in ev.found)
            out.append(f"term {group.label!r} (as {shown})")
    return tuple(out)


def _term_lines(entry: Entry, evidence: Sequence[Evidence]) -> tuple[str, ...]:
    wanted = {stem(w) for ev in evidence for w in ev.found}
    return _lines_with(entry, sorted(wanted), lambda line, s: s in {stem(t) for t in terms(line)})


def select(request: Request, entries: Sequence[Entry]) -> list[Match]:
    """Every entry the request refers to (forget): all of its identifiers' entries, else
    every entry naming all of its names (and relation groups), else every entry matching all
    of its term groups. A plain word found in more than half of the entries (`user` in a
    store of facts about the user) does not discriminate and is not required, unless the
    request has nothing else (`everything about frank` in a store all about Frank). Sorted
    by id."""
    out: list[Match] = []
    evidence = {e.id: [_evidence(g, e) for g in request.groups] for e in entries}
    common = _subjects(request, entries, evidence)
    if len(common) == len(request.groups):
        common = set()
    for entry in entries:
        ev = evidence[entry.id]
        if request.kind == "identity":
            reasons, forms = _identity_reasons(request, entry)
            if reasons:
                lines = _lines_with(entry, forms, _holds)
                held = _facts_holding(request, entry)
                out.append(Match(entry.id, entry.title, 1.0, tuple(reasons), lines, held))
            continue
        required = [
            i
            for i, g in enumerate(request.groups)
            if i not in common and (request.kind == "terms" or g.accepted != g.own)
        ]
        if request.kind == "terms" and not required:
            continue
        if any(ev[i].strength == 0 for i in required):
            continue
        name_reasons, forms = _name_hits(request, entry) if request.names else ([], [])
        if len(forms) < len(request.names):
            continue
        lines = _lines_with(entry, forms, _contains_word) + _term_lines(entry, ev)
        why = tuple(name_reasons) + _reasons(request, ev)
        out.append(Match(entry.id, entry.title, 1.0, why, tuple(dict.fromkeys(lines))))
    return sorted(out, key=lambda m: m.id)


def _facts_holding(request: Request, entry: Entry) -> tuple[str, ...]:
    """The facts of `entry` that hold one of the request's emails, handles or numbers, when
    the entry says other things too ("Card 4111...; SSN 123-45-6789": forgetting the card
    keeps the SSN). Empty when the whole entry goes: every fact holds one, its title,
    summary or keywords do, or the request names a person (a name is what the entry is
    about, not one datum of it)."""
    from ctxtree.curation import facts

    wanted = [i for i in request.identifiers if i.kind != "name"]
    if not wanted or len(wanted) < len(request.identifiers):
        return ()

    def holds(text: str) -> bool:
        return any(
            f.kind == w.kind and set(f.keys) & set(w.keys)
            for f in identity.identifiers(text)
            for w in wanted
        )

    if holds("\n".join([entry.title, entry.summary, *entry.keywords])):
        return ()
    found = facts.facts(entry.body)
    held = [f.text for f in found if holds(f.text)]
    if not held or len(held) == len(found):
        return ()
    return tuple(dict.fromkeys(held))


def _holds(line: str, form: str) -> bool:
    return identity.normalize(form) in identity.normalize(line) or any(
        form in k for i in identity.identifiers(line) for k in (i.raw, *i.keys)
    )


def _subjects(
    request: Request, entries: Sequence[Entry], evidence: Mapping[str, Sequence[Evidence]]
) -> set[int]:
    """The request's subject words: plain words (no relation group) most entries hold."""
    return {
        i
        for i, group in enumerate(request.groups)
        if group.accepted == group.own
        and 2 * sum(1 for e in entries if evidence[e.id][i].strength > 0) > len(entries)
    }


def rank(request: Request, entries: Sequence[Entry]) -> list[Match]:
    """Entries ranked by how much of the request they hold (supersede). Each term group
    weighs its idf over `entries`, log(1 + N/df); identifiers and names weigh as much as the
    rarest possible term, log(1 + N); a group no entry holds weighs 0, and an entry lacking
    the request's subject (a plain word most entries hold, see _subjects) is not a
    candidate, nor one holding only the subject. Score = the sum of
    weight x strength / MAX_STRENGTH over the total weight, so 1.0 means every part of the
    request is strongly there. Ties by id."""
    n = max(1, len(entries))
    evidence = {e.id: [_evidence(g, e) for g in request.groups] for e in entries}
    weights = []
    for i, _group in enumerate(request.groups):
        df = sum(1 for e in entries if evidence[e.id][i].strength > 0)
        # A word no entry holds cannot tell entries apart ("gets", "now"): it weighs nothing.
        weights.append(math.log(1 + n / df) if df else 0.0)
    common = _subjects(request, entries, evidence)
    strong = math.log(1 + n)
    total = sum(weights) + strong * (len(request.identifiers) + len(request.names))
    if total == 0:
        return []
    ranked = []
    for entry in entries:
        ev = evidence[entry.id]
        # The request's subject (a word most entries share: "the user") must be there.
        if any(ev[i].strength == 0 for i in common):
            continue
        reasons, _forms = _identity_reasons(request, entry) if request.identifiers else ([], [])
        name_reasons, _names = _name_hits(request, entry) if request.names else ([], [])
        held = sum(w * e.strength / MAX_STRENGTH for w, e in zip(weights, ev, strict=True))
        specific = sum(w * e.strength for i, (w, e) in enumerate(zip(weights, ev, strict=True))
                       if i not in common)  # fmt: skip
        named = min(len(reasons), len(request.identifiers)) + len(name_reasons)
        held += strong * named
        if specific <= 0 and not named:  # sharing only the subject says nothing
            continue
        why = tuple(reasons + name_reasons) + _reasons(request, ev)
        ranked.append(Match(entry.id, entry.title, held / total, why, _term_lines(entry, ev)))
    return sorted(ranked, key=lambda m: (-m.score, m.id))


# An unambiguous best match: it holds at least this share of the request's evidence, and the
# runner-up at most MARGIN of the best's score.
MIN_SCORE = 0.3
MARGIN = 0.75


def best(ranked: Sequence[Match]) -> Match | None:
    """The single entry a correction refers to, or None when none is good enough or the
    runner-up is too close to tell apart."""
    if not ranked or ranked[0].score < MIN_SCORE:
        return None
    if len(ranked) > 1 and ranked[1].score > MARGIN * ranked[0].score:
        return None
    return ranked[0]
