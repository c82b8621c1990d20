#!/usr/bin/env python3
"""The triggers that keep `contribution` equal to the mirror's tables, in both dialects.

Every source table of `contribution` gets the same shape: an INSERT, an UPDATE and a DELETE
trigger that delete the source row's contribution rows (not on INSERT) and insert them again from
the new row (not on DELETE), plus a backfill INSERT for the rows mirrored before the migration.
On SQLite each trigger carries its statements; on PostgreSQL one plpgsql function per table does
the work and the three triggers call it. This file owns that shape: a declarative spec per source
table (SPECS below) and one template per dialect.

The migrations that use it are applied in users' databases, so their text never changes:
schema/<dialect>/0003_contributions.sql end with exactly what this tool generates for SPECS,
from the line `-- gerrit_change -> contribution` to the end of the file (what comes before, the
tables, is written by hand).

    python3 tools/gen_contribution_triggers.py --check
        Exits 1, with a diff, when a committed 0003 file differs from the generated text.
    python3 tools/gen_contribution_triggers.py --dialect sqlite
        Prints the generated part of 0003 for that dialect.
    python3 tools/gen_contribution_triggers.py --table-spec new_forge.json --dialect postgres
        Prints the triggers and backfill of the specs in a JSON file (one spec, or a list), for a
        new migration; --no-backfill leaves the backfill out.

Spec format (a JSON object; SPECS below are written the same way):

    table        the source table, e.g. "gerrit_change"
    platform, instance, kind, source_id
                 expressions; together they name the source row (the DELETE uses them with OLD)
    time, status, title, url, project, repo_owner, change_id
                 expressions, the same for every contribution row of a source row
    rows         one object per contribution row a source row can have (e.g. a task's author and
                 its owner): {"account": expr, "authored": expr, "assigned": expr,
                 "where": [predicate, ...]} (the predicates are ANDed)
    watch        the columns whose change rewrites the rows, in the order the UPDATE trigger lists
                 them; must include every column the expressions and predicates read

Expressions:
    "text"                      a text literal
    null                        NULL
    true, false                 a boolean (1/0 on SQLite, true/false on PostgreSQL)
    {"col": C}                  the column
    {"text": C}                 the column cast to TEXT
    {"lower": C}                lower(column)
    {"coalesce": [S, ...]}      the first of the sources that is not NULL, else ''
    {"first_line": S}           the source up to its first line feed, without a trailing CR
    {"owner": S}                lower(the source up to its first '/'), '' for NULL
    {"same": [C1, C2]}          a boolean: C1 = C2, false when either is NULL
where a source S is a column name or {"lookup": {"table": T, "column": C, "key": K, "by": B}},
the value (SELECT r.C FROM T r WHERE r.K = <row>.B).

Predicates:
    {"is_null": C}, {"not_null": C}
    {"differs": [C1, C2]}       C1 IS NOT C2 / C1 IS DISTINCT FROM C2 (NULL-aware)
    {"false_or_null": C}        a boolean column that is false or NULL
Every row must have {"is_null": "deleted_at"}: a row with a tombstone has no contributions.
"""
import argparse
import difflib
import json
import re
import sys
from pathlib import Path

DIALECTS = ('sqlite', 'postgres')

# The columns of `contribution`, in the order every INSERT lists them.
CONTRIBUTION_COLUMNS = ('platform', 'instance', 'kind', 'source_id', 'account', 'time', 'status',
                        'title', 'url', 'project', 'repo_owner', 'change_id', 'authored',
                        'assigned')
SOURCE_KEYS = ('platform', 'instance', 'kind', 'source_id')
SHARED_KEYS = ('time', 'status', 'title', 'url', 'project', 'repo_owner', 'change_id')
ROW_KEYS = ('account', 'authored', 'assigned', 'where')
SPEC_KEYS = ('table',) + SOURCE_KEYS + SHARED_KEYS + ('rows', 'watch')
TOMBSTONE = 'deleted_at'
BACKFILL_ALIAS = 'm'
BACKFILL_COMMENT = '-- Contributions of the rows mirrored before this migration.\n'


