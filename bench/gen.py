#!/usr/bin/env python3
"""Generate a synthetic news corpus (and the benchmark query set) for newsidx.

Usage:
  bench/gen.py OUT N [--seed S] [--jobs J]     write N items under OUT/_news/
  bench/gen.py OUT N --mutate PCT [--seed S]   rewrite PCT percent of them
  bench/gen.py --queries > bench/queries.txt   print the fixed query set
  bench/gen.py --queries-more > bench/queries-more.txt
                                               print the facet and deep-page set

Items are Markdown files holding only a YAML front-matter block, in the
everyday-cc news format (see samples/news/).  They go in folders of at most
1000 files: OUT/_news/d0000/2021-03-04-some-slug-000123.md (date of
publishedDateTime, slug of the title, item number).  OUT.tsv (next to OUT)
gets one line per item, in item order: title TAB excerpt, exactly as written
in the item.  Generated text never holds a tab, newline, backslash or ASCII
double quote, so the file loads into a plain FTS5 table with Debian 12's
sqlite3 shell (3.40):

  sqlite3 x.db "CREATE VIRTUAL TABLE t USING fts5(title, excerpt)"
  sqlite3 x.db ".mode tabs" ".import OUT.tsv t" "SELECT count(*) FROM t"

(.import into an existing table takes every line as data, no header.)

--mutate PCT picks every (100/PCT)-th item (evenly spread over the
folders, the same items for every run), adds one vocabulary word to its
excerpt in place (same file name), updates its line in OUT.tsv and prints
how many files it changed.

Speed: about 110 microseconds of CPU per item plus the kernel's cost of
creating the file; items are written by one worker process per CPU, a
folder at a time.  100,000 items (460 MB) took 10 s on an idle 2-core
machine (9.7 s user + 10 s system CPU over the two workers; 17-48 s while
other test suites ran or just after deleting a big tree), so 1M items take
about two minutes.

Determinism: item i depends only on (seed, i) -- a per-item random.Random is
seeded from them -- so a small set is a prefix of a large one.  The one
exception: a related entry that would point past the last item points back
(i - d instead of i + d), so only the last 50 items of a set can differ from
the same items of a larger set.  The vocabulary, providers and topics come
from a fixed seed, independent of --seed, so the query set stays valid for
every N and seed.

Text: a synthetic vocabulary of 60,000 pronounceable lower-case words (2-12
letters, shorter at the top), drawn with Zipf(-Mandelbrot) weights
1/(rank+2)^1.1: the top word is 5% of all words (like English "the"), the
top 5 are each in about 70% of items, ranks 1-17 in more than 30%, and a
word of rank 50,000 is in about 5 items per 100,000.  (Plain 1/rank^1.0
puts only about 13 words above 30% with titles and excerpts this long.)  Titles
5-14 words, title-cased; excerpts 20-60 words in sentences (half cut at
50-60 words and ending " ...", as in the corpus).  About 7% of items get 1-3
words with diacritics (each word always gets the same accents; "ss" becomes
"ß"), 0.5% are Chinese-like CJK text without spaces and 0.5% Cyrillic
(transliterated vocabulary words); about 3% carry curly quotes (’ “ ”) and
0.5% HTML entities (&amp; &#8217; &quot;).

Figures measured on the real corpus (/work/shared/corpus, the 248 news
items of everyday-ai _news/, _archive/_news/ and everyday-powerapps _news/,
front matter read with regular expressions on the top-level keys):
  quality/heat/published: absent together in 82 of 248 (33.1%)
  of the 166 with them:   heat -1 in 30 (18.1%, always published: false and
                          a related list); heat 0 in 1; heat == quality in
                          78 of the 136 others (57%), heat > quality in 58
                          (ratio 1.01-3.34, median 1.19), never below;
                          heat 0-314, median 81
  quality (166 values):   0-189, histogram in steps of 10 in QUALITY_BINS
                          (median 69, 23 above 100)
  published: false        68 of 166 (30 with heat -1, 38 of the 136 others)
  related entries:        0 in 159 of 248 (64%); 1:33 2:14 3:12 4:3 5:6 6:9
                          7:4 8:1, and 7 items with 11-51 (folded into 8
                          here); related quality 0-133, RELATED_QUALITY_BINS
  topics per item:        1:27 2:172 3:44 4:3 5:2 (5 folded into 4)
  images:                 1 image in 212 of 248 (85%); provider images in
                          about 45%; originalUrl in 70%; ampWebUrl with
                          cdnAmpWebUrl in 45%
  publishedDateTime:      always YYYY-MM-DDTHH:MM:SSZ, seconds mostly :00;
                          the file-name date is one day later in 48 files
                          (UTC hour 16-23).  Here: spread evenly over
                          2015-01-01 .. 2024-12-31, 0.5% missing, 0.5%
                          date only.
"""

import argparse
import base64
import itertools
import os
import re
import sys
import time
import unicodedata
import zlib
from bisect import bisect
from fractions import Fraction
from random import Random

