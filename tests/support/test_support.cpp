#include "support/test_support.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "forgedb/core/time.hpp"
#include "forgedb/store/migrations.hpp"
#include "support/http_client.hpp"

namespace forgedb::testing {

namespace {

// FORGEDB_TEST_LOG_LEVEL (e.g. debug) sets the log level of every test binary, so that the suite
// can be run with debug logging and its output searched for secrets (tools/test.sh does).
const bool kLogLevelApplied = [] {
    const char* level = std::getenv("FORGEDB_TEST_LOG_LEVEL");
    if (level == nullptr || *level == '\0') return false;
    spdlog::set_level(spdlog::level::from_str(level));
    return true;
}();

}  // namespace
namespace {

// Tests write to sockets that servers close on purpose (refusals, dropped connections): a write
// to such a socket must fail with EPIPE, not end the test process.
const bool kSigpipeIgnored = [] { return signal(SIGPIPE, SIG_IGN) != SIG_ERR; }();

}  // namespace
namespace {

std::string UniqueSuffix() {
    static std::atomic<int> counter{0};
    return std::to_string(getpid()) + "_" + std::to_string(counter++) + "_" +
           std::to_string(std::chrono::steady_clock::now().time_since_epoch().count() % 100000);
}

std::string WithSearchPath(const std::string& url, const std::string& schema) {
    return url + (url.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" +
           schema;
}

}  // namespace

std::string BackendName(const ::testing::TestParamInfo<Backend>& info) {
    return info.param == Backend::kSqlite ? "Sqlite" : "Postgres";
}

std::unique_ptr<TestDatabase> TestDatabase::Create(Backend backend) {
    auto t = std::unique_ptr<TestDatabase>(new TestDatabase());
    t->backend_ = backend;
    if (backend == Backend::kSqlite) {
        auto dir = std::filesystem::temp_directory_path() / ("forgedb_test_" + UniqueSuffix());
        std::filesystem::create_directories(dir);
        t->cleanup_ = dir.string();
        t->url_ = "sqlite:" + (dir / "test.db").string();
    } else {
        const char* base = std::getenv("FORGEDB_TEST_PG_URL");
        if (base == nullptr || *base == '\0') return nullptr;
        std::string schema = "t_" + UniqueSuffix();
        auto admin = store::OpenPostgres(base);
        auto conn = admin->Connect();
        if (!conn) throw std::runtime_error("PostgreSQL: " + conn.error().message);
        auto st = (*conn)->ExecScript("CREATE SCHEMA " + schema);
        if (!st) throw std::runtime_error("PostgreSQL: " + st.error().message);
        t->cleanup_ = schema;
        t->url_ = WithSearchPath(base, schema);
    }
    auto db = store::Database::Open(t->url_);
    if (!db) throw std::runtime_error(db.error().message);
    t->db_ = std::move(db).value();
    auto conn = t->db_->Connect();
    if (!conn) throw std::runtime_error(conn.error().message);
    t->conn_ = std::move(conn).value();
    auto applied = store::Migrate(*t->conn_);
    if (!applied) throw std::runtime_error(applied.error().ToString());
    return t;
}

TestDatabase::~TestDatabase() {
    conn_.reset();
    db_.reset();
    if (backend_ == Backend::kSqlite) {
        std::error_code ec;
        std::filesystem::remove_all(cleanup_, ec);
    } else if (const char* base = std::getenv("FORGEDB_TEST_PG_URL")) {
        auto admin = store::OpenPostgres(base);
        if (auto conn = admin->Connect()) {
            (void)(*conn)->ExecScript("DROP SCHEMA IF EXISTS " + cleanup_ + " CASCADE");
        }
    }
}

long long TestDatabase::Count(const std::string& sql, const std::vector<model::Value>& params) {
    auto res = conn_->Query(sql, params);
    if (!res) throw std::runtime_error(sql + ": " + res.error().message);
    return res->empty() ? 0 : res->Int(0, 0);
}

std::optional<std::string> TestDatabase::Scalar(const std::string& sql,
                                                const std::vector<model::Value>& params) {
    auto res = conn_->Query(sql, params);
    if (!res) throw std::runtime_error(sql + ": " + res.error().message);
    if (res->empty()) return std::nullopt;
    return res->At(0, 0);
}

void BackendTest::SetUp() {
    tdb_ = TestDatabase::Create(GetParam());
    if (!tdb_) GTEST_SKIP() << "FORGEDB_TEST_PG_URL is not set: PostgreSQL run skipped";
}

std::string DataPath(const std::string& relative) {
    return std::string(FORGEDB_TEST_DATA) + "/" + relative;
}

std::string ReadFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::vector<std::string> ListFiles(const std::string& relative_dir) {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(DataPath(relative_dir))) {
        if (e.is_regular_file() && e.path().extension() == ".json") out.push_back(e.path());
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::string NormTime(const std::optional<std::string>& stored) {
    if (!stored) return "NULL";
    auto t = ParseTimestamp(*stored);
    if (!t) return "UNPARSABLE(" + *stored + ")";
    return FormatForgeTime(*t);
}

ChildProcess::ChildProcess(std::vector<std::string> args, std::string log_path,
                           std::vector<std::string> env)
    : log_path_(std::move(log_path)) {
    pid_ = fork();
    if (pid_ == 0) {
        int fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        dup2(fd, 1);
        dup2(fd, 2);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, nullptr);
        for (auto& e : env) putenv(e.data());
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        execv(argv[0], argv.data());
        _exit(127);
    }
}

ChildProcess::~ChildProcess() {
    if (!reaped_ && pid_ > 0) {
        kill(pid_, SIGKILL);
        Wait();
    }
}

void ChildProcess::Kill(int signal) { kill(pid_, signal); }

int ChildProcess::Wait() {
    if (!reaped_) {
        waitpid(pid_, &status_, 0);
        reaped_ = true;
    }
    if (WIFEXITED(status_)) return WEXITSTATUS(status_);
    if (WIFSIGNALED(status_)) return 128 + WTERMSIG(status_);
    return -1;
}

std::string ChildProcess::Log() const {
    try {
        return ReadFile(log_path_);
    } catch (...) {
        return "";
    }
}

int FreePort() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    int port = ntohs(addr.sin_port);
    close(fd);
    return port;
}

bool WaitHealthy(int port, int seconds) {
    TestClient client(
        "127.0.0.1", port,
        {.connect_timeout = std::chrono::seconds(1), .timeout = std::chrono::seconds(5)});
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
        auto res = client.Get("/healthz");
        if (res && res->status == 200) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
}

}  // namespace forgedb::testing
