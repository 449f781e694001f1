/*
 * Writes the generated cases of the differential test (tests/cli/test_differential.sh):
 * migration scripts per dialect, built from templates of statements that are easy to split
 * wrongly (quotes and comments holding semicolons, nested comments, dollar quotes, E and
 * Unicode strings, CREATE RULE, BEGIN ATOMIC, trigger and routine bodies using begin and
 * end as names, CASE, DELIMITER variants, executable comments, COPY FROM stdin, ...),
 * joined with varied whitespace, comments and terminators by a fixed-seed generator, so
 * that every run tests the same cases.
 *
 *   gen_cases DIR   writes
 *     DIR/sqlite/NNN/001_case.up.sql, DIR/postgres/NNN/..., DIR/mysql/NNN/...
 *                   schema cases: applied by strata and by the database's own client;
 *     DIR/mysql/NNN.client.sql
 *                   the mysql client's spelling of a MySQL case, where it differs: the
 *                   client splits at every delimiter, so bodies get DELIMITER around them;
 *     DIR/sqlite-bounds/NNN.sql
 *                   more SQLite scripts, for the statement-boundary comparison only.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Markers inside templates. */
#define G "\x1f"   /* a gap: whitespace or a comment */
#define W "\x1d"   /* a gap of whitespace only (inside bodies the mysql client rewrites) */
#define T "\x1e"   /* end of a statement: a terminator, then a separator */
#define NL "\x1c"  /* end of a statement, then a newline (SET standard_conforming_strings) */
#define R "\x1b"   /* the statement carries its own end (COPY data) */
#define B "\x1a"   /* MySQL: a statement with a body, which the client needs DELIMITER for */
#define RAW "\x19" /* leads a template written as it stands, on lines of its own (DELIMITER) */

enum { D_SQLITE, D_PG, D_MY, D_COUNT };

typedef const char *tmpl; /* a template: statements with the markers above */

static const tmpl sqlite_t[] = {
    "CREATE TABLE t%N (id INTEGER PRIMARY KEY," G "begin INT," G "end INT," G
    "[case] TEXT DEFAULT 'a;b'," G "`w;x` TEXT DEFAULT 'it''s; \"q\"'," G "\"y;z\" INT)",
    "CREATE TABLE g%N (id INTEGER PRIMARY KEY, begin INT, end INT)" T
    "CREATE TABLE gl%N (msg TEXT)" T "CREATE TRIGGER tr%N AFTER INSERT ON g%N BEGIN" G
    "UPDATE g%N SET end = 1 WHERE id = new.id;" G "INSERT INTO gl%N VALUES ('end;');" G "END",
    "CREATE TABLE h%N (id INTEGER PRIMARY KEY, begin INT, end INT, k TEXT)" T
    "CREATE TRIGGER th%N AFTER UPDATE OF end ON h%N FOR EACH ROW WHEN new.end > 0 BEGIN" G
    "UPDATE h%N SET k = CASE new.end WHEN 1 THEN 'one;' ELSE 'end' END WHERE id = new.id;" G
    "SELECT CASE WHEN 1 THEN 2 END;" G "END",
    "CREATE VIEW v%N AS SELECT 'a;b' AS [c;d]," G "\"e;f\" AS e," G "`g;h`" G
    "FROM (SELECT 1 AS \"e;f\", 2 AS `g;h`)",
    "BEGIN" T "CREATE TABLE x%N (a)" T "END",
    "BEGIN IMMEDIATE TRANSACTION" T "CREATE TABLE xi%N (a)" T "COMMIT",
    "CREATE TABLE e%N (a)" T "EXPLAIN CREATE TRIGGER ex%N AFTER INSERT ON e%N BEGIN SELECT 1;" G
    "SELECT 2; END",
    "CREATE VIEW iv%N AS SELECT 1 AS begin, 2 AS end" T
    "CREATE TRIGGER it%N INSTEAD OF INSERT ON iv%N BEGIN SELECT new.begin, new.end;" G
    "SELECT 'x;'; END",
    "CREATE TEMP TABLE tt%N (a)" T
    "CREATE TEMPORARY TRIGGER ttr%N AFTER INSERT ON tt%N BEGIN SELECT 1; END",
    "CREATE TABLE ck%N (a TEXT CHECK (a <> ';' AND CASE WHEN a = 'end' THEN 1 ELSE 1 END))",
    "CREATE TABLE \"end%N\" (begin INT)" T "CREATE TRIGGER IF NOT EXISTS te%N AFTER INSERT ON "
    "\"end%N\" BEGIN INSERT INTO \"end%N\" SELECT new.begin WHERE 0; END",
    "CREATE TABLE sub%N AS SELECT 'a;' AS x UNION ALL SELECT 'b;'",
    "CREATE VIEW dq%N AS SELECT 'it''s -- not; a comment' AS a, '/* nor; */' AS b",
    "CREATE TABLE cm%N (a INT /* in; */) -- trailing; 'x'\n",
};

