"""How often a long-lived process compares the store's files with its index (`ctx mcp`, the
Python API's `recheck_seconds`). Its own module: one-shot commands never throttle and do not
load it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Throttle:
    """For a long-lived process (`ctx mcp`): reads skip comparing the files with the index
    while the store's git state (tree/git.head_stamp: HEAD and the git index) is what it was
    at the last comparison and that comparison is under `seconds` old. Every write through
    ctx commits, and so does a hand edit once committed: both change the stamp, so the next
    read compares; an uncommitted hand edit is seen within `seconds`."""

    seconds: float
    stamp: object = None
    checked_at: float = float("-inf")  # time.monotonic() of the last comparison

    def due(self, stamp: object, now: float) -> bool:
        return stamp != self.stamp or now - self.checked_at >= self.seconds

    def checked(self, stamp: object, now: float) -> None:
        self.stamp, self.checked_at = stamp, now
