"""The SQL guard, unit by unit: what passes is exactly what is sent, and every bypass attempt is refused.

The guard parses T-SQL (sqlglot), so the forms a keyword scan misses are here too: T-SQL batches need no `;`.
"""

from __future__ import annotations

import importlib.util
import json
import random
import re
import time
from pathlib import Path

import pytest

from halo_mcp.tools.sql_guard import SqlRefused, check_expression, check_request, check_sql, sql_fields

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
    ("SELECT 1 EXEC('DROP TABLE x')", "could not read"),
    ("SELECT 1 EXECUTE sp_executesql N'x'", "could not read"),
    ("SELECT 1 DECLARE @x int", "could not read"),
    ("SELECT 1 SET NOCOUNT ON", "could not read"),
    ("SELECT 1 WAITFOR DELAY '00:00:10'", "could not read"),
    ("SELECT 1 SHUTDOWN", "SHUTDOWN is not allowed"),
    ("SELECT 1 BEGIN TRAN", "could not read"),
    # SELECT INTO, CTE feeding a write
    ("SELECT * INTO backup_faults FROM FAULTS", "INTO is not allowed"),
    ("WITH x AS (SELECT 1 a) DELETE FROM FAULTS", "DELETE is not allowed"),
    ("WITH x AS (SELECT 1 a) UPDATE FAULTS SET Status = 1", "UPDATE is not allowed"),
    ("WITH x AS (SELECT 1 a)", "could not read"),
    # case and width tricks
    ("sElEcT 1 dElEtE FROM t", "DELETE is not allowed"),
    ("SELECT ＤＥＬＥＴＥ FROM t", "DELETE is not allowed"),
    # numbers glued to keywords: SQL Server reads 1DELETE as 1 then DELETE
    ("SELECT 1DELETE FROM FAULTS", "DELETE is not allowed"),
    ("SELECT 1.5e3DROP TABLE t", "could not read"),
    # comments hiding nothing: what follows a closed comment is code
    ("SELECT 1 /* c */ DELETE FROM t", "DELETE is not allowed"),
    ("SELECT 1 /* /* */ */ DELETE FROM t", "DELETE is not allowed"),
    ("SELECT 1 -- c\nDROP TABLE t", "could not read"),
    ("SELECT 1 /* -- */ DROP TABLE t", "could not read"),
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
    # T-SQL batches without ';' and statements a keyword list missed (issue 8, item 2)
    ("SELECT 1 WHILE 1=1 SELECT 1", "could not read"),
    ("WHILE 1=1 SELECT 1", "WHILE is not allowed"),
    ("SELECT 1 RAISERROR('x', 16, 1) WITH LOG", "could not read"),
    ("RAISERROR('x', 16, 1) WITH LOG", "could not read"),
    ("SELECT * FROM FAULTS WITH (TABLOCKX, HOLDLOCK)", "TABLOCKX"),
    ("SELECT * FROM FAULTS WITH (NOLOCK, HOLDLOCK)", "HOLDLOCK"),
    ("SELECT * FROM FAULTS WITH (INDEX(ix_faults))", "not allowed"),
    ("SELECT NEXT VALUE FOR dbo.seq", "NEXT VALUE FOR is not allowed"),
    ("OPEN SYMMETRIC KEY k DECRYPTION BY PASSWORD = 'x'", "could not read"),
    ("SELECT 1 OPEN SYMMETRIC KEY k DECRYPTION BY PASSWORD = 'x'", "could not read"),
    ("ADD SIGNATURE TO p BY CERTIFICATE c", "could not read"),
    ("SELECT * FROM fn_xe_file_target_read_file('x*.xel', NULL, NULL, NULL)", "system procedures"),
    ("SELECT * FROM sys.fn_trace_gettable('x.trc', DEFAULT)", "system procedures"),
    ("PRINT 'x'", "only SELECT"),
    ("SELECT 1 PRINT 'x'", "could not read"),
    ("IF 1=1 SELECT 1", "only SELECT"),
    ("SELECT 1 IF 1=1 SELECT 2", "could not read"),
    ("SELECT 1 THROW 50000, 'x', 1", "could not read"),
    ("THROW 50000, 'x', 1", "could not read"),
    ("SELECT 1 GOTO done", "could not read"),
    ("SELECT 1 SAVE TRAN s", "could not read"),
    ("SELECT 1 GO", "GO is not allowed"),
    ("SELECT 1 SHUTDOWN", "SHUTDOWN is not allowed"),
    ("SELECT 1 THROW", "THROW is not allowed"),
    # where sqlglot reads more leniently than SQL Server: a reserved word as a bare alias, odd names
    ("SELECT 1 DELETE", "DELETE is not allowed"),
    ("SELECT 0xSHUTDOWN", "brackets"),
    ("SELECT $1DELETE FROM t", "brackets"),
    # variables and assignments
    ("SELECT @@VERSION", "variables"),
    ("SELECT @x", "variables"),
    ("SELECT @x = Faultid FROM FAULTS", "variables"),
    ("SELECT * FROM FAULTS WHERE Faultid = @id", "variables"),
    # functions outside the allowlist
    ("SELECT USER_NAME()", "USER_NAME is not allowed"),
    ("SELECT HOST_NAME(), DB_NAME()", "is not allowed"),
    ("SELECT dbo.my_function(1)", "MY_FUNCTION is not allowed"),
    ("SELECT * FROM OPENJSON('[]')", "is not allowed"),
    ("SELECT * FROM t CROSS APPLY STRING_SPLIT(a, ',')", "STRING_SPLIT is not allowed"),
    ("SELECT OBJECT_ID('FAULTS')", "is not allowed"),
    ("SELECT * INTO #copy FROM FAULTS", "INTO is not allowed"),
    ("SELECT * FROM FAULTS LIMIT 5", "write SELECT TOP n"),
    ("WITH r AS (SELECT 1 n UNION ALL SELECT n + 1 FROM r) SELECT n FROM r OPTION (MAXRECURSION 0)", "OPTION"),
    ("SELECT 1\u00a0DELETE FROM FAULTS", "DELETE is not allowed"),  # a no-break space separates words too
    ("SELECT 1 AS [x] DELETE FROM FAULTS", "could not read"),
    ("SELECT 1 COLLATE DELETE FROM FAULTS", "DELETE is not allowed"),
    ("SELECT FROM VALUES *", "at least one column"),  # sqlglot reads it; SQL Server would not
    ("SELECT 1 UNION SELECT * INTO t2 FROM FAULTS", "INTO is not allowed"),
]


