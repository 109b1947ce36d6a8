"""Chat transcripts (JSON Lines) into entries: deterministic, no LLM.

Input: one JSON object per line with `id`, `session`, `time`, `speaker`, `text` and an optional
`conversation`. Organisation, chosen so a turn is found together with the turns around it:

- one topic per session: `<conversation>-s<NN>` (or `s<NN>` without a conversation);
- one `episode` entry per window of consecutive turns, `<topic>/turns-<first>-<last>`, whose body
  holds the turns verbatim as `<speaker> [<turn id>]: <text>` lines, so a turn and its
  neighbours come back as one piece (no bold around the speaker: it cost 3 tokens a turn in
  every packed context);
- each window relates (`related`) to the previous one, so the conversation can be walked;
- every turn id is kept as a source; the session time becomes `created`/`updated`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from ctxtree.curation.importers.records import Overview
from ctxtree.errors import InvalidEntryError
from ctxtree.tree.model import Entry, Relation, Source
from ctxtree.tree.paths import RESERVED, check_segment, slugify
from ctxtree.tree.validity import iso

DEFAULT_DOMAIN = "conversations"
# Ten turns per entry: on the LoCoMo development split, 10 covered more evidence than 6 in
# every question category at 500-2,000 tokens (fewer headers, more context per hit).
DEFAULT_WINDOW = 10
SUMMARY_WORDS = 25
KEYWORDS = 8
FIELDS = ("id", "session", "time", "speaker", "text")
HINT = (
    "each line must be one JSON object with string fields id, session, time, speaker, text "
    '(and optionally conversation), e.g. {"id": "D1:1", "session": 1, "time": '
    '"2023-05-08T13:56:00Z", "speaker": "Ann", "text": "Hi"}'
)
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

# Function words and chat filler: never keywords.
_STOPWORD_TEXT = """
    a about above actually after again against ago all almost already also although always am
    an and another any anyone anything are aren around as at away awesome back be because been
    before being below between both but by can cannot could couldn did didn do does doesn doing
    don done down during each either else enough even ever every everyone everything few for
    from further get gets getting go goes going gonna got gotta great had hadn has hasn have
    haven having he hello her here hers herself hey hi him himself his how however i if im in
    into is isn it its itself ive just know last let lets like ll lot lots made make makes
    making many may maybe me might mine more most much must my myself need needs never new
    next nice no nor not nothing now of off oh ok okay on once one only or other others our
    ours ourselves out over own pretty quite re really right said same say says see seems
    shall she should shouldn since so some someone something sometimes soon still such sure
    than thank thanks that thats the their theirs them themselves then there these they thing
    things think this those though through thx to too totally up upon us very ve via wanna
    want was wasn way we well were weren what whats when where whether which while who whom
    whose why will with within without won wow would wouldn yeah yes yet you your yours
    yourself yourselves
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())

