"""`ctx curate --abstracts`: a model writes each folder's abstract into its `_index.md` and,
where no person wrote one, its `context.md`. Asked for explicitly, never on a write.

Cached by the folder digest (curation/summaries.py): a folder whose `_index.md` already holds
an abstract of exactly its current inputs makes no call. Folders go deepest first, so a
folder's prompt carries the abstracts just written for its subfolders. The model is called
before the store is locked; everything lands in one commit, or nothing does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ctxtree.curation import briefs, summaries
from ctxtree.errors import NotFoundError
from ctxtree.llm import LlmOutputError, Usage
from ctxtree.service.session import Session
from ctxtree.wording import plural

CORRECTIONS = 1
Progress = Callable[[int, int], None]


@dataclass
class AbstractsResult:
    model: str
    written: list[str] = field(default_factory=list)  # relpaths
    cached: list[str] = field(default_factory=list)  # folders whose abstract is current
    usage: Usage = field(default_factory=Usage)
    commit: str | None = None
    diff: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "model": self.model,
            "written": self.written,
            "cached": self.cached,
            "usage": self.usage.to_dict(),
            "commit": self.commit,
        }
        if self.diff is not None:
            data["diff"] = self.diff
        return data


def _overview(session: Session, folder: str) -> str | None:
    try:
        return session.store.read_text(f"tree/{folder}/context.md")
    except NotFoundError:
        return None


def write_abstracts(
    session: Session,
    env: Mapping[str, str],
    scope: str = "",
    *,
    model: str | None = None,
    command: str | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> AbstractsResult:
    """Abstracts for every folder under `scope` whose inputs changed since its last one."""
    from ctxtree import llm
    from ctxtree.service.content import guard_secrets
    from ctxtree.service.lint import existing_indexes

    choice = llm.require(llm.choose(session.settings.llm, env, model, command), "an abstract")
    entries, _broken = session.store.entries()
    contents = summaries.folder_contents(entries)
    prefix = scope.strip("/")
    wanted = [f for f in contents if not prefix or f == prefix or f.startswith(prefix + "/")]
    existing = existing_indexes(session.store, wanted)
    result = AbstractsResult(choice.name)
    todo: list[str] = []
    for folder in wanted:
        children, subfolders = contents[folder]
        current = existing.get(folder, "")
        fresh = summaries.recorded_digest(current) == summaries.folder_digest(children, subfolders)
        if fresh and summaries.recorded_generator(current) not in (None, summaries.GENERATOR):
            result.cached.append(folder)
        else:
            todo.append(folder)
    if not todo:
        return result
    provider = llm.open_provider(choice)
    written: dict[str, tuple[str, str, str]] = {}
    todo.sort(key=lambda f: (-f.count("/"), f))  # deepest first
    for number, folder in enumerate(todo):
        if progress is not None:
            progress(number, len(todo))
        children, subfolders = contents[folder]
        turn = briefs.abstract_turn(
            folder,
            [(e.id, e.title, e.summary) for e in children],
            [(p, n, written[p][2] if p in written else "") for p, n in subfolders],
        )
        chat = provider.chat(briefs.ABSTRACT_SYSTEM)
        for _round in range(CORRECTIONS + 1):
            reply = chat.send(turn)
            result.usage += reply.usage if reply.usage.calls else Usage(calls=1)
            parsed = briefs.parse_abstract(reply.text)
            if not isinstance(parsed, str):
                break
            turn = briefs.correction_turn([parsed])
        if isinstance(parsed, str):
            raise LlmOutputError(
                f"the model's abstract of {folder}/ was unusable ({parsed}); nothing was written",
                "try another model with --model",
            )
        clean = guard_secrets(dict(zip(("title", "summary", "abstract"), parsed, strict=True)),
                              redact=False)  # fmt: skip
        written[folder] = (clean["title"], clean["summary"], clean["abstract"])
    if progress is not None:
        progress(len(todo), len(todo))
    with session.transaction("abstracts", [f"model:{choice.name}"], dry_run=dry_run) as tx:
        for folder in sorted(written):
            title, summary, abstract = written[folder]
            children, subfolders = contents[folder]
            relpath = summaries.index_relpath(folder)
            text = summaries.render_abstract(folder, children, subfolders, abstract, choice.name)
            tx.write(relpath, text)
            result.written.append(relpath)
            overview = _overview(session, folder)
            if overview is None or summaries.recorded_generator(overview) is not None:
                digest = summaries.folder_digest(children, subfolders)
                tx.write(
                    f"tree/{folder}/context.md",
                    summaries.render_overview(title, summary, abstract, choice.name, digest),
                )
                result.written.append(f"tree/{folder}/context.md")
        tx.subject = f"abstracts of {plural(len(written), 'folder')} by {choice.name}"[:72]
        tx.body = "\n".join(sorted(result.written))
    result.commit = tx.commit_sha
    result.diff = tx.diff if dry_run else None
    return result
