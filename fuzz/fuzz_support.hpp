#pragma once
// What the fuzz targets share: a real migrated SQLite database in a temporary directory (the
// targets that write go through the same store code as the server), the webhook surfaces over it,
// and the request text format of the webhook and route targets. Each target is its own process
// and runs inputs one at a time, so nothing here is thread-safe beyond what the surfaces are.

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "forgedb/core/clock.hpp"
#include "forgedb/forge/delivery_log.hpp"
#include "forgedb/forge/process_delivery.hpp"
#include "forgedb/http/http.hpp"
#include "forgedb/queue/job_queue.hpp"
#include "forgedb/store/database.hpp"
#include "forgedb/store/migrations.hpp"

namespace forgedb::fuzz {

// The bytes of one input as text.
inline std::string_view AsText(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

// Refused inputs are logged by the surfaces; at thousands of inputs a second that output would
// cost more than the code under test.
inline void Quiet() { spdlog::set_level(spdlog::level::off); }

// A migrated SQLite database in a fresh directory under $TMPDIR, removed again at exit.
class FuzzDatabase {
public:
    FuzzDatabase() {
        Quiet();
        dir_ =
            std::filesystem::temp_directory_path() / ("forgedb_fuzz_" + std::to_string(getpid()));
        std::filesystem::create_directories(dir_);
        db_ = store::OpenSqlite((dir_ / "fuzz.db").string());
        auto conn = db_->Connect();
        if (!conn) throw std::runtime_error(conn.error().message);
        conn_ = std::move(conn).value();
        if (auto applied = store::Migrate(*conn_); !applied) {
            throw std::runtime_error(applied.error().ToString());
        }
    }
    ~FuzzDatabase() {
        conn_.reset();
        db_.reset();
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
    FuzzDatabase(const FuzzDatabase&) = delete;
    FuzzDatabase& operator=(const FuzzDatabase&) = delete;

    store::Database& db() { return *db_; }
    store::Connection& conn() { return *conn_; }

    // Every `every` calls, empties the tables that accepted deliveries fill (the log and the
    // processing jobs), so that a long run keeps a small file. Deliveries are keyed by their
    // content, so an input's outcome never depends on inputs older than the last prune.
    // Returns whether it pruned.
    bool PruneEvery(int every, std::string_view also = "") {
        if (++calls_ % every != 0) return false;
        (void)conn_->ExecScript("DELETE FROM webhook_delivery; DELETE FROM job;" +
                                std::string(also));
        return true;
    }

private:
    std::filesystem::path dir_;
    std::unique_ptr<store::Database> db_;
    std::unique_ptr<store::Connection> conn_;
    long long calls_ = 0;
};

// The delivery log of the server (group commit on its own thread, the real processing-job
// factory) over a FuzzDatabase.
class FuzzDeliveryLog {
public:
    FuzzDeliveryLog() : log_(database_.db(), clock_, notifier_, &tasks::DeliveriesJob) {
        if (auto st = log_.Start(); !st) throw std::runtime_error(st.error().ToString());
    }
    FuzzDatabase& database() { return database_; }
    replication::DeliveryLog& log() { return log_; }
    const Clock& clock() const { return clock_; }

private:
    FuzzDatabase database_;
    SystemClock clock_;
    queue::Notifier notifier_;
    replication::DeliveryLog log_;
};

inline std::string_view TakeLine(std::string_view& text) {
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    if (line.ends_with('\r')) line.remove_suffix(1);
    return line;
}

// One request read from fuzz input in the shape of an HTTP request without its method:
//   TARGET\n            path and query, e.g. /replication/gerrit/wikimedia?secret=s3cret
//   Name: value\n       any number of header lines
//   \n
//   BODY
// Line ends may be "\r\n". The query is read by http::ParseForm as the server reads it. With an
// empty `method`, the first line starts with the method and a space ("PATCH /query/...").
struct FuzzRequest {
    FuzzRequest(std::string_view text, std::string method) {
        std::string_view target = TakeLine(text);
        if (method.empty()) {
            size_t space = target.find(' ');
            method = std::string(target.substr(0, space));
            target.remove_prefix(space == std::string_view::npos ? target.size() : space + 1);
        }
        req.method = std::move(method);
        size_t qmark = target.find('?');
        req.path = std::string(target.substr(0, qmark));
        if (qmark != std::string_view::npos) {
            if (auto query = http::ParseForm(target.substr(qmark + 1))) req.query = *query;
        }
        while (!text.empty()) {
            std::string_view line = TakeLine(text);
            if (line.empty()) break;
            size_t colon = line.find(':');
            if (colon == std::string_view::npos) continue;
            std::string_view value = line.substr(colon + 1);
            while (value.starts_with(' ')) value.remove_prefix(1);
            req.headers.emplace(std::string(line.substr(0, colon)), std::string(value));
        }
        body = std::string(text);
        req.body = body;
        req.remote_addr = "127.0.0.1";
    }
    // req.body views `body`: the request stays where it was built.
    FuzzRequest(const FuzzRequest&) = delete;
    FuzzRequest& operator=(const FuzzRequest&) = delete;

    // The value of header `name` when it is present.
    std::string* HeaderValue(std::string_view name) {
        auto it = req.headers.find(name);
        return it == req.headers.end() ? nullptr : &it->second;
    }

    http::Request req;
    std::string body;
};

}  // namespace forgedb::fuzz
