"""Write a realistic synthetic ctx store: `python bench/synth.py N DIR [--seed S] [--jobs J]`.

DIR/.ctx becomes a real store (created by ctxtree's own `init`), holding N entries spread over
about sqrt(N)/3 domains, each with several topics (about 10% of entries sit one subtopic level
deeper), plus a `context.md` overview per domain and topic. Text is made of pseudo-words
generated from the seed and drawn from a Zipf(-Mandelbrot) distribution, so term statistics
look like real prose without any external data. Entries link to each other (typed relations
and [[inline links]], mostly within their topic or domain), carry sources, tags, keywords,
kinds, importance, maturity, authors and timestamps, and a few have anchors or valid_until.

Every entry file is exactly what ctxtree's serializer writes (`ctxtree.tree.frontmatter.serialize`
of a `ctxtree.tree.model.Entry`), and the whole store lands as one git commit with ctx's
trailers (`ctx log` shows it), streamed through `git fast-import` (see FastImport for why).

The output depends only on N and the seed: each entry draws from its own generator, so the
number of worker processes (`--jobs`) does not change a byte. Prints a summary to stderr.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import subprocess
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path

from ctxtree.service.admin import init
from ctxtree.tree.frontmatter import dump_yaml, serialize
from ctxtree.tree.git import commit_message
from ctxtree.tree.model import KINDS, RELATION_TYPES, Entry, Relation, Source
from ctxtree.tree.paths import RESERVED, SLUG_RE, entry_relpath


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


ONSETS = _words(
    "b c d f g h j k l m n p r s t v w z br ch cr dr fl gr kl pl pr sh sk sl sp st str th tr"
)
VOWELS = _words("a e i o u a e i o ai ea io ou")
CODAS = ("", "", "", "", *_words("n r s l m t nd st x"))
# Words YAML reads as booleans or nulls: harmless (the serializer quotes them) but noisy.
YAML_WORDS = frozenset(_words("y n yes no on off true false null"))
# Real English words a syllable generator can hit that nobody wants in a demo listing.
AVOID = frozenset(_words("slut shit cunt dick cock fuck tit tits fag nig rape porn damn"))

# Zipf-Mandelbrot ranks, weight 1 / (rank + ZIPF_SHIFT) ** ZIPF_EXPONENT: the shift keeps the
# top word near 5% of tokens, as in English prose, instead of 12% for a pure Zipf law.
ZIPF_EXPONENT = 1.07
ZIPF_SHIFT = 2.7
FUNCTION_WORDS = 40  # the most frequent ranks; titles, tags and slugs skip them
SUBTOPIC_SHARE = 0.10
KIND_WEIGHTS = {
    "fact": 22,
    "decision": 14,
    "convention": 12,
    "procedure": 12,
    "bug": 12,
    "rule": 8,
    "episode": 8,
    "note": 12,
}
RELATION_WEIGHTS = {
    "related": 45,
    "depends_on": 15,
    "part_of": 10,
    "supersedes": 8,
    "contradicts": 4,
    "derived_from": 10,
    "example_of": 8,
}
AUTHORS = (
    ("claude-code", "agent", 40),
    ("codex", "agent", 15),
    ("cursor", "agent", 10),
    ("human:alice", "user", 15),
    ("human:bruno", "user", 10),
    ("human:chen", "user", 10),
)
EPOCH_START = 1_704_067_200  # 2024-01-01T00:00:00Z
EPOCH_END = 1_796_083_200  # 2026-12-01T00:00:00Z
DAY = 86_400


@dataclass(frozen=True)
class Plan:
    """Everything a worker needs to write its share of entries. Built once, deterministically."""

    seed: int
    root: str
    vocab: tuple[str, ...]
    cum: tuple[float, ...]  # cumulative Zipf weights over vocab
    content_cum: tuple[float, ...]  # the same over vocab[FUNCTION_WORDS:]
    ids: tuple[str, ...]
    folder_of: tuple[int, ...]  # entry -> folder
    folders: tuple[str, ...]  # "domain/topic" or "domain/topic/subtopic"
    folder_domain: tuple[int, ...]  # folder -> domain
    folder_members: tuple[tuple[int, ...], ...]
    domains: tuple[str, ...]
    domain_members: tuple[tuple[int, ...], ...]
    topics: tuple[str, ...]  # "domain/topic", valid folder targets for relations


@dataclass
class Stats:
    relations: int = 0
    links: int = 0
    words: int = 0
    bytes: int = 0
    kinds: dict[str, int] = field(default_factory=dict)
    # Seconds spent in each step, summed over worker processes.
    generate: float = 0.0
    serialize: float = 0.0
    write: float = 0.0

    def add(self, other: Stats) -> None:
        self.relations += other.relations
        self.links += other.links
        self.words += other.words
        self.bytes += other.bytes
        self.generate += other.generate
        self.serialize += other.serialize
        self.write += other.write
        for kind, count in other.kinds.items():
            self.kinds[kind] = self.kinds.get(kind, 0) + count


# ---- vocabulary -------------------------------------------------------------------------------


def pseudo_words(rng: random.Random, count: int) -> list[str]:
    """`count` distinct pronounceable slugs, ordered so short words get the frequent ranks."""
    words: dict[str, None] = {}
    while len(words) < count:
        syllables = rng.choices((1, 2, 3, 4), weights=(3, 6, 4, 1))[0]
        word = "".join(rng.choice(ONSETS) + rng.choice(VOWELS) for _ in range(syllables))
        word += rng.choice(CODAS)
        banned = word in RESERVED or word in YAML_WORDS or word in AVOID
        if not banned and SLUG_RE.fullmatch(word):
            words[word] = None
    ranked = list(words)
    rng.shuffle(ranked)
    ranked.sort(key=lambda w: len(w) + rng.random() * 4)
    return ranked


def zipf_cum(size: int) -> tuple[float, ...]:
    return tuple(
        accumulate(1.0 / (rank + ZIPF_SHIFT) ** ZIPF_EXPONENT for rank in range(1, size + 1))
    )


# ---- the plan: hierarchy and ids --------------------------------------------------------------


def build_plan(n: int, seed: int, root: Path) -> Plan:
    rng = random.Random(f"ctxtree-synth:{seed}")
    vocab = pseudo_words(rng, min(50_000, 2_000 + n))
    cum = zipf_cum(len(vocab))
    content = vocab[FUNCTION_WORDS:]
    content_cum = zipf_cum(len(content))
    # Folder names come from frequent-enough content words, as real project areas would.
    pool = list(content[: max(400, 4 * n)])
    rng.shuffle(pool)
    taken: set[str] = set()

    def fresh_name() -> str:
        while pool:
            word = pool.pop()
            if word not in taken:
                taken.add(word)
                return word
        word = "-".join(rng.choices(content, k=2))  # only for tiny vocabularies
        taken.add(word)
        return word

    n_domains = max(1, round(math.sqrt(n) / 3))
    domains = tuple(fresh_name() for _ in range(n_domains))
    topic_folders: list[tuple[int, str, float]] = []  # (domain, path, weight)
    sub_folders: list[tuple[int, str, float]] = []
    topics: list[str] = []
    for d, domain in enumerate(domains):
        domain_weight = 1.0 / (d + 1) ** 0.6  # some areas are much bigger than others
        for _ in range(rng.randint(3, 8)):
            topic = f"{domain}/{fresh_name()}"
            weight = domain_weight * rng.uniform(0.3, 1.7)
            topics.append(topic)
            topic_folders.append((d, topic, weight))
            if rng.random() < 0.35:
                for _ in range(rng.randint(1, 3)):
                    sub_folders.append((d, f"{topic}/{fresh_name()}", weight))
    if not sub_folders:
        d, topic, weight = topic_folders[0]
        sub_folders.append((d, f"{topic}/{fresh_name()}", weight))
    folders = [path for _d, path, _w in topic_folders + sub_folders]
    folder_domain = [d for d, _p, _w in topic_folders + sub_folders]
    topic_cum = list(accumulate(w for _d, _p, w in topic_folders))
    sub_cum = list(accumulate(w for _d, _p, w in sub_folders))
    n_topic = len(topic_folders)

    ids: list[str] = []
    folder_of: list[int] = []
    seen: set[str] = set()
    slug_words = content[: max(1_000, len(content) // 2)]
    for _ in range(n):
        if rng.random() < SUBTOPIC_SHARE:
            folder = n_topic + rng.choices(range(len(sub_folders)), cum_weights=sub_cum)[0]
        else:
            folder = rng.choices(range(n_topic), cum_weights=topic_cum)[0]
        slug = "-".join(rng.sample(slug_words, k=rng.choice((2, 2, 3, 3, 3, 4))))[:64].strip("-")
        entry_id = f"{folders[folder]}/{slug}"
        suffix = 2
        while entry_id in seen:
            entry_id = f"{folders[folder]}/{slug[:60]}-{suffix}"
            suffix += 1
        seen.add(entry_id)
        ids.append(entry_id)
        folder_of.append(folder)

    folder_members: list[list[int]] = [[] for _ in folders]
    domain_members: list[list[int]] = [[] for _ in domains]
    for index, folder in enumerate(folder_of):
        folder_members[folder].append(index)
        domain_members[folder_domain[folder]].append(index)
    return Plan(
        seed=seed,
        root=str(root),
        vocab=tuple(vocab),
        cum=cum,
        content_cum=content_cum,
        ids=tuple(ids),
        folder_of=tuple(folder_of),
        folders=tuple(folders),
        folder_domain=tuple(folder_domain),
        folder_members=tuple(tuple(m) for m in folder_members),
        domains=domains,
        domain_members=tuple(tuple(m) for m in domain_members),
        topics=tuple(topics),
    )


# ---- one entry --------------------------------------------------------------------------------


class Writer:
    """Generates entries from a plan; one per process."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.content = plan.vocab[FUNCTION_WORDS:]

    def words(self, rng: random.Random, k: int) -> list[str]:
        return rng.choices(self.plan.vocab, cum_weights=self.plan.cum, k=k)

    def content_words(self, rng: random.Random, k: int) -> list[str]:
        return rng.choices(self.content, cum_weights=self.plan.content_cum, k=k)

    def sentence(self, rng: random.Random, low: int, high: int) -> list[str]:
        return self.punctuate(rng, self.words(rng, rng.randint(low, high)))

    def punctuate(self, rng: random.Random, words: list[str]) -> list[str]:
        """Capital, maybe a comma and a `code_span`, full stop (in place)."""
        words[0] = words[0].capitalize()
        if len(words) > 8 and rng.random() < 0.4:
            words[rng.randint(3, len(words) - 3)] += ","
        if rng.random() < 0.12:
            spot = rng.randrange(len(words))
            words[spot] = f"`{self.content_words(rng, 1)[0]}_{rng.choice(self.content)}`"
        words[-1] += "."
        return words

    def other(self, rng: random.Random, index: int) -> str | None:
        """Another entry's id: mostly a neighbour in the same folder or domain."""
        plan = self.plan
        folder = plan.folder_of[index]
        roll = rng.random()
        everyone: Sequence[int] = range(len(plan.ids))
        members = everyone
        if roll < 0.5:
            members = plan.folder_members[folder]
        elif roll < 0.8:
            members = plan.domain_members[plan.folder_domain[folder]]
        if len(members) < 2:
            members = everyone
        if len(members) < 2:
            return None
        while True:
            pick = members[rng.randrange(len(members))]
            if pick != index:
                return plan.ids[pick]

    def body(self, rng: random.Random, index: int, title: str) -> tuple[str, int, int]:
        count = rng.randint(40, 400)
        words = self.words(rng, count)  # one draw for the whole body, cut into sentences
        sentences: list[list[str]] = []
        position = 0
        while position < count:
            size = rng.randint(6, 22)
            if count - position - size < 6:
                size = count - position
            sentences.append(self.punctuate(rng, words[position : position + size]))
            position += size
        n_links = rng.choices((0, 1, 2, 3), weights=(25, 35, 25, 15))[0]
        links = 0
        for _ in range(n_links):
            other = self.other(rng, index)
            if other is None:
                break
            sentence = sentences[rng.randrange(len(sentences))]
            spot = rng.randint(1, len(sentence) - 1)
            sentence.insert(spot, rng.choice(("see", "like", "after", "per")) + f" [[{other}]]")
            links += 1
        paragraphs: list[str] = []
        position = 0
        while position < len(sentences):
            size = rng.randint(2, 5)
            chunk = sentences[position : position + size]
            position += size
            if rng.random() < 0.15:
                items = [" ".join(s).rstrip(".") for s in chunk]
                paragraphs.append("\n".join(f"- {item}" for item in items))
            else:
                paragraphs.append(" ".join(" ".join(s) for s in chunk))
        return f"# {title}\n\n" + "\n\n".join(paragraphs) + "\n", count, links

    def entry(self, index: int) -> tuple[Entry, int, int]:
        plan = self.plan
        rng = random.Random(plan.seed * 1_000_003 + index)
        entry_id = plan.ids[index]
        folder = plan.folder_of[index]
        domain = plan.domains[plan.folder_domain[folder]]
        topic = plan.folders[folder].split("/")[1]

        title_words = self.content_words(rng, rng.randint(4, 9))
        title = " ".join([title_words[0].capitalize(), *title_words[1:]])
        summary = " ".join(self.sentence(rng, 8, 24))
        body, n_words, n_links = self.body(rng, index, title)

        tags: list[str] = []
        if rng.random() < 0.7:
            tags.append(domain)
        if rng.random() < 0.4:
            tags.append(topic)
        tags += self.content_words(rng, rng.randint(0, 3))
        if not tags:
            tags.append(domain)
        keywords = [
            " ".join(self.content_words(rng, rng.choice((1, 1, 2))))
            for _ in range(rng.randint(1, 5))
        ]

        relations: list[Relation] = []
        n_rel = rng.choices((0, 1, 2, 3, 4), weights=(30, 30, 20, 12, 8))[0]
        for _ in range(n_rel):
            if rng.random() < 0.05:
                target: str | None = plan.topics[rng.randrange(len(plan.topics))]
            else:
                target = self.other(rng, index)
            rtype = rng.choices(
                RELATION_TYPES, weights=[RELATION_WEIGHTS[t] for t in RELATION_TYPES]
            )
            if target is not None and all(r.target != target for r in relations):
                relations.append(Relation(rtype[0], target))

        sources = [
            self.source(rng, domain) for _ in range(rng.choices((0, 1, 2, 3), (20, 45, 25, 10))[0])
        ]
        author, trust, _w = rng.choices(AUTHORS, weights=[a[2] for a in AUTHORS])[0]
        if rng.random() < 0.05:
            trust = "external"
        importance = max(0, min(100, round(rng.gauss(52, 15))))
        noisy = importance + rng.gauss(0, 6)
        maturity = "core" if noisy >= 85 else "validated" if noisy >= 65 else "draft"
        created = rng.randint(EPOCH_START, EPOCH_END - DAY)
        updated = (
            created
            if rng.random() < 0.4
            else min(EPOCH_END, created + int(rng.expovariate(1 / (30 * DAY))))
        )
        valid_until = stamp(updated + 180 * DAY)[:10] if rng.random() < 0.02 else None
        anchors = (
            tuple(self.code_path(rng) for _ in range(rng.randint(1, 2)))
            if rng.random() < 0.15
            else ()
        )
        entry = Entry(
            id=entry_id,
            title=title,
            body=body,
            summary=summary,
            kind=rng.choices(KINDS, weights=[KIND_WEIGHTS[k] for k in KINDS])[0],
            tags=tuple(dict.fromkeys(tags)),
            keywords=tuple(dict.fromkeys(keywords)),
            relations=tuple(relations),
            sources=tuple(dict.fromkeys(sources)),
            author=author,
            trust=trust,
            importance=importance,
            maturity=maturity,
            created=stamp(created),
            updated=stamp(updated),
            valid_until=valid_until,
            anchors=anchors,
        )
        return entry, n_words, n_links

    def code_path(self, rng: random.Random) -> str:
        parts = self.content_words(rng, rng.randint(1, 3))
        return "src/" + "/".join(parts) + rng.choice((".py", ".ts", ".go", ".rs"))

    def source(self, rng: random.Random, domain: str) -> Source:
        kind = rng.choices(("commit", "file", "url", "issue", "conversation"), (35, 30, 15, 15, 5))[
            0
        ]
        if kind == "commit":
            return Source(kind, f"{rng.getrandbits(28):07x}")
        if kind == "file":
            start = rng.randint(1, 400)
            return Source(kind, f"{self.code_path(rng)}#L{start}-{start + rng.randint(5, 80)}")
        if kind == "url":
            path = "/".join(self.content_words(rng, 2))
            return Source(kind, f"https://docs.example.com/{path}")
        if kind == "issue":
            return Source(kind, f"{domain[:4].upper()}-{rng.randint(1, 2000)}")
        return Source(kind, f"{rng.getrandbits(48):012x}")


