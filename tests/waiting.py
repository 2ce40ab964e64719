"""Waiting for what other threads and processes do: poll a condition until it holds, with a deadline, instead
of sleeping for a time that is too short on a busy machine and too long on an idle one."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(predicate: Callable[[], T], *, timeout: float = 20.0, interval: float = 0.1, message: str = "") -> T:
    """Poll until `predicate()` is truthy; return its value, or fail after `timeout` seconds (with `message`)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(message or f"condition not met within {timeout} s")
        time.sleep(interval)
