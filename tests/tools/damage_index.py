#!/usr/bin/env python3
"""damage_index.py SRC DST SHAPE [ARG]...: copy the newsidx index SRC to DST
and damage the copy on purpose, in one precise way, for
tests/cli/T630-hostile-index.sh (issue 13).  Standard library only.

Prints one line saying what was damaged (the record, the old and the new
value); exits 1, with a message on stderr, when the damage could not be
applied as asked (the record is missing, or it would not change), so that a
test never runs its queries on an index that is not damaged.  Each shape
re-reads what it wrote through a new connection and checks it.

The FTS5 storage format is that of SQLite 3.40 (ext/fts5/fts5_index.c), as
indexer/format/fts5read.c reads it:
  - record id of leaf PGNO of segment SEGID: (SEGID << 37) + PGNO;
  - a leaf: u16 big-endian offset of its first rowid (0: none), u16 szLeaf
    (where the page index starts), the page's bytes, then the page index:
    varints, the offset of the first term, then deltas to the next ones;
  - a term: the first on a leaf is varint nNew and nNew bytes; each later
    one varint nKeep, varint nNew and nNew bytes (prefix-compressed); its
    doclist follows: varint rowid (absolute; deltas after the first), varint
    size (bytes * 2 + delete flag), the position list;
  - the first rowid on a later leaf of a doclist is absolute;
  - the structure record (id 10): 4-byte cookie, varints nLevel, nSegment,
    nWriteCounter, then per level nMerge, nSeg and per segment segid,
    pgnoFirst, pgnoLast;
  - fts_idx(segid, term, pgno): pgno is (leaf << 1) | has-dlidx, the term
    FTS5's key ('0' and the token) or a prefix of it;
  - varints are SQLite's: big-endian groups of 7 bits, the ninth byte whole.

Shapes (WORD is a token of the fts table, such as `robot`):
  info WORD               print the structure and WORD's leaves (no damage)
  leaf-rowid-offset WORD  move the first-rowid offset of a middle leaf of
                          WORD's doclist by a few dozen bytes, onto a
                          varint smaller than its rowid (rowids go back)
  struct-level            add a level of 0x7fffffff segments to id 10
  struct-pglast WORD      pgnoLast of WORD's segment := 0x7ffffff0
  footer-delta WORD       the page-index delta after WORD's term on its
                          first leaf := 0x7fffffff (added if it is last)
  weights VALUE           meta('weights') := VALUE
  item-id ID NEWID        items.id ID := NEWID, with files.id,
                          item_topics.item_id and related.item_id
  item-id-fts ID NEWID    the same, and the fts rowid and docinfo slot too
  poslist-col WORD        in every position list wholly on WORD's first
                          leaf, a column number := 200 (>= 128), the rest
                          of the list huge position deltas
  date ID1 ID2            published_at (items and docinfo) of ID1 :=
                          INT64_MIN, of ID2 := INT64_MAX
  df WORD...              terms.df of each WORD := 2^63 - 1 - k
  leaf-truncate WORD      WORD's first leaf cut to half its size
  leaf-missing WORD       a middle leaf of WORD's doclist deleted
  idx-missing WORD        the fts_idx row of WORD's first leaf deleted
  bounds-size WORD        bounds(WORD, chunk 0).data one byte short
  docinfo-missing BLOCK   docinfo block BLOCK deleted
  docinfo-size BLOCK      docinfo block BLOCK cut to its first 9216 bytes
  bound-avg VALUE         meta('bound_avg') := VALUE
"""
import os
import sqlite3
import struct
import sys
import urllib.parse

STRUCTURE_ID = 10
DOCINFO_SLOTS = 1024
DOCINFO_BYTES = 45 * DOCINFO_SLOTS
# (offset, width) of each per-slot array of a docinfo block (docs/schema.md)
DOCINFO_FIELDS = [(0, 2), (2048, 2), (4096, 2), (6144, 2), (8192, 1),
                  (9216, 4), (13312, 4), (17408, 8), (25600, 4), (29696, 8),
                  (37888, 8)]
DOCINFO_FLAGS_OFF = 8192
DOCINFO_DATE_OFF = 17408
DOCINFO_HAS_DATE = 4
INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1


class Fail(Exception):
    pass


def need(cond, what):
    if not cond:
        raise Fail(what)


