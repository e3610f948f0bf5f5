"""The typed operations' SQL is what a second backend can run (issue 9):
no SQLite-only spelling outside the SQLite driver and its migrations
(docs/design.md, "What a store driver must provide")."""
import glob
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DRIVER = {"store_sqlite.c", "store_schema_sqlite.c", "store_pg.c",
          "store_schema_pg.c"}

# Each with what replaced it; matched against the SQL text of one file.
SQLITE_ONLY = [
    (r"\bINSERT\s+OR\s+(IGNORE|REPLACE)\b", "ON CONFLICT"),
    (r"\bREPLACE\s+INTO\b", "ON CONFLICT ... DO UPDATE"),
    (r"\bjson_\w+\s*\(", "STORE_ID_SET / STORE_TEXT_SET"),
    (r"\binstr\s*\(", "an id or text set, or LIKE with store_like_contains"),
    (r"x'ff'|\\xff", "store_next_prefix"),
    (r"\bLIMIT\s+-1\b", "LIMIT with the largest integer"),
    (r"\bBEGIN\s+(IMMEDIATE|EXCLUSIVE|DEFERRED)\b", "store_ops.begin_write"),
    (r"\bWITHOUT\s+ROWID\b", "the driver's migrations or session_tables"),
    (r"\btemp\.\w", "unqualified temporary tables"),
    (r"\b(PRAGMA|GLOB|REGEXP|AUTOINCREMENT|INDEXED\s+BY|NOT\s+INDEXED)\b",
     "the driver"),
    (r"\bsqlite_\w+", "the driver"),
    (r"\b(strftime|datetime|julianday|unixepoch|ifnull|iif|printf|"
     r"group_concat|randomblob|typeof|last_insert_rowid|changes)\s*\(",
     "portable SQL or a driver operation"),
    (r"\bCOLLATE\s+NOCASE\b", "lower() on both sides"),
    # A comparison is an integer in SQLite, a boolean in PostgreSQL,
    # which has no SUM(boolean).
    (r"\bSUM\s*\(\s*\(?[\w.]+(\s*&\s*\?\))?\s*(=|<>|<=|>=|<|>)",
     "SUM(CASE WHEN ... THEN 1 ELSE 0 END)"),
]


def sql_text(path):
    """The file's string literals, joined: the SQL it sends (and its
    messages, which name none of the constructs above)."""
    with open(path, encoding="utf-8") as f:
        src = f.read()
    src = re.sub(r"/\*.*?\*/", " ", src, flags=re.S)
    src = re.sub(r"//[^\n]*", " ", src)
    # Character literals ('"') would open a string here.
    src = re.sub(r"'(\\.|[^'\\\n])'", " ", src)
    return " ".join(m.group(1) for m in
                    re.finditer(r'"((?:[^"\\\n]|\\.)*)"', src))


def scalar_max_min(text):
    """MAX( or MIN( with a comma at its own depth: SQLite's scalar form."""
    found = []
    for m in re.finditer(r"\b(MAX|MIN)\s*\(", text, re.I):
        depth = 0
        for ch in text[m.end() - 1:]:
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
                if depth == 0:
                    break
            elif ch == "," and depth == 1:
                found.append(text[m.start():m.start() + 40])
                break
    return found


def typed_operation_files():
    files = sorted(f for f in glob.glob(os.path.join(ROOT, "src", "store",
                                                     "*.c"))
                   if os.path.basename(f) not in DRIVER)
    assert len(files) > 10, files
    return files


def test_typed_operations_use_no_sqlite_only_sql():
    problems = []
    for path in typed_operation_files():
        text = sql_text(path)
        name = os.path.relpath(path, ROOT)
        for pattern, instead in SQLITE_ONLY:
            for m in re.finditer(pattern, text, re.I):
                problems.append(f"{name}: {m.group(0)!r} (use {instead})")
        for hit in scalar_max_min(text):
            problems.append(f"{name}: scalar {hit!r} (use GREATEST/LEAST)")
    assert problems == []


def test_the_check_sees_what_it_forbids():
    # The scan must be able to fail: each pattern finds its construct.
    samples = ["INSERT OR IGNORE INTO t", "INSERT OR REPLACE INTO t",
               "IN (SELECT value FROM json_each(?))", "instr(?, x) > 0",
               "key < ? || x'ff'", "LIMIT -1", "BEGIN IMMEDIATE",
               "WITHOUT ROWID", "FROM temp.expansion", "PRAGMA x",
               "sqlite_master", "strftime('%s')", "a COLLATE NOCASE",
               "SUM((flags & ?) = 0)", "SUM(uid >= (SELECT 1))"]
    for sample in samples:
        assert any(re.search(p, sample, re.I) for p, _ in SQLITE_ONLY), sample
    assert scalar_max_min("SELECT MAX(a, (SELECT MAX(b) FROM t))")
    assert not scalar_max_min("SELECT MAX(b), COUNT(*) FROM t")
    assert not scalar_max_min("COALESCE(MAX(x), 0), y")
