"""The exports teambot recognises: which tool wrote a header row, and where each figure is in it.

Each tool is known by marker columns that only its export has together; its figures are then
looked up under the names that tool uses, in English and (where the tool localizes its exports)
French, German and Spanish. Impressions are the tool's impressions, else its views; engagements
are its own total, else the sum of its parts (reactions or likes, comments or replies, shares,
reposts or retweets, saves), else its engagement rate times impressions; clicks are link clicks
under any of the tools' names. Header names are compared in lower case, spaces collapsed."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# -- the tools' vocabulary ------------------------------------------------------------------------
IMPRESSIONS = ("impressions", "impressionen", "impresiones", "post impressions", "thumbnail impressions")
VIEWS = (
    "views", "vues", "aufrufe", "visualizaciones", "reproducciones",
    "total views", "vues totales", "aufrufe insgesamt", "visualizaciones totales",
    "video views", "vues de la vidéo", "videoaufrufe", "visualizaciones de video",
    "views (excluding off-site video views)",
)  # fmt: skip
ENGAGEMENTS = (
    "engagements", "engagement", "total engagements", "interactions", "interaktionen", "interacciones",
    "reactions, comments and shares", "réactions, commentaires et partages",
    "reaktionen, kommentare und geteilte inhalte", "reacciones, comentarios y veces que se compartió",
    "reacciones, comentarios y contenido compartido",
)  # fmt: skip
LIKES = (
    "reactions", "likes", "total likes", "like",
    "réactions", "j'aime", "j’aime", "mentions j'aime", "mentions j’aime", "j'aime totaux",
    "reaktionen", "gefällt mir", "„gefällt mir“-angaben", "\"gefällt mir\"-angaben", "gefällt mir insgesamt", "mag ich",
    "reacciones", "me gusta", "me gusta totales",
)  # fmt: skip
COMMENTS = (
    "comments", "replies", "total comments", "comments added",
    "commentaires", "réponses", "commentaires totaux", "commentaires ajoutés",
    "kommentare", "antworten", "kommentare insgesamt", "hinzugefügte kommentare",
    "comentarios", "respuestas", "comentarios totales", "comentarios añadidos",
)  # fmt: skip
SHARES = (
    "shares", "total shares", "partages", "partages totaux", "geteilte inhalte", "geteilt", "mal geteilt",
    "veces que se compartió", "contenido compartido", "veces compartido", "compartidos",
)  # fmt: skip
REPOSTS = ("reposts", "retweets", "republications", "reposts insgesamt", "reposts totales", "republicaciones")
SAVES = (
    "saves", "saved", "bookmarks", "total saves", "favorites",
    "enregistrements", "éléments enregistrés", "gespeichert", "gespeicherte beiträge", "veces guardado", "guardados",
)  # fmt: skip
CLICKS = (
    "link clicks", "url clicks", "post link clicks", "clicks on link", "link click",
    "clics sur un lien", "clics sur le lien", "link-klicks", "linkklicks", "klicks auf links",
    "clics en el enlace", "clics en enlaces",
    "clicks", "total clicks", "post clicks (all)", "clics", "total des clics", "klicks", "klicks insgesamt",
    "clics totales",
)  # fmt: skip
RATE = (
    "engagement rate", "engagement rate (per impression)", "engagement rate (%)",
    "taux d'engagement", "taux d’engagement", "interaktionsrate", "tasa de interacción",
)  # fmt: skip
PERMALINK = (
    "permalink", "permalien", "lien permanent", "enlace permanente", "link", "post link", "post url",
    "post permalink", "url", "lien", "enlace",
)  # fmt: skip

# Day-first languages: their slashed dates (`03/06/2026`) are the 3rd of June.
_FRENCH = re.compile(r"[éèêàç]|publication|identifiant|commentaires|partages|vues|compte|titre|lien|jour")
_GERMAN = re.compile(r"[äöüß]|beitrag|seiten|konto|aufrufe|kommentare|geteilt|datum|inhalt|abonnenten")
_SPANISH = re.compile(r"[ñáíóú]|publicación|identificador|comentarios|visualizaciones|cuenta|fecha|enlace|seguidores")


def normalize(name: object) -> str:
    """A header cell as compared: no BOM, no surrounding quotes or spaces, lower case, one space."""
    text = str(name if name is not None else "").replace("\ufeff", "").strip().strip('"').strip()
    return re.sub(r"\s+", " ", text).lower()


@dataclass(frozen=True)
class Tool:
    name: str
    markers: tuple[frozenset[str], ...]  # any one set of columns that together say "this tool"
    address: tuple[str, ...] = PERMALINK
    network: str | None = None  # whose bare ids the address column may hold
    bare_id: tuple[str, ...] = ()  # a post id column to fall back on when the address is empty
    impressions: tuple[str, ...] = IMPRESSIONS
    views: tuple[str, ...] = VIEWS
    engagements: tuple[str, ...] = ENGAGEMENTS
    parts: tuple[tuple[str, ...], ...] = (LIKES, COMMENTS, SHARES, REPOSTS, SAVES)
    clicks: tuple[str, ...] = CLICKS
    rate: tuple[str, ...] = RATE
    summary_rows: tuple[str, ...] = ()  # address cells of total rows to pass over ("Total")


def _markers(*sets: tuple[str, ...]) -> tuple[frozenset[str], ...]:
    return tuple(frozenset(s) for s in sets)


# Most specific first: the first tool whose markers are all in the header is the one.
TOOLS: tuple[Tool, ...] = (
    Tool(
        "X (tweet activity export)",
        _markers(
            ("tweet permalink", "impressions"),
            ("tweet id", "impressions"),
            ("permalien du tweet", "impressions"),
            ("tweet-permalink", "impressionen"),
            ("enlace permanente del tweet", "impresiones"),
        ),
        address=("tweet permalink", "permalien du tweet", "tweet-permalink", "enlace permanente del tweet"),
        network="x",
        bare_id=("tweet id", "identifiant du tweet", "tweet-id", "id del tweet"),
        clicks=("url clicks", "clics sur l'url", "clics sur l’url", "url-klicks", "clics en url"),
    ),
    Tool(
        "X (content export)",
        _markers(("post id", "post link", "post text"), ("post id", "post link", "reposts")),
        address=("post link",),
        network="x",
        bare_id=("post id",),
        clicks=("url clicks",),
    ),
    Tool(
        "Facebook (Meta Business Suite)",
        _markers(
            ("post id", "page id"),
            ("identifiant de la publication", "id de la page"),
            ("identifiant de la publication", "identifiant de la page"),
            ("beitrags-id", "seiten-id"),
            ("identificador de la publicación", "identificador de la página"),
        ),
    ),
    Tool(
        "Instagram (Meta Business Suite)",
        _markers(
            ("post id", "account username"),
            ("post id", "account id"),
            ("identifiant de la publication", "nom d'utilisateur du compte"),
            ("identifiant de la publication", "identifiant du compte"),
            ("beitrags-id", "konto-benutzername"),
            ("beitrags-id", "konto-id"),
            ("identificador de la publicación", "nombre de usuario de la cuenta"),
            ("identificador de la publicación", "identificador de la cuenta"),
        ),
        network="instagram",
    ),
    Tool(
        "LinkedIn (page content export)",
        _markers(
            ("post title", "post link"),
            ("update title", "update link"),
            ("post link", "posted by"),
            ("titre de la publication", "lien de la publication"),
            ("lien de la publication", "publié par"),
            ("beitragstitel", "beitragslink"),
            ("beitragslink", "gepostet von"),
            ("título de la publicación", "enlace de la publicación"),
            ("enlace de la publicación", "publicado por"),
        ),
        address=("post link", "update link", "lien de la publication", "beitragslink", "enlace de la publicación"),
        network="linkedin",
        views=("views (excluding off-site video views)", "views", "vues", "aufrufe", "visualizaciones"),
        clicks=("clicks", "clics", "klicks"),
        parts=(
            ("reactions", "likes", "réactions", "reaktionen", "reacciones"),
            ("comments", "commentaires", "kommentare", "comentarios"),
            ("reposts", "shares", "republications", "partages", "geteilte inhalte", "veces compartido", "compartidos"),
        ),
    ),
    Tool(
        "TikTok",
        _markers(
            ("video link", "total views"),
            ("video title", "total likes"),
            ("video link", "video views"),
            ("lien de la vidéo", "vues totales"),
            ("titre de la vidéo", "j'aime totaux"),
            ("videolink", "aufrufe insgesamt"),
            ("link zum video", "aufrufe insgesamt"),
            ("enlace del video", "visualizaciones totales"),
            ("título del video", "me gusta totales"),
        ),
        address=("video link", "lien de la vidéo", "videolink", "link zum video", "enlace del video", "video id"),
        network="tiktok",
    ),
    Tool(
        "YouTube Studio",
        _markers(
            ("content", "video title"),
            ("contenu", "titre de la vidéo"),
            ("inhalt", "videotitel"),
            ("contenido", "título del vídeo"),
            ("contenido", "título del video"),
        ),
        address=("content", "contenu", "inhalt", "contenido", "video"),
        network="youtube",
        summary_rows=("total", "gesamt", "totaux", "insgesamt"),
    ),
    Tool(
        "Sprout Social",
        _markers(("network", "profile", "sent by"), ("network", "post link clicks"), ("network", "profile", "post id")),
        address=("link", "permalink", "post link"),
        clicks=("post link clicks", "link clicks", "post clicks (all)"),
    ),
    Tool(
        "Hootsuite",
        _markers(("post permalink", "network"), ("post permalink", "social profile"), ("post permalink",)),
        address=("post permalink", "permalink", "post url"),
    ),
    Tool(
        "Buffer",
        _markers(("post link", "channel", "engagement rate"), ("post url", "channel"), ("buffer link",)),
        address=("post link", "post url", "link"),
    ),
)

TEAMBOT = Tool(
    "teambot's own columns",
    (),
    address=("url", "post url", "link", "permalink", "published url", "post link"),
    engagements=("engagements", "engagement"),
    parts=(),
    clicks=("clicks", "link clicks"),
    rate=(),
)
_DRAFT_ID = ("draft id", "draft_id", "draft", "teambot id", "teambot_id")

# Account figures per day (`date, account, followers, mentions`), teambot's columns or a tool's.
ACCOUNT_DAY = {
    "date": ("date", "day", "datum", "fecha", "jour", "tag", "día"),
    "account": (
        "account", "profile", "page", "channel", "handle", "compte", "profil", "konto", "seite", "cuenta",
        "perfil", "página", "page name", "profile name", "account name", "account username",
    ),
    "followers": (
        "followers", "total followers", "audience", "fans", "total fans", "subscribers", "lifetime followers",
        "abonnés", "follower", "abonnenten", "seguidores", "suscriptores",
    ),
    "mentions": ("mentions", "mention", "erwähnungen", "menciones", "total mentions", "volume"),
}  # fmt: skip


@dataclass
class Layout:
    """Where a recognised header keeps each figure (column indexes)."""

    tool: Tool
    header: list[str]
    draft_id: int | None = None
    address: int | None = None
    bare_id: int | None = None
    impressions: int | None = None
    views: int | None = None
    engagements: int | None = None
    parts: list[int] = field(default_factory=list)
    clicks: int | None = None
    rate: int | None = None
    day_first: bool = False

    def names(self, indexes: list[int]) -> str:
        return ", ".join(self.header[i] for i in indexes)

    def summary(self) -> str:
        """What the import reads, for the output: the tool and the columns it sums."""
        impressions = self.impressions if self.impressions is not None else self.views
        said = [f"impressions from `{self.header[impressions]}`"] if impressions is not None else []
        ways = []
        if self.engagements is not None:
            ways.append(f"from `{self.header[self.engagements]}`")
        if self.parts and self.tool.parts:
            ways.append("summed from " + " + ".join(f"`{self.header[i]}`" for i in self.parts))
        if self.rate is not None:
            ways.append(f"from `{self.header[self.rate]}` × impressions")
        if ways:
            said.append("engagements " + ways[0] + "".join(f" (where empty, {way})" for way in ways[1:2]))
        if self.clicks is not None:
            said.append(f"clicks from `{self.header[self.clicks]}`")
        return f"{self.tool.name}: {'; '.join(said)}"


@dataclass
class AccountLayout:
    header: list[str]
    date: int
    account: int
    followers: int | None
    mentions: int | None
    day_first: bool = False


def _find(names: list[str], wanted: tuple[str, ...], taken: set[int] | None = None) -> int | None:
    """The first column (in the order of `wanted`) with one of the names, not already used."""
    for name in wanted:
        for index, found in enumerate(names):
            if found == name and (taken is None or index not in taken):
                return index
    return None


def _day_first(names: list[str]) -> bool:
    text = " ".join(names)
    return bool(_FRENCH.search(text) or _GERMAN.search(text) or _SPANISH.search(text))


def recognise(header: list[object]) -> Layout | AccountLayout | None:
    """The layout of a header row, or None when no tool (nor teambot) wrote it."""
    raw = [str(h if h is not None else "").replace("\ufeff", "").strip() for h in header]
    names = [normalize(h) for h in header]
    present = set(names)
    for tool in TOOLS:
        if any(marker <= present for marker in tool.markers):
            layout = _layout(tool, raw, names)
            if layout.address is not None and (layout.impressions is not None or layout.views is not None):
                return layout
    underscored = [n.replace("_", " ").replace("-", " ") for n in names]
    own = _layout(TEAMBOT, raw, underscored)
    own.draft_id = _find(underscored, tuple(n.replace("_", " ") for n in _DRAFT_ID))
    has_post = own.draft_id is not None or own.address is not None
    if has_post and own.impressions is not None and own.engagements is not None:
        return own
    return _account_layout(raw, underscored)


def _layout(tool: Tool, raw: list[str], names: list[str]) -> Layout:
    layout = Layout(tool, raw, day_first=_day_first(names))
    layout.address = _find(names, tool.address)
    layout.bare_id = _find(names, tool.bare_id)
    layout.impressions = _find(names, tool.impressions)
    layout.views = _find(names, tool.views)
    layout.engagements = _find(names, tool.engagements)
    taken: set[int] = set()
    for group in tool.parts:
        index = _find(names, group, taken)
        if index is not None:
            taken.add(index)
            layout.parts.append(index)
    layout.clicks = _find(names, tool.clicks)
    layout.rate = _find(names, tool.rate)
    return layout


def _account_layout(raw: list[str], names: list[str]) -> AccountLayout | None:
    date, account = _find(names, ACCOUNT_DAY["date"]), _find(names, ACCOUNT_DAY["account"])
    followers, mentions = _find(names, ACCOUNT_DAY["followers"]), _find(names, ACCOUNT_DAY["mentions"])
    if date is None or account is None or (followers is None and mentions is None):
        return None
    return AccountLayout(raw, date, account, followers, mentions, day_first=_day_first(names))


def needs() -> str:
    """What a file must have, said when a header is not recognised."""
    return (
        "a tool's post export (X, Facebook, Instagram, LinkedIn, TikTok, YouTube Studio, Sprout Social, "
        "Hootsuite, Buffer), or draft_id or url, impressions, engagements [, clicks], "
        "or date, account, followers and/or mentions"
    )
