#pragma once
// Row-by-row comparison of the mirrored tables of two databases of the same backend, for the
// reliability tests: a crawl that met faults or a kill must end equal to a clean one.
//
// Ignored columns: they record when and how forgedb fetched a row, not what the forge holds, so
// they differ between any two crawls of the same data:
//   last_replicated_via_api_at, last_replicated_via_webhook_at, last_replicated_at (the time
//   of the fetch or delivery),
//   *_last_scanned_at (the start of the scan that last swept a list),
//   *_refreshed_at (the watermark of an incremental refresh: the time it started).

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "support/test_support.hpp"

namespace forgedb::testing {

inline bool IsProvenanceColumn(const std::string& column) {
    auto ends_with = [&](const std::string& suffix) {
        return column.size() >= suffix.size() &&
               column.compare(column.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    return column.rfind("last_replicated", 0) == 0 || ends_with("_last_scanned_at") ||
           ends_with("_refreshed_at");
}

inline std::vector<std::string> TableNames(TestDatabase& db, Backend backend) {
    auto res = backend == Backend::kSqlite
                   ? db.conn().Query(
                         "SELECT name FROM sqlite_master WHERE type = 'table' "
                         "ORDER BY name")
                   : db.conn().Query(
                         "SELECT table_name FROM information_schema.tables WHERE "
                         "table_schema = current_schema() ORDER BY table_name");
    std::vector<std::string> names;
    EXPECT_TRUE(res) << res.error().ToString();
    if (!res) return names;
    for (size_t i = 0; i < res->rows.size(); ++i) names.push_back(res->Text(i, 0));
    return names;
}

inline std::vector<std::string> ComparedColumns(TestDatabase& db, Backend backend,
                                                const std::string& table) {
    auto res = backend == Backend::kSqlite
                   ? db.conn().Query("SELECT name FROM pragma_table_info(?) ORDER BY cid", {table})
                   : db.conn().Query(
                         "SELECT column_name FROM information_schema.columns WHERE "
                         "table_schema = current_schema() AND table_name = ? "
                         "ORDER BY ordinal_position",
                         {table});
    std::vector<std::string> columns;
    EXPECT_TRUE(res) << res.error().ToString();
    if (!res) return columns;
    for (size_t i = 0; i < res->rows.size(); ++i) {
        std::string c = res->Text(i, 0);
        if (!IsProvenanceColumn(c)) columns.push_back(std::move(c));
    }
    return columns;
}

// Every table whose name starts with one of `prefixes` holds the same rows in `a` and `b`
// (all columns but the provenance ones). Returns the number of rows compared.
inline long long ExpectSameMirror(TestDatabase& a, TestDatabase& b, Backend backend,
                                  const std::vector<std::string>& prefixes,
                                  const std::vector<std::string>& skip = {}) {
    long long compared = 0;
    for (const std::string& table : TableNames(a, backend)) {
        bool wanted = false;
        for (const auto& p : prefixes) wanted = wanted || table.rfind(p, 0) == 0;
        for (const auto& s : skip) wanted = wanted && table != s;
        if (!wanted) continue;
        SCOPED_TRACE("table " + table);
        auto columns = ComparedColumns(a, backend, table);
        if (columns.empty()) continue;
        std::string select = "SELECT ";
        std::string order = " ORDER BY ";
        for (size_t i = 0; i < columns.size(); ++i) {
            // As text: PostgreSQL has no ordering of json values.
            select += (i ? ", " : "") + ("CAST(" + columns[i] + " AS TEXT)");
            order += (i ? ", " : "") + std::to_string(i + 1);
        }
        select += " FROM " + table + order;
        auto ra = a.conn().Query(select);
        auto rb = b.conn().Query(select);
        EXPECT_TRUE(ra && rb) << (ra ? rb.error().ToString() : ra.error().ToString());
        if (!ra || !rb) continue;
        EXPECT_EQ(ra->rows.size(), rb->rows.size());
        size_t n = std::min(ra->rows.size(), rb->rows.size());
        int reported = 0;
        for (size_t r = 0; r < n && reported < 5; ++r) {
            for (size_t c = 0; c < columns.size(); ++c) {
                if (ra->At(r, c) == rb->At(r, c)) continue;
                ADD_FAILURE() << table << " row " << r << " column " << columns[c] << ": "
                              << ra->At(r, c).value_or("NULL") << " vs "
                              << rb->At(r, c).value_or("NULL");
                ++reported;
                break;
            }
        }
        compared += static_cast<long long>(n);
    }
    return compared;
}

}  // namespace forgedb::testing
