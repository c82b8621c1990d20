#include "forgedb/contrib/store.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>

#include "forgedb/core/text.hpp"

namespace forgedb::store {
namespace {

// Contributions carry forge times (whole seconds): a bound with a fraction is moved up to the next
// second, which keeps [start, end) exact for them.
std::string Bound(Timestamp t) {
    auto whole = std::chrono::ceil<std::chrono::seconds>(t);
    return FormatForgeTime(Timestamp(whole));
}

bool Truthy(std::optional<std::string_view> v) {
    return v && (*v == "1" || *v == "t" || *v == "true");
}

Result<std::optional<std::string>> FirstText(Connection& conn, std::string_view sql,
                                             const std::vector<model::Value>& params) {
    FORGEDB_ASSIGN_OR_RETURN(auto res, conn.Query(sql, params));
    for (size_t i = 0; i < res.rows.size(); ++i) {
        for (size_t j = 0; j < res.rows[i].size(); ++j) {
            const auto& v = res.At(i, j);
            if (v && !v->empty()) return std::optional<std::string>(*v);
        }
    }
    return std::optional<std::string>{};
}

// Oldest first; ties in a fixed order, the same on both backends.
bool Earlier(const ContributionRow& a, const ContributionRow& b) {
    if (a.time != b.time) return a.time < b.time;
    if (a.platform != b.platform) return a.platform < b.platform;
    if (a.kind != b.kind) return a.kind < b.kind;
    return a.source_id < b.source_id;
}

}  // namespace

Result<std::vector<ContributionRow>> ListContributions(Connection& conn,
                                                       const ContributorAccounts& who,
                                                       Timestamp start, Timestamp end) {
    std::vector<ContributionRow> out;
    if (end <= start) return out;
    std::string from = Bound(start);
    std::string to = Bound(end);
    // One range of the (account, platform, instance, time) index per platform, each already in
    // time order: the database merges them as it streams (no sort), and the rows are read
    // without an intermediate copy.
    std::string sql;
    std::vector<model::Value> params;
    auto part = [&](const char* platform, const std::string& instance, const std::string& account,
                    const std::string& where, const std::vector<model::Value>& extra) {
        if (!sql.empty()) sql += " UNION ALL ";
        sql +=
            "SELECT platform, kind, source_id, time, status, title, url, project, authored, "
            "assigned FROM contribution c WHERE c.account = ? AND c.platform = ? AND "
            "c.instance = ? AND c.time >= ? AND c.time < ?" +
            where;
        params.insert(params.end(), {account, std::string(platform), instance, from, to});
        params.insert(params.end(), extra.begin(), extra.end());
    };
    if (!who.gerrit_instance.empty() && !who.gerrit_username.empty()) {
        part("gerrit", who.gerrit_instance, AsciiLower(who.gerrit_username), "", {});
    }
    if (!who.phabricator_instance.empty() && !who.phabricator_phid.empty()) {
        part("phabricator", who.phabricator_instance, who.phabricator_phid, "", {});
    }
    if (!who.github_login.empty()) {
        std::string where;
        std::vector<model::Value> extra;
        if (!who.github_orgs.empty()) {
            where += " AND c.repo_owner IN (";
            for (size_t i = 0; i < who.github_orgs.size(); ++i) {
                where += i ? ", ?" : "?";
                extra.emplace_back(AsciiLower(who.github_orgs[i]));
            }
            where += ")";
        }
        // A commit that is the mirror of a Gerrit change is counted once, as that change.
        where +=
            " AND NOT (c.kind = 'commit' AND c.change_id IS NOT NULL AND EXISTS (SELECT 1 FROM "
            "gerrit_change g WHERE g.change_id = c.change_id AND g.deleted_at IS NULL AND "
            "g.owner_username IS NOT NULL AND g.created_at IS NOT NULL";
        if (!who.gerrit_instance.empty()) {
            where += " AND g.instance = ?";
            extra.emplace_back(who.gerrit_instance);
        }
        where += "))";
        part("github", "github", AsciiLower(who.github_login), where, extra);
    }
    if (sql.empty()) return out;
    sql += " ORDER BY 4";
    FORGEDB_TRY(conn.ForEachRow(sql, params, [&](const auto& row) {
        auto text = [&](size_t i) { return std::string(row[i].value_or("")); };
        auto& r = out.emplace_back();
        r.platform = text(0);
        r.kind = text(1);
        r.source_id = text(2);
        r.time = ParseTimestamp(row[3].value_or("")).value_or(Timestamp{});
        r.status = text(4);
        r.title = text(5);
        r.url = text(6);
        r.project = text(7);
        r.authored = Truthy(row[8]);
        r.assigned = Truthy(row[9]);
    }));
    // Equal times come in index order; put them in the fixed order.
    if (!std::is_sorted(out.begin(), out.end(), Earlier)) {
        std::stable_sort(out.begin(), out.end(), Earlier);
    }
    return out;
}

namespace {

// A column of the Phabricator user named `username`: the exact spelling first (indexed), then
// any case.
Result<std::optional<std::string>> PhabricatorUserColumn(Connection& conn, std::string_view column,
                                                         const std::string& instance,
                                                         const std::string& username) {
    std::string select =
        "SELECT " + std::string(column) + " FROM phabricator_user WHERE instance = ? AND ";
    std::string order = " ORDER BY deleted_at IS NOT NULL, phid LIMIT 1";
    FORGEDB_ASSIGN_OR_RETURN(
        auto exact, FirstText(conn, select + "username = ?" + order, {instance, username}));
    if (exact) return exact;
    return FirstText(conn, select + "lower(username) = ?" + order,
                     {instance, AsciiLower(username)});
}

}  // namespace

Result<std::optional<std::string>> PhabricatorPhid(Connection& conn, const std::string& instance,
                                                   const std::string& username) {
    return PhabricatorUserColumn(conn, "phid", instance, username);
}

Result<std::optional<std::string>> PhabricatorRealName(Connection& conn,
                                                       const std::string& instance,
                                                       const std::string& username) {
    return PhabricatorUserColumn(conn, "real_name", instance, username);
}

Result<std::optional<std::string>> GerritRealName(Connection& conn, const std::string& instance,
                                                  const std::string& username) {
    FORGEDB_ASSIGN_OR_RETURN(
        auto name, FirstText(conn,
                             "SELECT name, display_name FROM gerrit_account WHERE instance = ? "
                             "AND lower(username) = ? ORDER BY account_id LIMIT 1",
                             {instance, AsciiLower(username)}));
    if (name) return name;
    // The owner name a change carries (accounts are not always mirrored); the index on
    // (instance, owner_username, created_at) serves the exact spelling.
    return FirstText(conn,
                     "SELECT owner_name FROM gerrit_change WHERE instance = ? AND owner_username "
                     "IN (?, ?) AND owner_name IS NOT NULL LIMIT 1",
                     {instance, username, AsciiLower(username)});
}

Result<std::optional<std::string>> GithubRealName(Connection& conn, const std::string& login) {
    FORGEDB_ASSIGN_OR_RETURN(
        auto name, FirstText(conn,
                             "SELECT name FROM github_user WHERE lower(login) = ? AND name IS NOT "
                             "NULL AND name <> '' ORDER BY id LIMIT 1",
                             {AsciiLower(login)}));
    if (name) return name;
    return FirstText(conn,
                     "SELECT author_name FROM github_commit WHERE lower(author_login) = ? AND "
                     "author_name IS NOT NULL ORDER BY committer_date DESC LIMIT 1",
                     {AsciiLower(login)});
}

}  // namespace forgedb::store