VOCAB_SEED = 20240611          # fixed: the word at a rank never changes
VOCAB_SIZE = 60000
ZIPF_S = 1.1                   # word at rank r drawn with weight 1/(r+ZIPF_Q)^ZIPF_S
ZIPF_Q = 2
FILES_PER_DIR = 1000
RELATED_SPAN = 50              # related items point at i-50 .. i+50
T0 = 1420070400                # 2015-01-01T00:00:00Z
T1 = 1735689600                # 2025-01-01T00:00:00Z

# Empirical tables from the corpus (see the docstring).
QUALITY_BINS = [6, 7, 8, 15, 5, 21, 22, 22, 28, 7, 10, 1, 3, 3, 4, 2, 1, 0, 1, 0]
RELATED_QUALITY_BINS = [7, 30, 24, 93, 39, 76, 42, 28, 34, 10, 19, 1, 2, 1]
HEAT_RATIOS = [1.01, 1.01, 1.01, 1.07, 1.11, 1.11, 1.11, 1.11, 1.11, 1.11,
               1.12, 1.12, 1.14, 1.14, 1.14, 1.14, 1.14, 1.14, 1.14, 1.15,
               1.15, 1.16, 1.16, 1.16, 1.17, 1.17, 1.17, 1.19, 1.19, 1.2,
               1.22, 1.23, 1.29, 1.29, 1.32, 1.34, 1.34, 1.34, 1.34, 1.37,
               1.41, 1.41, 1.41, 1.51, 1.54, 1.56, 1.58, 1.6, 1.61, 1.65,
               1.67, 1.68, 1.69, 1.8, 1.9, 2.26, 2.26, 3.34]
P_NO_QUALITY = 82 / 248
P_HEAT_UNKNOWN = 30 / 166      # heat -1, given quality present
P_HEAT_EQ_QUALITY = 78 / 136
P_UNPUBLISHED = 38 / 136       # published: false with heat >= 0
# related count: items with heat -1 always have some; the others have some
# with probability 59/218 (89 of 248 items have a list, 30 of them heat -1).
RELATED_COUNT_HIST = [0, 33, 14, 12, 3, 6, 9, 4, 8]   # index = count, >8 -> 8
P_RELATED_OTHERS = 59 / 218
TOPIC_COUNT_HIST = [0, 27, 172, 44, 5]                 # index = count
P_IMAGE = 212 / 248
P_ORIGINAL_URL = 175 / 248
P_AMP = 112 / 248
P_RELATED_INTERNAL = 0.85      # share of related entries that are items here
P_DATE_MISSING = 0.005
P_DATE_ONLY = 0.005
P_CJK = 0.005
P_CYRILLIC = 0.005
P_DIACRITICS = 0.07
P_CURLY = 0.03
P_ENTITY = 0.005

# ---------------------------------------------------------------- vocabulary

ONSETS = ['b', 'c', 'd', 'f', 'g', 'h', 'j', 'k', 'l', 'm', 'n', 'p', 'r',
          's', 't', 'v', 'w', 'z', 'bl', 'br', 'ch', 'cl', 'cr', 'dr', 'fl',
          'fr', 'gl', 'gr', 'kl', 'pl', 'pr', 'sh', 'sk', 'sl', 'sp', 'st',
          'th', 'tr', 'qu', '', '']
VOWELS = ['a', 'e', 'i', 'o', 'u', 'a', 'e', 'i', 'o', 'ai', 'ea', 'io',
          'ou', 'y']
CODAS = ['', '', '', '', 'n', 'r', 'l', 's', 't', 'm', 'k', 'nd', 'rt',
         'st', 'x', 'ss', 'ng', 'sh']
# FTS5 operators, YAML 1.1 booleans and null, and crude words that
# syllables happen to spell: never vocabulary words.
RESERVED = {'and', 'or', 'not', 'near', 'true', 'false', 'yes', 'no', 'on',
            'off', 'null', 'y', 'n', 'shit', 'fart', 'piss', 'slut', 'tit',
            'tits', 'arse', 'nazi', 'rape', 'cum', 'anal', 'anus', 'porn',
            'sex', 'poo', 'poop', 'turd', 'wank', 'homo', 'nig', 'fag', 'kike',
            'spic', 'damn', 'hell', 'kill', 'die', 'dead', 'dick', 'cock'}


_TRIPLE = re.compile(r'(.)\1\1')


# Faster than Random.randint/randrange/choice (no argument checks, one
# random() call each); the bias is far below anything that matters here.
def _ri(rng, lo, hi):
    return lo + int(rng.random() * (hi - lo + 1))


def _rr(rng, n):
    return int(rng.random() * n)


def _pick(rng, seq):
    return seq[int(rng.random() * len(seq))]


def _syllable(rng):
    return _pick(rng, ONSETS) + _pick(rng, VOWELS) + _pick(rng, CODAS)


def _make_vocab():
    rng = Random(VOCAB_SEED)
    words, seen = [], set()
    while len(words) < VOCAB_SIZE:
        r = len(words) + 1
        if r <= 40:
            n = 1
        elif r <= 600:
            n = _pick(rng, (1, 2, 2, 2))
        elif r <= 8000:
            n = _pick(rng, (2, 2, 3))
        else:
            n = _pick(rng, (2, 3, 3, 4))
        w = ''.join(_syllable(rng) for _ in range(n))
        if r <= 40 and len(w) > 4:
            continue
        if not 2 <= len(w) <= 12 or w in seen or w in RESERVED \
                or _TRIPLE.search(w):
            continue
        seen.add(w)
        words.append(w)
    return words


