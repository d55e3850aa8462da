"""Which post an address points at, however a person or a social tool writes it.

A post published from teambot is recorded with the link someone pasted (`url=`); the tools export
the same post as a different link, a bare id or a LinkedIn URN. `post_key` reduces each to one key
so the two meet: X posts by their status id (twitter.com, x.com, mobile hosts, any user name),
LinkedIn posts by their activity/share/ugcPost id (feed links, share links, `urn:li:...`), YouTube
videos by their 11-character id (watch, shorts, embed, live, youtu.be and the bare id), Instagram by
its shortcode, TikTok by its video id; any other link by host and path, without tracking parameters.
Pure Python, no database."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

# Query parameters that only say where a click came from, not which post it is.
_TRACKING = re.compile(r"utm_.*|igshid|igsh|fbclid|gclid|si|s|ref|ref_src|ref_url")
_MOBILE_PREFIXES = ("www.", "mobile.", "m.", "web.", "mbasic.")

_X_HOSTS = {"twitter.com", "x.com"}
# The busiest case, read without taking the link apart (a 50,000-row X export is mostly this).
_X_LINK = re.compile(
    r"^(?:https?://)?(?:(?:www|mobile|m)\.)?(?:twitter|x)\.com/(?:[^/?#\s]+/status(?:es)?|i/web/status|i/status)/(\d+)"
    r"(?:[/?#]|$)",
    re.IGNORECASE,
)
_X_STATUS = re.compile(r"/(?:[^/]+/status(?:es)?|i/web/status|i/status)/(\d+)")
_LINKEDIN_URN = re.compile(r"urn:li:(activity|share|ugcPost):(\d+)", re.IGNORECASE)
_LINKEDIN_SLUG = re.compile(r"-(activity|share|ugcPost)-(\d+)(?:-|$)", re.IGNORECASE)
_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
_YOUTUBE_HOSTS = {"youtube.com", "youtube-nocookie.com", "music.youtube.com"}
_YOUTUBE_PATH = re.compile(r"^/(?:shorts|embed|live|v)/([A-Za-z0-9_-]{11})")
_INSTAGRAM_PATH = re.compile(r"^/(?:[^/]+/)?(?:p|reel|reels|tv)/([A-Za-z0-9_-]+)")
_TIKTOK_PATH = re.compile(r"/(?:video|photo|v)/(\d+)")

# Networks whose bare ids a tool exports in place of a link (YouTube Studio's `Content`).
NETWORKS = ("x", "youtube", "linkedin", "tiktok", "instagram")


def _host(hostname: str) -> str:
    host = hostname.lower().rstrip(".")
    changed = True
    while changed:
        changed = False
        for prefix in _MOBILE_PREFIXES:
            if host.startswith(prefix) and host.count(".") > 1:
                host, changed = host.removeprefix(prefix), True
    return host


def post_key(address: str, network: str | None = None) -> str:
    """The key of the post at `address`: a link, a LinkedIn URN, or (with `network`) a bare id."""
    text = address.replace("&amp;", "&").strip()
    x_link = _X_LINK.match(text)
    if x_link:
        return f"x:{x_link.group(1)}"
    urn = _LINKEDIN_URN.search(text)
    if urn and (not text.lower().startswith(("http://", "https://")) or "linkedin." in text.lower()):
        return f"linkedin:{urn.group(1).lower()}:{urn.group(2)}"
    if network is not None and not re.match(r"^[a-z][a-z0-9+.-]*://", text, re.IGNORECASE):
        bare = _bare_id(text, network)
        if bare is not None:
            return bare
    if not re.match(r"^[a-z][a-z0-9+.-]*://", text, re.IGNORECASE) and "/" in text and "." in text.split("/")[0]:
        text = "https://" + text  # `x.com/acme/status/1`: a link without its scheme
    parts = urlsplit(text)
    host = _host(parts.hostname or "")
    path = parts.path
    if host in _X_HOSTS:
        status = _X_STATUS.search(path)
        if status:
            return f"x:{status.group(1)}"
    elif host.endswith("linkedin.com"):
        slug = _LINKEDIN_SLUG.search(path)
        if slug:
            return f"linkedin:{slug.group(1).lower()}:{slug.group(2)}"
    elif host in _YOUTUBE_HOSTS:
        if path.rstrip("/") == "/watch":
            video = parse_qs(parts.query).get("v", [""])[0]
            if _YOUTUBE_ID.match(video):
                return f"youtube:{video}"
        found = _YOUTUBE_PATH.match(path)
        if found:
            return f"youtube:{found.group(1)}"
    elif host == "youtu.be":
        video = path.strip("/").split("/")[0]
        if _YOUTUBE_ID.match(video):
            return f"youtube:{video}"
    elif host in ("instagram.com", "instagr.am"):
        found = _INSTAGRAM_PATH.match(path)
        if found:
            return f"instagram:{found.group(1)}"
    elif host.endswith("tiktok.com"):
        found = _TIKTOK_PATH.search(path)
        if found:
            return f"tiktok:{found.group(1)}"
    params = parse_qsl(parts.query, keep_blank_values=True)
    kept = sorted((k, v) for k, v in params if not _TRACKING.fullmatch(k.lower()))
    query = f"?{urlencode(kept)}" if kept else ""
    return f"{host}{path.rstrip('/')}{query}"


def _bare_id(text: str, network: str) -> str | None:
    if network == "youtube" and _YOUTUBE_ID.match(text):
        return f"youtube:{text}"
    if network in ("x", "tiktok") and text.isdigit():
        return f"{network}:{text}"
    if network == "linkedin" and text.isdigit():
        return f"linkedin:activity:{text}"
    if network == "instagram" and re.fullmatch(r"[A-Za-z0-9_-]+", text):
        return f"instagram:{text}"
    return None


def looks_like_address(text: str) -> bool:
    """A link (with or without its scheme) or a LinkedIn URN, as opposed to a draft id or a word."""
    text = text.strip()
    if re.match(r"^https?://\S+$", text, re.IGNORECASE) or _LINKEDIN_URN.fullmatch(text):
        return True
    head = text.split("/")[0]
    return "/" in text and "." in head and " " not in text