def stamp(seconds: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


_WRITER: Writer | None = None


def _init_worker(plan: Plan) -> None:
    global _WRITER
    _WRITER = Writer(plan)


Files = list[tuple[str, bytes]]  # (store-relative path, file bytes)


def write_file(path: str, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def write_range(bounds: tuple[int, int]) -> tuple[Stats, Files]:
    """Generate, serialize and write entries[start:stop] (in a worker or in-process); return
    the files too, for the commit."""
    assert _WRITER is not None
    writer = _WRITER
    root = writer.plan.root
    stats = Stats()
    files: Files = []
    clock = time.perf_counter
    for index in range(*bounds):
        t0 = clock()
        entry, n_words, n_links = writer.entry(index)
        t1 = clock()
        data = serialize(entry).encode("utf-8")
        t2 = clock()
        relpath = entry_relpath(entry.id)
        write_file(f"{root}/{relpath}", data)
        files.append((relpath, data))
        stats.generate += t1 - t0
        stats.serialize += t2 - t1
        stats.write += clock() - t2
        stats.relations += len(entry.relations)
        stats.links += n_links
        stats.words += n_words
        stats.bytes += len(data)
        stats.kinds[entry.kind] = stats.kinds.get(entry.kind, 0) + 1
    return stats, files


def write_overviews(plan: Plan) -> Files:
    """A curated-looking context.md per domain and topic (not entries; no serializer)."""
    writer = Writer(plan)
    rng = random.Random(f"ctxtree-synth-overviews:{plan.seed}")
    files: Files = []
    for folder in list(plan.domains) + list(plan.topics):
        title = " ".join(writer.content_words(rng, rng.randint(2, 5))).capitalize()
        summary = " ".join(writer.sentence(rng, 10, 24))
        body = " ".join(" ".join(writer.sentence(rng, 8, 20)) for _ in range(rng.randint(2, 5)))
        # dump_yaml quotes what plain YAML cannot hold (a summary opening with a `code span`).
        head = f"title: {dump_yaml(title)}\nsummary: {dump_yaml(summary)}\n"
        data = f"---\n{head}---\n# {title}\n\n{body}\n".encode()
        relpath = f"tree/{folder}/context.md"
        write_file(f"{plan.root}/{relpath}", data)
        files.append((relpath, data))
    return files


# ---- the commit -------------------------------------------------------------------------------


def git_out(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(root), *args], check=True, capture_output=True, text=True
    )
    return done.stdout.strip()


class FastImport:
    """One commit on top of the store's HEAD, streamed through `git fast-import` while the
    files are being generated. It writes one pack: `git add` of N files would leave N loose
    objects, and git's automatic gc would then repack them in the background during the next
    commits (several seconds of CPU on a 2-core machine, in the middle of a benchmark)."""

    def __init__(self, root: Path, message: str) -> None:
        self.root = root
        self.branch = git_out(root, "symbolic-ref", "HEAD")
        author = git_out(root, "var", "GIT_AUTHOR_IDENT")
        committer = git_out(root, "var", "GIT_COMMITTER_IDENT")
        self.proc = subprocess.Popen(
            ["git", "-C", str(root), "fast-import", "--quiet", "--done"],
            stdin=subprocess.PIPE,
        )
        assert self.proc.stdin is not None
        self.stdin = self.proc.stdin
        text = message.encode("utf-8")
        self.stdin.write(
            f"commit {self.branch}\nauthor {author}\ncommitter {committer}\n".encode()
            + b"data %d\n%s\nfrom %s^0\n" % (len(text), text, self.branch.encode())
        )

    def add(self, files: Files) -> None:
        self.stdin.write(
            b"".join(
                b"M 100644 inline %s\ndata %d\n%s\n" % (path.encode(), len(data), data)
                for path, data in files
            )
        )

    def finish(self) -> None:
        self.stdin.write(b"\ndone\n")
        self.stdin.close()
        if self.proc.wait() != 0:
            raise SystemExit(f"synth.py: git fast-import failed in {self.root}")
        # The index still describes the init commit: make it match HEAD and the files on disk.
        subprocess.run(["git", "-C", str(self.root), "reset", "-q"], check=True)


# ---- the store --------------------------------------------------------------------------------


def build(n: int, directory: Path, seed: int, jobs: int) -> dict[str, object]:
    started = time.perf_counter()
    root = directory.absolute() / ".ctx"
    if (root / "config.yaml").exists():
        raise SystemExit(f"synth.py: {root} is already a ctx store; pick a new DIR")
    init(str(root), False, os.environ, Path.cwd())
    t_init = time.perf_counter()

    plan = build_plan(n, seed, root)
    for folder in plan.folders:
        (root / "tree" / folder).mkdir(parents=True, exist_ok=True)
    t_plan = time.perf_counter()

    message = commit_message(
        "commit", "synthetic store", "bench:synth", [f"synth:n={n},seed={seed}"]
    )
    commit = FastImport(root, message)
    chunk = max(1, min(1_000, math.ceil(n / max(1, jobs) / 4)))
    ranges = [(start, min(n, start + chunk)) for start in range(0, n, chunk)]
    stats = Stats()
    if jobs <= 1 or n < 2_000:
        jobs = 1
        _init_worker(plan)
        for bounds in ranges:
            part, files = write_range(bounds)
            stats.add(part)
            commit.add(files)
    else:
        with ProcessPoolExecutor(jobs, initializer=_init_worker, initargs=(plan,)) as pool:
            for part, files in pool.map(write_range, ranges):
                stats.add(part)
                commit.add(files)
    overviews = write_overviews(plan)
    commit.add(overviews)
    t_write = time.perf_counter()
    commit.finish()
    done = time.perf_counter()

    in_subtopic = sum(1 for i in plan.ids if i.count("/") == 3)
    return {
        "store": str(root),
        "entries": n,
        "domains": len(plan.domains),
        "topics": len(plan.topics),
        "subtopics": len(plan.folders) - len(plan.topics),
        "in_subtopic": in_subtopic,
        "overviews": len(overviews),
        "vocabulary": len(plan.vocab),
        "relations": stats.relations,
        "inline_links": stats.links,
        "body_words": stats.words,
        "bytes": stats.bytes,
        "kinds": dict(sorted(stats.kinds.items())),
        "jobs": jobs,
        "seconds": {
            "init": round(t_init - started, 3),
            "plan": round(t_plan - t_init, 3),
            "write": round(t_write - t_plan, 3),
            "commit_tail": round(done - t_write, 3),
            "total": round(done - started, 3),
        },
        "worker_seconds": {
            "generate": round(stats.generate, 3),
            "serialize": round(stats.serialize, 3),
            "write_files": round(stats.write, 3),
        },
    }


def report(info: dict[str, object]) -> str:
    seconds, work = info["seconds"], info["worker_seconds"]
    assert isinstance(seconds, dict) and isinstance(work, dict)
    n = int(str(info["entries"]))
    share = 100 * int(str(info["in_subtopic"])) / max(1, n)
    return (
        f"synth: {n} entries in {info['domains']} domains, {info['topics']} topics, "
        f"{info['subtopics']} subtopics ({share:.1f}% of entries in a subtopic), "
        f"{info['overviews']} context.md\n"
        f"synth: {info['relations']} relations, {info['inline_links']} inline links, "
        f"{info['body_words']} body words from {info['vocabulary']} pseudo-words, "
        f"{int(str(info['bytes'])) / 1e6:.1f} MB of entry files\n"
        f"synth: {seconds['total']:.2f} s total (init {seconds['init']:.2f}, plan "
        f"{seconds['plan']:.2f}, write+stream to git {seconds['write']:.2f} with {info['jobs']} "
        f"process(es), commit tail {seconds['commit_tail']:.2f})\n"
        f"synth: summed over writer processes: generate {work['generate']:.2f} s, serialize "
        f"{work['serialize']:.2f} s, write files {work['write_files']:.2f} s\n"
        f"synth: store at {info['store']}\n"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("n", type=int, metavar="N", help="how many entries")
    parser.add_argument("dir", type=Path, metavar="DIR", help="the store is created at DIR/.ctx")
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    parser.add_argument(
        "--jobs", type=int, default=os.cpu_count() or 1, help="writer processes (default: CPUs)"
    )
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("N must be at least 1")
    info = build(args.n, args.dir, args.seed, args.jobs)
    sys.stderr.write(report(info))
    return 0


if __name__ == "__main__":
    sys.exit(main())