@pytest.mark.parametrize(("sql", "reason"), REFUSED)
def test_everything_else_is_refused(sql: str, reason: str) -> None:
    with pytest.raises(SqlRefused) as exc:
        check_sql(sql)
    assert reason in str(exc.value)


def test_refusal_suggests_brackets_for_a_column_named_like_a_keyword() -> None:
    with pytest.raises(SqlRefused, match=r"\[brackets\]"):
        check_sql("SELECT set FROM t")
    assert check_sql("SELECT [set] FROM t") == "SELECT [set] FROM t"


REPORT_QUERIES = [
    "SELECT COUNT(*) FROM FAULTS",
    "SELECT COUNT(1) AS n FROM FAULTS WITH (NOLOCK) WHERE 1=1",
    "SELECT Status, COUNT(*) AS n FROM FAULTS GROUP BY Status HAVING COUNT(*) > 2 ORDER BY n DESC",
    "SELECT TOP 10 Faultid, Symptom FROM FAULTS ORDER BY dateoccured DESC",
    "SELECT TOP (5) PERCENT Faultid FROM FAULTS",
    "SELECT f.Faultid, a.aareadesc, u.uname FROM FAULTS f JOIN AREA a ON a.Aarea = f.Areaint "
    "LEFT OUTER JOIN UNAME u ON u.Unum = f.Assignedtoint",
    "WITH recent AS (SELECT Faultid, Areaint FROM FAULTS (NOLOCK) WHERE dateoccured > DATEADD(day, -30, GETDATE())) "
    "SELECT Areaint, COUNT(*) FROM recent GROUP BY Areaint",
    "SELECT DATEDIFF(hour, dateoccured, datecleared) AS hours FROM FAULTS WHERE datecleared IS NOT NULL",
    "SELECT CONVERT(varchar(10), dateoccured, 120) AS day, CAST(dateoccured AS date) AS d FROM FAULTS",
    "SELECT CASE WHEN Status = 9 THEN 'closed' ELSE 'open' END AS state, ISNULL(Assignedtoint, 0) FROM FAULTS",
    "SELECT Faultid, ROW_NUMBER() OVER (PARTITION BY Areaint ORDER BY dateoccured DESC) AS rn FROM FAULTS",
    "SELECT YEAR(dateoccured), MONTH(dateoccured), DAY(dateoccured), FORMAT(dateoccured, 'yyyy-MM') FROM FAULTS",
    "SELECT STRING_AGG(CAST(Faultid AS varchar(10)), ',') FROM FAULTS WHERE GETDATE() - 30 < dateoccured",
    "SELECT a.aareadesc, SUM(ac.timetaken) FROM ACTIONS ac WITH (NOLOCK) JOIN FAULTS f WITH (NOLOCK) "
    "ON f.Faultid = ac.Faultid JOIN AREA a ON a.Aarea = f.Areaint GROUP BY a.aareadesc",
    "SELECT * FROM FAULTS WHERE Faultid IN (SELECT Faultid FROM ACTIONS WHERE timetaken > 1) "
    "AND EXISTS (SELECT 1 FROM AREA WHERE Aarea = FAULTS.Areaint)",
    "SELECT Faultid FROM FAULTS UNION ALL SELECT Faultid FROM ACTIONS EXCEPT SELECT 1",
    "SELECT LEFT(Symptom, 20), LEN(Symptom), UPPER(LTRIM(RTRIM(Symptom))), REPLACE(Symptom, 'a', 'b') FROM FAULTS",
    "SELECT ROUND(AVG(CAST(timetaken AS float)), 2), MAX(timetaken), MIN(Whe_) FROM ACTIONS",
    "SELECT EOMONTH(GETDATE()), DATEPART(weekday, GETDATE()), DATENAME(month, GETDATE()), COALESCE(NULL, 1)",
    "SELECT LAG(dateoccured) OVER (ORDER BY Faultid), SUM(Faultid) OVER (PARTITION BY Status) FROM FAULTS",
    "SELECT SUM(timetaken) OVER (ORDER BY Whe_ ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) FROM ACTIONS",
    "SELECT TOP 10 PERCENT Symptom COLLATE Latin1_General_CI_AS FROM FAULTS FOR XML PATH",
    # Halo report styles: unqualified joins, 'string' aliases, correlated TOP 1, CONVERT(nvarchar(7), d, 126)
    "select faultid as [Ticket ID], aareadesc as [Client] from faults join area on aarea = areaint",
    "select Faultid as 'Ticket', (select top 1 whe_ from ACTIONS where ACTIONS.Faultid = FAULTS.Faultid "
    "order by actionnumber desc)'LastAction' from FAULTS",
    "select convert(nvarchar(7), dateoccured, 126) as [Month], count(*) from faults "
    "group by convert(nvarchar(7), dateoccured, 126)",
    "SELECT Faultid FROM FAULTS ORDER BY Faultid OFFSET 10 ROWS FETCH NEXT 5 ROWS ONLY",
    "SELECT COUNT(*) FROM FAULTS WHERE dateoccured >= DATEFROMPARTS(YEAR(GETDATE()), 1, 1) "
    "AND dateoccured < GETDATE() - 0.5",
    "SELECT STRING_AGG(CAST(Ssitenum AS varchar(10)), ',') WITHIN GROUP (ORDER BY Ssitenum DESC) FROM SITE",
    "SELECT FORMAT(COUNT(*) * 1.5, 'N2'), CAST(CAST(GETDATE() AS datetime) AS varchar(19)) FROM FAULTS",
]


