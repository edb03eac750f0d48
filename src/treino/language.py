"""The language of treino's messages: Brazilian Portuguese (``'pt'``) or English (``'en'``).

Functions that speak to the user (the training doctor, the plots' labels,
``treino.explain``) take ``lang='pt'|'en'``; ``None`` picks it from the locale:
``LC_ALL`` / ``LC_MESSAGES`` / ``LANG`` naming Portuguese (``pt_BR.UTF-8``) give
``'pt'``, another named language gives ``'en'``, and no locale at all (``C``,
``POSIX``, unset) gives ``'pt'`` — the course's language comes first.
"""

from __future__ import annotations

import os

LANGUAGES = ("pt", "en")


def resolve_lang(lang: str | None = None) -> str:
    """``lang`` checked, or the locale's language when None.

    >>> resolve_lang("en")
    'en'
    >>> resolve_lang("fr")
    Traceback (most recent call last):
    ...
    ValueError: lang must be 'pt' or 'en'; received 'fr'
    """
    if lang is None:
        return locale_lang()
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be 'pt' or 'en'; received {lang!r}")
    return lang


def locale_lang(environ=None) -> str:
    """``'pt'`` or ``'en'`` from the first locale variable that is set.

    >>> locale_lang({"LANG": "en_US.UTF-8"}), locale_lang({"LANG": "pt_BR.UTF-8"})
    ('en', 'pt')
    >>> locale_lang({"LANG": "C.UTF-8"}), locale_lang({})
    ('pt', 'pt')
    """
    environ = os.environ if environ is None else environ
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(variable, "")
        if value:
            language = value.split(".")[0].split("_")[0].lower()
            if language in ("c", "posix"):
                return "pt"
            return "pt" if language == "pt" else "en"
    return "pt"