_WORD = re.compile(r"\w+")
# Every line break str.splitlines() knows, so a turn stays one line of the body.
_NEWLINES = re.compile(r"[ \t]*[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]+[ \t]*")
_SPACES = re.compile(r"\s+")
_CLOCK_DATE = re.compile(
    r"(?:(?P<hour>\d{1,2}):(?P<minute>\d{2})\s*(?P<half>[ap])\.?\s*m\.?\s*(?:on\s+)?)?"
    r"(?P<day>\d{1,2})\s+(?P<month>[a-z]+)\.?,?\s+(?P<year>\d{4})",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Turn:
    """One line of the transcript."""

    id: str
    session: str
    time: str
    speaker: str
    text: str
    conversation: str = ""
    line: int = 0


@dataclass(frozen=True)
class Topic:
    """One session: the folder `<domain>/<slug>` and its turns in file order."""

    domain: str
    slug: str
    session: str
    conversation: str
    time: str
    turns: tuple[Turn, ...]

    @property
    def folder(self) -> str:
        return f"{self.domain}/{self.slug}"

    @property
    def speakers(self) -> tuple[str, ...]:
        return speakers_of(self.turns)


@dataclass(frozen=True)
class Layout:
    """Everything one transcript becomes."""

    domain: str
    topics: tuple[Topic, ...]
    entries: tuple[Entry, ...]
    overviews: tuple[Overview, ...]  # the domain's first, then one per topic


# ---- parsing ---------------------------------------------------------------------------------
def parse_jsonl(text: str, name: str) -> tuple[Turn, ...]:
    """Validate every line; blank lines are skipped. Errors name the file and line."""
    turns: list[Turn] = []
    seen: dict[tuple[str, str, str], int] = {}
    # Split on newlines only: a JSON string may hold U+2028 and friends, which splitlines()
    # would treat as line ends.
    for lineno, raw in enumerate(text.split("\n"), start=1):
        if not raw.strip():
            continue
        turn = _parse_line(raw, name, lineno)
        key = (turn.conversation, turn.session, turn.id)
        if key in seen:
            raise _bad(
                name,
                lineno,
                f"turn id {turn.id!r} repeats line {seen[key]} in the same session",
                "give every turn of a session its own id",
            )
        seen[key] = lineno
        turns.append(turn)
    if not turns:
        raise InvalidEntryError(f"transcript {name} is empty: no turns to import", HINT, path=name)
    return tuple(turns)


def _bad(name: str, lineno: int, problem: str, hint: str = HINT) -> InvalidEntryError:
    return InvalidEntryError(f"{name}:{lineno}: {problem}", hint, path=name, line=lineno)


def _parse_line(raw: str, name: str, lineno: int) -> Turn:
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise _bad(name, lineno, f"not valid JSON: {exc.msg} (column {exc.colno})") from None
    except RecursionError:  # json's decoder recurses once per level of [ and {
        raise _bad(
            name,
            lineno,
            "nested too deeply to read (arrays and objects more than about 1,000 levels "
            "inside each other)",
        ) from None
    if not isinstance(data, dict):
        raise _bad(name, lineno, f"expected a JSON object, got {type(data).__name__}")
    missing = [key for key in FIELDS if key not in data]
    if missing:
        names = ", ".join(repr(key) for key in missing)
        raise _bad(name, lineno, f"missing field{'s' if len(missing) > 1 else ''} {names}")

    def scalar(key: str, *, numbers: bool, required: bool = True) -> str:
        value = data.get(key)
        if value is None and not required:
            return ""
        allowed = (str, int) if numbers else (str,)
        if isinstance(value, bool) or not isinstance(value, allowed):
            kind = "a string or an integer" if numbers else "a string"
            got = "null" if value is None else type(value).__name__
            raise _bad(name, lineno, f"'{key}' must be {kind}, got {got}")
        return str(value)

    turn_id = scalar("id", numbers=True).strip()
    session = scalar("session", numbers=True).strip()
    speaker = _SPACES.sub(" ", scalar("speaker", numbers=False)).strip()
    for key, value in (("id", turn_id), ("session", session), ("speaker", speaker)):
        if not value:
            raise _bad(name, lineno, f"'{key}' is empty")
    if not turn_id.isprintable():
        raise _bad(name, lineno, f"'id' {turn_id!r} must be one printable line")
    return Turn(
        id=turn_id,
        session=session,
        time=_SPACES.sub(" ", scalar("time", numbers=False)).strip(),
        speaker=speaker,
        text=scalar("text", numbers=False),
        conversation=scalar("conversation", numbers=True, required=False).strip(),
        line=lineno,
    )


# ---- small pure pieces -----------------------------------------------------------------------
def session_slug(session: str) -> str:
    """`s<NN>` for a session number; a slug of anything else (hashed when nothing is left)."""
    if session.isascii() and session.isdigit():
        return f"s{int(session):02d}"
    slug = slugify(session)
    if not slug:
        return "s-" + hashlib.sha1(session.encode("utf-8")).hexdigest()[:8]
    return f"s-{slug}"[:64].rstrip("-_") if slug in RESERVED else slug


def topic_slug(conversation: str, session: str) -> str:
    """`<conversation>-<session slug>`, the conversation part shortened to fit 64 characters."""
    tail = session_slug(session)
    head = slugify(conversation, limit=max(0, 63 - len(tail)))
    return f"{head}-{tail}" if head else tail


def parse_time(raw: str) -> datetime | None:
    """An ISO 8601 time or a LoCoMo-style "1:56 pm on 8 May, 2023"; naive times are UTC."""
    text = raw.strip()
    if not text:
        return None
    moment: datetime | None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = _clock_date(text)
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _clock_date(text: str) -> datetime | None:
    match = _CLOCK_DATE.fullmatch(text)
    if match is None:
        return None
    name = match["month"].lower()
    months = [i for i, m in enumerate(MONTHS, 1) if len(name) >= 3 and m.lower().startswith(name)]
    if not months:
        return None
    hour = minute = 0
    if match["hour"] is not None:
        hour, minute = int(match["hour"]), int(match["minute"])
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if match["half"].lower() == "p" else 0)
    try:
        return datetime(int(match["year"]), months[0], int(match["day"]), hour, minute)
    except ValueError:
        return None


