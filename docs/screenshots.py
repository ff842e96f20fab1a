"""Regenerate the README's screenshots: the face agent after one generated face, and a published model
card rendered to HTML. Needs ``make demo`` (outputs/demo) and Debian's chromium (``make test`` installs it).

    .venv/bin/python docs/screenshots.py --models outputs/demo --out docs
"""
from __future__ import annotations

import argparse
import socket
import tempfile
from pathlib import Path

from markdown_it import MarkdownIt
from playwright.sync_api import sync_playwright

from tdmm_hub.face_agent import FaceAgent
from tdmm_hub.face_agent_app import EXAMPLE_PROMPT, build_app
from tdmm_hub.publish import assemble

CHROMIUM = "/usr/bin/chromium"
CARD_STYLE = ("body{font-family:sans-serif;max-width:900px;margin:24px auto;line-height:1.45;color:#222}"
              "pre{background:#f4f4f6;padding:10px;overflow:hidden;font-size:12px}table{border-collapse:collapse}"
              "td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px}")


def card_html(card: Path) -> str:
    """The card as the Hub shows it: the YAML metadata in a box above the rendered Markdown."""
    _, header, body = card.read_text().split("---", 2)
    markdown = MarkdownIt("commonmark").enable("table")
    return f"<style>{CARD_STYLE}</style><pre>{header.strip()}</pre>{markdown.render(body)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=Path, default=Path("outputs/demo"))
    parser.add_argument("--out", type=Path, default=Path("docs"))
    args = parser.parse_args()
    agent = FaceAgent(args.models)
    app = build_app(agent)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, allowed_paths=[str(agent.workdir)])
    with tempfile.TemporaryDirectory() as scratch, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"http://127.0.0.1:{port}/", wait_until="domcontentloaded")
        page.locator("#message textarea").fill(EXAMPLE_PROMPT)
        page.locator("#send").click()
        page.wait_for_selector("#video video[src]", state="attached", timeout=300_000)
        page.wait_for_timeout(3000)
        page.screenshot(path=str(args.out / "face_agent.png"), full_page=True)
        plan = assemble(args.models / "l2m", Path(scratch) / "l2m", "someone/tdmm-l2m-demo")
        (Path(scratch) / "card.html").write_text(card_html(plan.folder / "README.md"))
        page.set_viewport_size({"width": 1000, "height": 900})
        page.goto(f"file://{scratch}/card.html")
        page.screenshot(path=str(args.out / "l2m_card.png"), full_page=True)
        browser.close()
    app.close()
    print(f"wrote {args.out / 'face_agent.png'} and {args.out / 'l2m_card.png'}")


if __name__ == "__main__":
    main()