VOCAB = _make_vocab()
CUM = list(itertools.accumulate((r + ZIPF_Q) ** -ZIPF_S
                                for r in range(1, VOCAB_SIZE + 1)))
RANK = {w: r for r, w in enumerate(VOCAB, 1)}

ACCENTS = {'a': 'áàâä', 'e': 'éèêë', 'i': 'íîï', 'o': 'óôö', 'u': 'úûü',
           'c': 'ç', 'n': 'ñ'}
_accent_cache = {}


def accented(w):
    """The same word with diacritics; always the same form for a word."""
    a = _accent_cache.get(w)
    if a is None:
        h = zlib.crc32(w.encode())
        if 'ss' in w and h % 3 == 0:
            a = w.replace('ss', 'ß', 1)
        else:
            pos = [k for k, c in enumerate(w) if c in ACCENTS]
            if not pos:
                a = w
            else:
                k = pos[h % len(pos)]
                alts = ACCENTS[w[k]]
                a = w[:k] + alts[(h >> 8) % len(alts)] + w[k + 1:]
        _accent_cache[w] = a
    return a


CYR = dict(zip('abcdefghijklmnopqrstuvwxyz',
               ['а', 'б', 'ц', 'д', 'е', 'ф', 'г', 'х', 'и', 'й', 'к', 'л',
                'м', 'н', 'о', 'п', 'к', 'р', 'с', 'т', 'у', 'в', 'в', 'кс',
                'ы', 'з']))


def cyrillic(w):
    return ''.join(CYR[c] for c in w)


def _make_cjk():
    rng = Random(VOCAB_SEED + 1)
    chars = rng.sample(range(0x4E00, 0x9FA5), 3000)
    return [chr(c) for c in chars]


CJK = _make_cjk()
CJK_CUM = list(itertools.accumulate(r ** -1.0 for r in range(1, len(CJK) + 1)))

# ------------------------------------------------------ providers and topics

TOPICS = ['Robotics', 'Language Models', 'Chip Design', 'Cloud Platforms',
          'Health Tech', 'Autonomous Cars', 'Fintech', 'Open Source',
          'Startups', 'Regulation', 'Research Labs', 'Cybersecurity',
          'Speech Tech', 'Quantum Computing', 'Edge Devices', 'Climate Tech',
          'Smart Cities', 'Drones', 'Retail Tech', 'Agritech', 'Biotech',
          'Education Tech', 'Gaming', 'Wearables', 'Space Tech',
          'Supply Chain', 'Energy Grid', 'Privacy', 'Translation',
          'Creative Tools', 'Developer Tools', 'Data Engineering',
          'Recommendation Systems', 'Conversational Agents',
          'Économie Numérique', 'Image Generation', 'Medical Imaging',
          'Legal Tech', 'E-Commerce', 'Public Sector']
TOPIC_CUM = list(itertools.accumulate(r ** -1.0 for r in range(1, len(TOPICS) + 1)))

PROVIDER_SUFFIXES = ['Times', 'Daily', 'Wire', 'News', 'Post', 'Herald',
                     'Journal', 'Tribune', 'Review', 'Insider', 'Today',
                     'Chronicle', 'Report', 'Gazette', 'Observer', 'Ledger',
                     'Dispatch', 'Monitor', 'Digest', 'Beat']
TLDS = ['com', 'com', 'com', 'net', 'org', 'io', 'co.uk', 'de', 'news', 'fr']


def _make_providers():
    rng = Random(VOCAB_SEED + 2)
    out, seen = [], set()
    while len(out) < 50:
        stem = ''.join(_syllable(rng) for _ in range(_pick(rng, (2, 2, 3))))
        if not 4 <= len(stem) <= 10 or stem in seen:
            continue
        seen.add(stem)
        suffix = _pick(rng, PROVIDER_SUFFIXES)
        name = stem.capitalize() + ' ' + suffix
        domain = stem + suffix.lower() + '.' + _pick(rng, TLDS)
        k = len(out)
        if k in (7, 31):            # two names with diacritics
            name = accented(stem).capitalize() + ' ' + suffix
        if k == 19:                 # a name that does not match the domain
            name = suffix + '!' + stem.upper()
        logo = None
        if rng.random() < 0.45:
            logo = 'https://%s/assets/logo-50x50.png' % domain
        out.append((name, domain, logo))
    return out


PROVIDERS = _make_providers()
PROVIDER_CUM = list(itertools.accumulate(r ** -1.0 for r in range(1, len(PROVIDERS) + 1)))

# ------------------------------------------------------------------ helpers

_PLAIN_RE = re.compile(r'[A-Za-z][A-Za-z0-9 .!\-]*[A-Za-z0-9]\Z')


def yq(s):
    """A YAML double-quoted scalar."""
    if '\\' in s or '"' in s:
        s = s.replace('\\', '\\\\').replace('"', '\\"')
    return '"' + s + '"'