static const tmpl pg_t[] = {
    "CREATE TABLE t%N (id int PRIMARY KEY," G "note text DEFAULT 'a;b'," G
    "\"x;y\" text DEFAULT E'it\\'s; \\\\'," G "begin_at int, \"end\" int)",
    "CREATE TABLE c%N (a int)" T "COMMENT ON TABLE c%N IS 'semi; colon ''quoted'''",
    "CREATE FUNCTION f%N() RETURNS text LANGUAGE plpgsql AS $fn$\nBEGIN\n"
    "  -- a ; in a comment\n  RETURN 'x;' || $q$;$$;$q$;\nEND;\n$fn$",
    "CREATE VIEW v%N AS SELECT $$a;b$$::text AS a," G "E'c\\';d'::text AS b," G
    "U&'d\\0061t;'::text AS u," G "B'101' AS bits," G "'x' /* nested /* ; */ still; */ AS c",
    "CREATE TABLE r%N (id int)" T "CREATE TABLE rl%N (id int, n text)" T
    "CREATE RULE rr%N AS ON INSERT TO r%N DO ALSO (" G "INSERT INTO rl%N VALUES (new.id, 'a;');" G
    "INSERT INTO rl%N VALUES (new.id, 'b')" G ")",
    "CREATE FUNCTION g%N(i int) RETURNS int LANGUAGE sql" G "BEGIN ATOMIC" G
    "SELECT CASE WHEN i > 0 THEN 1 ELSE 0 END;" G "END",
    "CREATE TABLE pa%N (a int)" T
    "CREATE OR REPLACE PROCEDURE p%N(x int) LANGUAGE sql BEGIN ATOMIC" G
    "INSERT INTO pa%N VALUES (x);" G "INSERT INTO pa%N VALUES (CASE WHEN x > 1 THEN x END);" G
    "END",
    "CREATE TABLE cp%N (a int, b text)" T
    "COPY cp%N (a, b) FROM stdin;\n1\tx;y\n2\t\\N\n3\tit's \"q\" $$ /*\n\\.\n" R
    "DO $$ BEGIN EXECUTE format('COMMENT ON TABLE cp%N IS %L', (SELECT string_agg(coalesce(b, "
    "'null'), ',' ORDER BY a) FROM cp%N)); END $$",
    "SET standard_conforming_strings = off" NL "CREATE VIEW s%N AS SELECT 'a\\'b;c\\\\d' AS x" T
    "SET standard_conforming_strings TO on" NL "CREATE VIEW s2%N AS SELECT 'C:\\' AS y",
    "SET SESSION standard_conforming_strings TO 'off'" NL
    "COMMENT ON SCHEMA public IS 'it\\'s; public'" T "RESET standard_conforming_strings" NL
    "COMMENT ON SCHEMA public IS 'C:\\'",
    "CREATE TABLE \"semi;%N\" (\"a;b\" int, \"c\"\"d\" int)",
    "DO $do$ BEGIN EXECUTE 'CREATE TABLE dd%N (a text DEFAULT ''x;y'')'; END $do$",
    "CREATE TABLE cs%N (a int DEFAULT (CASE WHEN true THEN 1 END), b text CHECK (b <> ';'))",
    "/* lead; */ CREATE TABLE cm%N (a int /* in; */) -- trailing; 'x'\n",
    "CREATE TABLE ct%N (a int)" T "CREATE FUNCTION ctf%N() RETURNS trigger LANGUAGE plpgsql AS $$\n"
    "BEGIN NEW.a := CASE WHEN NEW.a IS NULL THEN 0 ELSE NEW.a END; RETURN NEW; END;\n$$" T
    "CREATE TRIGGER ctt%N BEFORE INSERT ON ct%N FOR EACH ROW EXECUTE FUNCTION ctf%N()",
};

