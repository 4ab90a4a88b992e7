"""One spelling per page: the URL normalisation the fetch compares, requests and saves by."""

from __future__ import annotations

import pytest

from search_service.fetch.urls import InvalidUrlError, normalise_url, page_key, same_site


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (
            "https://site.org/en/a/?utm_source=rss&utm_medium=feed&utm_campaign=x",
            "https://site.org/en/a/",
        ),
        (
            "https://site.org/en/a/?fbclid=IwAR0&gclid=1&msclkid=2&mc_cid=3",
            "https://site.org/en/a/",
        ),
        ("https://site.org/en/a/?UTM_Source=x&page=2", "https://site.org/en/a/?page=2"),
        ("https://site.org/en/a/#comments", "https://site.org/en/a/"),
        ("HTTPS://Site.ORG:443/en/a/", "https://site.org/en/a/"),
        ("http://site.org:80/en/a/", "http://site.org/en/a/"),
        ("http://site.org:8080/en/a/", "http://site.org:8080/en/a/"),
        ("https://site.org", "https://site.org/"),
        ("https://site.org/fr/actualit%c3%a9s/", "https://site.org/fr/actualit%C3%A9s/"),
        ("https://site.org/fr/actualités/", "https://site.org/fr/actualit%C3%A9s/"),
        ("https://site.org/a/./b/../c/", "https://site.org/a/c/"),
        ("https://site.org/list/?b=2&a=1", "https://site.org/list/?a=1&b=2"),
        ("  https://site.org/en/a  ", "https://site.org/en/a"),
    ],
)
def test_urls_are_normalised_to_one_spelling(given: str, expected: str) -> None:
    assert normalise_url(given) == expected


def test_a_trailing_slash_is_kept_as_the_site_wrote_it() -> None:
    assert normalise_url("https://site.org/en/a") == "https://site.org/en/a"
    assert normalise_url("https://site.org/en/a/") == "https://site.org/en/a/"


def test_relative_urls_are_resolved_against_their_base() -> None:
    assert normalise_url("../b/?utm_source=x", base="https://site.org/en/a/") == (
        "https://site.org/en/b/"
    )


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        ("ftp://site.org/file", "the scheme 'ftp' is not fetched (only http and https)"),
        ("mailto:someone@site.org", "the scheme 'mailto' is not fetched (only http and https)"),
        ("javascript:alert(1)", "the scheme 'javascript' is not fetched (only http and https)"),
        ("site.org/en/", "it is not an absolute URL (only http and https)"),
        ("https:///en/", "it has no host"),
        ("http://site.org:99999/", "Port out of range 0-65535"),
    ],
)
def test_anything_but_an_http_url_with_a_host_is_refused(given: str, reason: str) -> None:
    with pytest.raises(InvalidUrlError) as error:
        normalise_url(given)
    assert error.value.reason == reason
    assert given in str(error.value)


def test_the_www_host_and_the_scheme_do_not_make_another_page() -> None:
    assert page_key("http://www.site.org/en/a/") == page_key("https://site.org/en/a/")
    assert page_key("https://site.org/en/a/") != page_key("https://site.org/en/b/")
    assert page_key("https://site.org/en/a/?page=2") != page_key("https://site.org/en/a/")
    assert same_site("https://www.site.org/", "http://site.org/x")
    assert not same_site("https://site.org/", "https://other.org/")
    assert not same_site("https://site.org:8080/", "https://site.org/")
