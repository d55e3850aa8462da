"""User text in and out of Slack, in one place.

teambot stores user text in Slack's own markup ("escaped" form: `&amp; &lt; &gt;`, mentions as
`<@U…>`), which is how event and slash-command text arrives (commands use `should_escape`).
Text that arrives raw (modal inputs, CSV files) is escaped once on the way in by `escape_raw`.
On the way out, `for_display` (inline), `quoted` (a block quote) and `in_code_block` defuse
everything that could broadcast or forge: `<!channel>`, `<!here>`, `<!everyone>`, user-group
mentions, labelled links of any scheme, and lines that could pass for teambot's own. Block
builders call one of them on every piece of user text and nothing else does.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

_SPECIAL = re.compile(r"<!([^>|]*)(?:\|([^>]*))?>")
# Any `<address|label>` that is not a mention (`<@U…>`, `<#C…>`, `<!…>`): whatever the scheme or its
# case (`HTTPS:`, `ftp:`, `javascript:`), or none, Slack shows the label and opens the address.
_LABELLED_LINK = re.compile(r"<([^@#!<>|\s][^<>|]*)\|([^<>]*)>")
# A user id is short (U0123ABCD; the store keeps 32 characters): a longer one typed by hand is no one.
_USER_MENTION = re.compile(r"^<@([UW][A-Z0-9]{1,31})(?:\|[^>]*)?>$")
_BARE_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,31}$")
_ID = re.compile(r"^#?(\d{1,12})$")
_PERMALINK = re.compile(r"/archives/([CGD][A-Z0-9]+)/p(\d{10})(\d{6})(?:\?([^\s>|]*))?")
_ANGLE_LINK = re.compile(r"^<([^>|]+)(?:\|[^>]*)?>$")
_ZERO_WIDTH_SPACE = "\u200b"


def escape_raw(text: str) -> str:
    """Raw text (modal, CSV) into Slack's escaped form; the only place such text is escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def as_written(text: str) -> str:
    """Stored text with Slack's three escapes undone, for reports (`teambot export`); mentions and
    links stay in Slack's markup, as Slack gives them."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _defuse_special(match: re.Match[str]) -> str:
    name, label = match.group(1), match.group(2)
    if name.startswith("subteam^"):
        shown = label or "@group"
    elif name.startswith("date^"):
        return label or ""
    elif name in ("channel", "here", "everyone", "group"):
        shown = f"@{name}"
    else:
        shown = label or f"@{name}"
    # A zero-width space after "@" keeps the word readable but makes sure no client links it.
    if shown.startswith("@"):
        shown = "@" + _ZERO_WIDTH_SPACE + shown[1:]
    return shown


def for_display(text: str | None) -> str:
    """Stored (escaped) user text made safe to put in a bot message: no broadcast, no link whose
    label hides its address, and no line of its own: every line after the first is shown as a
    quote, so user text can never pass for one of teambot's own status lines."""
    lines = _defused(text).split("\n")
    return "\n".join([lines[0], *(f">{line}" for line in lines[1:])])


def quoted(text: str | None) -> str:
    """User text as a block quote (every line, the first too), made safe as `for_display` does:
    for user text that stands on lines of its own."""
    return "\n".join(f">{line}" for line in _defused(text).split("\n"))


def in_code_block(text: str | None) -> str:
    """User text for the inside of a ``` block, where Slack shows its lines as they are and
    formats nothing: defused, and unable to close the block early."""
    return _defused(text).replace("```", "`\u200b`\u200b`")


def _defused(text: str | None) -> str:
    if not text:
        return ""
    text = _SPECIAL.sub(_defuse_special, text)
    # A labelled link could show one address and open another: show the real address.
    text = _LABELLED_LINK.sub(lambda m: f"<{m.group(1)}>", text)
    # Any "<!" left (malformed tokens) is shown literally.
    return text.replace("<!", "&lt;!")


# The fields of an attachment or a block that hold words people read.
_TEXT_KEYS = ("text", "pretext", "title", "value", "fallback", "footer", "author_name")


