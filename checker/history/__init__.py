"""Run history: every run stored in a database, compared with the previous one, rectification tracked.

An inspection is a cycle — check, notify, units rectify and return the 整改台账, re-check — and this
package remembers it across runs (SQLAlchemy 2; SQLite file by default, PostgreSQL by URL;
schema versioned by the Alembic migrations in `migrations/`).

Modules: `models` (tables), `database` (opening, SQLite concurrency settings, migrations),
`store` (queries and writes), `diff` (pure comparisons and RC04 recurrences), `rectification`
(pure status rules: 超期, 虚假销号, reopening), `step` (the run's history steps), `ledger_sheet`
(reading ledgers by header names), `ledger_import` (`pbcheck ledger import`), `status`
(`pbcheck status`), `compare` (`pbcheck diff`), `commands` (the CLI commands).

What a run gets (`RunState.extras`, also in findings.json as the `diff` and `rectification` sections)
when history is on — `RunOptions.db` set; the CLI uses `--db`, $PBCHECK_DB or ./pbcheck.db unless
`--no-history`; `pbcheck demo` keeps its own history in `<out>/pbcheck.db`:

extras["diff"] = {
    "run": "3f9a12bc0d4e",                 # this run's id (stored once the outputs are written)
    "db": "/path/pbcheck.db",              # where (a PostgreSQL URL without its password)
    "totals": {"new": 3, "persisting": 10, "resolved": 9, "units_compared": 11, "units_first_check": 1},
    "units": [{                            # every checked unit, in input order
        "unit": "GD-07", "name": "…",
        "previous": {"run": "…", "seq": 4, "as_of": "2026-01-15"} | None,   # None: first check
        "first_check": False,
        "new": ["<fingerprint>", …], "persisting": ["<fingerprint>", …],   # findings of this run
        "resolved": [{"fingerprint", "rule", "title", "severity", "item", "message"}, …],   # gone since
    }, …],
    "findings": {"<fingerprint>": "new" | "persisting", …},            # every finding of this run
}
extras["rectification"] = {                # every finding of this run, by fingerprint
    "<fingerprint>": {
        "status": "整改中",                # the ledger status (未启动 until the unit reports)
        "label": "超期",                   # what a status column shows: 虚假销号 > 超期 > status
        "deadline": "2026-02-14",          # 整改时限: kept from when the problem was first issued
        "days_left": -12,                  # deadline − as-of (negative: days overdue)
        "overdue": True,                   # open (or falsely closed) and deadline < as-of
        "false_closure": False,            # marked 已销号 but the new records still show it
        "reopened": False,                 # 已销号 held at a later check, now back: a new rectification (RC04)
        "issued_on": "2026-01-15",
        "closed_on", "measures", "responsible_unit", "responsible_person", "progress", "evidence",
        "reviewer": what the units' returned ledgers said (None when not reported),
        "updated": as-of date of the last import that changed the item (None: the unit never reported),
    }, …}
extras["history"] = {"run": "<run id>", "db": "<where>"}

Findings of this run that persist carry their original 整改时限 as `deadline` (the deadline does not
restart at every re-check). RC04 findings are added to the units (checks["RC04"] fired/passed;
it stays not_applicable for a unit with no earlier run). RC04 judges the rule findings, not the
composite diagnoses (X…): a composite is keyed by the findings it rests on, and those are what recur.
Runs are compared only with runs of the same pack id.
"""
