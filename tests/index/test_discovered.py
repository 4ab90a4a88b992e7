"""The build and the organisations discovered in the corpus: report, status, and the
generation's vocabulary that the search reads them from."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from search_service import cli
from search_service.index import generations
from search_service.index.build import build_index
from search_service.ingest.vocabulary import Vocabulary


@pytest.fixture
def corpus(tmp_path: Path, vocabulary_dir: Path) -> Path:
    root = tmp_path / "corpus"
    shutil.copytree(vocabulary_dir, root / "vocabulary")
    texts = {
        "a.md": "The Kayes Teachers Union (KTU) met AIM in Bamako.",
        "b.md": "The KTU and the Teachers Solidarity Foundation signed.",
        "c.md": "La Mutuelle des Enseignants de la Ville a parlé.",
    }
    for name, text in texts.items():
        (root / name).write_text(f"---\nlanguage: en\n---\n{text}\n", encoding="utf-8")
    return root


def test_the_build_reports_partners_from_the_vocabulary_and_discovered(
    corpus: Path, index_root: Path
) -> None:
    report = build_index(corpus, index_root)
    assert (report.partners_vocabulary, report.partners_discovered) == (1, 1)  # AIM; KTU
    assert report.partners_proposed == 2
    assert (
        "  partners: 1 from the vocabulary, 1 discovered in the corpus "
        "(2 more proposed: `search-service corpus organisations`)"
    ) in report.summary_lines()


def test_the_generation_holds_the_discovered_organisations_for_the_search(
    corpus: Path, index_root: Path
) -> None:
    build_index(corpus, index_root)
    live = generations.live_generation(index_root)
    assert live is not None
    discovered = yaml.safe_load((live.path / "vocabulary" / "discovered.yaml").read_text("utf-8"))
    assert discovered == {
        "partners": [{"canonical": "KTU", "acronyms": ["KTU"], "names": ["Kayes Teachers Union"]}]
    }
    # A vocabulary read from there knows the acronym and its long name as one partner.
    folder = live.path / "vocabulary"
    shutil.copy(corpus / "vocabulary" / "partners.yaml", folder / "partners.yaml")
    vocabulary = Vocabulary.load(folder)
    assert vocabulary.find_partners("the Kayes Teachers Union") == ["KTU"]
    assert "Kayes Teachers Union" in vocabulary.entry("partner", "KTU").aliases


def test_status_says_where_the_partners_come_from(
    corpus: Path, index_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    build_index(corpus, index_root)
    assert cli.main(["index", "status", "--index", str(index_root)]) == 0
    out = capsys.readouterr().out
    assert "  partners: 1 from the vocabulary, 1 discovered in the corpus, 2 proposed" in out
    assert cli.main(["index", "status", "--index", str(index_root), "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["live"]["partners"] == {"vocabulary": 1, "discovered": 1, "proposed": 2}


def test_the_discovered_organisations_are_part_of_the_generation_s_vocabulary_record(
    corpus: Path, index_root: Path
) -> None:
    first = build_index(corpus, index_root)
    live = generations.live_generation(index_root)
    assert live is not None
    assert live.manifest["vocabulary"]["files"] == [
        "countries.yaml",
        "discovered.yaml",
        "partners.yaml",
        "synonyms.yaml",  # the shipped vocabulary's, copied with the rest
    ]
    assert build_index(corpus, index_root).up_to_date  # the same discovery, the same digest
    (corpus / "d.md").write_text("---\nlanguage: en\n---\nThe KTU again.\n", encoding="utf-8")
    again = build_index(corpus, index_root)
    assert again.generation is not None and again.generation != first.generation
