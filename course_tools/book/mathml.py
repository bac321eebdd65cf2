"""Pre-render the LaTeX of rendered Markdown to MathML, so pages need no MathJax or network.

Browsers draw MathML natively. Math is found in the text of rendered Markdown (never inside
``<code>`` or ``<pre>``): ``$$...$$`` and ``\\[...\\]`` become display math, ``$...$`` and
``\\(...\\)`` inline math.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, NavigableString, Tag
from latex2mathml.converter import convert

MATH = re.compile(
    r"\$\$(?P<display>.+?)\$\$"
    r"|\\\[(?P<bracket>.+?)\\\]"
    r"|\\\((?P<paren>.+?)\\\)"
    r"|(?<![\\$])\$(?!\s)(?P<inline>.+?)(?<![\s\\])\$",
    re.S,
)
#: latex2mathml keeps ``\_`` inside ``\text{}`` literally; TeX means an underscore.
ESCAPED_UNDERSCORE = re.compile(r"\\_")


class MathError(ValueError):
    """A formula that could not be converted; the message names it."""


def tex_to_mathml(tex: str, display: bool) -> str:
    """The MathML of one formula (without its ``$`` delimiters).

    Raises:
        MathError: when the TeX cannot be parsed.
    """
    try:
        return convert(
            ESCAPED_UNDERSCORE.sub("_", tex.strip()), display="block" if display else "inline"
        )
    except Exception as error:  # latex2mathml raises many exception types
        raise MathError(f"cannot render the formula {tex!r}: {error}") from error


def _replace(text: str) -> str | None:
    """``text`` with every formula as MathML (HTML-escaped prose), or None without math."""
    pieces: list[str] = []
    last = 0
    for match in MATH.finditer(text):
        display = match.group("display") or match.group("bracket")
        tex = display if display is not None else (match.group("paren") or match.group("inline"))
        pieces.append(_escape(text[last : match.start()]))
        pieces.append(tex_to_mathml(tex, display=display is not None))
        last = match.end()
    if not pieces:
        return None
    pieces.append(_escape(text[last:]))
    return "".join(pieces)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render_math(element: Tag) -> int:
    """Replace the formulas in ``element``'s text (in place) by MathML; return how many.

    Raises:
        MathError: for a formula that cannot be rendered.
    """
    count = 0
    for text in list(element.find_all(string=True)):
        if not isinstance(text, NavigableString) or text.find_parent(["code", "pre", "math"]):
            continue
        html = _replace(str(text))
        if html is None:
            continue
        count += html.count("<math")
        fragment = BeautifulSoup(html, "html.parser")
        text.replace_with(*fragment.contents)
    return count


def unrendered_math(element: Tag) -> list[str]:
    """Text outside code that still looks like TeX (``$...$``, ``\\frac`` ...): should be empty."""
    left = []
    for text in element.find_all(string=True):
        if text.find_parent(["code", "pre", "math", "script", "style"]):
            continue
        if MATH.search(text) or re.search(r"\\(frac|sum|mathbf|begin)\b", text):
            left.append(str(text).strip()[:80])
    return left
