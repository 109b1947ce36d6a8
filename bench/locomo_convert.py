"""LoCoMo samples as typed values: turns, questions with repaired evidence, transcript JSONL.

Pure functions of the loaded JSON; `bench/locomo.py` drives them. The data itself stays outside
the repository (see ../shared/data/locomo/SOURCE.md).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

CATEGORIES = {1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop", 5: "adversarial"}
_SESSION_KEY = re.compile(r"session_(\d+)")
# "D8:6", "D:11:26" (stray colon), "D30:05" (leading zero); several per string are allowed.
_EVIDENCE = re.compile(r"D\s*:?\s*(\d+)\s*:\s*(\d+)")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Turn:
    id: str  # dia_id, "D<session>:<turn>"
    session: int
    time: str
    speaker: str
    text: str  # the text, with " [image: <caption>]" when the turn shares a picture


@dataclass(frozen=True)
class Question:
    text: str
    category: int
    evidence: tuple[str, ...]  # repaired ids that name a turn of the conversation
    dropped: int  # raw ids (or id-less strings) that name no turn
    answer: str


@dataclass(frozen=True)
class Conversation:
    id: str
    turns: tuple[Turn, ...]
    questions: tuple[Question, ...]

    def turn_map(self) -> dict[str, Turn]:
        return {t.id: t for t in self.turns}


def normalise(text: str) -> str:
    """Whitespace runs become one space: the form substring tests compare."""
    return _SPACES.sub(" ", text).strip()


def turn_text(raw: dict[str, Any]) -> str:
    text = str(raw.get("text", ""))
    caption = raw.get("blip_caption")
    if caption:
        text = f"{text} [image: {caption}]" if text else f"[image: {caption}]"
    return text


def repair_evidence(raw: list[Any], known: set[str]) -> tuple[tuple[str, ...], int]:
    """Split packed ids, repair malformed ones, drop ids that match no turn; keep order.
    Returns the kept ids and how many were dropped (a string holding no id counts as one)."""
    kept: dict[str, None] = {}
    dropped = 0
    for item in raw:
        found = _EVIDENCE.findall(str(item))
        dropped += not found
        for session, turn in found:
            dia_id = f"D{int(session)}:{int(turn)}"
            if dia_id in known:
                kept[dia_id] = None
            else:
                dropped += 1
    return tuple(kept), dropped


def conversation(sample: dict[str, Any]) -> Conversation:
    conv = sample["conversation"]
    sessions = sorted(
        int(m.group(1)) for key in conv if (m := _SESSION_KEY.fullmatch(key)) is not None
    )
    turns = [
        Turn(
            id=str(raw["dia_id"]),
            session=number,
            time=str(conv.get(f"session_{number}_date_time", "")),
            speaker=str(raw["speaker"]),
            text=turn_text(raw),
        )
        for number in sessions
        for raw in conv[f"session_{number}"]
    ]
    known = {t.id for t in turns}
    questions = []
    for qa in sample["qa"]:
        evidence, dropped = repair_evidence(list(qa.get("evidence", [])), known)
        questions.append(
            Question(
                text=str(qa["question"]),
                category=int(qa["category"]),
                evidence=evidence,
                dropped=dropped,
                answer=str(qa.get("answer", qa.get("adversarial_answer", ""))),
            )
        )
    return Conversation(str(sample["sample_id"]), tuple(turns), tuple(questions))


def transcript_jsonl(conv: Conversation) -> str:
    """The `ctx import transcript` input: one JSON object per turn."""
    lines = [
        json.dumps(
            {
                "id": t.id,
                "session": t.session,
                "time": t.time,
                "speaker": t.speaker,
                "text": t.text,
                "conversation": conv.id,
            },
            ensure_ascii=False,
        )
        for t in conv.turns
    ]
    return "\n".join(lines) + "\n"


def load(path: str) -> list[Conversation]:
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    return [conversation(sample) for sample in data]