@pytest.mark.parametrize("sql", REPORT_QUERIES)
def test_what_reports_really_use_passes(sql: str) -> None:
    assert check_sql(sql) == sql


def test_sql_server_reserved_words_pass_in_brackets_and_strings() -> None:
    sql = "SELECT 1 AS [delete], 'WHILE 1=1 SELECT 1' AS [go] FROM FAULTS WITH (NOLOCK)"
    assert check_sql(sql) == sql


def test_a_refusal_says_where_the_parser_stopped_and_what_to_change() -> None:
    with pytest.raises(SqlRefused) as exc:
        check_sql("SELECT 1 WHILE 1=1 SELECT 1")
    message = str(exc.value)
    assert "line 1, column" in message and "WHILE" in message and "remove anything after it" in message


@pytest.mark.parametrize(
    ("fragment", "refused"),
    [
        ("Status = 9 AND Areaint IN (SELECT Aarea FROM AREA WHERE AisVIP = 1)", None),
        ("DATEDIFF(day, dateoccured, GETDATE()) > 30", None),
        ("1=1) DELETE FROM FAULTS --", "could not read"),
        ("1=1; DROP TABLE FAULTS", "one statement"),
        ("1=1 WAITFOR DELAY '0:0:5'", "could not read"),
        ("Faultid = @id", "variables"),
        ("Areaint IN (SELECT Aarea INTO x FROM AREA)", "INTO is not allowed"),
        ("USER_NAME() = 'sa'", "USER_NAME is not allowed"),
    ],
)
def test_sql_fragments_are_one_expression(fragment: str, refused: str | None) -> None:
    if refused is None:
        assert check_expression(fragment) == fragment
        return
    with pytest.raises(SqlRefused, match=refused):
        check_expression(fragment)


