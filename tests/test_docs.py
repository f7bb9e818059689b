"""The documentation travels with the repository: README.md, docs/ and the folders' READMEs link only to files
of this repository (and to headings that exist in them) or to web addresses, never to a folder beside the
clone."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCUMENTS = sorted(
    [REPO / "README.md", REPO / "pwa" / "README.md", REPO / "bench" / "README.md", *(REPO / "docs").glob("*.md")]
)

FENCED = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"`[^`\n]*`")
# [text](target "title"), ![alt](target), and reference definitions `[name]: target`.
INLINE_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE = re.compile(r"^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", re.MULTILINE)
HTML_LINK = re.compile(r"""<(?:a|img)\b[^>]*?\b(?:href|src)\s*=\s*["']([^"']*)["']""", re.IGNORECASE)


def prose(document: Path) -> str:
    """The text a reader follows links in: code blocks and code spans name paths, they do not link."""
    return INLINE_CODE.sub("", FENCED.sub("", document.read_text(encoding="utf-8")))


def links(document: Path) -> list[str]:
    text = prose(document)
    return [*INLINE_LINK.findall(text), *REFERENCE.findall(text), *HTML_LINK.findall(text)]


def anchors(document: Path) -> set[str]:
    """The fragment of each heading, as GitHub makes it: lower case, punctuation dropped, spaces to hyphens."""
    found: set[str] = set()
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*#*\s*$", prose(document), re.MULTILINE):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        while slug in found:  # a repeated heading gets -1, -2, …
            slug = re.sub(r"(-\d+)?$", lambda m: f"-{int(m.group(0)[1:] or 0) + 1}", slug, count=1)
        found.add(slug)
    return found


def broken(document: Path, target: str) -> str | None:
    """Why `target`, a link in `document`, leads nowhere in the repository; None when it is fine."""
    if re.match(r"https?://", target):
        return None
    if re.match(r"[a-z][a-z0-9+.-]*:", target, re.IGNORECASE) or target.startswith("/"):
        return "neither a web address nor a path inside the repository"
    path, _, fragment = target.partition("#")
    file = (document.parent / path).resolve() if path else document
    if not file.is_relative_to(REPO):
        return "outside the repository"
    if not file.exists():
        return "no such file"
    if fragment and file.suffix == ".md" and fragment.lower() not in anchors(file):
        return f"no heading #{fragment} in {file.relative_to(REPO)}"
    return None


def test_the_documents_are_there() -> None:
    names = {document.relative_to(REPO).as_posix() for document in DOCUMENTS}
    assert {"README.md", "docs/README.md", "docs/sync.md", "docs/api.md", "docs/deployment.md"} <= names
    assert all(links(document) for document in DOCUMENTS if document.parent.name == "docs")


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda document: document.relative_to(REPO).as_posix())
def test_links_lead_to_files_of_the_repository_or_to_the_web(document: Path) -> None:
    problems = [(target, why) for target in links(document) if (why := broken(document, target))]
    assert problems == []
    # Nor does the prose send readers to a folder beside the clone or to one machine's paths.
    assert not re.search(r"\.\./shared|/work/", document.read_text(encoding="utf-8"))


def test_broken_links_are_caught() -> None:
    page = REPO / "docs" / "README.md"
    assert broken(page, "sync.md#limits") is None
    assert broken(page, "../backend/settings.py") is None
    assert broken(page, "https://example.com/x") is None
    assert broken(page, "#the-pwas-test-hooks") is None
    assert broken(page, "../../shared/SYNC.md") == "outside the repository"
    assert broken(page, "missing.md") == "no such file"
    assert broken(page, "sync.md#no-such-heading") == "no heading #no-such-heading in docs/sync.md"
    assert broken(page, "/work/shared/CONTRACT.md") is not None
    assert broken(page, "file:///etc/passwd") is not None


def test_docs_name_every_field_of_every_synced_entity():
    """docs/sync.md's table of shapes on the wire names each field of each entity's declared shape (the typed
    shape the pull sends): a field added to a shape without a word in the protocol's description fails here."""
    import typing

    import msgspec

    import backend.models  # noqa: F401  (every synced entity's declaration)
    from backend.sync.registry import ENTITIES

    text = (REPO / "docs" / "sync.md").read_text(encoding="utf-8")
    section = text[text.index("## Shapes on the wire") : text.index("## Limits")]
    documented = {
        row.group(1): set(re.findall(r"`(\w+)`", row.group(2)))
        for row in re.finditer(r"^\| `(\w+)` \|(.*)$", section, re.MULTILINE)
    }
    undocumented = {}
    for name, entity in ENTITIES.items():
        shape = typing.get_type_hints(entity.shape)["return"]
        fields = {f.name for f in msgspec.structs.fields(shape)} - {"id", "version", "updated_at"}
        if missing := fields - documented.get(name, set()):
            undocumented[name] = sorted(missing)
    assert undocumented == {}
