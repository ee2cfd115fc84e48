"""Turn notice bodies into plain lines, the one shape the notice parsers read.

CM/ECF sends the same notice as HTML or as plain text. Rendering the HTML to
lines ("Case Name: ...", "Docket Text:", ...) lets one parser read both.
"""

import re
from html.parser import HTMLParser

# Link targets are written into the rendered text between these two
# private-use characters, so the parsers can find doc1 links without treating
# the link as part of the docket text. Notices never contain these characters.
LINK_START = "\ue000"
LINK_END = "\ue001"

_LINK_RE = re.compile(f"{LINK_START}([^{LINK_END}]*){LINK_END}")
_URL_RE = re.compile(rf"https?://[^\s{LINK_START}{LINK_END}<>\"']+")
# Only ASCII whitespace: a no-break space separates a district recipient's
# name from the addresses, so it must survive rendering.
_ASCII_SPACE_RE = re.compile(r"[ \t\r\n\f\v]+")
_ANY_SPACE_RE = re.compile(r"\s+")
# Formatting tags that some plain-text notices carry literally ("<b>ORDER").
_PLAIN_TEXT_TAG_RE = re.compile(r"</?(?:b|i|u|p|br|font|strong|em)\b[^>]*>", re.I)

_LINE_BREAK_TAGS = frozenset(
    {
        "blockquote",
        "br",
        "center",
        "div",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "li",
        "ol",
        "p",
        "table",
        "tbody",
        "tr",
        "ul",
    }
)
_CELL_TAGS = frozenset({"td", "th"})
# html.parser delivers the content of these as raw text, never as tags, so a
# link written by a script cannot become a document link.
_SKIPPED_TAGS = frozenset({"script", "style"})


class _Renderer(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipped_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_TAGS:
            self._skipped_depth += 1
            return
        if tag in _LINE_BREAK_TAGS:
            self.parts.append("\n")
        elif tag in _CELL_TAGS:
            self.parts.append(" ")
        elif tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.parts.append(f"{LINK_START}{href.strip()}{LINK_END}")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TAGS:
            self._skipped_depth = max(0, self._skipped_depth - 1)
        elif tag in _LINE_BREAK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._skipped_depth:
            return
        self.parts.append(_ASCII_SPACE_RE.sub(" ", data))


def render_html(markup: str) -> str:
    """Render HTML as text lines: block tags and <br> end a line.

    Table cells of one row share a line, so "Case Name:" and its value do.
    """
    renderer = _Renderer()
    renderer.feed(markup)
    renderer.close()
    lines = "".join(renderer.parts).split("\n")
    return "\n".join(line.strip() for line in lines)


def normalize_plain_text(text: str) -> str:
    """Return a text/plain body in the line shape ``render_html`` produces."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(_PLAIN_TEXT_TAG_RE.sub("", line).strip() for line in lines)


def links_in(text: str) -> list[str]:
    """Return the link targets and bare URLs in rendered text, in order."""
    found: list[tuple[int, str]] = []
    for match in _LINK_RE.finditer(text):
        found.append((match.start(), match.group(1)))
    without_links = _LINK_RE.sub(lambda m: " " * len(m.group(0)), text)
    for match in _URL_RE.finditer(without_links):
        found.append((match.start(), match.group(0)))
    return [url for _, url in sorted(found)]


def strip_links(text: str) -> str:
    return _LINK_RE.sub("", text)


def collapse_spaces(text: str) -> str:
    """Join text onto one line with single spaces, no-break spaces included."""
    return _ANY_SPACE_RE.sub(" ", strip_links(text)).strip()