def _repo_of(column):
    return {'lookup': {'table': 'github_repository', 'column': 'full_name', 'key': 'id',
                       'by': column}}


def _tombstone_account_time(account, time):
    return [{'is_null': TOMBSTONE}, {'not_null': account}, {'not_null': time}]


# The source tables of migration 0003, in the order of the file.
SPECS = [
    {
        'table': 'gerrit_change',
        'platform': 'gerrit',
        'instance': {'col': 'instance'},
        'kind': 'change',
        'source_id': {'text': 'number'},
        'time': {'col': 'created_at'},
        'status': {'coalesce': ['status']},
        'title': {'coalesce': ['subject']},
        'url': '',
        'project': {'coalesce': ['project']},
        'repo_owner': '',
        'change_id': {'col': 'change_id'},
        'rows': [
            {'account': {'lower': 'owner_username'}, 'authored': True, 'assigned': True,
             'where': _tombstone_account_time('owner_username', 'created_at')},
        ],
        'watch': ['instance', 'number', 'owner_username', 'created_at', 'status', 'subject',
                  'project', 'change_id', TOMBSTONE],
    },
    {
        'table': 'phabricator_task',
        'platform': 'phabricator',
        'instance': {'col': 'instance'},
        'kind': 'task',
        'source_id': {'text': 'id'},
        'time': {'col': 'created_at'},
        'status': {'coalesce': ['status_name', 'status']},
        'title': {'coalesce': ['title']},
        'url': '',
        'project': '',
        'repo_owner': '',
        'change_id': None,
        'rows': [
            {'account': {'col': 'author_phid'}, 'authored': True,
             'assigned': {'same': ['owner_phid', 'author_phid']},
             'where': _tombstone_account_time('author_phid', 'created_at')},
            # The owner gets a row of its own only when it is not the author.
            {'account': {'col': 'owner_phid'}, 'authored': False, 'assigned': True,
             'where': [{'is_null': TOMBSTONE}, {'not_null': 'owner_phid'},
                       {'differs': ['owner_phid', 'author_phid']}, {'not_null': 'created_at'}]},
        ],
        'watch': ['instance', 'id', 'author_phid', 'owner_phid', 'created_at', 'status',
                  'status_name', 'title', TOMBSTONE],
    },
    {
        'table': 'github_commit',
        'platform': 'github',
        'instance': 'github',
        'kind': 'commit',
        'source_id': {'col': 'sha'},
        'time': {'col': 'committer_date'},
        'status': 'merged',
        'title': {'first_line': 'message'},
        'url': {'coalesce': ['html_url']},
        'project': {'coalesce': ['repo_full_name']},
        'repo_owner': {'owner': 'repo_full_name'},
        'change_id': {'col': 'change_id'},
        'rows': [
            {'account': {'lower': 'author_login'}, 'authored': True, 'assigned': True,
             'where': _tombstone_account_time('author_login', 'committer_date')},
        ],
        'watch': ['sha', 'author_login', 'committer_date', 'message', 'html_url',
                  'repo_full_name', 'change_id', TOMBSTONE],
    },
    {
        'table': 'github_pull_request',
        'platform': 'github',
        'instance': 'github',
        'kind': 'pull_request',
        'source_id': {'text': 'id'},
        'time': {'col': 'merged_at'},
        'status': 'merged',
        'title': {'coalesce': ['title']},
        'url': {'coalesce': ['html_url']},
        'project': {'coalesce': [_repo_of('base_repo_id')]},
        'repo_owner': {'owner': _repo_of('base_repo_id')},
        'change_id': None,
        'rows': [
            {'account': {'lower': 'user_login'}, 'authored': True, 'assigned': True,
             'where': _tombstone_account_time('user_login', 'merged_at')},
        ],
        'watch': ['id', 'user_login', 'merged_at', 'title', 'html_url', 'base_repo_id',
                  TOMBSTONE],
    },
    {
        'table': 'github_issue',
        'platform': 'github',
        'instance': 'github',
        'kind': 'issue',
        'source_id': {'text': 'id'},
        'time': {'col': 'created_at'},
        'status': {'coalesce': ['state']},
        'title': {'coalesce': ['title']},
        'url': {'coalesce': ['html_url']},
        'project': {'coalesce': [_repo_of('repo_id')]},
        'repo_owner': {'owner': _repo_of('repo_id')},
        'change_id': None,
        'rows': [
            {'account': {'lower': 'user_login'}, 'authored': True, 'assigned': False,
             'where': _tombstone_account_time('user_login', 'created_at')
             + [{'false_or_null': 'is_pull_request'}]},
        ],
        'watch': ['id', 'user_login', 'created_at', 'state', 'title', 'html_url', 'repo_id',
                  'is_pull_request', TOMBSTONE],
    },
]


