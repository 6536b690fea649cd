"""Is this page a JavaScript shell: an article the browser builds, not the server?

A site that renders its article with script sends a page whose markup holds
little readable text and plenty of script (or an empty mount point such as
``<div id="root"></div>``, or a ``<noscript>`` asking for JavaScript). A plain
fetch of it extracts nothing, for ever; fetching it through the browser
(``render = "browser"``, spiders/browser.py) does. Pure: HTML in, a yes or no out.
"""

from __future__ import annotations

import re

import lxml.html
from lxml.etree import ParserError

HINT = "renders with JavaScript: try `--render browser`"

# A page with more visible text than this is not a shell, whatever its scripts.
MAX_SHELL_TEXT = 1500
_MOUNT = re.compile(r"^(root|app|__next|__nuxt|main-app|react-root|svelte)$", re.IGNORECASE)
_ASKS_FOR_JS = re.compile(r"javascript", re.IGNORECASE)


def script_built(html: str) -> bool:
    """True when the page's text is missing and script is what would make it."""
    try:
        tree = lxml.html.document_fromstring(html)
    except (ParserError, ValueError):
        return False
    scripts = tree.xpath("//script")
    if not scripts:
        return False
    script_chars = sum(len(s.text or "") for s in scripts)
    external = sum(1 for s in scripts if s.get("src"))
    noscript = " ".join(n.text_content() for n in tree.xpath("//noscript"))
    for node in tree.xpath("//script | //style | //noscript | //template"):
        node.drop_tree()
    body = tree.find("body")
    text = " ".join((body.text_content() if body is not None else "").split())
    if len(text) > MAX_SHELL_TEXT:
        return False
    # An empty element a script fills: an app's root, or a named box where the story should be.
    mount = any(
        not node.text_content().strip() and len(node) == 0 and (_MOUNT.match(node.get("id", "")) or inside)
        for node, inside in (
            *((n, False) for n in tree.xpath("//body//*[@id]")),
            *((n, True) for n in tree.xpath("//article//*[@id or @class] | //main//*[@id or @class]")),
        )
        if node.tag in ("div", "main", "section", "article")
    )
    return mount or bool(_ASKS_FOR_JS.search(noscript)) or script_chars > len(text) or external >= 3
