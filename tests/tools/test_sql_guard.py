"""The query_sql guard, unit by unit: what passes is exactly what is sent, and every bypass attempt is refused."""

from __future__ import annotations

import pytest

from halo_mcp.tools.reports import SqlRefused, check_sql, tokenize

ALLOWED = [
    ("SELECT 1", "SELECT 1"),
    ("select Faultid, Symptom from FAULTS where Status <> 9", "select Faultid, Symptom from FAULTS where Status <> 9"),
    ("SELECT TOP 5 * FROM FAULTS ORDER BY dateoccured DESC;", "SELECT TOP 5 * FROM FAULTS ORDER BY dateoccured DESC"),
    ("  SELECT 2 ;  ; ", "SELECT 2"),
    ("WITH open_t AS (SELECT Faultid FROM FAULTS) SELECT COUNT(*) FROM open_t", None),
    ("WITH a (x) AS (SELECT 1), b AS (SELECT x FROM a) SELECT * FROM b", None),
    ("(SELECT 1) UNION ALL (SELECT 2)", None),
    ("SELECT a >= b, N'naïve', 1.5e3, 0x1F FROM t", None),
    # keywords inside string literals, quoted identifiers and comments are data, not SQL
    ("SELECT * FROM FAULTS WHERE Symptom LIKE '%DROP TABLE users; --%'", None),
    ("SELECT 'it''s; DELETE FROM x' AS s", None),
    ("SELECT [delete], [update] AS [set] FROM t", None),
    ('SELECT "insert" FROM t', None),
    ("SELECT updated_at, deleted, intoxicated, settings, executed FROM t", None),
    ("SELECT @@VERSION", None),
]


@pytest.mark.parametrize(("sql", "sent"), ALLOWED)
def test_read_only_selects_pass(sql: str, sent: str | None) -> None:
    assert check_sql(sql) == (sent if sent is not None else sql)


def test_comments_are_removed_from_what_is_sent() -> None:
    sent = check_sql("/* header */ SELECT 1 -- trailing\n FROM t /* x /* nested */ y */ WHERE a = 1 -- ; DROP")
    assert "header" not in sent and "DROP" not in sent and "nested" not in sent
    assert sent.split() == ["SELECT", "1", "FROM", "t", "WHERE", "a", "=", "1"]


def test_comment_between_letters_splits_words_as_sql_server_does() -> None:
    # DE/**/LETE is two identifiers to SQL Server; what is sent has a space where the comment was
    assert check_sql("SELECT DE/**/LETE FROM t") == "SELECT DE LETE FROM t"