# ---------------------------------------------------------------- varints
def varint_get(a, i):
    """SQLite varint at a[i]: (value, bytes)."""
    v = 0
    for k in range(8):
        need(i + k < len(a), "varint past the end of the record")
        b = a[i + k]
        v = (v << 7) | (b & 0x7f)
        if not b & 0x80:
            return v, k + 1
    need(i + 8 < len(a), "varint past the end of the record")
    return (v << 8) | a[i + 8], 9


def varint_put(v):
    need(0 <= v < 1 << 64, "varint out of range")
    if v >= 1 << 56:
        out = [v & 0xff]
        v >>= 8
        for _ in range(8):
            out.append((v & 0x7f) | 0x80)
            v >>= 7
        return bytes(reversed(out))
    out = [v & 0x7f]
    v >>= 7
    while v:
        out.append((v & 0x7f) | 0x80)
        v >>= 7
    return bytes(reversed(out))


assert varint_get(varint_put(0x7fffffff), 0) == (0x7fffffff, 5)
assert varint_get(varint_put(INT64_MAX), 0) == (INT64_MAX, 9)
assert varint_get(varint_put(200), 0) == (200, 2)


def u16(a, i):
    return a[i] << 8 | a[i + 1]


def leaf_id(segid, pgno):
    return (segid << 37) + pgno