def texts_within(value: Any) -> Iterator[str]:
    """Every text an attachment or a block holds (Slack nests them: fields, elements, ...)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            if key in _TEXT_KEYS or isinstance(item, (dict, list)):
                yield from texts_within(item)
    elif isinstance(value, list):
        for item in value:
            yield from texts_within(item)


def message_words(message: dict[str, Any]) -> str:
    """What a Slack message says: its text, else (an integration that posts only attachments or
    blocks, as listening tools do) the texts its attachments and then its blocks hold, each once."""
    text = (message.get("text") or "").strip()
    if text:
        return text
    found = [t.strip() for t in texts_within([message.get("attachments") or [], message.get("blocks") or []])]
    return "\n".join(dict.fromkeys(t for t in found if t))


def truncate(text: str, limit: int) -> str:
    """Cut text to `limit` characters on a word boundary where possible, marking the cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    # Never leave half of an escape sequence or an angle-bracket token behind.
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    lt = cut.rfind("<")
    if lt != -1 and ">" not in cut[lt:]:
        cut = cut[:lt]
    return cut + "…"


def parse_user(token: str) -> str | None:
    """`<@U123>` / `<@U123|name>` (or a bare `U123` / `@U123`, as typed for someone who is not in
    the workspace any more, e.g. an id from the config) to the user id; None if it is not a user."""
    token = token.strip()
    match = _USER_MENTION.match(token)
    if match:
        return match.group(1)
    bare = token.removeprefix("@")
    if _BARE_USER_ID.match(bare):
        return bare
    return None


MAX_ID = 2**31 - 1  # ids are 32-bit integers in the store


def parse_id(token: str) -> int | None:
    """`12` or `#12` to 12 (None for anything else, including numbers no id can have)."""
    match = _ID.match(token.strip())
    if not match or int(match.group(1)) > MAX_ID:
        return None
    return int(match.group(1))


def without_nul(value: object) -> object:
    """Strings inside a parsed request with NUL characters removed (PostgreSQL cannot store them
    and no person means them)."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {key: without_nul(item) for key, item in value.items()}
    if isinstance(value, list):
        return [without_nul(item) for item in value]
    return value


def parse_permalink(token: str) -> tuple[str, str] | None:
    """A Slack message permalink to (channel, ts); a reply's permalink names its own ts."""
    match = _PERMALINK.search(token)
    if not match:
        return None
    return match.group(1), f"{match.group(2)}.{match.group(3)}"


def unwrap_link(token: str) -> str:
    """`<https://x|label>` or `<https://x>` to `https://x`; other text unchanged."""
    match = _ANGLE_LINK.match(token.strip())
    return match.group(1) if match else token.strip()


# A word, where Slack's own markup (`<https://x|a label>`, `<@U1|jane doe>`) counts as one piece even
# with spaces inside: Slack escapes a typed `<` and `>`, so these only come from Slack.
_ARG = re.compile(r"(?:<[^<>]*>|[^\s<]|<)+")


# Every list teambot shows stops at this many entries, then says how many more.
MAX_LIST = 20


def names_list(names: list[str], limit: int = MAX_LIST) -> str:
    """`a, b, c`, at most `limit` names, then "and N more" (as every list teambot shows)."""
    if len(names) <= limit:
        return ", ".join(names)
    return f"{', '.join(names[:limit])} and {len(names) - limit:,} more"


def split_args(text: str | None) -> list[str]:
    return _ARG.findall(text or "")


def rest_after(text: str, words: int) -> str:
    """`text` without its first `words` arguments (counted as `split_args` counts them), the rest as
    typed: free text after a command's arguments keeps its line breaks and spacing."""
    matches = _ARG.finditer(text)
    for _ in range(words):
        if next(matches, None) is None:
            return ""
    following = next(matches, None)
    return text[following.start() :].strip() if following else ""


def emoji_base(name: str) -> str:
    """`+1::skin-tone-3` is the same emoji as `+1`."""
    return name.split("::", 1)[0]