REFUSED = [
    # not a SELECT
    ("DELETE FROM FAULTS", "only SELECT"),
    ("UPDATE FAULTS SET Status = 9", "only SELECT"),
    ("INSERT INTO AREA (aareadesc) VALUES ('x')", "only SELECT"),
    ("DROP TABLE FAULTS", "only SELECT"),
    ("TRUNCATE TABLE ACTIONS", "only SELECT"),
    ("EXEC xp_cmdshell 'whoami'", "only SELECT"),
    ("sp_who", "only SELECT"),
    ("MERGE INTO t USING s ON 1=1 WHEN MATCHED THEN DELETE;", "only SELECT"),
    ("GRANT SELECT ON FAULTS TO public", "only SELECT"),
    ("-- just a comment", "empty"),
    ("/* only */ ; ", "empty"),
    ("", "empty"),
    # chained statements
    ("SELECT 1; DELETE FROM FAULTS", "one statement"),
    ("SELECT 1;SELECT 2", "one statement"),
    ("SELECT 1 ; -- harmless?\n DROP TABLE x", "one statement"),
    # second statement without a semicolon (T-SQL allows it)
    ("SELECT 1 DELETE FROM FAULTS", "DELETE is not allowed"),
    ("SELECT 1 EXEC('DROP TABLE x')", "EXEC is not allowed"),
    ("SELECT 1 EXECUTE sp_executesql N'x'", "EXECUTE is not allowed"),
    ("SELECT 1 DECLARE @x int", "DECLARE is not allowed"),
    ("SELECT 1 SET NOCOUNT ON", "SET is not allowed"),
    ("SELECT 1 WAITFOR DELAY '00:00:10'", "WAITFOR is not allowed"),
    ("SELECT 1 SHUTDOWN", "SHUTDOWN is not allowed"),
    ("SELECT 1 BEGIN TRAN", "BEGIN is not allowed"),
    # SELECT INTO, CTE feeding a write
    ("SELECT * INTO backup_faults FROM FAULTS", "INTO is not allowed"),
    ("WITH x AS (SELECT 1 a) DELETE FROM FAULTS", "DELETE is not allowed"),
    ("WITH x AS (SELECT 1 a) UPDATE FAULTS SET Status = 1", "UPDATE is not allowed"),
    ("WITH x AS (SELECT 1 a)", "must end with a SELECT"),
    # case and width tricks
    ("sElEcT 1 dElEtE FROM t", "DELETE is not allowed"),
    ("SELECT ＤＥＬＥＴＥ FROM t", "DELETE is not allowed"),
    # numbers glued to keywords: SQL Server reads 1DELETE as 1 then DELETE
    ("SELECT 1DELETE FROM FAULTS", "DELETE is not allowed"),
    ("SELECT 1.5e3DROP TABLE t", "DROP is not allowed"),
    # comments hiding nothing: what follows a closed comment is code
    ("SELECT 1 /* c */ DELETE FROM t", "DELETE is not allowed"),
    ("SELECT 1 /* /* */ */ DELETE FROM t", "DELETE is not allowed"),
    ("SELECT 1 -- c\nDROP TABLE t", "DROP is not allowed"),
    ("SELECT 1 /* -- */ DROP TABLE t", "DROP is not allowed"),
    # a string that closes early is not a hiding place: T-SQL has no backslash escape
    ("SELECT 'abc\\' DELETE FROM t --'", "DELETE is not allowed"),
    ("SELECT 'a''' ; DROP TABLE t --'", "one statement"),
    # unterminated constructs
    ("SELECT 1 /* open", "unterminated"),
    ("SELECT 'open", "unterminated"),
    ("SELECT [open FROM t", "unterminated"),
    ('SELECT "open FROM t', "unterminated"),
    # external data and procedures
    ("SELECT * FROM OPENROWSET('SQLNCLI', 'Server=x;', 'SELECT 1')", "OPENROWSET is not allowed"),
    ("SELECT * FROM OPENQUERY(srv, 'SELECT 1')", "OPENQUERY is not allowed"),
    ("SELECT * FROM OPENDATASOURCE('SQLNCLI', 'x').db.dbo.t", "OPENDATASOURCE is not allowed"),
    ("SELECT * FROM master..xp_dirtree", "system procedures"),
    ("SELECT * FROM master.dbo.[xp_cmdshell]", "system procedures"),
    ("SELECT * FROM sp_helpdb", "system procedures"),
    ("SELECT 1 " + " " * 20_000, "longer than"),
]


@pytest.mark.parametrize(("sql", "reason"), REFUSED)
def test_everything_else_is_refused(sql: str, reason: str) -> None:
    with pytest.raises(SqlRefused) as exc:
        check_sql(sql)
    assert reason in str(exc.value)


def test_tokenizer_kinds_and_spans() -> None:
    sql = "SELECT [a]]b], 'x''y' -- c\n/* d */ 12"
    tokens = tokenize(sql)
    assert [(t.kind, t.text) for t in tokens] == [
        ("word", "SELECT"),
        ("quoted", "[a]]b]"),
        ("symbol", ","),
        ("string", "'x''y'"),
        ("comment", "-- c\n"),
        ("comment", "/* d */"),
        ("number", "12"),
    ]
    assert all(sql[t.start : t.end] == t.text for t in tokens)


def test_refusal_suggests_brackets_for_a_column_named_like_a_keyword() -> None:
    with pytest.raises(SqlRefused, match=r"\[brackets\]"):
        check_sql("SELECT set FROM t")
    assert check_sql("SELECT [set] FROM t") == "SELECT [set] FROM t"
