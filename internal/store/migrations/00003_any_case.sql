-- GitHub matches owner and repository names in any letter case, so the
-- pages look rows up by lower(...) of the spelling webhooks stored; these
-- expression indexes keep those lookups indexed. They replace the plain
-- indexes that only exact lookups used.

-- +goose Up
DROP INDEX open_prs_org;
CREATE INDEX open_prs_org_lower ON open_prs (lower(org));
CREATE INDEX pr_pages_repo_lower ON pr_pages (lower(repo), pr);
DROP INDEX evaluations_pr;
CREATE INDEX evaluations_repo_lower ON evaluations (lower(repo), pr, evaluated_at);
CREATE INDEX launch_records_id_lower ON launch_records (lower(id));

-- +goose Down
DROP INDEX launch_records_id_lower;
DROP INDEX evaluations_repo_lower;
CREATE INDEX evaluations_pr ON evaluations (repo, pr, evaluated_at);
DROP INDEX pr_pages_repo_lower;
DROP INDEX open_prs_org_lower;
CREATE INDEX open_prs_org ON open_prs (org);