class SpecError(Exception):
    pass


IDENTIFIER = re.compile(r'[a-z_][a-z0-9_]*\Z')


def _ident(name, where):
    if not isinstance(name, str) or not IDENTIFIER.match(name):
        raise SpecError('%s: %r is not a lower-case SQL identifier' % (where, name))
    return name


# --- Validation: a spec that would generate wrong SQL is refused with the reason.


def _source_columns(source, where):
    if isinstance(source, str):
        return [_ident(source, where)]
    if isinstance(source, dict) and set(source) == {'lookup'}:
        lookup = source['lookup']
        if not isinstance(lookup, dict) or set(lookup) != {'table', 'column', 'key', 'by'}:
            raise SpecError('%s: a lookup has exactly table, column, key and by' % where)
        for key in ('table', 'column', 'key'):
            _ident(lookup[key], where)
        return [_ident(lookup['by'], where)]
    raise SpecError('%s: a source is a column name or {"lookup": {...}}, not %r' % (where, source))


def _expr_columns(expr, where):
    """The columns of the source row that an expression reads."""
    if expr is None or isinstance(expr, (bool, str)):
        return []
    if not isinstance(expr, dict) or len(expr) != 1:
        raise SpecError('%s: not an expression: %r' % (where, expr))
    (op, arg), = expr.items()
    if op in ('col', 'text', 'lower'):
        return [_ident(arg, where)]
    if op == 'same':
        if not isinstance(arg, list) or len(arg) != 2:
            raise SpecError('%s: "same" takes two columns' % where)
        return [_ident(c, where) for c in arg]
    if op == 'coalesce':
        if not isinstance(arg, list) or not arg:
            raise SpecError('%s: "coalesce" takes a non-empty list of sources' % where)
        return [c for s in arg for c in _source_columns(s, where)]
    if op in ('first_line', 'owner'):
        return _source_columns(arg, where)
    raise SpecError('%s: unknown expression %r' % (where, op))


def _predicate_columns(pred, where):
    if not isinstance(pred, dict) or len(pred) != 1:
        raise SpecError('%s: not a predicate: %r' % (where, pred))
    (op, arg), = pred.items()
    if op in ('is_null', 'not_null', 'false_or_null'):
        return [_ident(arg, where)]
    if op == 'differs':
        if not isinstance(arg, list) or len(arg) != 2:
            raise SpecError('%s: "differs" takes two columns' % where)
        return [_ident(c, where) for c in arg]
    raise SpecError('%s: unknown predicate %r' % (where, op))