def yplain(s):
    """Plain when that is safe YAML, double-quoted otherwise."""
    if _PLAIN_RE.match(s) and s.lower() not in RESERVED and ': ' not in s \
            and ' #' not in s:
        return s
    return yq(s)


_SLUG_DROP = re.compile(r'[^a-z0-9 -]+')
_SLUG_DASH = re.compile(r'[ -]+')


def slugify(title, limit=80):
    s = title.lower()
    if not s.isascii():
        s = unicodedata.normalize('NFD', s)
    s = _SLUG_DROP.sub('', s)
    s = _SLUG_DASH.sub('-', s).strip('-')
    if len(s) > limit:
        s = s[:limit].rstrip('-')
    return s


def draw(rng, cum):
    """An index drawn with the weights whose running sums are `cum`."""
    return bisect(cum, rng.random() * cum[-1])


def cumsum(weights):
    return list(itertools.accumulate(weights))


QUALITY_CUM = cumsum(QUALITY_BINS)
RELATED_QUALITY_CUM = cumsum(RELATED_QUALITY_BINS)
RELATED_COUNT_CUM = cumsum(RELATED_COUNT_HIST)
TOPIC_COUNT_CUM = cumsum(TOPIC_COUNT_HIST)


def sample_bins(rng, cum):
    """A value 0..199 from a histogram in steps of 10."""
    return draw(rng, cum) * 10 + _rr(rng, 10)


def seed_of(seed, i, salt=0):
    return (seed * 0x9E3779B97F4A7C15 + i * 0xBF58476D1CE4E5B9 + salt) \
        & 0xFFFFFFFFFFFFFFFF


def iso(ts):
    t = time.gmtime(ts)
    return '%04d-%02d-%02dT%02d:%02d:%02dZ' % t[:6]


def day(ts):
    t = time.gmtime(ts)
    return '%04d-%02d-%02d' % t[:3]


NUMBERS = ['%d', '%d%%', '%d,%03d', '$%d million', '%d.%d billion']


def _number(rng):
    f = _pick(rng, NUMBERS)
    if f == '%d,%03d':
        return f % (_ri(rng, 1, 99), _rr(rng, 1000))
    if f == '%d.%d billion':
        return f % (_ri(rng, 1, 9), _rr(rng, 10))
    return f % _ri(rng, 2, 999)


# --------------------------------------------------------------- item text

def latin_text(rng):
    """Title and excerpt of an item made of vocabulary words."""
    nt = _ri(rng, 5, 14)
    if rng.random() < 0.5:
        ne, cut = _ri(rng, 50, 60), True
    else:
        ne, cut = _ri(rng, 20, 60), False
    words = rng.choices(VOCAB, cum_weights=CUM, k=nt + ne)
    x = rng.random()
    if x < P_DIACRITICS:
        for _ in range(_ri(rng, 1, 3)):
            k = _rr(rng, nt + ne)
            words[k] = accented(words[k])
    elif x < P_DIACRITICS + P_CURLY:
        k = _rr(rng, nt + ne)
        if rng.random() < 0.6:
            words[k] += '’s'
        elif k + 1 < nt + ne:
            words[k] = '“' + words[k]
            words[k + 1] += '”'
    elif x < P_DIACRITICS + P_CURLY + P_ENTITY:
        k = _rr(rng, nt + ne)
        e = _rr(rng, 3)
        if e == 0 and k + 1 < nt:
            words[k] += ' &amp;'
        elif e == 1:
            words[k] += '&#8217;s'
        elif k + 1 < nt + ne:
            words[k] = '&quot;' + words[k]
            words[k + 1] += '&quot;'
    title = ' '.join([w.capitalize() for w in words[:nt]])
    ex = words[nt:]
    if rng.random() < 0.3:
        ex.insert(_rr(rng, len(ex)), _number(rng))
    parts = []
    k = 0
    n = len(ex)
    while k < n:
        m = min(n, k + _ri(rng, 6, 18))
        sent = ex[k:m]
        sent[0] = sent[0].capitalize()
        if m - k > 8 and rng.random() < 0.4:
            j = _ri(rng, k + 3, m - 3) - k
            sent[j] += ','
        s = ' '.join(sent)
        if m < n or not cut:
            s += '.'
        parts.append(s)
        k = m
    excerpt = ' '.join(parts)
    if cut:
        excerpt += ' ...'
    return title, excerpt


def cjk_text(rng):
    title = ''.join(rng.choices(CJK, cum_weights=CJK_CUM, k=_ri(rng, 8, 24)))
    parts = []
    for _ in range(_ri(rng, 2, 5)):
        parts.append(''.join(rng.choices(CJK, cum_weights=CJK_CUM,
                                         k=_ri(rng, 12, 30))))
        parts.append(_pick(rng, '，。'))
    return title, ''.join(parts)


def cyrillic_text(rng):
    nt = _ri(rng, 5, 14)
    ne = _ri(rng, 20, 60)
    words = [cyrillic(w) for w in rng.choices(VOCAB, cum_weights=CUM, k=nt + ne)]
    title = words[0].capitalize() + ' ' + ' '.join(words[1:nt])
    return title, words[nt].capitalize() + ' ' + ' '.join(words[nt + 1:]) + '.'


