"""The ceiling: a bare Flask + Jinja2 app that renders a page of a given byte size.

No database, no sessions, no extensions: a template that loops over rows of data shaped like
ours (code, linked name, description, price) inside a page layout, padded to the exact size of
the page it stands beside. Run under the same gunicorn settings as the app, it measures what
Flask itself can do on this machine, so each of our figures is a ratio to it.

``GET|POST /page/<size>`` answers a full page of ``size`` bytes; ``/health`` answers "ok".
"""

from __future__ import annotations

from decimal import Decimal

from flask import Flask, Response, render_template
from jinja2 import DictLoader

app = Flask(__name__)

ROWS = [
    {
        "id": n,
        "code": f"REF-{n:04d}",
        "name": f"Reference Service {n:04d}",
        "description": "A reference row with a plain description, as long as a catalogue "
        "entry's first line.",
        "price": Decimal(1000 + n * 7) / 100,
    }
    for n in range(1, 5001)
]

TEMPLATE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<link rel="stylesheet" href="/static/app.css">
</head>
<body>
<header><nav aria-label="Main"><a href="/">Home</a> <a href="/catalogue">Catalogue</a>
<a href="/basket">Basket</a></nav></header>
<main id="main">
<h1>{{ title }}</h1>
<table>
<thead><tr><th scope="col">Code</th><th scope="col">Name</th><th scope="col">Description</th>
<th scope="col">Price</th></tr></thead>
<tbody>
{% for row in rows %}
<tr><td>{{ row.code }}</td><td><a href="/product/{{ row.id }}">{{ row.name }}</a></td>
<td>{{ row.description }}</td><td>{{ row.price|money }}</td></tr>
{% endfor %}
</tbody>
</table>
</main>
<!--{{ padding }}-->
</body>
</html>
"""


# The template is a file to Flask, as an app's templates are: compiled on first use and kept
# in the environment's cache (``render_template_string`` would compile it on every request,
# 1.4 ms of a 2 ms request here: a ceiling 2-4x too low, which every ratio before 2026-12-01
# was measured against).
app.jinja_loader = DictLoader({"page.html": TEMPLATE})


@app.template_filter("money")
def money(value: Decimal) -> str:
    return f"€{value:,.2f}"


_layout: dict[int, tuple[int, int]] = {}  # size -> (rows, padding)


def _render(rows: int, padding: int) -> str:
    return render_template(
        "page.html", title="Reference page", rows=ROWS[:rows], padding=" " * padding
    )


def _layout_for(size: int) -> tuple[int, int]:
    """The most rows that fit in ``size`` bytes (a binary search: a dozen renders, once per
    size and worker), and the padding that makes up the rest."""
    if size not in _layout:
        low, high = 0, len(ROWS)
        while low < high:
            middle = (low + high + 1) // 2
            if len(_render(middle, 0).encode()) <= size:
                low = middle
            else:
                high = middle - 1
        _layout[size] = (low, max(0, size - len(_render(low, 0).encode())))
    return _layout[size]


@app.route("/page/<int:size>", methods=["GET", "POST"])
def page(size: int):
    rows, padding = _layout_for(size)
    return Response(_render(rows, padding), mimetype="text/html")


@app.route("/health")
def health():
    return "ok"
