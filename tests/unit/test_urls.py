import pytest

from adtracker.base.limits import MAX_URL_CHARS
from adtracker.events.urls import check_beacon_url, normalize_origin, origin_of

ALLOWED = frozenset({"https://events.newtail-media.newtail.com.br", "http://127.0.0.1:8001"})
OK = "https://events.newtail-media.newtail.com.br/v1/beacon/click/abc?pos=1&x=%2F"


@pytest.mark.parametrize(
    ("url", "reason_part"),
    [
        (OK, None),
        ("http://127.0.0.1:8001/v1/beacon/click/a", None),
        ("HTTPS://EVENTS.newtail-media.newtail.com.br:443/v1/beacon/click/a", None),
        ("/v1/beacon/click/abc", "not absolute"),
        ("v1/beacon/click/abc", "not absolute"),
        ("//events.newtail-media.newtail.com.br/v1/beacon/click/a", "not absolute"),
        ("javascript:alert(1)", "scheme 'javascript'"),
        ("data:text/plain,hi", "scheme 'data'"),
        ("ftp://events.newtail-media.newtail.com.br/x", "scheme 'ftp'"),
        ("https://evil.example/v1/beacon/click/a", "not in data-beacon-origins"),
        (
            "https://events.newtail-media.newtail.com.br.evil.example/x",
            "not in data-beacon-origins",
        ),
        ("http://events.newtail-media.newtail.com.br/x", "not in data-beacon-origins"),
        ("http://127.0.0.1:8002/v1/beacon/click/a", "not in data-beacon-origins"),
        ("https://user:pw@events.newtail-media.newtail.com.br/x", "credentials"),
        ("https://evil.example@events.newtail-media.newtail.com.br/x", "credentials"),
        (" " + OK, "whitespace"),
        (OK + "\n", "whitespace"),
        ("https://events.newtail-media.newtail.com.br/a b", "character ' '"),
        ("https://evil.example\\@events.newtail-media.newtail.com.br/", "character '\\\\'"),
        ("https://events.newtail-media.newtail.com.br:99999/x", "does not parse"),
        ("not a url at all", "character ' '"),
        ("", "empty"),
        (OK + "&p=" + "a" * MAX_URL_CHARS, "characters long"),
        ("https:events.newtail-media.newtail.com.br/x", "not an absolute"),
        (None, "not text"),
        (42, "not text"),
    ],
)
def test_check_beacon_url(url: object, reason_part: str | None) -> None:
    verdict = check_beacon_url(url, ALLOWED)
    if reason_part is None:
        assert verdict.ok, verdict.reason
    else:
        assert not verdict.ok
        assert reason_part in verdict.reason


@pytest.mark.parametrize(
    ("raw", "origin"),
    [
        (
            "https://events.newtail-media.newtail.com.br",
            "https://events.newtail-media.newtail.com.br",
        ),
        ("https://Events.Example.COM/", "https://events.example.com"),
        ("https://a.example:443", "https://a.example"),
        ("http://a.example:80", "http://a.example"),
        ("http://127.0.0.1:8001", "http://127.0.0.1:8001"),
        ("http://[::1]:8001", "http://[::1]:8001"),
        ("https://a.example/path", None),
        ("https://a.example?q", None),
        ("https://u@a.example", None),
        ("a.example", None),
        ("ws://a.example", None),
        ("https://", None),
        ("", None),
        (5, None),
    ],
)
def test_normalize_origin(raw: object, origin: str | None) -> None:
    assert normalize_origin(raw) == origin


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://events.newtail-media.newtail.com.br/v1/beacon/click/x?pos=1",
         "https://events.newtail-media.newtail.com.br"),
        ("HTTPS://Events.Example.com:443/x", "https://events.example.com"),
        ("http://127.0.0.1:8001/v1/beacon/view/y", "http://127.0.0.1:8001"),
        ("http://[::1]:8001/x", "http://[::1]:8001"),
        ("http://a.example:99999/x", ""),  # a port that does not parse
    ],
)  # fmt: skip
def test_origin_of_an_accepted_url(url: str, origin: str) -> None:
    """The sender's key for the requests in flight and the origin's health."""
    assert origin_of(url) == origin
