"""Library titles that could pass the title gate for a track title, without reading every title.

``title_similarity`` passes two titles when their word sets overlap by TITLE_GATE (Jaccard), or
when they are equal up to spaces or text-speak; ``short_title`` when one begins with the other's
three or more words; ``transliteration_similarity`` for romanisations. Each test has a lookup that
finds every title it can pass, so the cost of a search follows the number of titles that are
really near, not the number sharing a common word: "Love" is looked up as the word set {love}
among hundreds of thousands of titles holding "love".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from fractions import Fraction
from itertools import combinations, permutations
from math import comb
import re

from .normalize import drop_article
from .postings import file_under, seal
from .similarity import (
    CATALOGUE,
    TEXTESE,
    short_title,
    skeleton,
    textese,
    title_similarity,
    transliteration_similarity,
)
from .thresholds import SHORT_TITLE_WORDS, SKELETON_MIN, TITLE_GATE

# TITLE_GATE as a ratio p/q: Jaccard i / (n + m - i) >= p/q  <=>  (p + q) i >= p (n + m).
_GATE = Fraction(TITLE_GATE).limit_denominator(100)
_P, _Q = _GATE.numerator, _GATE.denominator
# Word sets this large are also posted word by word, for the searches a set lookup cannot do.
_POSTED_SIZE = 5
_MAX_SUBSETS = 64  # more subsets of a long title than this: read postings instead
_DIGIT = re.compile(r"\d")
_TEXTESE = frozenset(TEXTESE)
_ARTICLES = ("the ", "a ")  # a key has lost one article; title_similarity drops another


def _overlap_needed(n: int, m: int) -> int:
    """Fewest shared words for sets of n and m words to pass the gate."""
    return -(-_P * (n + m) // (_P + _Q))


def _sizes(n: int) -> range:
    """Word-set sizes that can pass the gate against a set of n words."""
    return range(-(-_P * n // _Q), _Q * n // _P + 1)


class NearTitles:
    """Lookups by word set, by word and set size, by spelling forms and by first words.

    ``keys`` is the library's list of title keys; the caller files each with ``add``.
    """

    def __init__(
        self, keys: list[str], by_title: dict[str, Sequence[int]], non_latin: set[int]
    ) -> None:
        self._keys = keys  # title keys by library position
        self._by_title = by_title  # positions by title key without spaces
        self._non_latin = non_latin
        self._by_words: dict[frozenset[str], Sequence[int]] = {}
        self._by_sized_word: dict[tuple[str, int], Sequence[int]] = {}
        self._by_form: dict[str, Sequence[int]] = {}  # other spellings, no spaces
        self._by_lead: dict[tuple[str, ...], Sequence[int]] = {}
        # Built on first use: only romanisations need them.
        self._by_token: dict[str, Sequence[int]] | None = None
        self._non_latin_tokens: dict[str, Sequence[int]] = {}
        self._skeleton_scopes: dict[str, dict[str, Sequence[int]]] = {}

    def seal(self) -> None:
        """The build is done: posting lists become tuples the garbage collector leaves alone."""
        seal(self._by_words)
        seal(self._by_sized_word)
        seal(self._by_form)
        seal(self._by_lead)

    def add(self, index: int, key: str, compact: str) -> None:
        """File one title key (``compact``: without spaces), once per library item from the
        index build's hot loop: most titles take the first lines only.

        Titles of up to three distinct words are found by their key in any word order, so only
        longer ones, and ones repeating a word ("Baby Baby"), are filed by their word set.
        """
        words = key.split()
        count = len(words)
        if count > SHORT_TITLE_WORDS:
            word_set = frozenset(words)
            file_under(self._by_words, word_set, index)
            file_under(self._by_lead, tuple(words[:SHORT_TITLE_WORDS]), index)
            if len(word_set) >= _POSTED_SIZE:
                self._post(index, word_set)
        elif count > 1 and (words[0] == words[1] or words[-1] in words[:-1]):
            file_under(self._by_words, frozenset(words), index)
        if not compact.isalpha() or key.startswith(_ARTICLES) or not _TEXTESE.isdisjoint(words):
            self._add_unusual(index, key, compact)

    def _post(self, index: int, word_set: frozenset[str]) -> None:
        size = len(word_set)
        for word in word_set:
            file_under(self._by_sized_word, (word, size), index)

    def _add_unusual(self, index: int, key: str, compact: str) -> None:
        """A digit, a second article or text-speak: more word sets and spellings to file."""
        plain = drop_article(key)  # what title_similarity compares
        # "Suite No. 1, BWV 1007" passes "Suite No. 1" once catalogue numbers go.
        for word_set in {frozenset(plain.split()), frozenset(CATALOGUE.sub(" ", plain).split())}:
            if word_set:
                file_under(self._by_words, word_set, index)
                if len(word_set) >= _POSTED_SIZE:
                    self._post(index, word_set)
        for form in {plain.replace(" ", ""), textese(plain).replace(" ", "")} - {compact}:
            file_under(self._by_form, form, index)

    def search(self, key: str, transliterated: bool, found: dict[int, None]) -> None:
        """Add to ``found`` every library title near ``key`` (a title key)."""
        plain = drop_article(key)
        if not plain:
            return
        word_set = frozenset(plain.split())
        pool: set[int] = set()
        self._similar_sets(word_set, pool)
        if _DIGIT.search(plain):
            stripped = frozenset(CATALOGUE.sub(" ", plain).split())
            if stripped and stripped != word_set:
                self._similar_sets(stripped, pool)
        for form in {plain.replace(" ", ""), textese(plain).replace(" ", "")}:
            pool.update(self._by_title.get(form, ()))
            pool.update(self._by_form.get(form, ()))
        words = plain.split()
        if len(words) >= SHORT_TITLE_WORDS:  # longer titles that begin with this one
            pool.update(self._by_lead.get(tuple(words[:SHORT_TITLE_WORDS]), ()))
        if transliterated or self._non_latin:
            self._romanised(key, transliterated, pool)
        keys, non_latin = self._keys, self._non_latin
        for index in sorted(pool):
            other = keys[index]
            if (
                title_similarity(key, other) >= TITLE_GATE
                or short_title(key, other)
                or (
                    (transliterated or index in non_latin)
                    and transliteration_similarity(key, other) >= TITLE_GATE
                )
            ):
                found[index] = None
        # A library item filed under the title's first words ("Killing Me Softly").
        for size in range(SHORT_TITLE_WORDS, len(words)):
            for index in self._by_title.get("".join(words[:size]), ()):
                found[index] = None

    def _similar_sets(self, word_set: frozenset[str], pool: set[int]) -> None:
        """Titles whose word sets can reach the gate's overlap with ``word_set``."""
        n = len(word_set)
        for m in _sizes(n):
            need = _overlap_needed(n, m)
            if need > min(n, m):
                continue
            if m <= n and need == m:
                # Every word of such a title is one of ours: look its set up.
                if m == n:
                    pool.update(self._by_words.get(word_set, ()))
                    if n <= SHORT_TITLE_WORDS:  # filed by key only: try every word order
                        for order in permutations(word_set):
                            pool.update(self._by_title.get("".join(order), ()))
                    continue
                if comb(n, m) <= _MAX_SUBSETS or m < _POSTED_SIZE:
                    for subset in combinations(sorted(word_set), m):
                        pool.update(self._by_words.get(frozenset(subset), ()))
                    continue
            # Prefix filtering among titles of m words: one passing holds `need` of our n
            # words, so it holds one of the n - need + 1 rarest.
            postings = sorted(
                (self._by_sized_word.get((word, m), ()) for word in word_set), key=len
            )
            if need == n:
                found = set(postings[0])
                for posting in postings[1:]:
                    if not found:
                        break
                    found.intersection_update(posting)
                pool |= found
            else:
                for posting in postings[: n - need + 1]:
                    pool.update(posting)

    def _romanised(self, key: str, transliterated: bool, pool: set[int]) -> None:
        """Romanisations differ letter by letter ('hii'/'hi') or share no word at all."""
        pool.update(self._by_skeleton(key, transliterated))
        by_token = self._tokens()
        # Any of the two rarer words will do, for a non-Latin track, or for items tagged in a
        # non-Latin script (their postings are kept apart, so a common word costs nothing).
        present = sorted(
            (token for token in set(textese(key).split()) if token in by_token),
            key=lambda token: len(by_token[token]),
        )
        source = by_token if transliterated else self._non_latin_tokens
        for token in present[:2]:
            pool.update(source.get(token, ()))

    def _tokens(self) -> dict[str, Sequence[int]]:
        """Positions by word as text-speak spells it ('2 U'), over all items and non-Latin ones."""
        if self._by_token is None:
            by_token: dict[str, Sequence[int]] = {}
            non_latin: dict[str, Sequence[int]] = {}
            for index, key in enumerate(self._keys):
                for word in key.split():
                    token = TEXTESE.get(word, word)
                    file_under(by_token, token, index)
                    if index in self._non_latin:
                        file_under(non_latin, token, index)
            seal(by_token)
            seal(non_latin)
            self._by_token, self._non_latin_tokens = by_token, non_latin
        return self._by_token

    def _by_skeleton(self, key: str, transliterated: bool) -> Iterable[int]:
        """Items whose title has the same consonants ('tmly m k' / 'Tamally Maak').

        Romanisations may share no whole word. The map is built on first use: over the items
        tagged in a non-Latin script, and over the whole library once a non-Latin track asks."""
        wanted = skeleton(key)
        if len(wanted) < SKELETON_MIN:
            return ()
        scope = "all" if transliterated else "non_latin"
        if scope not in self._skeleton_scopes:
            indices = range(len(self._keys)) if transliterated else sorted(self._non_latin)
            skeletons: dict[str, Sequence[int]] = {}
            for index in indices:
                if self._keys[index]:
                    file_under(skeletons, skeleton(self._keys[index]), index)
            seal(skeletons)
            self._skeleton_scopes[scope] = skeletons
        return self._skeleton_scopes[scope].get(wanted, ())
