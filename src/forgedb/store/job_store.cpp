#include "forgedb/store/job_store.hpp"

#include "forgedb/core/text.hpp"

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

Result<Inserted> InsertJob(Connection& conn, const NewJob& job, Timestamp now) {
    std::string ts = FormatLocalTime(now);
    auto null_or = [](const auto& opt) {
        return opt ? model::Value{*opt} : model::Value{model::Null{}};
    };
    FORGEDB_ASSIGN_OR_RETURN(
        auto res,
        conn.Query(
            "INSERT INTO job (kind, args, state, attempts, max_attempts, run_after, "
            "parent_id, unique_key, created_at, updated_at) "
            "VALUES (?, ?, 'queued', 0, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id",
            {job.kind, job.args, static_cast<std::int64_t>(job.max_attempts),
             FormatLocalTime(job.run_after), null_or(job.parent_id), null_or(job.unique_key), ts,
             ts}));
    if (!res.empty()) return Inserted{static_cast<std::int64_t>(res.Int(0, 0)), true};
    if (!job.unique_key) return Unexpected(ErrorCode::kDatabase, "job insert returned no id");
    FORGEDB_ASSIGN_OR_RETURN(
        auto live, conn.Query("SELECT id FROM job WHERE unique_key = ? AND state IN ('queued', "
                              "'running')",
                              {*job.unique_key}));
    if (live.empty()) {
        return Unexpected(ErrorCode::kTransient, "job key " + *job.unique_key + " is changing");
    }
    return Inserted{static_cast<std::int64_t>(live.Int(0, 0)), false};
}

Status ExtendLeases(Connection& conn, const std::string& owner,
                    const std::vector<std::int64_t>& ids, Timestamp until, Timestamp now) {
    for (auto id : ids) {
        FORGEDB_TRY(conn.Query(
            "UPDATE job SET lease_expires_at = ?, updated_at = ? WHERE id = ? AND lease_owner = ? "
            "AND state = 'running'",
            {FormatLocalTime(until), FormatLocalTime(now), id, owner}));
    }
    return Ok();
}

Status AddProgress(Connection& conn, std::int64_t id, long long done, long long items,
                   std::optional<long long> total, Timestamp now) {
    FORGEDB_TRY(conn.Query(
        "UPDATE job SET progress_done = progress_done + ?, items = items + ?, "
        "progress_total = COALESCE(?, progress_total), updated_at = ? WHERE id = ?",
        {static_cast<std::int64_t>(done), static_cast<std::int64_t>(items),
         total ? model::Value{static_cast<std::int64_t>(*total)} : model::Value{model::Null{}},
         FormatLocalTime(now), id}));
    return Ok();
}

Result<std::optional<JobTree>> LoadJobTree(Connection& conn, std::int64_t id) {
    FORGEDB_ASSIGN_OR_RETURN(auto root, LoadJob(conn, id));
    if (!root) return std::optional<JobTree>{};
    JobTree tree;
    tree.job = *root;
    std::vector<JobRow> all{*root};
    std::vector<std::int64_t> frontier{id};
    while (!frontier.empty()) {
        std::vector<std::int64_t> next;
        for (auto parent : frontier) {
            FORGEDB_ASSIGN_OR_RETURN(auto res,
                                     conn.Query(std::string("SELECT ") + kJobColumns +
                                                    " FROM job WHERE parent_id = ? ORDER BY id",
                                                {parent}));
            for (size_t r = 0; r < res.rows.size(); ++r) {
                all.push_back(ReadJob(res, r));
                next.push_back(all.back().id);
            }
        }
        frontier = std::move(next);
    }
    bool any_running = false, any_queued = false, all_succeeded = true;
    std::string bad;
    for (const auto& j : all) {
        tree.progress_done += j.progress_done;
        tree.items += j.items;
        if (j.progress_total)
            tree.progress_total = tree.progress_total.value_or(0) + *j.progress_total;
        if (j.state != "succeeded") all_succeeded = false;
        if (j.state == "running") any_running = true;
        if (j.state == "queued") any_queued = true;
        if ((j.state == "dead" || j.state == "failed") && bad.empty()) {
            bad = j.state;
            tree.error = j.last_error;
        }
    }
    if (tree.error.empty()) tree.error = root->last_error;
    if (!bad.empty()) {
        tree.state = bad;
    } else if (all_succeeded) {
        tree.state = "succeeded";
    } else if (any_running || (root->state == "succeeded" && any_queued)) {
        tree.state = "running";
    } else {
        tree.state = "queued";
    }
    return std::optional<JobTree>{std::move(tree)};
}