def human_date(raw: str) -> str:
    """ "8 May 2023" when the time parses, else the time as given."""
    moment = parse_time(raw)
    if moment is None:
        return raw
    return f"{moment.day} {MONTHS[moment.month - 1]} {moment.year}"


def one_line(text: str) -> str:
    """Line breaks (and the blanks around them) become one space; nothing else changes."""
    return _NEWLINES.sub(" ", text).strip()


def speakers_of(turns: Sequence[Turn]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(t.speaker for t in turns))


def join_names(names: Sequence[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def summary_of(turns: Sequence[Turn], words: int = SUMMARY_WORDS) -> str:
    """The first `words` words of the longest turn (the earliest on ties), '…' when cut."""
    longest = max(turns, key=lambda t: len(one_line(t.text)))  # max keeps the first of equals
    parts = one_line(longest.text).split()
    if not parts:
        return ""
    text = " ".join(parts[:words]) + ("…" if len(parts) > words else "")
    return f"{longest.speaker}: {text}"


def keywords_of(turns: Sequence[Turn], limit: int = KEYWORDS) -> tuple[str, ...]:
    """The `limit` most frequent content words, ordered by (-count, first occurrence).

    Content words: 3+ characters (2+ for non-ASCII scripts such as CJK), not all digits, not
    stopwords, not the speakers' own names (those are tags already)."""
    names = {w for t in turns for w in _WORD.findall(t.speaker.lower())}
    counts: Counter[str] = Counter()
    first: dict[str, int] = {}
    for turn in turns:
        for word in _WORD.findall(turn.text.lower()):
            short = len(word) < (3 if word.isascii() else 2)
            if short or word.isdigit() or "_" in word or word in STOPWORDS or word in names:
                continue
            counts[word] += 1
            first.setdefault(word, len(first))
    ranked = sorted(counts, key=lambda w: (-counts[w], first[w]))
    return tuple(ranked[:limit])


def speaker_tag(name: str) -> str:
    return slugify(name) or _SPACES.sub("-", name.lower())


# ---- organisation ----------------------------------------------------------------------------
def group_topics(turns: Sequence[Turn], domain: str) -> tuple[Topic, ...]:
    """Turns grouped by session (conversation and session number), topics in order of first
    appearance, turns in file order."""
    grouped: dict[str, list[Turn]] = {}
    keys: dict[str, tuple[str, str]] = {}
    for turn in turns:
        slug = topic_slug(turn.conversation, turn.session)
        key = (turn.conversation, turn.session)
        if keys.setdefault(slug, key) != key:
            raise InvalidEntryError(
                f"line {turn.line}: conversation {turn.conversation!r} session {turn.session!r} "
                f"and conversation {keys[slug][0]!r} session {keys[slug][1]!r} both become "
                f"topic {slug!r}",
                "use conversation and session names that differ in letters or digits",
                line=turn.line,
            )
        grouped.setdefault(slug, []).append(turn)
    return tuple(
        Topic(domain, slug, ts[0].session, ts[0].conversation, ts[0].time, tuple(ts))
        for slug, ts in grouped.items()
    )


def window_title(turns: Sequence[Turn], first: int, last: int) -> str:
    when = human_date(turns[0].time)
    span = f"turn {first}" if first == last else f"turns {first}-{last}"
    return ", ".join(part for part in (join_names(speakers_of(turns)), when, span) if part)


def window_entry(
    topic: Topic,
    turns: Sequence[Turn],
    first: int,
    previous: str | None,
    *,
    source: str,
    author: str,
    now: str,
    importance: int,
) -> Entry:
    """One window of consecutive turns (`first` is the 1-based position in the session)."""
    last = first + len(turns) - 1
    width = max(3, len(str(len(topic.turns))))
    entry_id = f"{topic.folder}/turns-{first:0{width}d}-{last:0{width}d}"
    title = window_title(turns, first, last)
    lines = [
        f"{t.speaker} [{t.id}]:" + (f" {one_line(t.text)}" if t.text.strip() else "") for t in turns
    ]
    start, end = parse_time(turns[0].time), parse_time(turns[-1].time)
    extra: tuple[tuple[str, str], ...] = ()
    if start is None and turns[0].time:
        extra = (("session_time", turns[0].time),)
    return Entry(
        id=entry_id,
        title=title,
        body=f"# {title}\n\n" + "\n".join(lines) + "\n",
        summary=summary_of(turns),
        kind="episode",
        tags=tuple(dict.fromkeys(speaker_tag(s) for s in speakers_of(turns))),
        keywords=keywords_of(turns),
        relations=(Relation("related", previous),) if previous else (),
        sources=(*(Source("turn", t.id) for t in turns), Source("transcript", source)),
        author=author,
        trust="external",
        importance=importance,
        created=iso(start) if start else now,
        updated=iso(end) if end else (iso(start) if start else now),
        extra=extra,
    )


def topic_overview(topic: Topic, entries: int) -> Overview:
    who = join_names(topic.speakers)
    where = f"Session {topic.session}" + (f" of {topic.conversation}" if topic.conversation else "")
    when = f" on {topic.time}" if topic.time else ""
    title = ", ".join(part for part in (who, human_date(topic.time)) if part)
    count = len(topic.turns)
    summary = f"{where}{when}: {who}, {count} turn{'s' if count != 1 else ''}."
    body = (
        f"Turns {topic.turns[0].id} to {topic.turns[-1].id} of the transcript, "
        f"in {entries} entr{'y' if entries == 1 else 'ies'} of consecutive turns."
    )
    return Overview(topic.folder, title, summary, body)


def domain_overview(domain: str) -> Overview:
    title = domain.replace("-", " ").replace("_", " ").capitalize()
    return Overview(
        domain,
        title,
        "Imported conversation transcripts: one topic per session.",
        "Each topic is one session of a conversation; each entry holds a window of "
        "consecutive turns verbatim, with the turn ids as sources.",
    )


def organise(
    turns: Sequence[Turn],
    *,
    domain: str = DEFAULT_DOMAIN,
    source: str,
    window: int = DEFAULT_WINDOW,
    author: str,
    now: str,
    importance: int = 50,
) -> Layout:
    """Topics, window entries and folder overviews for parsed turns. Pure and deterministic."""
    check_segment(domain, domain)
    if window < 1:
        raise ValueError("window must be at least 1")
    topics = group_topics(turns, domain)
    entries: list[Entry] = []
    overviews = [domain_overview(domain)]
    for topic in topics:
        previous: str | None = None
        count = 0
        for start in range(0, len(topic.turns), window):
            entry = window_entry(
                topic,
                topic.turns[start : start + window],
                start + 1,
                previous,
                source=source,
                author=author,
                now=now,
                importance=importance,
            )
            entries.append(entry)
            previous = entry.id
            count += 1
        overviews.append(topic_overview(topic, count))
    return Layout(domain, topics, tuple(entries), tuple(overviews))