def test_report_bodies_are_checked_at_any_depth_and_sent_as_checked() -> None:
    sent = [{"name": "r", "sql": "SELECT 1 -- note\n", "columns": [{"query": "Faultid + 1"}]}]
    query, body = check_request("POST /Report", {"x": "SELECT 1 DELETE"}, sent)
    assert body == [{"name": "r", "sql": "SELECT 1", "columns": [{"query": "Faultid + 1"}]}]
    assert query == {"x": "SELECT 1 DELETE"}  # not a SQL parameter of POST /Report
    with pytest.raises(SqlRefused, match=r"POST /Report, field SQL: only SELECT"):
        check_request("POST /Report", {}, [{"_loadreportonly": True, "SQL": "UPDATE FAULTS SET Status = 9"}])
    with pytest.raises(SqlRefused, match=r"field where_sql"):
        check_request("POST /Agent", {}, [{"customfields": [{"where_sql": "1=1 DELETE FROM FAULTS"}]}])


def test_a_sql_field_that_is_not_a_string_is_refused() -> None:
    with pytest.raises(SqlRefused, match="sent as a string"):
        check_request("POST /Report", {}, [{"sql": ["UPDATE FAULTS SET Status = 9"]}])


def test_bodies_without_sql_fields_pass_untouched() -> None:
    body = [{"summary": "SELECT 1 DELETE", "details": "DROP TABLE"}]
    assert check_request("POST /Tickets", {"a": 1}, body) == ({"a": 1}, body)