static const tmpl my_t[] = {
    "CREATE TABLE t%N (id INT PRIMARY KEY," G "begin INT," G "end INT," G
    "note VARCHAR(20) DEFAULT 'a;b'," G "q VARCHAR(20) DEFAULT 'it\\'s; \"x\"'," G "`w;x` INT)",
    "CREATE TABLE g%N (id INT, begin INT, end INT, note VARCHAR(20))" T B
    "CREATE TRIGGER tg%N BEFORE INSERT ON g%N FOR EACH ROW BEGIN" W "SET NEW.end = 1;" W
    "SET NEW.begin = CASE WHEN NEW.id > 0 THEN 2 ELSE NEW.end END;" W
    "IF NEW.note IS NULL THEN SET NEW.note = 'end;'; END IF;" W "END",
    "CREATE TABLE pt%N (begin INT, end INT)" T B "CREATE PROCEDURE p%N(IN x INT)" W "lbl: BEGIN" W
    "DECLARE i INT DEFAULT 0;" W
    "DECLARE CONTINUE HANDLER FOR SQLSTATE '02000' BEGIN SET i = -1; END;" W
    "WHILE i < x DO SET i = i + 1; END WHILE;" W
    "REPEAT SET i = i - 1; UNTIL CASE WHEN i <= 0 THEN 1 ELSE 0 END END REPEAT;" W
    "l2: LOOP LEAVE l2; END LOOP l2;" W
    "CASE x WHEN 1 THEN SELECT 'one;'; ELSE BEGIN END; END CASE;" W
    "IF x > 5 THEN LEAVE lbl; ELSEIF x > 3 THEN SELECT 2; ELSE SELECT 3; END IF;" W
    "UPDATE pt%N SET end = 2 WHERE begin = end;" W
    "SELECT CASE WHEN 1 THEN end ELSE begin END FROM pt%N;" W "END lbl",
    B "CREATE FUNCTION f%N(a INT) RETURNS VARCHAR(20) CHARACTER SET utf8mb4 DETERMINISTIC" W
      "BEGIN DECLARE s VARCHAR(20) DEFAULT 'x;'; IF a > 0 THEN SET s = CONCAT(s, 'end'); END IF; "
      "RETURN s; END",
    "CREATE FUNCTION fs%N(b INT) RETURNS INT DETERMINISTIC RETURN CASE WHEN b > 0 THEN b ELSE 0 "
    "END",
    "CREATE TABLE evt%N (a INT)" T B
    "CREATE EVENT ev%N ON SCHEDULE AT '2035-01-01 00:00:00' ON COMPLETION PRESERVE DISABLE DO "
    "BEGIN" W "INSERT INTO evt%N VALUES (1);" W "DELETE FROM evt%N WHERE a = 2;" W "END" T B
    "ALTER EVENT ev%N DO BEGIN INSERT INTO evt%N VALUES (3); INSERT INTO evt%N VALUES (4); END",
    B "BEGIN NOT ATOMIC DECLARE x INT DEFAULT 1;" W "IF x THEN CREATE TABLE nb%N (a INT); END IF;" W
      "END",
    B "IF 1 = 1 THEN CREATE TABLE ti%N (a INT); ELSE CREATE TABLE te%N (a INT); END IF",
    B "FOR i IN 1..1 DO CREATE TABLE tf%N (a INT); SET @x%N = i; END FOR",
    "CREATE VIEW v%N AS SELECT 'x;y' AS a," G "\"dq;\" AS b," G "1 AS `end`",
    "/*!40101 SET @a%N = 1 */" T "/*!50003 CREATE TABLE ec%N (a INT) */" T
    "CREATE TABLE ec2%N (a INT /*!50003 DEFAULT 3 */)",
    RAW "DELIMITER $$\nCREATE PROCEDURE dp%N() BEGIN SELECT 1; SELECT 2; END$$\nDELIMITER ;\n",
    RAW "DELIMITER ;;\nCREATE PROCEDURE dq%N() BEGIN SELECT ';'; END;;\nDELIMITER ;\n",
    RAW "DELIMITER LIM\nCREATE TABLE dl%N (a INT)LIM\nDELIMITER ;\n",
    RAW "delimiter END_PROC\nCREATE PROCEDURE de%N() BEGIN SELECT 1; END END_PROC\ndelimiter ;\n",
    RAW "DELIMITER E\nDO 1 E\nDELIMITER ;\nCREATE TABLE dz%N (a INT);\n",
    RAW "DELIMITER 'a b'\nCREATE TABLE da%N (x INT)a b\nDelimiter ;\n",
    "CREATE TABLE fo%N (a INT)" T
    "CREATE TRIGGER fo1%N BEFORE INSERT ON fo%N FOR EACH ROW SET NEW.a = 1" T B
    "CREATE TRIGGER fo2%N BEFORE INSERT ON fo%N FOR EACH ROW FOLLOWS fo1%N BEGIN SET NEW.a = "
    "NEW.a + 1; SET NEW.a = NEW.a * 2; END",
    B "CREATE PROCEDURE ph%N() BEGIN DECLARE EXIT HANDLER FOR SQLEXCEPTION, NOT FOUND IF 1 THEN "
      "SELECT 'h;'; END IF; SELECT 1; END",
    B "CREATE PROCEDURE pd%N() BEGIN DECLARE do INT DEFAULT 2; WHILE do > 0 DO SET do = do - 1; "
      "END WHILE; END",
};