class Core:
    """What other items need to know of an item (for related entries)."""
    __slots__ = ('i', 'title', 'excerpt', 'ts', 'date_mode', 'fdate',
                 'prov', 'quality', 'heat', 'published', 'topics', 'image',
                 'url', 'slug', 'orig', 'amp', 'secured', 'published_str')


def make_core(seed, i):
    rng = Random(seed_of(seed, i))
    c = Core()
    c.i = i
    x = rng.random()
    if x < P_CJK:
        c.title, c.excerpt = cjk_text(rng)
    elif x < P_CJK + P_CYRILLIC:
        c.title, c.excerpt = cyrillic_text(rng)
    else:
        c.title, c.excerpt = latin_text(rng)
    ts = T0 + _rr(rng, T1 - T0)
    if rng.random() < 0.95:
        ts -= ts % 60
    c.ts = ts
    x = rng.random()
    c.date_mode = 0 if x >= P_DATE_MISSING + P_DATE_ONLY else \
        (1 if x < P_DATE_MISSING else 2)        # 1 missing, 2 date only
    hour = (ts // 3600) % 24
    c.fdate = day(ts + 86400) if hour >= 16 and rng.random() < 0.2 else day(ts)
    c.published_str = iso(ts) if c.date_mode == 0 else \
        (day(ts) if c.date_mode == 2 else None)
    c.prov = draw(rng, PROVIDER_CUM)
    if rng.random() < P_NO_QUALITY:
        c.quality = c.heat = c.published = None
    else:
        q = sample_bins(rng, QUALITY_CUM)
        c.quality = q
        if rng.random() < P_HEAT_UNKNOWN:
            c.heat, c.published = -1, False
        else:
            if rng.random() < P_HEAT_EQ_QUALITY or q == 0:
                c.heat = q
            else:
                c.heat = max(q + 1, round(q * _pick(rng, HEAT_RATIOS)))
            c.published = rng.random() >= P_UNPUBLISHED
    nt = draw(rng, TOPIC_COUNT_CUM)
    topics = []
    while len(topics) < nt:
        t = draw(rng, TOPIC_CUM)
        if t not in topics:
            topics.append(t)
    c.topics = topics
    c.slug = slugify(c.title)
    domain = PROVIDERS[c.prov][1]
    c.url = 'https://%s/news/%d-%s' % (domain, i, c.slug) if c.slug else \
        'https://%s/news/%d' % (domain, i)
    if rng.random() < P_IMAGE:
        c.image = ('https://%s/media/%s/%d.jpg' % (domain, c.fdate[:7].replace('-', '/'), i),
                   1200, _pick(rng, (628, 675, 800)))
    else:
        c.image = None
    c.orig = rng.random() < P_ORIGINAL_URL
    c.amp = rng.random() < P_AMP
    raw = rng.randbytes(_ri(rng, 230, 400))
    k = _ri(rng, 30, 60)
    c.secured = base64.b64encode(raw[k:]).decode() + ';' + \
        base64.b64encode(raw[:k]).decode()
    return c


def related_targets(seed, i, n, heat):
    """(rng, targets) of item i's related list: a target is an item index,
    or None for an external story; rng goes on to draw the entries."""
    rng = Random(seed_of(seed, i, 0x5A5A5A5A))
    if heat == -1 or rng.random() < P_RELATED_OTHERS:
        cnt = draw(rng, RELATED_COUNT_CUM)
    else:
        cnt = 0
    out = []
    for _ in range(cnt):
        if rng.random() < P_RELATED_INTERNAL:
            d = _ri(rng, 1, RELATED_SPAN)
            j = i + d if rng.random() < 0.5 else i - d
            if j >= n:
                j = i - d
            if j < 0:
                j = i + d
            out.append(j if 0 <= j < n else None)
        else:
            out.append(None)
    return rng, out


def render(seed, i, n, core_of):
    c = core_of(i)
    name, domain, logo = PROVIDERS[c.prov]
    L = ['---\ncategory: news\ntitle: ', yq(c.title), '\nexcerpt: ', yq(c.excerpt), '\n']
    if c.published_str is not None:
        L += ['publishedDateTime: ', c.published_str, '\n']
    url = c.url
    if c.orig:
        L += ['originalUrl: ', yq(url), '\n']
    L += ['webUrl: ', yq(url), '\n']
    if c.amp:
        amp = url.replace('/news/', '/amp/news/', 1)
        L += ['ampWebUrl: ', yq(amp), '\ncdnAmpWebUrl: ',
              yq('https://%s.cdn.ampproject.org/c/s/%s' % (domain.replace('.', '-'), amp[8:])),
              '\n']
    L.append('type: article\n')
    if c.quality is not None:
        L += ['quality: %d\nheat: %d\npublished: %s\n'
              % (c.quality, c.heat, 'true' if c.published else 'false')]
    L += ['\nprovider:\n  name: ', yplain(name), '\n  domain: ', domain, '\n']
    if logo:
        L += ['  images:\n    - url: ', yq(logo), '\n      width: 50\n      height: 50\n']
    L.append('\ntopics:\n')
    for t in c.topics:
        L += ['  - ', yplain(TOPICS[t]), '\n']
    if c.image:
        L += ['\nimages:\n  - url: ', yq(c.image[0]), '\n    width: %d\n    height: %d\n'
              '    isCached: true\n' % c.image[1:]]
    rng, targets = related_targets(seed, i, n, c.heat)
    if targets:
        L.append('\nrelated:\n')
        for j in targets:
            if j is not None:
                t = core_of(j)
                tname, tdomain, _ = PROVIDERS[t.prov]
                turl = t.url
                x = rng.random()
                if x < 0.05:
                    turl += '?utm_source=rss'
                elif x < 0.08:
                    turl += '/'
                elif x < 0.10:
                    turl = 'http://' + turl[8:]
                title, excerpt, pdate = t.title, t.excerpt, t.published_str
                q = t.quality if t.quality is not None else \
                    sample_bins(rng, RELATED_QUALITY_CUM)
                image = t.image
            else:
                title, excerpt = latin_text(rng)
                tname, tdomain, _ = PROVIDERS[draw(rng, PROVIDER_CUM)]
                pts = c.ts - _rr(rng, 30 * 86400)
                pdate = iso(pts)
                turl = 'https://%s/story/%s-x%d' % (tdomain, slugify(title, 50),
                                                   _rr(rng, 10 ** 6))
                q = sample_bins(rng, RELATED_QUALITY_CUM)
                image = None
            L += ['  - title: ', yq(title), '\n    excerpt: ', yq(excerpt), '\n']
            if pdate is not None:
                L += ['    publishedDateTime: ', pdate, '\n']
            L += ['    webUrl: ', yq(turl), '\n    type: article\n    provider:\n'
                  '      name: ', yplain(tname), '\n      domain: ', tdomain,
                  '\n    quality: %d\n' % q]
            if image and rng.random() < 0.7:
                L += ['    images:\n      - url: ', yq(image[0]),
                      '\n        width: %d\n        height: %d\n' % image[1:]]
    L += ['\nsecured: ', yq(c.secured), '\n---\n\n']
    fname = '%s-%s-%06d.md' % (c.fdate, c.slug, i) if c.slug else \
        '%s-%06d.md' % (c.fdate, i)
    return fname, ''.join(L), c.title + '\t' + c.excerpt + '\n'


# ----------------------------------------------------------- generate / mutate

_G = {}


def _chunk(k):
    """Write folder k (items k*1000 ..) and return its TSV lines."""
    out, n, seed = _G['out'], _G['n'], _G['seed']
    cache = {}

    def core_of(j):
        c = cache.get(j)
        if c is None:
            c = cache[j] = make_core(seed, j)
        return c

    d = os.path.join(out, '_news', 'd%04d' % k)
    os.makedirs(d, exist_ok=True)
    tsv = []
    for i in range(k * FILES_PER_DIR, min(n, (k + 1) * FILES_PER_DIR)):
        fname, text, line = render(seed, i, n, core_of)
        fd = os.open(os.path.join(d, fname), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.write(fd, text.encode())
        os.close(fd)
        tsv.append(line)
    return ''.join(tsv)


def generate(out, n, seed, jobs):
    _G.update(out=out, n=n, seed=seed)
    nchunks = (n + FILES_PER_DIR - 1) // FILES_PER_DIR
    t = time.time()
    with open(out.rstrip('/') + '.tsv', 'w', encoding='utf-8') as tsv:
        if jobs > 1 and nchunks > 1:
            import multiprocessing
            with multiprocessing.get_context('fork').Pool(jobs) as pool:
                for s in pool.imap(_chunk, range(nchunks)):
                    tsv.write(s)
        else:
            for k in range(nchunks):
                tsv.write(_chunk(k))
    print('wrote %d items under %s/_news and %s.tsv in %.1f s'
          % (n, out, out.rstrip('/'), time.time() - t), file=sys.stderr)


_NUM_RE = re.compile(r'-(\d+)\.md\Z')


def _unquote(s):
    return s[1:-1].replace('\\"', '"').replace('\\\\', '\\') if s.startswith('"') else s


def mutate(out, n, seed, pct):
    """Add one word to the excerpt of every item i < n whose index the
    fraction PCT/100 selects: item i is picked when floor((i+1)p) >
    floor(ip), so the picks are evenly spread over all folders."""
    p = Fraction(str(pct)) / 100
    if not 0 <= p <= 1:
        sys.exit('gen.py: --mutate takes a percentage from 0 to 100')
    tsv_path = out.rstrip('/') + '.tsv'
    tsv = None
    if os.path.exists(tsv_path):
        with open(tsv_path, encoding='utf-8') as f:
            tsv = f.readlines()
    changed = 0
    for k in range((n + FILES_PER_DIR - 1) // FILES_PER_DIR):
        d = os.path.join(out, '_news', 'd%04d' % k)
        try:
            names = os.listdir(d)
        except FileNotFoundError:
            continue
        byidx = {}
        for nm in names:
            m = _NUM_RE.search(nm)
            if m:
                byidx[int(m.group(1))] = nm
        for i in range(k * FILES_PER_DIR, min(n, (k + 1) * FILES_PER_DIR)):
            if (i + 1) * p // 1 == i * p // 1 or i not in byidx:
                continue
            path = os.path.join(d, byidx[i])
            with open(path, encoding='utf-8') as f:
                text = f.read()
            m = re.search(r'^excerpt: (.*)$', text, re.M)
            if not m:
                continue
            ex = _unquote(m.group(1))
            rng = Random(seed_of(seed, i, len(ex)))
            w = rng.choices(VOCAB, cum_weights=CUM)[0]
            if ex.endswith(' ...'):
                new = ex[:-4] + ' ' + w + ' ...'
            elif ex.endswith('.'):
                new = ex[:-1] + ' ' + w + '.'
            else:
                new = ex + ' ' + w
            text = text[:m.start(1)] + yq(new) + text[m.end(1):]
            with open(path, 'w', encoding='utf-8') as f:
                f.write(text)
            changed += 1
            if tsv is not None and i < len(tsv):
                mt = re.search(r'^title: (.*)$', text, re.M)
                tsv[i] = _unquote(mt.group(1)) + '\t' + new + '\n'
    if tsv is not None:
        with open(tsv_path + '.tmp', 'w', encoding='utf-8') as f:
            f.writelines(tsv)
        os.replace(tsv_path + '.tmp', tsv_path)
    print('changed %d files' % changed)


# ------------------------------------------------------------------- queries

def queries():
    rng = Random(VOCAB_SEED + 3)
    L = ['# newsidx benchmark queries: CLASS<TAB>QUERY, one per line.',
         '# Made by: bench/gen.py --queries > bench/queries.txt',
         '# Words come from the fixed vocabulary of bench/gen.py by Zipf rank, so',
         '# the file is valid for every N and --seed; phrases are adjacent title',
         '# words of published items among the first 500 items of seed 1.',
         '# Classes:',
         '#   rare      one word of rank 5,000-50,000 (few or no hits at small N)',
         '#   common    one word in more than 30% of items (ranks 1-16; the last',
         '#             four repeat words of ranks 1-4 upper-cased or accented)',
         '#   mid       one word of rank 50-2,000',
         '#   two       two words (common+common, common+mid, mid+mid, mid+rare)',
         '#   three     three words (common x3, common x2+mid, common+mid x2,',
         '#             common+mid+rare)',
         '#   phrase    a quoted two-word phrase that occurs in a title',
         '#   prefix    word* with 3-5 letters, of common and of rare words',
         '#   date      a word and a date: filter',
         '#   topic     a word and a topic: filter (multi-word names quoted)',
         '#   provider  a word and a provider: filter (domain)']

    def rank_word(lo, hi):
        return VOCAB[_ri(rng, lo, hi) - 1]

    def logrank_word(lo, hi):
        import math
        r = int(math.exp(rng.uniform(math.log(lo), math.log(hi))))
        return VOCAB[r - 1]

    def q(cls, text):
        L.append(cls + '\t' + text)

    def common():
        return VOCAB[_ri(rng, 1, 16) - 1]

    def mid():
        return logrank_word(50, 2000)

    def rare():
        return logrank_word(5000, 50000)

    def distinct(cls, count, draw):
        """q(cls, w) for `count` distinct words from draw()."""
        used = set()
        while len(used) < count:
            w = draw()
            if w not in used:
                used.add(w)
                q(cls, w)

    distinct('rare', 24, rare)
    for r in range(1, 17):
        q('common', VOCAB[r - 1])
    q('common', VOCAB[0].upper())
    q('common', VOCAB[1].capitalize())
    q('common', accented(VOCAB[2]) if accented(VOCAB[2]) != VOCAB[2] else VOCAB[2].upper())
    q('common', VOCAB[3].upper())
    distinct('mid', 16, mid)

    def words(draws):
        """One distinct word from each of draws(), joined by spaces."""
        ws = []
        while len(ws) < len(draws):
            w = draws[len(ws)]()
            if w not in ws:
                ws.append(w)
        return ' '.join(ws)

    for f in ([[common, common]] * 8 + [[common, mid]] * 8 + [[mid, mid]] * 4
              + [[mid, rare]] * 4):
        q('two', words(f))
    for f, k in (([common] * 3, 6), ([common, common, mid], 8),
                 ([common, mid, mid], 6), ([common, mid, rare], 4)):
        for _ in range(k):
            q('three', words(f))
    # phrases: adjacent words of titles of published Latin items of seed 1
    seen = set()
    cand = []
    for i in range(500):
        c = make_core(1, i)
        if c.published is False or not c.title.isascii() or '&' in c.title:
            continue
        ws = c.title.lower().split()
        k = Random(i).randrange(len(ws) - 1)
        pair = ws[k] + ' ' + ws[k + 1]
        if ws[k] != ws[k + 1] and pair not in seen:
            seen.add(pair)
            cand.append(pair)
    for pair in Random(VOCAB_SEED + 4).sample(cand, 24):
        q('phrase', '"%s"' % pair)
    for _ in range(12):
        w = rank_word(17, 300)
        while len(w) < 4:
            w = rank_word(17, 300)
        q('prefix', w[:_pick(rng, (3, 3, 4))] + '*')
    for _ in range(12):
        w = rank_word(10000, 50000)
        while len(w) < 6:
            w = rank_word(10000, 50000)
        q('prefix', w[:_pick(rng, (4, 5, 5))] + '*')
    for _ in range(24):
        y = _ri(rng, 2015, 2024)
        kind = _rr(rng, 6)
        if kind == 0:
            d = 'date:%d' % y
        elif kind == 1:
            d = 'date:%d-%02d' % (y, _ri(rng, 1, 12))
        elif kind == 2:
            y2 = _ri(rng, y, min(2024, y + 2))
            d = 'date:%d-%02d..%d-%02d' % (y, _ri(rng, 1, 6), y2, _ri(rng, 7, 12))
        elif kind == 3:
            d = 'date:%d..' % y
        elif kind == 4:
            d = 'date:..%d' % y
        else:
            m = _ri(rng, 1, 12)
            d = 'date:%d-%02d-01..%d-%02d-28' % (y, m, y, m)
        q('date', (common() if rng.random() < 0.6 else mid()) + ' ' + d)
    tidx = list(range(len(TOPICS)))
    rng.shuffle(tidx)
    for t in tidx[:24]:
        name = TOPICS[t]
        v = name if re.fullmatch(r'[A-Za-z]+', name) else '"%s"' % name
        q('topic', (common() if rng.random() < 0.6 else mid()) + ' topic:' + v)
    for p in rng.sample(range(len(PROVIDERS)), 12):
        q('provider', (common() if rng.random() < 0.6 else mid())
          + ' provider:' + PROVIDERS[p][1])
    return '\n'.join(L) + '\n'


FACETS = '--facets topic,provider,year'
DEEP_OFFSETS = (1000, 10000)


def queries_more():
    """The facet and deep-page query set (bench/queries-more.txt), taken
    from the query set of queries() by a fixed rule, so the two stay in
    step."""
    by_class = {}
    for line in queries().splitlines():
        if line and not line.startswith('#'):
            cls, text = line.split('\t', 1)
            by_class.setdefault(cls, []).append(text)

    def spread(lst, n):
        """n entries of lst, evenly spread, the first one included."""
        return [lst[i * len(lst) // n] for i in range(n)]

    common = by_class['common'][:16]       # ranks 1-16 as written
    L = ['# newsidx benchmark queries with options: CLASS<TAB>OPTIONS<TAB>QUERY.',
         '# Made by: bench/gen.py --queries-more > bench/queries-more.txt',
         '# OPTIONS are newsquery options, split on spaces (none when empty);',
         '# nx_bench applies the same ones through the library (--facets LIST,',
         '# --offset N, --limit N, --no-collapse).  The queries are those of',
         '# bench/queries.txt (same words, same meaning), picked by a fixed rule:',
         '#   facets      %s over 24 queries: common' % FACETS,
         '#               words of ranks 1 and 2 (`the` is rank 2) and four more',
         '#               of ranks 3-16, six mid words, four each of the topic,',
         '#               provider and date queries (evenly spread over each',
         '#               class of queries.txt)',
         '#   facets-off  the same query without facets, on the line after its',
         '#               facets twin, so that the two run one after the other',
         '#               (the report gives the ratio facets / facets-off)',
         '#   deep-1k     the page at --offset 1000 (10 hits, collapsing on) of',
         '#               eight common words (every other one of ranks 1-16) and',
         '#               four mid words; a query with fewer stories than the',
         '#               offset returns an empty page',
         '#   deep-10k    the same queries at --offset 10000']
    facet_queries = (common[:2] + spread(common[2:], 4)
                     + spread(by_class['mid'], 6)
                     + spread(by_class['topic'], 4)
                     + spread(by_class['provider'], 4)
                     + spread(by_class['date'], 4))
    for text in facet_queries:
        L.append('facets\t%s\t%s' % (FACETS, text))
        L.append('facets-off\t\t%s' % text)
    deep = spread(common, 8) + spread(by_class['mid'], 4)
    for off in DEEP_OFFSETS:
        for text in deep:
            L.append('deep-%dk\t--offset %d\t%s' % (off // 1000, off, text))
    return '\n'.join(L) + '\n'


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('out', nargs='?', help='output folder')
    ap.add_argument('n', nargs='?', type=int, help='number of items')
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--jobs', type=int, default=os.cpu_count() or 1,
                    help='worker processes (default: CPU count)')
    ap.add_argument('--mutate', type=float, metavar='PCT',
                    help='rewrite PCT percent of the existing items')
    ap.add_argument('--queries', action='store_true',
                    help='print the benchmark query set')
    ap.add_argument('--queries-more', action='store_true',
                    help='print the facet and deep-page query set')
    a = ap.parse_args()
    if a.queries:
        sys.stdout.write(queries())
        return
    if a.queries_more:
        sys.stdout.write(queries_more())
        return
    if a.out is None or a.n is None or a.n < 0:
        ap.error('OUT and N are required')
    if a.mutate is not None:
        mutate(a.out, a.n, a.seed, a.mutate)
    else:
        generate(a.out, a.n, a.seed, max(1, a.jobs))


if __name__ == '__main__':
    main()
