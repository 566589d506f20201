-- The pages of launchgate serve (issue 12): what the organisation board
-- lists of each open launch PR, the latest published evaluation of each
-- launch PR as its details page shows it, and the history of evaluations
-- whose check run changed.

-- +goose Up
ALTER TABLE open_prs ADD COLUMN title TEXT NOT NULL DEFAULT '';
ALTER TABLE open_prs ADD COLUMN author TEXT NOT NULL DEFAULT '';
ALTER TABLE open_prs ADD COLUMN opened_at BIGINT NOT NULL DEFAULT 0;
-- Space-separated requirement ids not passing, and team slugs whose
-- sign-off or approval is pending.
ALTER TABLE open_prs ADD COLUMN failing TEXT NOT NULL DEFAULT '';
ALTER TABLE open_prs ADD COLUMN pending_teams TEXT NOT NULL DEFAULT '';
-- The day (YYYY-MM-DD) the earliest waiver that counts ends, or ''.
ALTER TABLE open_prs ADD COLUMN waiver_ends TEXT NOT NULL DEFAULT '';

-- Kept when the pull request closes: its check run's Details link keeps
-- working.
CREATE TABLE pr_pages (
    repo         TEXT NOT NULL,
    pr           BIGINT NOT NULL,
    head         TEXT NOT NULL,
    evaluated_at BIGINT NOT NULL,
    page         TEXT NOT NULL,
    PRIMARY KEY (repo, pr)
);

CREATE TABLE evaluations (
    repo         TEXT NOT NULL,
    pr           BIGINT NOT NULL,
    head         TEXT NOT NULL,
    conclusion   TEXT NOT NULL,
    outcome      TEXT NOT NULL,
    evaluated_at BIGINT NOT NULL
);
CREATE INDEX evaluations_pr ON evaluations (repo, pr, evaluated_at);

-- +goose Down
DROP TABLE evaluations;
DROP TABLE pr_pages;
ALTER TABLE open_prs DROP COLUMN waiver_ends;
ALTER TABLE open_prs DROP COLUMN pending_teams;
ALTER TABLE open_prs DROP COLUMN failing;
ALTER TABLE open_prs DROP COLUMN opened_at;
ALTER TABLE open_prs DROP COLUMN author;
ALTER TABLE open_prs DROP COLUMN title;