static const struct {
    const tmpl *t;
    size_t n;
} templates[D_COUNT] = {
    {sqlite_t, sizeof(sqlite_t) / sizeof(sqlite_t[0])},
    {pg_t, sizeof(pg_t) / sizeof(pg_t[0])},
    {my_t, sizeof(my_t) / sizeof(my_t[0])},
};

/* Gaps inside statements, whitespace gaps, and separators after a terminator. */
static const char *const gaps[D_COUNT][8] = {
    {" ", "\n", "\t", " /* g; 'x' */ ", "\n-- g; 'x\n  ", "  ", NULL},
    {" ", "\n", "\t", "\r\n", " /* g; 'x' */ ", "\n-- g; 'x\n  ", " /* a /* nested; */ b; */ ",
     NULL},
    {" ", "\n", "\t", " /* g; 'x' */ ", "\n-- g; 'x\n  ", " # g; 'x'\n  ", NULL},
};
static const char *const spaces[] = {" ", "\n", "\t", "\n  ", NULL};
static const char *const seps[D_COUNT][8] = {
    {"\n", " ", "\n\n", "\r\n", "  -- after; 'x'\n", "\n/* between; */\n", ";\n", NULL},
    {"\n", " ", "\n\n", "\r\n", "  -- after; 'x'\n", "\n/* between; /* nested */ */\n", ";\n",
     NULL},
    {"\n", " ", "\n\n", "\r\n", "  -- after; 'x'\n", "\n/* between; */\n", "\n# between;\n", NULL},
};

/* ---- output ---- */

typedef struct buf {
    char *p;
    size_t len;
    size_t cap;
} buf;

