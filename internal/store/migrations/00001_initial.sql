-- Times are Unix nanoseconds (BIGINT) so that one schema and one set of
-- queries serve SQLite and PostgreSQL alike.

-- +goose Up
CREATE TABLE launch_records (
    id        TEXT PRIMARY KEY,
    repo      TEXT NOT NULL,
    pr        BIGINT NOT NULL,
    merged_at BIGINT NOT NULL,
    line      TEXT NOT NULL
);
CREATE INDEX launch_records_merged_at ON launch_records (merged_at);

CREATE TABLE waiver_events (
    id         TEXT PRIMARY KEY,
    repo       TEXT NOT NULL,
    pr         BIGINT NOT NULL,
    at         BIGINT NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    check_id   TEXT NOT NULL,
    until_date TEXT NOT NULL,
    reason     TEXT NOT NULL
);
CREATE INDEX waiver_events_pr ON waiver_events (repo, pr);

CREATE TABLE open_prs (
    repo         TEXT NOT NULL,
    pr           BIGINT NOT NULL,
    org          TEXT NOT NULL,
    head         TEXT NOT NULL,
    conclusion   TEXT NOT NULL,
    evaluated_at BIGINT NOT NULL,
    PRIMARY KEY (repo, pr)
);
CREATE INDEX open_prs_org ON open_prs (org);

-- +goose Down
DROP TABLE open_prs;
DROP TABLE waiver_events;
DROP TABLE launch_records;