def validate(spec):
    if not isinstance(spec, dict):
        raise SpecError('a spec is a JSON object')
    table = _ident(spec.get('table'), 'table')
    missing = [k for k in SPEC_KEYS if k not in spec]
    unknown = [k for k in spec if k not in SPEC_KEYS]
    if missing or unknown:
        raise SpecError('%s: missing keys %s, unknown keys %s' % (table, missing, unknown))
    read = []
    for key in SOURCE_KEYS + SHARED_KEYS:
        read += _expr_columns(spec[key], '%s.%s' % (table, key))
    rows = spec['rows']
    if not isinstance(rows, list) or not rows:
        raise SpecError('%s.rows: a non-empty list' % table)
    for i, row in enumerate(rows):
        where = '%s.rows[%d]' % (table, i)
        if not isinstance(row, dict) or sorted(row) != sorted(ROW_KEYS):
            raise SpecError('%s: has exactly the keys %s' % (where, list(ROW_KEYS)))
        for key in ('account', 'authored', 'assigned'):
            read += _expr_columns(row[key], '%s.%s' % (where, key))
        if not isinstance(row['where'], list) or not row['where']:
            raise SpecError('%s.where: a non-empty list of predicates' % where)
        for pred in row['where']:
            read += _predicate_columns(pred, where + '.where')
        if {'is_null': TOMBSTONE} not in row['where']:
            raise SpecError('%s.where: lacks {"is_null": "%s"} (a row with a tombstone has no '
                            'contributions)' % (where, TOMBSTONE))
    watch = spec['watch']
    if not isinstance(watch, list) or len(set(watch)) != len(watch):
        raise SpecError('%s.watch: a list of distinct columns' % table)
    for column in watch:
        _ident(column, table + '.watch')
    unwatched = sorted(set(read) - set(watch))
    if unwatched:
        raise SpecError('%s.watch: lacks %s, which the contribution rows are made of: an UPDATE '
                        'of it would leave them stale' % (table, ', '.join(unwatched)))


# --- Rendering. `row` is the alias of the source row: NEW, OLD, or the backfill's alias.


def _quote(text):
    return "'" + text.replace("'", "''") + "'"


def _source(source, row):
    if isinstance(source, str):
        return '%s.%s' % (row, source)
    lookup = source['lookup']
    return '(SELECT r.%s FROM %s r WHERE r.%s = %s.%s)' % (
        lookup['column'], lookup['table'], lookup['key'], row, lookup['by'])


def _bool(value, dialect):
    if dialect == 'sqlite':
        return '1' if value else '0'
    return 'true' if value else 'false'


def _expr(expr, row, dialect):
    if expr is None:
        return 'NULL'
    if isinstance(expr, bool):
        return _bool(expr, dialect)
    if isinstance(expr, str):
        return _quote(expr)
    (op, arg), = expr.items()
    if op == 'col':
        return '%s.%s' % (row, arg)
    if op == 'text':
        return 'CAST(%s.%s AS TEXT)' % (row, arg)
    if op == 'lower':
        return 'lower(%s.%s)' % (row, arg)
    if op == 'same':
        return 'COALESCE(%s.%s = %s.%s, %s)' % (row, arg[0], row, arg[1], _bool(False, dialect))
    if op == 'coalesce':
        return 'COALESCE(%s, \'\')' % ', '.join(_source(s, row) for s in arg)
    value = _source(arg, row)
    text = 'COALESCE(%s, \'\')' % value
    if op == 'first_line':
        if dialect == 'sqlite':
            return ('rtrim(CASE WHEN instr({t}, char(10)) > 0 THEN substr({v}, 1, instr({v}, '
                    'char(10)) - 1) ELSE {t} END, char(13))').format(t=text, v=value)
        return "rtrim(split_part(%s, E'\\n', 1), E'\\r')" % text
    if op == 'owner':
        if dialect == 'sqlite':
            return ("lower(CASE WHEN instr({t}, '/') > 0 THEN substr({t}, 1, instr({t}, '/') - 1) "
                    "ELSE {t} END)").format(t=text)
        return "lower(split_part(%s, '/', 1))" % text
    raise AssertionError(op)


def _predicate(pred, row, dialect):
    (op, arg), = pred.items()
    if op == 'is_null':
        return '%s.%s IS NULL' % (row, arg)
    if op == 'not_null':
        return '%s.%s IS NOT NULL' % (row, arg)
    if op == 'differs':
        differs = 'IS NOT' if dialect == 'sqlite' else 'IS DISTINCT FROM'
        return '%s.%s %s %s.%s' % (row, arg[0], differs, row, arg[1])
    if op == 'false_or_null':
        if dialect == 'sqlite':
            return 'COALESCE(%s.%s, 0) = 0' % (row, arg)
        return 'NOT COALESCE(%s.%s, false)' % (row, arg)
    raise AssertionError(op)