Status LockJob(Connection& conn, std::int64_t id) {
    if (conn.dialect() == Dialect::kPostgres) {
        FORGEDB_TRY(conn.Query("SELECT id FROM job WHERE id = ? FOR UPDATE", {id}));
    }
    return Ok();
}

Result<long long> CountUnfinishedChildren(Connection& conn, std::int64_t parent,
                                          const std::string& kind) {
    FORGEDB_ASSIGN_OR_RETURN(
        auto res, conn.Query("SELECT COUNT(*) FROM job WHERE parent_id = ? AND kind = ? AND "
                             "state <> 'succeeded'",
                             {parent, kind}));
    return res.Int(0, 0);
}

Result<std::string> JobState(Connection& conn, std::int64_t id) {
    FORGEDB_ASSIGN_OR_RETURN(auto res, conn.Query("SELECT state FROM job WHERE id = ?", {id}));
    if (res.empty()) return Unexpected(ErrorCode::kNotFound, "no job " + std::to_string(id));
    return res.Text(0, 0);
}

Result<std::vector<JobRow>> ListJobs(Connection& conn, int limit) {
    FORGEDB_ASSIGN_OR_RETURN(auto res, conn.Query(std::string("SELECT ") + kJobColumns +
                                                      " FROM job ORDER BY id DESC LIMIT ?",
                                                  {static_cast<std::int64_t>(limit)}));
    std::vector<JobRow> out;
    for (size_t r = 0; r < res.rows.size(); ++r) out.push_back(ReadJob(res, r));
    return out;
}

Result<bool> RetryJob(Connection& conn, std::int64_t id, Timestamp now) {
    std::string ts = FormatLocalTime(now);
    FORGEDB_ASSIGN_OR_RETURN(
        auto res, conn.Query("UPDATE job SET state = 'queued', attempts = 0, run_after = ?, "
                             "updated_at = ?, finished_at = NULL WHERE id = ? AND state IN "
                             "('failed', 'dead')",
                             {ts, ts, id}));
    return res.affected > 0;
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
        "WHERE state = 'queued' AND run_after <= ? ORDER BY run_after, id LIMIT 1" +
        lock +
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
        {state, error.empty() ? model::Value{model::Null{}} : model::Value{ValidUtf8(error)}, ts,
         ts, id}));
    return Ok();
}

Status RescheduleJob(Connection& conn, std::int64_t id, const std::string& error,
                     Timestamp run_after, Timestamp now, bool refund_attempt) {
    FORGEDB_TRY(conn.Query(
        "UPDATE job SET state = 'queued', last_error = ?, lease_owner = NULL, "
        "lease_expires_at = NULL, run_after = ?, updated_at = ?, "
        "attempts = CASE WHEN ? THEN attempts - 1 ELSE attempts END WHERE id = ?",
        {ValidUtf8(error), FormatLocalTime(run_after), FormatLocalTime(now), refund_attempt, id}));
    return Ok();
}

Result<std::optional<JobRow>> LoadJob(Connection& conn, std::int64_t id) {
    FORGEDB_ASSIGN_OR_RETURN(
        auto res,
        conn.Query(std::string("SELECT ") + kJobColumns + " FROM job WHERE id = ?", {id}));
    if (res.empty()) return std::optional<JobRow>{};
    return std::optional<JobRow>{ReadJob(res, 0)};
}

Result<long long> CountJobs(Connection& conn, const std::string& state) {
    FORGEDB_ASSIGN_OR_RETURN(auto res,
                             conn.Query("SELECT COUNT(*) FROM job WHERE state = ?", {state}));
    return res.Int(0, 0);
}

}  // namespace forgedb::store
