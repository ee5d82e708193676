"""The bundled demo: a small MediaWiki export of a January 2024 course, and who that course enrolls.

`demo-wiki.xml` is written by `python -m wikicourse.demo.generate --demo OUT.xml`
(see `wikicourse.demo.generate.generate_demo`); regenerating it gives the same bytes.
"""
from datetime import date
from pathlib import Path

DEMO_XML: Path = Path(__file__).with_name("demo-wiki.xml")
# A reserved top-level domain: nothing resolves it, so a misconfigured demo never reaches a real wiki.
DEMO_WIKI = "demo.wikicourse.invalid"
DEMO_START = date(2024, 1, 1)  # the course period, inclusive
DEMO_END = date(2024, 1, 31)

DEMO_STUDENTS: list[str] = [
    "Amara Okafor", "Lena Fischer", "Tomás Ibáñez", "Zofia Wiśniewska",
    "Priya Raman", "Ólafur Jónsson", "Jonas Berg", "Mei Chen",
]
DEMO_INSTRUCTOR: list[str] = ["Helen Carter (Wiki Ed)"]
# Edit the same wiki (sometimes the same articles) but are never enrolled.
DEMO_OTHERS: list[str] = ["Rafael Souza", "Kenji Watanabe"]
