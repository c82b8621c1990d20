#include "forgedb/store/job_store.hpp"

namespace forgedb::store {
namespace {

constexpr const char* kJobColumns =
    "id, kind, args, state, attempts, max_attempts, last_error, parent_id, progress_done, "
    "progress_total, items";

JobRow ReadJob(const QueryResult& res, size_t r) {
    JobRow j;
    j.id = res.Int(r, 0);
    j.kind = res.Text(r, 1);
    j.args = res.Text(r, 2);
    j.state = res.Text(r, 3);
    j.attempts = static_cast<int>(res.Int(r, 4));
    j.max_attempts = static_cast<int>(res.Int(r, 5));
    j.last_error = res.Text(r, 6);
    if (res.At(r, 7)) j.parent_id = res.Int(r, 7);
    j.progress_done = res.Int(r, 8);
    if (res.At(r, 9)) j.progress_total = res.Int(r, 9);
    j.items = res.Int(r, 10);
    return j;
}

}  // namespace

Result<std::int64_t> InsertJob(Connection& conn, const NewJob& job, Timestamp now) {
    std::string ts = FormatLocalTime(now);
    FORGEDB_ASSIGN_OR_RETURN(
        auto res,
        conn.Query("INSERT INTO job (kind, args, state, attempts, max_attempts, run_after, "
                   "parent_id, created_at, updated_at) VALUES (?, ?, 'queued', 0, ?, ?, ?, ?, ?) "
                   "RETURNING id",
                   {job.kind, job.args, static_cast<std::int64_t>(job.max_attempts),
                    FormatLocalTime(job.run_after),
                    job.parent_id ? model::Value{*job.parent_id} : model::Value{model::Null{}}, ts,
                    ts}));
    return static_cast<std::int64_t>(res.Int(0, 0));
}

Result<std::optional<JobRow>> LeaseJob(Connection& conn, const std::string& owner, Timestamp now,
                                       Timestamp lease_until) {
    std::string ts = FormatLocalTime(now);
    // A worker that died on the job's last attempt leaves an expired lease: the job is dead.
    FORGEDB_TRY(conn.Query(
        "UPDATE job SET state = 'dead', lease_owner = NULL, lease_expires_at = NULL, "
        "last_error = COALESCE(last_error || '; ', '') || 'lease expired on the last attempt', "
        "updated_at = ?, finished_at = ? "
        "WHERE state = 'running' AND lease_expires_at < ? AND attempts >= max_attempts",
        {ts, ts, ts}));
    // Each branch walks its own index in order, so picking a job does not sort the backlog.
    std::string lock = conn.dialect() == Dialect::kPostgres ? " FOR UPDATE SKIP LOCKED" : "";
    std::string pick =
        "SELECT id FROM (SELECT id, run_after AS due FROM (SELECT id, run_after FROM job "
        "WHERE state = 'queued' AND run_after <= ? ORDER BY run_after, id LIMIT 1" + lock +
        ") q UNION ALL SELECT id, lease_expires_at AS due FROM (SELECT id, lease_expires_at FROM "
        "job WHERE state = 'running' AND lease_expires_at < ? ORDER BY lease_expires_at LIMIT 1" +
        lock + ") r) c ORDER BY due, id LIMIT 1";
    std::string sql =
        "UPDATE job SET state = 'running', attempts = attempts + 1, lease_owner = ?, "
        "lease_expires_at = ?, updated_at = ? WHERE id = (" +
        pick + ") RETURNING " + kJobColumns;
    FORGEDB_ASSIGN_OR_RETURN(auto res,
                             conn.Query(sql, {owner, FormatLocalTime(lease_until), ts, ts, ts}));
    if (res.empty()) return std::optional<JobRow>{};
    return std::optional<JobRow>{ReadJob(res, 0)};
}

Status FinishJob(Connection& conn, std::int64_t id, const std::string& state,
                 const std::string& error, Timestamp now) {
    std::string ts = FormatLocalTime(now);
    FORGEDB_TRY(conn.Query(
        "UPDATE job SET state = ?, last_error = ?, lease_owner = NULL, lease_expires_at = NULL, "
        "updated_at = ?, finished_at = ? WHERE id = ?",
        {state, error.empty() ? model::Value{model::Null{}} : model::Value{error}, ts, ts, id}));
    return Ok();
}

Status RescheduleJob(Connection& conn, std::int64_t id, const std::string& error,
                     Timestamp run_after, Timestamp now) {
    FORGEDB_TRY(conn.Query(
        "UPDATE job SET state = 'queued', last_error = ?, lease_owner = NULL, "
        "lease_expires_at = NULL, run_after = ?, updated_at = ? WHERE id = ?",
        {error, FormatLocalTime(run_after), FormatLocalTime(now), id}));
    return Ok();
}

Result<std::optional<JobRow>> LoadJob(Connection& conn, std::int64_t id) {
    FORGEDB_ASSIGN_OR_RETURN(
        auto res, conn.Query(std::string("SELECT ") + kJobColumns + " FROM job WHERE id = ?", {id}));
    if (res.empty()) return std::optional<JobRow>{};
    return std::optional<JobRow>{ReadJob(res, 0)};
}

Result<long long> CountJobs(Connection& conn, const std::string& state) {
    FORGEDB_ASSIGN_OR_RETURN(auto res,
                             conn.Query("SELECT COUNT(*) FROM job WHERE state = ?", {state}));
    return res.Int(0, 0);
}

}  // namespace forgedb::store
