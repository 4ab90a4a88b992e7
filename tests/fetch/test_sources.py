"""sources.yaml: what it may say, and the clear error for each thing it must not."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from search_service.errors import SourcesError
from search_service.fetch.sources import Source, load_sources, sources_from_urls


def write_sources(corpus: Path, text: str) -> Path:
    path = corpus / "sources.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_sources_are_read_with_their_patterns(corpus: Path) -> None:
    write_sources(
        corpus,
        "sources:\n"
        "  - url: https://www.site.org/sitemap.xml?utm_source=x\n"
        "    include: ['/en/*', '/fr/*']\n"
        "    exclude: '/en/tag/*'\n"
        "  - url: https://www.site.org/feed/\n",
    )

    sources = load_sources(corpus)

    assert sources == [
        Source(
            url="https://www.site.org/sitemap.xml",
            include=("/en/*", "/fr/*"),
            exclude=("/en/tag/*",),
        ),
        Source(url="https://www.site.org/feed/"),
    ]


def test_patterns_match_the_whole_path_and_exclude_wins() -> None:
    source = Source(url="https://site.org/", include=("/en/*",), exclude=("*/tag/*",))

    assert source.wants("/en/news/a/")
    assert not source.wants("/fr/actualites/a/")
    assert not source.wants("/en/tag/health/")
    assert Source(url="https://site.org/").wants("/anything/")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sources: [", "is not valid YAML"),
        ("- https://site.org/", "expected a mapping with a 'sources' list"),
        (
            "sources:\n  - url: ftp://site.org/x\n",
            "sources[0].url: the scheme 'ftp' is not fetched",
        ),
        ("sources:\n  - url: site.org/x\n", "sources[0].url: it is not an absolute URL"),
        ("sources:\n  - {}\n", "sources[0].url: Field required"),
        (
            "sources:\n  - url: https://site.org/\n    includes: ['/en/*']\n",
            "sources[0].includes: Extra inputs are not permitted",
        ),
        (
            "sources:\n  - url: https://site.org/\n    include: ['en/*']\n",
            "sources[0].include: 'en/*' must start with / or *",
        ),
        ("sites: []\n", "sites: Extra inputs are not permitted"),
        ("sources: []\n", "lists no sources: uncomment or add one"),
        ("# all commented\n", "lists no sources"),
    ],
)
def test_a_bad_sources_file_is_a_clear_error_naming_the_file(
    corpus: Path, text: str, message: str
) -> None:
    path = write_sources(corpus, text)

    with pytest.raises(SourcesError) as error:
        load_sources(corpus)

    assert message in str(error.value)
    assert str(path.resolve()) in str(error.value)


def test_no_sources_file_says_what_to_do(corpus: Path) -> None:
    with pytest.raises(SourcesError, match=r"no URL given and no sources file .*sources\.yaml"):
        load_sources(corpus)


def test_a_bad_url_on_the_command_line_is_refused_before_anything_is_fetched() -> None:
    with pytest.raises(SourcesError, match=re.escape("'gopher://x' is not a URL")):
        sources_from_urls(["https://site.org/sitemap.xml", "gopher://x"])


def test_the_shipped_sources_file_fetches_nothing_until_an_admin_uncomments_it(
    shipped_corpus: Path,
) -> None:
    with pytest.raises(SourcesError, match="lists no sources"):
        load_sources(shipped_corpus)


def test_the_shipped_example_is_valid_once_uncommented(
    shipped_corpus: Path, tmp_path: Path
) -> None:
    lines = (shipped_corpus / "sources.yaml").read_text(encoding="utf-8").splitlines()
    start = lines.index("# sources:")
    example = "\n".join(
        line.removeprefix("# ")
        for line in lines[start:]
        if line.startswith("# ") and not line.lstrip("# ").startswith("#")
    )
    write_sources(tmp_path, example)

    sources = load_sources(tmp_path)

    assert [source.url for source in sources] == [
        "https://www.educationsolidarite.org/robots.txt",
        "https://www.educationsolidarite.org/feed/",
        "https://www.educationsolidarite.org/en/feed/",
        "https://www.educationsolidarite.org/es/feed/",
    ]
    site = sources[0]
    assert site.wants("/en/mobilising-health-for-world-teachers-day/")
    assert site.wants("/heureuse-annee-2022/")
    assert site.wants("/es/quienes-somos")
    assert not site.wants("/category/actualites/")
    assert not site.wants("/en/tag/health/")
    assert not site.wants("/wp-admin/")
