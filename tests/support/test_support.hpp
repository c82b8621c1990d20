#pragma once
// Shared test helpers: real databases (a temporary SQLite file, or a throwaway schema in the
// PostgreSQL named by FORGEDB_TEST_PG_URL), fixture files, child processes.

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "forgedb/store/database.hpp"

namespace forgedb::testing {

enum class Backend { kSqlite, kPostgres };
std::string BackendName(const ::testing::TestParamInfo<Backend>& info);

// A fresh, migrated database that is removed again at destruction.
class TestDatabase {
public:
    // nullptr when the backend is not available (PostgreSQL without FORGEDB_TEST_PG_URL).
    static std::unique_ptr<TestDatabase> Create(Backend backend);
    ~TestDatabase();

    store::Database& db() { return *db_; }
    store::Connection& conn() { return *conn_; }
    const std::string& url() const { return url_; }

    long long Count(const std::string& sql, const std::vector<model::Value>& params = {});
    // The first column of the first row; nullopt for NULL or no row.
    std::optional<std::string> Scalar(const std::string& sql,
                                      const std::vector<model::Value>& params = {});

private:
    Backend backend_ = Backend::kSqlite;
    std::string url_;
    std::string cleanup_;  // file path or schema name
    std::unique_ptr<store::Database> db_;
    std::unique_ptr<store::Connection> conn_;
};

// Base for tests that run once per backend; skips PostgreSQL runs with a visible message.
class BackendTest : public ::testing::TestWithParam<Backend> {
protected:
    void SetUp() override;
    TestDatabase& tdb() { return *tdb_; }
    std::unique_ptr<TestDatabase> tdb_;
};

#define FORGEDB_INSTANTIATE_BACKENDS(suite)                                             \
    INSTANTIATE_TEST_SUITE_P(Backends, suite,                                           \
                             ::testing::Values(::forgedb::testing::Backend::kSqlite,    \
                                               ::forgedb::testing::Backend::kPostgres), \
                             ::forgedb::testing::BackendName)

std::string DataPath(const std::string& relative);
std::string ReadFile(const std::string& path);
// Files of a fixture folder (relative to tests/data), sorted.
std::vector<std::string> ListFiles(const std::string& relative_dir);
// Normalizes a stored timestamp (SQLite text or PostgreSQL output) to "YYYY-MM-DDTHH:MM:SSZ".
std::string NormTime(const std::optional<std::string>& stored);

// A child process running `args` with stdout+stderr into `log_path`.
class ChildProcess {
public:
    ChildProcess(std::vector<std::string> args, std::string log_path,
                 std::vector<std::string> env = {});
    ~ChildProcess();
    int pid() const { return pid_; }
    void Kill(int signal);
    // Waits for exit; returns the exit code, or 128+signal.
    int Wait();
    std::string Log() const;

private:
    int pid_ = -1;
    bool reaped_ = false;
    int status_ = 0;
    std::string log_path_;
};

// A free TCP port on 127.0.0.1 at the time of the call.
int FreePort();
// Polls GET http://127.0.0.1:port/healthz until it answers 200 or `seconds` pass.
bool WaitHealthy(int port, int seconds);

}  // namespace forgedb::testing