def _condition(contribution_row, row, dialect):
    return ' AND '.join(_predicate(p, row, dialect) for p in contribution_row['where'])


def _values(spec, contribution_row, row, dialect):
    values = dict(spec)
    values.update(contribution_row)
    return [_expr(values[c], row, dialect) for c in CONTRIBUTION_COLUMNS]


INSERT_HEAD = 'INSERT INTO contribution (%s)\n' % ', '.join(CONTRIBUTION_COLUMNS)


def _insert_from_new(spec, dialect):
    """The INSERT ... SELECT of every contribution row of NEW, as trigger statements."""
    out = ''
    for contribution_row in spec['rows']:
        values = _values(spec, contribution_row, 'NEW', dialect)
        out += '    ' + INSERT_HEAD + '    SELECT\n'
        out += ',\n'.join('        ' + v for v in values) + '\n'
        out += '    WHERE %s;\n' % _condition(contribution_row, 'NEW', dialect)
    return out


def _delete_of_old(spec, dialect):
    key = ' AND '.join('%s = %s' % (c, _expr(spec[c], 'OLD', dialect)) for c in SOURCE_KEYS)
    return 'DELETE FROM contribution WHERE %s;\n' % key


def _sqlite_triggers(spec):
    table = spec['table']
    inserts = _insert_from_new(spec, 'sqlite')
    delete = '    ' + _delete_of_old(spec, 'sqlite')
    insert_when = '\n    OR '.join('(%s)' % _condition(r, 'NEW', 'sqlite') for r in spec['rows'])
    update_when = '\n    OR '.join('OLD.%s IS NOT NEW.%s' % (c, c) for c in spec['watch'])
    return (
        '-- {t} -> contribution\n'
        'CREATE TRIGGER {t}_contribution_insert AFTER INSERT ON {t}\n'
        'WHEN {insert_when}\n'
        'BEGIN\n'
        '{inserts}'
        'END;\n'
        'CREATE TRIGGER {t}_contribution_update AFTER UPDATE ON {t}\n'
        'WHEN {update_when}\n'
        'BEGIN\n'
        '{delete}'
        '{inserts}'
        'END;\n'
        'CREATE TRIGGER {t}_contribution_delete AFTER DELETE ON {t}\n'
        'BEGIN\n'
        '{delete}'
        'END;\n').format(t=table, insert_when=insert_when, update_when=update_when,
                         inserts=inserts, delete=delete)


def _postgres_triggers(spec):
    table = spec['table']
    inserts = _insert_from_new(spec, 'postgres')
    delete = '        ' + _delete_of_old(spec, 'postgres')
    insert_when = '\n        OR '.join(
        '(%s)' % _condition(r, 'NEW', 'postgres') for r in spec['rows'])
    update_when = '\n        OR '.join(
        'OLD.%s IS DISTINCT FROM NEW.%s' % (c, c) for c in spec['watch'])
    return (
        '-- {t} -> contribution\n'
        'CREATE FUNCTION {t}_contribution() RETURNS trigger LANGUAGE plpgsql AS $$\n'
        'BEGIN\n'
        "    IF TG_OP <> 'INSERT' THEN\n"
        '{delete}'
        '    END IF;\n'
        "    IF TG_OP = 'DELETE' THEN\n"
        '        RETURN NULL;\n'
        '    END IF;\n'
        '{inserts}'
        '    RETURN NULL;\n'
        'END;\n'
        '$$;\n'
        'CREATE TRIGGER {t}_contribution_insert AFTER INSERT ON {t}\n'
        '    FOR EACH ROW WHEN ({insert_when})\n'
        '    EXECUTE FUNCTION {t}_contribution();\n'
        'CREATE TRIGGER {t}_contribution_update AFTER UPDATE ON {t}\n'
        '    FOR EACH ROW WHEN ({update_when})\n'
        '    EXECUTE FUNCTION {t}_contribution();\n'
        'CREATE TRIGGER {t}_contribution_delete AFTER DELETE ON {t}\n'
        '    FOR EACH ROW EXECUTE FUNCTION {t}_contribution();\n').format(
            t=table, insert_when=insert_when, update_when=update_when, inserts=inserts,
            delete=delete)


