"""The store's numbered migrations: DDL text only, applied by :mod:`agent.store`.

Each migration is a tuple of statements run in one transaction together with the row that
records it in ``schema_migrations``. Never edit a released migration: add a new one.

Personal data: ``passage_records.record_json`` holds the validated record (the holder's identity),
needed to build the XML later; the database file is therefore owner-only (0600). The
``holder`` column is a minimal summary (initials and birth year) for display. An ``invalid``
passage (a bad row whose idTechnique is known) has no record: only its reasons (``reasons``,
a JSON list of "field: message", without the values of identity fields), the certification
code and delivery date when they were readable, and ``source_file_id``/``source_row``.
"""

from __future__ import annotations

MIGRATIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "initial",
        (
            """CREATE TABLE source_files (
                id INTEGER PRIMARY KEY,
                sha256 TEXT NOT NULL UNIQUE,
                name TEXT NOT NULL,
                imported_at TEXT NOT NULL,
                rows INTEGER NOT NULL,
                valid INTEGER NOT NULL,
                invalid INTEGER NOT NULL,
                skipped INTEGER NOT NULL,
                error_report TEXT
            )""",
            """CREATE TABLE batches (
                id INTEGER PRIMARY KEY,
                name TEXT NOT NULL UNIQUE,
                path TEXT NOT NULL,
                sha256 TEXT NOT NULL,
                size INTEGER NOT NULL,
                schema_version TEXT NOT NULL,
                id_flux TEXT NOT NULL,
                passages INTEGER NOT NULL,
                status TEXT NOT NULL,
                fingerprint TEXT NOT NULL,
                accepted INTEGER NOT NULL DEFAULT 0,
                rejected INTEGER NOT NULL DEFAULT 0,
                message TEXT,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                released_at TEXT
            )""",
            """CREATE TABLE passages (
                id INTEGER PRIMARY KEY,
                emitter TEXT NOT NULL,
                id_technique TEXT NOT NULL,
                certificateur TEXT NOT NULL,
                contrat TEXT NOT NULL,
                certification_type TEXT NOT NULL,
                certification_code TEXT NOT NULL,
                holder TEXT NOT NULL,
                delivery_date TEXT NOT NULL,
                deadline TEXT NOT NULL,
                status TEXT NOT NULL,
                reasons TEXT,
                record_json TEXT,
                record_sha256 TEXT,
                batch_id INTEGER REFERENCES batches(id),
                cdc_message TEXT,
                cdc_class TEXT,
                hint TEXT,
                source_file_id INTEGER REFERENCES source_files(id),
                source_row INTEGER,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                UNIQUE (emitter, id_technique)
            )""",
            "CREATE INDEX passages_status ON passages(status, deadline)",
            "CREATE INDEX passages_batch ON passages(batch_id)",
            """CREATE TABLE passage_batches (
                passage_id INTEGER NOT NULL REFERENCES passages(id),
                batch_id INTEGER NOT NULL REFERENCES batches(id),
                PRIMARY KEY (passage_id, batch_id)
            )""",
            """CREATE TABLE row_errors (
                id INTEGER PRIMARY KEY,
                source_file_id INTEGER NOT NULL REFERENCES source_files(id),
                row INTEGER NOT NULL,
                field TEXT NOT NULL,
                value TEXT,
                message TEXT NOT NULL
            )""",
            """CREATE TABLE attempts (
                id INTEGER PRIMARY KEY,
                batch_id INTEGER REFERENCES batches(id),
                kind TEXT NOT NULL,
                started_at TEXT NOT NULL,
                ended_at TEXT,
                outcome TEXT,
                message TEXT,
                evidence TEXT NOT NULL DEFAULT '[]'
            )""",
            """CREATE TABLE documents (
                id INTEGER PRIMARY KEY,
                batch_id INTEGER NOT NULL REFERENCES batches(id),
                kind TEXT NOT NULL,
                path TEXT NOT NULL,
                sha256 TEXT NOT NULL,
                size INTEGER NOT NULL,
                fetched_at TEXT NOT NULL,
                UNIQUE (batch_id, kind, sha256)
            )""",
            """CREATE TABLE events (
                id INTEGER PRIMARY KEY,
                at TEXT NOT NULL,
                level TEXT NOT NULL,
                kind TEXT NOT NULL,
                batch_id INTEGER,
                passage_id INTEGER,
                message TEXT NOT NULL
            )""",
            "CREATE INDEX events_batch ON events(batch_id)",
            # The event log is append-only: the database itself refuses edits.
            """CREATE TRIGGER events_no_update BEFORE UPDATE ON events
               BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END""",
            """CREATE TRIGGER events_no_delete BEFORE DELETE ON events
               BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END""",
        ),
    ),
    (
        "source_files: unidentified bad rows, where the file was moved",
        (
            # Bad rows whose idTechnique could not be known: only in the error report.
            "ALTER TABLE source_files ADD COLUMN unidentified INTEGER NOT NULL DEFAULT 0",
            # The imported file under inbox/imported/, read again to export invalid rows.
            "ALTER TABLE source_files ADD COLUMN moved_to TEXT",
        ),
    ),
    (
        "withdrawals and corrections at the CDC (SUPPRESSION batches)",
        (
            # CREATION or SUPPRESSION (cpf:action of the file).
            "ALTER TABLE batches ADD COLUMN action TEXT NOT NULL DEFAULT 'CREATION'",
            # When the CDC accepted the passage, and when its SUPPRESSION was confirmed.
            "ALTER TABLE passages ADD COLUMN accepted_at TEXT",
            "ALTER TABLE passages ADD COLUMN withdrawn_at TEXT",
            # A corrected record for an accepted passage, held until its SUPPRESSION is OK
            # (personal data, like record_json), and the names of the fields that differ.
            "ALTER TABLE passages ADD COLUMN correction_json TEXT",
            "ALTER TABLE passages ADD COLUMN correction_sha256 TEXT",
            "ALTER TABLE passages ADD COLUMN correction_fields TEXT",
            "ALTER TABLE passages ADD COLUMN withdraw_reason TEXT",
        ),
    ),
    (
        "notify_cursors: the notification outbox's cursor per destination; agent_state",
        (
            # The event log is the outbox: each destination remembers the last event id it
            # has been given (sent, or filtered out). A destination that is down keeps its
            # cursor and is retried from there by the next flush.
            """CREATE TABLE notify_cursors (
                destination TEXT PRIMARY KEY,
                last_event_id INTEGER NOT NULL,
                failures INTEGER NOT NULL DEFAULT 0,
                last_error TEXT,
                updated_at TEXT NOT NULL
            )""",
            # Small facts about the agent itself (the service's heartbeat), one row per key.
            """CREATE TABLE agent_state (
                key TEXT PRIMARY KEY,
                value TEXT NOT NULL,
                updated_at TEXT NOT NULL
            )""",
        ),
    ),
    (
        "inbox_notices: inbox entries that are not imported, reported once",
        (
            # One row per entry the inbox holds but does not import (symlink, .xls, folder,
            # ...): its event is written once, when the row is added; gone entries are removed.
            """CREATE TABLE inbox_notices (
                name TEXT PRIMARY KEY,
                kind TEXT NOT NULL,
                message TEXT NOT NULL,
                first_seen TEXT NOT NULL
            )""",
        ),
    ),
    (
        "passages: holder key (the same holder and certification under another idTechnique)",
        (
            # builders.exports.holders.holder_key: a 64-bit hash, no personal data in clear.
            "ALTER TABLE passages ADD COLUMN holder_key INTEGER",
            "CREATE INDEX passages_holder ON passages(emitter, holder_key)",
        ),
    ),
    (
        "runtime: late declarations, login pauses, event-log retention",
        (
            # Set when the passage's file was uploaded after its three-month deadline.
            "ALTER TABLE passages ADD COLUMN late_at TEXT",
            # A password the portal refused: a slow salted hash (scrypt), never the password.
            """CREATE TABLE login_pauses (
                base_url TEXT NOT NULL,
                username TEXT NOT NULL,
                salt BLOB NOT NULL,
                digest BLOB NOT NULL,
                at TEXT NOT NULL,
                message TEXT NOT NULL,
                PRIMARY KEY (base_url, username)
            )""",
            # Retention: events stay append-only, except rows older than a cutoff written in
            # event_purge by the same transaction (see Store.purge_events).
            "CREATE TABLE event_purge (before TEXT NOT NULL)",
            "DROP TRIGGER events_no_delete",
            """CREATE TRIGGER events_no_delete BEFORE DELETE ON events
               WHEN NOT EXISTS (SELECT 1 FROM event_purge WHERE OLD.at < event_purge.before)
               BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END""",
        ),
    ),
    (
        "batch moves and status: passages by batch, corrections held, batch_counts",
        (
            # The primary key starts with passage_id; every batch move and the status
            # counts look passages up by batch.
            "CREATE INDEX passage_batches_batch ON passage_batches(batch_id, passage_id)",
            # The few accepted passages holding a correction, found without a scan.
            "CREATE INDEX passages_correction ON passages(id) WHERE correction_fields IS NOT NULL",
            # How many passages that were in each batch are in each status now, kept by the
            # database itself (triggers) so that status reads 200 rows, not a million.
            """CREATE TABLE batch_counts (
                batch_id INTEGER NOT NULL REFERENCES batches(id),
                status TEXT NOT NULL,
                n INTEGER NOT NULL,
                PRIMARY KEY (batch_id, status)
            ) WITHOUT ROWID""",
            """INSERT INTO batch_counts (batch_id, status, n)
               SELECT pb.batch_id, p.status, COUNT(*) FROM passages p
               CROSS JOIN passage_batches pb ON pb.passage_id = p.id
               GROUP BY pb.batch_id, p.status""",
            """CREATE TRIGGER batch_counts_join AFTER INSERT ON passage_batches BEGIN
                 INSERT INTO batch_counts (batch_id, status, n)
                 SELECT NEW.batch_id, status, 1 FROM passages WHERE id = NEW.passage_id
                 ON CONFLICT (batch_id, status) DO UPDATE SET n = n + 1;
               END""",
            """CREATE TRIGGER batch_counts_move AFTER UPDATE OF status ON passages
               WHEN OLD.status IS NOT NEW.status BEGIN
                 UPDATE batch_counts SET n = n - 1 WHERE status = OLD.status
                 AND batch_id IN (SELECT batch_id FROM passage_batches WHERE passage_id = OLD.id);
                 INSERT INTO batch_counts (batch_id, status, n)
                 SELECT batch_id, NEW.status, 1 FROM passage_batches WHERE passage_id = NEW.id
                 ON CONFLICT (batch_id, status) DO UPDATE SET n = n + 1;
               END""",
        ),
    ),
    (
        "records in their own table, batch_counts kept by the moves, status and build indexes",
        (
            # The validated record (about 1 KB of personal data) was the bulk of each passage
            # row, so every status move rewrote it: a 50,000-passage move wrote some 70 MB.
            # Kept beside the passage, one row per passage that has a record (not an invalid
            # one), it is written at import and read by the build only.
            """CREATE TABLE passage_records (
                passage_id INTEGER PRIMARY KEY REFERENCES passages(id),
                record_json TEXT NOT NULL
            )""",
            """INSERT INTO passage_records (passage_id, record_json)
               SELECT id, record_json FROM passages WHERE record_json IS NOT NULL""",
            "ALTER TABLE passages DROP COLUMN record_json",
            # status lists the passages declared late: a few, found without a scan.
            "CREATE INDEX passages_late ON passages(late_at, id) WHERE late_at IS NOT NULL",
            # The build reads pending passages in group order: read from this index, without
            # sorting every pending row (and its record); only pending passages are in it.
            """CREATE INDEX passages_to_build ON passages(
                emitter, certificateur, contrat, certification_type, certification_code, id
            ) WHERE status = 'pending'""",
            # batch_counts is kept by the store's own statements now, a few per move (see
            # SqliteStore._count_moves): the triggers ran two statements per passage moved,
            # half the time of a 50,000-passage move.
            "DROP TRIGGER batch_counts_join",
            "DROP TRIGGER batch_counts_move",
        ),
    ),
)
