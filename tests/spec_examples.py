"""The specification's example JSON, read from the unmodified spec files under tests/fixtures/ocpi-spec/."""

from __future__ import annotations

import json
import re
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "ocpi-spec"


def example_221(name: str):
    return json.loads((FIXTURES / "2.2.1" / "examples" / name).read_text())


def example_230(name: str):
    return json.loads((FIXTURES / "2.3.0" / "examples" / name).read_text())


def example(version: str, name: str):
    """The example `name` of the 2.2.1 or 2.3.0 specification (the two publish theirs under the same names)."""
    return json.loads((FIXTURES / version / "examples" / name).read_text())


def examples_211(chapter: str) -> list[dict]:
    """Every ```json block of a 2.1.1 chapter, as {"url", "json"}; fragments like `"energy_mix": {…}`
    are wrapped into an object, and a leading "PATCH To URL: …" line is split off into `url`."""
    text = (FIXTURES / "2.1.1" / f"{chapter}.md").read_text()
    found = []
    for block in re.findall(r"```json\n(.*?)```", text, re.S):
        url = None
        first, _, rest = block.partition("\n")
        if re.match(r"^\s*(GET|PUT|PATCH|POST|DELETE)\b.*(To URL|https?://)", first):
            url, block = first.strip(), rest
        body = block.strip()
        if body.startswith('"'):
            body = "{" + body + "}"
        try:
            found.append({"url": url, "json": json.loads(body)})
        except json.JSONDecodeError:
            found.append({"url": url, "json": None, "text": block})
    return found