def _backfill(spec, dialect):
    """One INSERT ... SELECT per contribution row over the rows already in the source table."""
    out = ''
    for contribution_row in spec['rows']:
        values = _values(spec, contribution_row, BACKFILL_ALIAS, dialect)
        out += INSERT_HEAD + 'SELECT\n'
        out += ',\n'.join('    ' + v for v in values) + '\n'
        out += 'FROM %s %s\n' % (spec['table'], BACKFILL_ALIAS)
        out += 'WHERE %s;\n' % _condition(contribution_row, BACKFILL_ALIAS, dialect)
    return out


def generate(specs, dialect, backfill=True):
    """The trigger blocks of `specs`, a blank line apart, then (optionally) their backfill."""
    for spec in specs:
        validate(spec)
    triggers = _sqlite_triggers if dialect == 'sqlite' else _postgres_triggers
    out = '\n'.join(triggers(spec) for spec in specs)
    if backfill:
        out += '\n' + BACKFILL_COMMENT + ''.join(_backfill(spec, dialect) for spec in specs)
    return out


# --- The committed migration.


def migration_path(root, dialect):
    return root / 'schema' / dialect / '0003_contributions.sql'


def expected_migration(text, dialect):
    """What the committed file should be: its hand-written head, then the generated part."""
    generated = generate(SPECS, dialect)
    first_line = generated.split('\n', 1)[0] + '\n'
    start = text.find('\n' + first_line)
    head = text if start < 0 else text[:start + 1]
    return head + generated, head


def check(root):
    failed = False
    for dialect in DIALECTS:
        path = migration_path(root, dialect)
        text = path.read_text(encoding='utf-8')
        expected, head = expected_migration(text, dialect)
        problems = []
        if text != expected:
            problems.append(''.join(difflib.unified_diff(
                text.splitlines(keepends=True), expected.splitlines(keepends=True),
                fromfile='%s (committed)' % path, tofile='%s (generated)' % path)))
        for made in ('CREATE TRIGGER', 'CREATE FUNCTION'):
            if made in head:
                problems.append('%s: %s before the generated part\n' % (path, made))
        if problems:
            failed = True
            sys.stderr.write(''.join(problems))
        else:
            print('%s: up to date' % path)
    return 1 if failed else 0


def load_specs(path):
    data = json.loads(Path(path).read_text(encoding='utf-8'))
    return data if isinstance(data, list) else [data]


def main(argv=None):
    parser = argparse.ArgumentParser(
        description='Generates the contribution triggers (see the docstring for the spec format).')
    parser.add_argument('--check', action='store_true',
                        help='compare schema/*/0003_contributions.sql with the generated text')
    parser.add_argument('--dialect', choices=DIALECTS,
                        help='print the generated SQL for this dialect')
    parser.add_argument('--table-spec', metavar='FILE.json', action='append',
                        help='print the triggers of the spec(s) in this file instead of those '
                             'of 0003 (repeatable)')
    parser.add_argument('--no-backfill', action='store_true',
                        help='leave out the INSERTs for the rows already mirrored')
    parser.add_argument('--root', type=Path, default=Path(__file__).resolve().parent.parent,
                        help='the source tree (default: the one holding this script)')
    args = parser.parse_args(argv)
    try:
        if args.check:
            if args.dialect or args.table_spec:
                parser.error('--check takes no --dialect or --table-spec')
            return check(args.root)
        if not args.dialect:
            parser.error('give --check, or --dialect (with --table-spec for new tables)')
        specs = SPECS
        if args.table_spec:
            specs = [spec for path in args.table_spec for spec in load_specs(path)]
        sys.stdout.write(generate(specs, args.dialect, backfill=not args.no_backfill))
        return 0
    except (SpecError, OSError, ValueError) as e:
        sys.stderr.write('gen_contribution_triggers: %s\n' % e)
        return 2


if __name__ == '__main__':
    sys.exit(main())
