"""The one place user text is escaped and parsed."""

from __future__ import annotations

import pytest

from bot.core.text import (
    emoji_base,
    escape_raw,
    for_display,
    in_code_block,
    names_list,
    parse_id,
    parse_permalink,
    parse_user,
    quoted,
    rest_after,
    split_args,
    truncate,
    unwrap_link,
)


@pytest.mark.parametrize(
    "text",
    ["<!channel> hi", "<!here>", "<!everyone> x", "<!subteam^S0123|@designers> look", "<!channel|channel>"],
)
def test_broadcasts_and_group_mentions_are_defused(text):
    shown = for_display(text)
    assert "<!" not in shown and "@" in shown


def test_labelled_links_show_their_real_address_and_mentions_stay():
    assert for_display("<https://evil.example|https://bank.example>") == "<https://evil.example>"
    assert for_display("hi <@U0ANNA> and <#C0GEN|general>") == "hi <@U0ANNA> and <#C0GEN|general>"


def test_raw_text_is_escaped_once():
    assert escape_raw("<!channel> & <b>") == "&lt;!channel&gt; &amp; &lt;b&gt;"
    assert for_display(escape_raw("<!channel>")) == "&lt;!channel&gt;"


def test_parsers():
    assert parse_user("<@U0ANNA|anna>") == "U0ANNA" and parse_user("U0BEN") == "U0BEN"
    assert parse_user("@bob") is None and parse_user("<!channel>") is None
    assert parse_user("@U0COMMUNITY") == "U0COMMUNITY"  # a config id typed with an @
    # Slack's ids are short (the store keeps 32 characters): anything longer is no one.
    assert parse_user("U" + "0" * 31) == "U" + "0" * 31
    assert parse_user("U" + "0" * 32) is None and parse_user("<@U" + "0" * 32 + ">") is None
    assert parse_id("#12") == 12 and parse_id("12") == 12 and parse_id("x12") is None
    assert parse_permalink("https://a.slack.com/archives/C0DRAFTS/p1700000000000100") == (
        "C0DRAFTS",
        "1700000000.000100",
    )
    assert parse_permalink("https://example.com/p1") is None
    assert unwrap_link("<https://x.example/a|label>") == "https://x.example/a"
    assert emoji_base("+1::skin-tone-3") == "+1"


def test_truncate_never_cuts_an_escape_or_a_token_in_half():
    assert truncate("a" * 10, 20) == "a" * 10
    cut = truncate("word " * 10 + "&amp;&amp;&amp;", 53)
    assert len(cut) <= 53 and not cut.rstrip("…").endswith("&am")
    assert "<@U0" not in truncate("hello there <@U0ANNA> x", 16)


def test_ids_beyond_the_store_are_not_ids():
    assert parse_id("2147483647") == 2147483647
    assert parse_id("2200000000") is None


def test_nul_characters_are_removed_from_requests():
    from bot.core.text import without_nul

    assert without_nul({"a": ["x\x00y", {"b": "\x00"}], "n": 1}) == {"a": ["xy", {"b": ""}], "n": 1}


def test_slack_markup_with_spaces_is_one_argument():
    text = " /x <https://a.example/p|a b>  note\ttwo <@U1|jane doe> <!subteam^S1|@social team>"
    assert split_args(text) == [
        "/x",
        "<https://a.example/p|a b>",
        "note",
        "two",
        "<@U1|jane doe>",
        "<!subteam^S1|@social team>",
    ]
    assert split_args("") == [] and split_args(None) == []


def test_rest_after_counts_arguments_as_split_args_does_and_keeps_the_rest_as_typed():
    text = "<@U0ANNA|anna kovacs>  going home\n  sick <!here>"
    assert rest_after(text, 1) == "going home\n  sick <!here>"
    assert rest_after(text, 0) == text.strip()
    assert rest_after("only", 1) == "" and rest_after("", 2) == ""


def test_names_lists_stop_at_twenty_and_say_how_many_more():
    assert names_list(["a", "b"]) == "a, b" and names_list([]) == ""
    many = [f"t{n:02d}" for n in range(28)]
    assert names_list(many) == ", ".join(many[:20]) + " and 8 more"


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("<HTTPS://evil.example|https://good.example>", "HTTPS://evil.example"),
        ("<Http://evil.example/p?q=1|https://good.example>", "Http://evil.example/p?q=1"),
        ("<ftp://evil.example/file|https://good.example>", "ftp://evil.example/file"),
        ("<javascript:alert(1)|https://good.example>", "javascript:alert(1)"),
        ("<MAILTO:thief@evil.example|support@good.example>", "MAILTO:thief@evil.example"),
        ("<slack://open?team=T1|https://good.example>", "slack://open?team=T1"),
        ("<evil.example|good.example>", "evil.example"),
        ("<https://evil.example|>", "https://evil.example"),
    ],
)
def test_every_labelled_link_shows_where_it_really_goes(text, address):
    shown = for_display(f"see {text} now")
    assert shown == f"see <{address}> now"
    assert shown == quoted(f"see {text} now").removeprefix(">")
    assert "good.example" not in in_code_block(text)


def test_user_text_cannot_start_a_line_of_its_own():
    forged = "Site down\n*Resolved* by <@U0LEAD> after 2 min\n\n:white_check_mark: Acknowledged"
    shown = for_display(forged)
    first, *rest = shown.split("\n")
    assert first == "Site down" and rest and all(line.startswith(">") for line in rest)
    assert all(line.startswith(">") for line in quoted(forged).split("\n"))
    assert for_display("one line, *bold* and all") == "one line, *bold* and all"
    assert quoted("") == ">" and for_display(None) == ""


def test_code_blocks_keep_the_lines_and_cannot_be_closed_early():
    shown = in_code_block("line one\n```\n<!channel> *Resolved*")
    assert shown.split("\n")[0] == "line one" and "```" not in shown and "<!channel>" not in shown