static void
put(buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->p = realloc(b->p, b->cap);
        if (!b->p) {
            perror("gen_cases");
            exit(1);
        }
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void
puts_(buf *b, const char *s)
{
    put(b, s, strlen(s));
}

/* Ends the text on a new line, as DELIMITER needs. */
static void
newline(buf *b)
{
    if (b->len > 0 && b->p[b->len - 1] != '\n')
        puts_(b, "\n");
}

static uint64_t rng = 0x2545F4914F6CDD1Dull;

static unsigned
pick(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

static const char *
pick_of(const char *const *list)
{
    unsigned n = 0;

    while (list[n])
        n++;
    return list[pick(n)];
}

/* The case being written: the strata text and the mysql client's. */
typedef struct gen {
    int d;
    buf s;
    buf c;
    int body; /* the statement being written has a body (B) */
    int differs;
} gen;

static void
both(gen *g, const char *s)
{
    puts_(&g->s, s);
    puts_(&g->c, s);
}

static void
end_statement(gen *g, const char *sep)
{
    puts_(&g->s, ";");
    if (g->body) {
        puts_(&g->c, "//\nDELIMITER ;\n");
        g->body = 0;
    } else {
        puts_(&g->c, ";");
    }
    both(g, sep);
}

static void
start_body(gen *g)
{
    newline(&g->c);
    puts_(&g->c, "DELIMITER //\n");
    g->body = 1;
    g->differs = 1;
}

/* Writes template t with %N as id. */
static void
emit_template(gen *g, tmpl t, unsigned id)
{
    int raw = t[0] == RAW[0];
    char num[16];
    const char *p;

    snprintf(num, sizeof(num), "%u", id);

    if (raw) {
        newline(&g->s);
        newline(&g->c);
    }
    for (p = raw ? t + 1 : t; *p; p++) {
        if (p[0] == '%' && p[1] == 'N') {
            both(g, num);
            p++;
        } else if (*p == G[0]) {
            both(g, pick_of(gaps[g->d]));
        } else if (*p == W[0]) {
            both(g, pick_of(spaces));
        } else if (*p == T[0]) {
            end_statement(g, pick_of(seps[g->d]));
        } else if (*p == NL[0]) {
            end_statement(g, "\n");
        } else if (*p == B[0]) {
            start_body(g);
        } else if (*p != R[0]) {
            put(&g->s, p, 1);
            put(&g->c, p, 1);
        }
    }
    if (!raw && p[-1] != R[0])
        end_statement(g, pick_of(seps[g->d]));
}

/* ---- files ---- */

static void
mkdirs(const char *path)
{
    if (mkdir(path, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "gen_cases: mkdir %s: %s\n", path, strerror(errno));
        exit(1);
    }
}

static void
write_file(const char *path, const buf *b)
{
    FILE *f = fopen(path, "wb");

    if (!f || fwrite(b->p, 1, b->len, f) != b->len || fclose(f) != 0) {
        fprintf(stderr, "gen_cases: cannot write %s\n", path);
        exit(1);
    }
}

/*
 * One case of dialect d: count templates, taken in turn from the pool (so that each is used
 * in several cases) with a random one among them.
 */
static void
gen_case(int d, unsigned no, unsigned count, buf *s, buf *c, int *differs)
{
    gen g = {.d = d};
    size_t n = templates[d].n;
    unsigned i;

    if (d == D_PG && no % 4 == 1) {
        char line[64];

        snprintf(line, sizeof(line), "\\restrict key%u\n", no);
        both(&g, line);
    }
    for (i = 0; i < count; i++) {
        size_t k = i + 1 == count ? pick((unsigned)n) : (no * (count - 1) + i) % n;

        emit_template(&g, templates[d].t[k], no * 100 + i);
    }
    if (d == D_PG && no % 4 == 1) {
        char line[64];

        newline(&g.s);
        newline(&g.c);
        snprintf(line, sizeof(line), "\\unrestrict key%u\n", no);
        both(&g, line);
    }
    *s = g.s;
    *c = g.c;
    *differs = g.differs;
}

static void
gen_dialect(const char *dir, int d, const char *name, unsigned cases, unsigned count)
{
    char path[4096];
    unsigned no;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    mkdirs(path);
    for (no = 1; no <= cases; no++) {
        buf s, c;
        int differs;

        gen_case(d, no, count, &s, &c, &differs);
        snprintf(path, sizeof(path), "%s/%s/%03u", dir, name, no);
        mkdirs(path);
        snprintf(path, sizeof(path), "%s/%s/%03u/001_case.up.sql", dir, name, no);
        write_file(path, &s);
        if (differs) {
            snprintf(path, sizeof(path), "%s/%s/%03u.client.sql", dir, name, no);
            write_file(path, &c);
        }
        free(s.p);
        free(c.p);
    }
}

static void
gen_bounds(const char *dir, unsigned cases, unsigned count)
{
    char path[4096];
    unsigned no;

    snprintf(path, sizeof(path), "%s/sqlite-bounds", dir);
    mkdirs(path);
    for (no = 1; no <= cases; no++) {
        buf s, c;
        int differs;

        gen_case(D_SQLITE, 1000 + no, count, &s, &c, &differs);
        snprintf(path, sizeof(path), "%s/sqlite-bounds/%03u.sql", dir, no);
        write_file(path, &s);
        free(s.p);
        free(c.p);
    }
}

int
main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: gen_cases DIR\n");
        return 2;
    }
    mkdirs(argv[1]);
    gen_dialect(argv[1], D_SQLITE, "sqlite", 36, 4);
    gen_dialect(argv[1], D_PG, "postgres", 36, 4);
    gen_dialect(argv[1], D_MY, "mysql", 36, 4);
    gen_bounds(argv[1], 60, 7);
    return 0;
}