def test_the_sql_field_list_covers_reports_and_custom_field_sql() -> None:
    fields = sql_fields()
    assert fields["POST /Report"]["sql"] == "statement"
    assert fields["POST /Agent"]["where_sql"] == "expression"
    assert not any("ai_search_query" in f or "sqlserver" in f for f in fields.values())


ROOT = Path(__file__).resolve().parents[2]


def test_the_sql_field_list_is_generated_from_the_spec() -> None:
    spec = importlib.util.spec_from_file_location("gen_sql_fields", ROOT / "scripts" / "gen_sql_fields.py")
    assert spec and spec.loader
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    if not gen.DEFAULT_SPEC.is_file():
        pytest.skip(f"Halo OpenAPI spec not present at {gen.DEFAULT_SPEC}; cannot check the committed SQL field list")
    fresh = gen.render(gen.build(json.loads(gen.DEFAULT_SPEC.read_bytes())))
    committed = (ROOT / "src" / "halo_mcp" / "data" / "sql_fields.json").read_text()
    assert committed == fresh, "src/halo_mcp/data/sql_fields.json is stale: run python scripts/gen_sql_fields.py"


def test_checking_a_report_query_takes_under_ten_milliseconds() -> None:
    check_sql(REPORT_QUERIES[6])  # sqlglot imported
    started = time.perf_counter()
    for sql in REPORT_QUERIES:
        check_sql(sql)
    per_query = (time.perf_counter() - started) / len(REPORT_QUERIES)
    assert per_query < 0.010, f"{per_query * 1000:.1f} ms per query"


STATEMENTS = [
    "DELETE FROM t", "UPDATE t SET a=1", "EXEC('x')", "DROP TABLE t", "WAITFOR DELAY '0:0:5'", "SHUTDOWN",
    "DECLARE @x int", "SET NOCOUNT ON", "PRINT 1", "GO", "BEGIN TRAN", "INSERT t VALUES(1)", "TRUNCATE TABLE t",
    "KILL 1", "RETURN", "IF 1=1 SELECT 1", "THROW 1,'x',1", "; DELETE FROM t", "DELETE", "UPDATE", "EXEC", "INTO x",
    "/* */ DELETE t", "--x\nDELETE t", "1DELETE t", "0x1UPDATE t SET a=1", "COLLATE DELETE", "WITH x AS (SELECT 1)",
]  # fmt: skip
STATEMENT_WORDS = {
    "DELETE", "UPDATE", "INSERT", "EXEC", "EXECUTE", "DROP", "TRUNCATE", "MERGE", "WAITFOR", "KILL", "BEGIN", "GO",
    "IF", "RETURN", "TRAN", "SET", "SHUTDOWN", "DECLARE", "PRINT", "RAISERROR", "THROW", "GOTO", "SAVE", "WHILE",
    "COMMIT", "ROLLBACK", "USE", "GRANT", "DENY", "REVOKE", "ALTER", "CREATE", "INTO",
}  # fmt: skip


def test_a_statement_spliced_anywhere_into_a_report_query_never_gets_through() -> None:
    """3,000 seeded mutations: a statement or keyword put at any word boundary of a real report query, with or
    without a comment or space around it. Whatever the guard accepts holds no statement word outside strings and
    [names]."""
    rng = random.Random(11)
    accepted = 0
    for _ in range(3_000):
        words = re.split(r"(\s+)", rng.choice(REPORT_QUERIES))
        at, glue = rng.randrange(len(words) + 1), rng.choice([" ", "", "\n", "/**/"])
        sql = "".join(words[:at]) + glue + rng.choice(STATEMENTS) + glue + "".join(words[at:])
        try:
            sent = check_sql(sql)
        except SqlRefused:
            continue
        accepted += 1
        bare = re.sub(r"'[^']*'|\[[^\]]*\]", " ", sent).upper()
        assert not set(re.findall(r"[A-Z_][A-Z_0-9]*", bare)) & STATEMENT_WORDS, (sql, sent)
    assert accepted > 10  # the splices inside strings and names, which are data
