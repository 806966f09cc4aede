"""The HTML report: user strings are escaped, and the page renders in a real browser."""

from __future__ import annotations

import html
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from autometa.report import analyze_dataset, render_html, write_html

HOSTILE = "<script>alert(1)</script>"
LABELS = ["<b>bold</b>", "a & b", "$100", "plain"]


def _hostile_data(n: int = 120):
    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {
            HOSTILE: rng.normal(size=n),
            'quote"s': rng.choice(["x", "<y>"], n),
            "holes": np.where(rng.random(n) < 0.2, np.nan, rng.normal(size=n)),
        }
    )
    y = pd.Series(np.array(LABELS)[rng.integers(0, len(LABELS), n)], name="t<a>rget")
    return X, y


class _Text(HTMLParser):
    """The text a browser shows, and the element names used."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)

    def handle_data(self, data):
        self.text.append(data)


def _parse(page: str) -> _Text:
    parser = _Text()
    parser.feed(page)
    return parser


@pytest.fixture(scope="module")
def hostile_page() -> str:
    X, y = _hostile_data()
    report = analyze_dataset(X, y, name="<img src=x onerror=alert(2)>.csv", target=str(y.name))
    return render_html(report)


def test_user_strings_are_escaped(hostile_page):
    assert HOSTILE not in hostile_page
    assert html.escape(HOSTILE) in hostile_page
    assert "<img src=x" not in hostile_page and "<b>bold</b>" not in hostile_page
    parsed = _parse(hostile_page)
    # No element comes from the data: only the page's own tags.
    assert "script" not in parsed.tags and "b" in parsed.tags  # <b> is used by the page itself
    text = "".join(parsed.text)
    for shown in [HOSTILE, *LABELS, "<img src=x onerror=alert(2)>.csv", "t<a>rget", 'quote"s']:
        assert shown in text, shown


def test_page_is_self_contained(hostile_page):
    assert "<link" not in hostile_page and "<script" not in hostile_page
    assert "http://" not in hostile_page and "https://" not in hostile_page
    assert hostile_page.count('src="data:image/png;base64,') >= 3


def test_render_html_rejects_other_objects():
    with pytest.raises(TypeError, match="DatasetReport or a FitReport"):
        render_html({"not": "a report"})


# --------------------------------------------------------------------------- Chromium
def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


def _run_chromium(binary: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [
        binary,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        *args,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=90)


@pytest.fixture(scope="module")
def chromium() -> str:
    binary = _chromium()
    if binary is None:
        pytest.skip(
            "Chromium is not installed (Debian: apt-get install -y chromium); "
            "the browser rendering test needs it"
        )
    return binary


def test_page_renders_in_chromium(tmp_path, hostile_page, chromium):
    from PIL import Image

    page = tmp_path / "report.html"
    page.write_text(hostile_page, encoding="utf-8")
    url = page.resolve().as_uri()
    dom = _run_chromium(chromium, tmp_path / "profile", "--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    parsed = _parse(dom.stdout)
    assert "script" not in parsed.tags
    text = " ".join("".join(parsed.text).split())
    assert "autometa report" in text and HOSTILE in text and "Tiny-data fallback" in text
    assert "img" in parsed.tags

    shot = tmp_path / "shot.png"
    done = _run_chromium(
        chromium,
        tmp_path / "profile",
        "--window-size=1200,2400",
        "--hide-scrollbars",
        f"--screenshot={shot}",
        url,
    )
    assert done.returncode == 0 and shot.exists(), done.stderr[-2000:]
    image = np.asarray(Image.open(shot).convert("RGB"))
    assert image.shape[:2] == (2400, 1200)
    # A rendered page, not a blank one: many colours (the plots), and ink on the white body.
    colours = np.unique(image.reshape(-1, 3)[::7], axis=0)
    assert len(colours) > 200
    dark = (image.sum(axis=2) < 200).mean()
    assert 0.001 < dark < 0.5


def test_write_html_creates_the_folder(tmp_path):
    X, y = _hostile_data(40)
    report = analyze_dataset(X, y, name="small", prior=None)
    path = write_html(report, tmp_path / "a" / "b" / "r.html")
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
