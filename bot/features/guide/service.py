"""The style guide: `## Topic` sections of the configured Markdown file, looked up by words.

Plain Python over the text read at start-up (`config.guide.text`); the sections are parsed once
per text."""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass

from bot.core.config import TeamConfig
from bot.core.errors import BadInput, NotFound
from bot.core.text import as_written

GUIDE_EXAMPLE = "/guide negative review"
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
# The close matches named besides the best one.
MAX_OTHERS = 5
# A word this similar to a topic's word counts as that word (typos: "complaint" for "complaints").
FUZZY = 0.8


@dataclass(frozen=True)
class Section:
    topic: str
    body: str  # Markdown as written in the file

    @functools.cached_property
    def topic_words(self) -> frozenset[str]:
        return frozenset(_words(self.topic))

    @functools.cached_property
    def body_words(self) -> tuple[str, ...]:
        return tuple(_words(self.body))


@dataclass(frozen=True)
class Lookup:
    best: Section
    others: list[Section]


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


@functools.lru_cache(maxsize=4)
def parse(text: str) -> tuple[Section, ...]:
    """Every `## Topic` section, in file order. A `#` title and text before the first `##` are the
    file's preamble, not a topic; deeper headings (`###`) belong to their section."""
    sections: list[Section] = []
    topic: str | None = None
    lines: list[str] = []
    in_code = False

    def close() -> None:
        if topic:
            sections.append(Section(topic, "\n".join(lines).strip()))

    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            in_code = not in_code
        heading = None if in_code else _HEADING.match(line)
        if heading and len(heading.group(1)) <= 2:
            close()
            topic, lines = (heading.group(2) if len(heading.group(1)) == 2 else None), []
            continue
        lines.append(line)
    close()
    return tuple(sections)


def sections(config: TeamConfig) -> tuple[Section, ...]:
    return parse(config.guide.text)


def require_guide(config: TeamConfig) -> tuple[Section, ...]:
    found = sections(config)
    if not found:
        if config.guide.file is None:
            raise NotFound('There is no style guide yet: add `[guide] file = "config/guide.md"` to teambot\'s config.')
        raise NotFound(f"The style guide ({config.guide.file.name}) has no `## Topic` sections yet.")
    return found


def _score(section: Section, query: list[str]) -> float:
    score = 0.0
    for word in query:
        if word in section.topic_words:
            score += 3
        elif difflib.get_close_matches(word, section.topic_words, n=1, cutoff=FUZZY):
            score += 2
        score += min(section.body_words.count(word), 3) * 0.5
    return score


def look_up(config: TeamConfig, words: str) -> Lookup:
    """The section that best matches `words` (topic words count most, then the text), with the
    other close matches: those scoring at least half as well."""
    found = require_guide(config)
    # `words` is command text in Slack's escaped form: matched as the person wrote it.
    query = _words(as_written(words))
    if not query:
        raise BadInput("Say what to look up.", GUIDE_EXAMPLE)
    scored = sorted(((_score(s, query), i, s) for i, s in enumerate(found)), key=lambda t: (-t[0], t[1]))
    best_score = scored[0][0]
    if best_score <= 0:
        raise NotFound(
            f"Nothing in the style guide matches `{words}`. Topics: {', '.join(s.topic for s in found[:20])}"
            + (f" and {len(found) - 20} more." if len(found) > 20 else "."),
            GUIDE_EXAMPLE,
        )
    others = [s for score, _, s in scored[1:] if score >= best_score / 2][:MAX_OTHERS]
    return Lookup(scored[0][2], others)


def _as_name(text: str) -> str:
    """A team's name or a topic, compared as words: `customer_care` is the topic "Customer care"."""
    return " ".join(re.split(r"[\s_-]+", text.strip().lower())).strip()


def section_for_team(config: TeamConfig, team: str) -> Section | None:
    """The section whose topic is the team's name (any case; `_` and `-` read as spaces, since a
    config key cannot hold one), shown on its escalations."""
    wanted = _as_name(team)
    return next((s for s in sections(config) if _as_name(s.topic) == wanted), None)
