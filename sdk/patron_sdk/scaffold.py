"""Render a plugin distribution from the Jinja2 templates in ``patron_sdk/templates/plugin``.

Paths and contents are both templates: ``{{package}}`` in a file name becomes the
import package, and a trailing ``.j2`` is dropped. A vertical pre-fills the
domain example the plugin is built around (its table, scoring model and report).
"""

from __future__ import annotations

import keyword
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from patron.errors import InputError

TEMPLATES = Path(__file__).parent / "templates" / "plugin"
NAME_RE = re.compile(r"^[a-z][a-z0-9_]{1,30}$")
RESERVED = {"core", "sdk", "patron", "test", "tests"}


@dataclass(frozen=True)
class Vertical:
    """The domain example a scaffolded plugin is built around."""

    key: str
    table: str  # suffix of the plugin's first table
    category: str  # the column the report groups by
    category_help: str
    examples: tuple[str, ...]
    model: str  # suffix of the scoring model's name
    model_description: str
    model_kind: str  # "basket" | "count" | "holdings"
    report: str  # suffix of the report's name
    report_title: str


VERTICALS = {
    "generic": Vertical(
        "generic",
        "tags",
        "tag",
        "a free-form tag",
        ("newsletter", "vip", "wholesale"),
        "purchase-count",
        "Number of purchases before as_of.",
        "count",
        "tags",
        "Customers by tag",
    ),
    "retail": Vertical(
        "retail",
        "favourite_stores",
        "store",
        "the customer's favourite store",
        ("lyon-centre", "porto-baixa"),
        "basket-size",
        "Average basket (purchase amount in minor units) before as_of.",
        "basket",
        "basket-size",
        "Basket size and favourite stores",
    ),
    "banking": Vertical(
        "banking",
        "holdings",
        "product",
        "a product the customer holds",
        ("current-account", "savings", "mortgage"),
        "product-holdings",
        "Number of products held before as_of.",
        "holdings",
        "product-holdings",
        "Product holdings",
    ),
    "manufacturing": Vertical(
        "manufacturing",
        "contact_roles",
        "role",
        "the contact's role in the account",
        ("buyer", "engineer", "approver"),
        "account-activity",
        "Interactions with the account contact before as_of.",
        "count",
        "contact-roles",
        "Contacts by role",
    ),
}


def check_plugin_name(name: str) -> None:
    """Raise InputError unless ``name`` can be a plugin, entry point and package suffix."""
    if not NAME_RE.match(name) or keyword.iskeyword(name):
        raise InputError(
            f"plugin name {name!r} is not valid: use 2-31 lower-case letters, digits and '_', "
            "starting with a letter (e.g. 'acme_loyalty'); it becomes the entry point, "
            "the import package patron_<name> and the distribution patron-<name>"
        )
    if name in RESERVED:
        raise InputError(f"plugin name {name!r} is reserved; choose another name")


def render_plugin(name: str, directory: Path, *, vertical: str = "generic", author: str = "Your Name") -> Path:
    """Write ``directory/patron-<name>/`` and return its path; nothing is written on bad input."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    from patron import CONTRACT_VERSION, __version__
    from patron.registry import installed_plugins

    check_plugin_name(name)
    if vertical not in VERTICALS:
        raise InputError(f"unknown vertical {vertical!r}; choose one of {', '.join(VERTICALS)}")
    if name in installed_plugins():
        raise InputError(f'a plugin named "{name}" is already installed in this environment; choose another name')
    dist = f"patron-{name.replace('_', '-')}"
    target = directory / dist
    if target.exists():
        raise InputError(f"{target} already exists; remove it or choose another --dir or name")
    major, minor = (int(p) for p in __version__.split(".")[:2])
    context = {
        "name": name,
        "package": f"patron_{name}",
        "dist": dist,
        "title": name.replace("_", " ").title(),
        "class_prefix": "".join(part.title() for part in name.split("_")),
        "author": author,
        "contract": CONTRACT_VERSION,
        "patron_range": f">={major}.{minor},<{major}.{minor + 1}",
        "v": asdict(VERTICALS[vertical]),
    }
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )
    files: dict[Path, str] = {}
    for template in sorted(TEMPLATES.rglob("*")):
        if template.is_dir() or "__pycache__" in template.parts:
            continue
        relative = template.relative_to(TEMPLATES).as_posix()
        out = env.from_string(relative).render(context).removesuffix(".j2")
        files[target / out] = env.get_template(relative).render(context)
    # Render everything first so a template error leaves no half-written directory.
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return target