# ---------------------------------------------------------------- records
class Index:
    def __init__(self, path):
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA busy_timeout = 10000")

    def one(self, sql, *args):
        row = self.db.execute(sql, args).fetchone()
        return row[0] if row else None

    def record(self, rid):
        b = self.one("SELECT block FROM fts_data WHERE id = ?", rid)
        need(b is not None, "fts_data record %d is missing" % rid)
        return bytes(b)

    def structure(self):
        return Structure(self.record(STRUCTURE_ID))

    def term_leaf(self, word):
        """(segment, leaf pgno, dlidx flag) where WORD's doclist starts,
        in the segment holding the longest doclist of WORD."""
        key = b"0" + word.encode()
        best = None
        for seg in self.structure().segments():
            row = self.db.execute(
                "SELECT pgno FROM fts_idx WHERE segid = ? AND term <= ?"
                " ORDER BY term DESC LIMIT 1", (seg[0], key)).fetchone()
            if row is None:
                continue
            pg, dl = row[0] >> 1, row[0] & 1
            leaf = Leaf(self.record(leaf_id(seg[0], pg)))
            if leaf.find_term(key) is None:
                continue
            n = len(self.doclist_leaves(seg, pg, key))
            if best is None or n > best[3]:
                best = (seg, pg, dl, n)
        need(best is not None, "no segment holds the term %r" % word)
        return best[:3]

    def doclist_leaves(self, seg, pg, key):
        """The leaves of the doclist of KEY starting on leaf PG: the first
        and every later one up to the next term (or the segment's end)."""
        out = [pg]
        leaf = Leaf(self.record(leaf_id(seg[0], pg)))
        at = leaf.find_term(key)
        if leaf.term_after(at) is not None:
            return out
        p = pg + 1
        while p <= seg[2]:
            out.append(p)
            if Leaf(self.record(leaf_id(seg[0], p))).terms:
                break
            p += 1
        return out

    def middle_leaf(self, word):
        """A termless leaf in the middle of WORD's doclist that starts a
        rowid: (segment, pgno, Leaf)."""
        seg, pg, _ = self.term_leaf(word)
        key = b"0" + word.encode()
        leaves = self.doclist_leaves(seg, pg, key)
        cands = []
        for p in leaves[1:]:
            leaf = Leaf(self.record(leaf_id(seg[0], p)))
            if not leaf.terms and leaf.first_rowid_off != 0:
                cands.append((p, leaf))
        need(len(cands) >= 2,
             "the doclist of %r spans too few leaves (%d)" % (word, len(leaves)))
        p, leaf = cands[len(cands) // 2]
        return seg, p, leaf

    def put_record(self, rid, data):
        cur = self.db.execute("UPDATE fts_data SET block = ? WHERE id = ?",
                              (data, rid))
        need(cur.rowcount == 1, "fts_data record %d not updated" % rid)


class Structure:
    def __init__(self, a):
        need(len(a) >= 7, "structure record too short")
        self.cookie = a[:4]
        i = 4
        n_levels, k = varint_get(a, i)
        i += k
        self.n_segment, k = varint_get(a, i)
        i += k
        self.write_counter, k = varint_get(a, i)
        i += k
        self.levels = []
        for _ in range(n_levels):
            n_merge, k = varint_get(a, i)
            i += k
            n_seg, k = varint_get(a, i)
            i += k
            segs = []
            for _ in range(n_seg):
                s = []
                for _ in range(3):
                    v, k = varint_get(a, i)
                    i += k
                    s.append(v)
                segs.append(s)
            self.levels.append([n_merge, segs])
        need(i == len(a), "structure record has %d bytes after it" % (len(a) - i))
        need(self.encode() == a, "structure record does not re-encode")

    def segments(self):
        return [s for lv in self.levels for s in lv[1]]

    def encode(self):
        out = bytearray(self.cookie)
        out += varint_put(len(self.levels))
        out += varint_put(self.n_segment)
        out += varint_put(self.write_counter)
        for n_merge, segs in self.levels:
            out += varint_put(n_merge) + varint_put(len(segs))
            for s in segs:
                out += b"".join(varint_put(v) for v in s)
        return bytes(out)


class Leaf:
    def __init__(self, a):
        need(len(a) >= 4, "leaf shorter than its header")
        self.a = a
        self.first_rowid_off = u16(a, 0)
        self.sz = u16(a, 2)
        need(4 <= self.sz <= len(a), "leaf szLeaf out of range")
        # The page index: absolute term offsets.
        self.terms = []
        i, off = self.sz, 0
        while i < len(a):
            v, k = varint_get(a, i)
            i += k
            off += v
            self.terms.append(off)

    def footer(self):
        """The page index as its raw varints (first offset, deltas)."""
        out, prev = [], 0
        for t in self.terms:
            out.append(t - prev)
            prev = t
        return out

    def find_term(self, key):
        """The offset of KEY's doclist on this leaf, or None."""
        term = b""
        for n, off in enumerate(self.terms):
            i = off
            keep = 0
            if n > 0:
                keep, k = varint_get(self.a, i)
                i += k
            new, k = varint_get(self.a, i)
            i += k
            term = term[:keep] + self.a[i:i + new]
            if term == key:
                return i + new
        return None

    def term_after(self, doclist_off):
        for t in self.terms:
            if t > doclist_off:
                return t
        return None

    def entries(self, start):
        """The doclist entries on this leaf from START: a list of
        (entry offset, rowid, poslist offset, poslist size), stopping at
        the next term, at szLeaf, or at a list that runs over the page."""
        end = self.term_after(start) or self.sz
        out, i, rowid = [], start, 0
        while i < end:
            at = i
            v, k = varint_get(self.a, i)
            i += k
            rowid = v if not out else rowid + v
            size, k = varint_get(self.a, i)
            i += k
            out.append((at, rowid, i, size >> 1))
            i += size >> 1
            if i > end:
                break
        return out

    def with_footer(self, deltas):
        return self.a[:self.sz] + b"".join(varint_put(d) for d in deltas)


# ---------------------------------------------------------------- shapes
def shape_info(ix, word):
    st = ix.structure()
    print("structure: %d levels, %d segments, counter %d: %r" % (
        len(st.levels), st.n_segment, st.write_counter, st.levels))
    seg, pg, dl = ix.term_leaf(word)
    key = b"0" + word.encode()
    leaves = ix.doclist_leaves(seg, pg, key)
    print("%s: segment %d, leaves %s, dlidx %d" % (word, seg[0], leaves, dl))
    for p in leaves:
        lf = Leaf(ix.record(leaf_id(seg[0], p)))
        print("  leaf %d: %d bytes, szLeaf %d, first rowid at %d, terms %s" % (
            p, len(lf.a), lf.sz, lf.first_rowid_off, lf.terms))
    return None


def shape_leaf_rowid_offset(ix, word):
    seg, pg, leaf = ix.middle_leaf(word)
    a = leaf.a
    old = leaf.first_rowid_off
    rowid, _ = varint_get(a, old)
    starts = {e[0] for e in leaf.entries(old)}
    for d in range(24, 64):
        new = old + d
        if new + 9 >= leaf.sz or new in starts:
            continue
        v, _ = varint_get(a, new)
        if 0 < v < rowid:
            break
    else:
        raise Fail("no offset 24..63 bytes on gives a smaller rowid")
    ix.put_record(leaf_id(seg[0], pg), struct.pack(">H", new) + a[2:])
    got = Leaf(ix.record(leaf_id(seg[0], pg)))
    need(got.first_rowid_off == new and got.a[2:] == a[2:], "not written")
    return ("leaf %d of segment %d (record %d, in the doclist of %r): first-rowid"
            " offset %d -> %d (+%d): first rowid %d -> %d" % (
                pg, seg[0], leaf_id(seg[0], pg), word, old, new, new - old,
                rowid, v))


def shape_struct_level(ix):
    old = ix.record(STRUCTURE_ID)
    st = Structure(old)
    need(st.segments(), "the structure has no segment")
    n_levels = len(st.levels)
    # The levels as they are, nLevel + 1, and a last level of nMerge 0 and
    # nSeg 0x7fffffff with one segment's worth of bytes after it (so that
    # the record does not simply end there).
    body = st.encode()[4 + len(varint_put(n_levels)):]
    new = (st.cookie + varint_put(n_levels + 1) + body + varint_put(0) +
           varint_put(0x7fffffff) +
           b"".join(varint_put(v) for v in st.segments()[0]))
    ix.put_record(STRUCTURE_ID, new)
    got = ix.record(STRUCTURE_ID)
    need(got == new and got != old, "not written")
    i = 4
    n, k = varint_get(got, i)
    need(n == n_levels + 1, "nLevel not raised")
    return ("structure record (id 10): nLevel %d -> %d, the new level has"
            " nSeg 0x7fffffff; %s -> %s" % (n_levels, n, old.hex(), got.hex()))


def shape_struct_pglast(ix, word):
    old = ix.record(STRUCTURE_ID)
    st = Structure(old)
    seg, _, _ = ix.term_leaf(word)
    done = None
    for lv in st.levels:
        for s in lv[1]:
            if s[0] == seg[0]:
                done = s[2]
                s[2] = 0x7ffffff0
    need(done is not None and done != 0x7ffffff0, "segment not found")
    new = st.encode()
    ix.put_record(STRUCTURE_ID, new)
    got = ix.record(STRUCTURE_ID)
    need(got == new and got != old, "not written")
    return ("structure record (id 10): pgnoLast of segment %d %d -> 0x7ffffff0;"
            " %s -> %s" % (seg[0], done, old.hex(), got.hex()))


def shape_footer_delta(ix, word):
    seg, pg, _ = ix.term_leaf(word)
    rid = leaf_id(seg[0], pg)
    leaf = Leaf(ix.record(rid))
    key = b"0" + word.encode()
    at = leaf.find_term(key)
    need(at is not None, "term not on its leaf")
    deltas = leaf.footer()
    j = max(n for n, t in enumerate(leaf.terms) if t < at)  # WORD's entry
    if j + 1 < len(deltas):
        what = "delta %d (of %d) %d -> 0x7fffffff" % (j + 1, len(deltas),
                                                      deltas[j + 1])
        deltas[j + 1] = 0x7fffffff
    else:
        what = "delta 0x7fffffff added after the last (of %d)" % len(deltas)
        deltas.append(0x7fffffff)
    new = leaf.with_footer(deltas)
    ix.put_record(rid, new)
    got = Leaf(ix.record(rid))
    need(got.a == new and got.footer() == deltas, "not written")
    return ("leaf %d of segment %d (record %d, where %r starts): page index %s;"
            " footer now %s" % (pg, seg[0], rid, word, what,
                                [hex(d) for d in deltas]))


def shape_weights(ix, value):
    old = ix.one("SELECT value FROM meta WHERE key = 'weights'")
    ix.db.execute("INSERT OR REPLACE INTO meta VALUES('weights', ?)", (value,))
    got = ix.one("SELECT value FROM meta WHERE key = 'weights'")
    need(got == value and got != old, "not written")
    return "meta('weights') %r -> %r" % (old, got)


ID_TABLES = [("items", "id"), ("files", "id"), ("item_topics", "item_id"),
             ("related", "item_id")]


def docinfo_move(ix, old_id, new_id):
    """Move the docinfo slot of OLD_ID to NEW_ID (a new block if need be)."""
    ob, os_ = divmod(old_id, DOCINFO_SLOTS)
    nb, ns = divmod(new_id, DOCINFO_SLOTS)
    src = ix.one("SELECT data FROM docinfo WHERE block = ?", ob)
    need(src is not None and len(src) == DOCINFO_BYTES,
         "docinfo block %d missing" % ob)
    src = bytearray(src)
    need(src[DOCINFO_FLAGS_OFF + os_] & 1, "docinfo slot of %d empty" % old_id)
    dst = ix.one("SELECT data FROM docinfo WHERE block = ?", nb)
    dst = bytearray(dst if dst is not None else DOCINFO_BYTES)
    for off, w in DOCINFO_FIELDS:
        dst[off + w * ns:off + w * (ns + 1)] = src[off + w * os_:off + w * (os_ + 1)]
        src[off + w * os_:off + w * (os_ + 1)] = bytes(w)
    ix.db.execute("UPDATE docinfo SET data = ? WHERE block = ?", (bytes(src), ob))
    ix.db.execute("INSERT OR REPLACE INTO docinfo VALUES(?, ?)", (nb, bytes(dst)))
    return nb


def shape_item_id(ix, old_id, new_id, with_fts):
    old_id, new_id = int(old_id), int(new_id)
    need(ix.one("SELECT count(*) FROM items WHERE id = ?", old_id) == 1,
         "no item %d" % old_id)
    need(ix.one("SELECT count(*) FROM items WHERE id = ?", new_id) == 0,
         "item %d exists" % new_id)
    ix.db.execute("BEGIN")
    moved = []
    for table, col in ID_TABLES:
        n = ix.db.execute("UPDATE %s SET %s = ? WHERE %s = ?" % (table, col, col),
                          (new_id, old_id)).rowcount
        moved.append("%s.%s (%d rows)" % (table, col, n))
    if with_fts:
        n = ix.db.execute("UPDATE fts SET rowid = ? WHERE rowid = ?",
                          (new_id, old_id)).rowcount
        need(n == 1, "fts row %d not moved" % old_id)
        moved.append("fts.rowid")
        nb = docinfo_move(ix, old_id, new_id)
        moved.append("the docinfo slot (now block %d)" % nb)
    ix.db.execute("COMMIT")
    need(ix.one("SELECT max(id) FROM items") == new_id, "items.id not moved")
    need(ix.one("SELECT count(*) FROM files WHERE id = ?", new_id) == 1,
         "files.id not moved")
    if with_fts:
        need(ix.one("SELECT count(*) FROM fts WHERE rowid = ?", new_id) == 1,
             "fts rowid not moved")
        d = ix.one("SELECT data FROM docinfo WHERE block = ?",
                   new_id // DOCINFO_SLOTS)
        need(d is not None and d[DOCINFO_FLAGS_OFF + new_id % DOCINFO_SLOTS] & 1,
             "docinfo not moved")
    else:
        need(ix.one("SELECT count(*) FROM fts WHERE rowid = ?", old_id) == 1,
             "fts row changed")
    return "item %d -> %d in %s" % (old_id, new_id, ", ".join(moved))


def shape_poslist_col(ix, word):
    seg, pg, _ = ix.term_leaf(word)
    rid = leaf_id(seg[0], pg)
    leaf = Leaf(ix.record(rid))
    at = leaf.find_term(b"0" + word.encode())
    need(at is not None, "term not on its leaf")
    a = bytearray(leaf.a)
    n_done, first = 0, None
    for _, rowid, off, n in leaf.entries(at):
        if off + n > leaf.sz:
            break  # runs over to the next leaf
        # the first column marker (0x01 and a one-byte column) of the list
        i, m = off, None
        while i < off + n:
            if a[i] == 0x01 and i + 2 < off + n and a[i + 1] < 0x80:
                m = i
                break
            _, k = varint_get(a, i)
            i += k
        if m is None:
            continue
        body = bytearray(varint_put(200))  # column 200: two bytes
        room = off + n - (m + 1) - len(body)
        while room >= 5:
            body += varint_put(0x7fffffff)  # a position delta near 2^31
            room -= 5
        body += b"\x02" * room  # deltas of 0 (stored as 2)
        a[m + 1:off + n] = body
        n_done += 1
        if first is None:
            first = rowid
    need(n_done > 0, "no position list with a column marker on the leaf")
    ix.put_record(rid, bytes(a))
    got = ix.record(rid)
    need(got == bytes(a) and got != leaf.a, "not written")
    return ("leaf %d of segment %d (record %d, where %r starts): %d position"
            " lists (the first of rowid %d) given column 200 and position"
            " deltas of 0x7fffffff" % (pg, seg[0], rid, word, n_done, first))


def shape_date(ix, id1, id2):
    out = []
    for item_id, v in ((int(id1), INT64_MIN), (int(id2), INT64_MAX)):
        n = ix.db.execute("UPDATE items SET published_at = ? WHERE id = ?",
                          (v, item_id)).rowcount
        need(n == 1, "no item %d" % item_id)
        b, s = divmod(item_id, DOCINFO_SLOTS)
        d = ix.one("SELECT data FROM docinfo WHERE block = ?", b)
        need(d is not None and len(d) == DOCINFO_BYTES, "docinfo block %d" % b)
        d = bytearray(d)
        d[DOCINFO_DATE_OFF + 8 * s:DOCINFO_DATE_OFF + 8 * s + 8] = \
            struct.pack("<q", v)
        d[DOCINFO_FLAGS_OFF + s] |= DOCINFO_HAS_DATE
        ix.db.execute("UPDATE docinfo SET data = ? WHERE block = ?",
                      (bytes(d), b))
        got = ix.one("SELECT data FROM docinfo WHERE block = ?", b)
        need(struct.unpack_from("<q", got, DOCINFO_DATE_OFF + 8 * s)[0] == v
             and ix.one("SELECT published_at FROM items WHERE id = ?",
                        item_id) == v, "not written")
        out.append("item %d: published_at and docinfo date := %d" % (item_id, v))
    return "; ".join(out)


def shape_df(ix, *words):
    out = []
    for k, w in enumerate(words):
        v = INT64_MAX - k
        old = ix.one("SELECT df FROM terms WHERE term = ?", w)
        need(old is not None, "no term %r" % w)
        ix.db.execute("UPDATE terms SET df = ? WHERE term = ?", (v, w))
        need(ix.one("SELECT df FROM terms WHERE term = ?", w) == v, "not written")
        out.append("%s %d -> %d" % (w, old, v))
    return "terms.df: " + ", ".join(out)


def shape_leaf_truncate(ix, word):
    seg, pg, _ = ix.term_leaf(word)
    rid = leaf_id(seg[0], pg)
    old = ix.record(rid)
    leaf = Leaf(old)
    new = old[:len(old) // 2]
    need(len(new) < leaf.sz, "the cut leaves szLeaf in the record")
    ix.put_record(rid, new)
    need(ix.record(rid) == new, "not written")
    return ("leaf %d of segment %d (record %d, where %r starts): %d -> %d bytes"
            " (szLeaf %d)" % (pg, seg[0], rid, word, len(old), len(new), leaf.sz))


def shape_leaf_missing(ix, word):
    seg, pg, leaf = ix.middle_leaf(word)
    rid = leaf_id(seg[0], pg)
    n = ix.db.execute("DELETE FROM fts_data WHERE id = ?", (rid,)).rowcount
    need(n == 1, "record %d not deleted" % rid)
    need(ix.one("SELECT count(*) FROM fts_data WHERE id = ?", rid) == 0,
         "still there")
    return ("leaf %d of segment %d (record %d, %d bytes, in the middle of the"
            " doclist of %r) deleted" % (pg, seg[0], rid, len(leaf.a), word))


def shape_idx_missing(ix, word):
    seg, pg, dl = ix.term_leaf(word)
    row = ix.db.execute("SELECT term, pgno FROM fts_idx WHERE segid = ? AND"
                        " pgno >> 1 = ?", (seg[0], pg)).fetchone()
    need(row is not None, "no fts_idx row for leaf %d" % pg)
    n = ix.db.execute("DELETE FROM fts_idx WHERE segid = ? AND term = ?",
                      (seg[0], row[0])).rowcount
    need(n == 1, "not deleted")
    need(ix.one("SELECT count(*) FROM fts_idx WHERE segid = ? AND pgno >> 1 = ?",
                seg[0], pg) == 0, "still there")
    return ("fts_idx row (segid %d, term %r, pgno %d = leaf %d, dlidx %d) of the"
            " leaf where %r starts deleted" % (seg[0], bytes(row[0]), row[1],
                                               pg, dl, word))


def shape_bounds_size(ix, word):
    old = ix.one("SELECT data FROM bounds WHERE term = ? AND chunk = 0", word)
    need(old is not None, "no bounds row for %r" % word)
    new = bytes(old)[:-1]
    ix.db.execute("UPDATE bounds SET data = ? WHERE term = ? AND chunk = 0",
                  (new, word))
    got = ix.one("SELECT data FROM bounds WHERE term = ? AND chunk = 0", word)
    need(got == new and len(got) != len(old), "not written")
    return "bounds(%r, chunk 0).data: %d -> %d bytes" % (word, len(old), len(got))


def shape_docinfo_missing(ix, block):
    block = int(block)
    n = ix.db.execute("DELETE FROM docinfo WHERE block = ?", (block,)).rowcount
    need(n == 1, "no docinfo block %d" % block)
    need(ix.one("SELECT count(*) FROM docinfo WHERE block = ?", block) == 0,
         "still there")
    n_items = ix.one("SELECT count(*) FROM items WHERE id >> 10 = ?", block)
    return "docinfo block %d (of %d items) deleted" % (block, n_items)


def shape_docinfo_size(ix, block):
    block = int(block)
    old = ix.one("SELECT data FROM docinfo WHERE block = ?", block)
    need(old is not None and len(old) == DOCINFO_BYTES, "no docinfo block")
    new = bytes(old)[:9 * DOCINFO_SLOTS]
    ix.db.execute("UPDATE docinfo SET data = ? WHERE block = ?", (new, block))
    got = ix.one("SELECT data FROM docinfo WHERE block = ?", block)
    need(got == new, "not written")
    return "docinfo block %d: %d -> %d bytes" % (block, len(old), len(got))


def shape_bound_avg(ix, value):
    old = ix.one("SELECT value FROM meta WHERE key = 'bound_avg'")
    need(old is not None, "no meta('bound_avg')")
    ix.db.execute("INSERT OR REPLACE INTO meta VALUES('bound_avg', ?)", (value,))
    got = ix.one("SELECT value FROM meta WHERE key = 'bound_avg'")
    need(got == value and got != old, "not written")
    return "meta('bound_avg') %r -> %r" % (old, got)


SHAPES = {
    "info": (shape_info, 1),
    "leaf-rowid-offset": (shape_leaf_rowid_offset, 1),
    "struct-level": (shape_struct_level, 0),
    "struct-pglast": (shape_struct_pglast, 1),
    "footer-delta": (shape_footer_delta, 1),
    "weights": (shape_weights, 1),
    "item-id": (lambda ix, a, b: shape_item_id(ix, a, b, False), 2),
    "item-id-fts": (lambda ix, a, b: shape_item_id(ix, a, b, True), 2),
    "poslist-col": (shape_poslist_col, 1),
    "date": (shape_date, 2),
    "df": (shape_df, -1),
    "leaf-truncate": (shape_leaf_truncate, 1),
    "leaf-missing": (shape_leaf_missing, 1),
    "idx-missing": (shape_idx_missing, 1),
    "bounds-size": (shape_bounds_size, 1),
    "docinfo-missing": (shape_docinfo_missing, 1),
    "docinfo-size": (shape_docinfo_size, 1),
    "bound-avg": (shape_bound_avg, 1),
}


def copy_index(src, dst):
    """A consistent copy through SQLite's backup API (the source may be in
    WAL mode with a -wal file)."""
    s = sqlite3.connect("file:%s?mode=ro" % urllib.parse.quote(
        os.path.abspath(src)), uri=True)
    d = sqlite3.connect(dst)
    s.backup(d)
    s.close()
    d.close()


def main(argv):
    if len(argv) < 4 or argv[3] not in SHAPES:
        print(__doc__, file=sys.stderr)
        return 2
    src, dst, shape, args = argv[1], argv[2], argv[3], argv[4:]
    fn, n_args = SHAPES[shape]
    if (n_args >= 0 and len(args) != n_args) or (n_args < 0 and not args):
        print("damage_index.py: %s takes %s argument(s)" % (
            shape, n_args if n_args >= 0 else "one or more"), file=sys.stderr)
        return 2
    try:
        if shape != "info":
            copy_index(src, dst)
            ix = Index(dst)
        else:
            ix = Index(src)
        what = fn(ix, *args)
        ix.db.close()
        if what is not None:
            print(what)
    except (Fail, sqlite3.Error) as e:
        print("damage_index.py: %s: %s" % (shape, e), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
