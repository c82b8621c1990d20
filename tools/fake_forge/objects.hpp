#pragma once
// Builders of GitHub REST objects, shaped after the recorded bodies in
// /work/shared/fixtures/github/rest (users, repositories, pulls, issues, labels, milestones,
// hooks, comments, reviews, pull files). Internal to the fake forge. Pure functions; thread-safe.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace forgedb::fake::objects {

using nlohmann::json;

inline constexpr std::string_view kApi = "https://api.github.com";
inline constexpr std::string_view kWeb = "https://github.com";

// Deterministic pseudo-random numbers (SplitMix64), the same on every platform.
class Rng {
public:
    explicit Rng(std::uint64_t seed) : state_(seed) {}
    std::uint64_t Next();
    // Uniform in [0, n); n > 0.
    std::uint64_t Below(std::uint64_t n) { return Next() % n; }
    std::string Hex(int digits);  // lower-case hex, e.g. a commit SHA with 40

private:
    std::uint64_t state_;
};

// Percent-encoding of one URL path segment (RFC 3986 unreserved characters kept).
std::string PathSegment(std::string_view s);

// GitHub's legacy global node id: base64("0" + len(type) + ":" + type + id), e.g.
// NodeId("User", 1) == "MDQ6VXNlcjE=".
std::string NodeId(std::string_view type, long long id);

// The user as embedded in other objects ("simple user").
json SimpleUser(const std::string& login, long long id, bool organization = false);
// The user as GET /users/{login} answers it; `simple` may lack the extra fields.
json FullUser(const json& simple, const std::string& created_at);
// The simple-user fields of a user object.
json SimpleUserOf(const json& user);

struct RepoSpec {
    json owner;  // simple user
    std::string name;
    long long id = 0;
    std::string description;
    std::string created_at;
    std::string updated_at;
    std::string pushed_at;
};
// The full repository (GET /repos/{owner}/{repo}).
json Repository(const RepoSpec& spec);
// The repository as embedded in pulls' head and base: without the full-only fields.
json NestedRepository(const json& full);

json Label(const std::string& repo_api, long long id, const std::string& name,
           const std::string& color, const std::string& description, bool is_default);

json Milestone(const std::string& repo_api, const std::string& repo_web, long long id,
               long long number, const std::string& title, const json& creator,
               const std::string& state, const std::string& created_at,
               const std::string& updated_at);

json Hook(const std::string& repo_api, long long id, const std::string& url,
          const std::string& created_at);

// A release (GET /repos/{o}/{r}/releases item); published_at is null for drafts.
json Release(const std::string& repo_api, const std::string& repo_web, long long id,
             const std::string& tag_name, const std::string& target_commitish, const json& author,
             bool draft, bool prerelease, const std::string& created_at);
// A branch as GET /repos/{o}/{r}/branches lists it: {name, commit{sha, url}, protected}.
json Branch(const std::string& repo_api, const std::string& name, const std::string& sha,
            bool is_protected);
// A tag as GET /repos/{o}/{r}/tags lists it: {name, zipball_url, tarball_url, commit, node_id}.
json Tag(const std::string& repo_api, const std::string& name, const std::string& sha);

struct ItemSpec {
    long long id = 0;
    long long number = 0;
    std::string title;
    std::string body;
    json user;  // simple user
    std::string state = "open";
    std::string created_at;
    std::string updated_at;
    json closed_at = nullptr;
    json labels = json::array();
    json milestone = nullptr;
    json assignees = json::array();
    int comments = 0;
};

// A plain issue (GET /repos/{o}/{r}/issues/{n}).
json Issue(const std::string& repo_api, const std::string& repo_web, const ItemSpec& spec);

struct PullExtra {
    json merged_at = nullptr;
    std::string head_ref;
    std::string head_sha;
    std::string base_ref = "main";
    std::string base_sha;
    std::string merge_commit_sha;
    json owner;  // simple user of the repository owner (base.user)
    bool draft = false;
    int commits = 1;
    int additions = 0;
    int deletions = 0;
    int changed_files = 0;
};

// A pull request in the single-pull shape, without head.repo and base.repo (added when served).
json Pull(const std::string& repo_api, const std::string& repo_web, const ItemSpec& spec,
          const PullExtra& extra);
// The keys that only the single-pull shape has (removed in lists).
const std::vector<std::string>& PullDetailKeys();
// Fills the single-pull keys that a recorded list entry lacks.
void CompletePullDetails(json& pull);
// The issue that carries a pull request, as listed under /issues.
json IssueOfPull(const json& pull, const std::string& repo_api, long long issue_id);

json IssueComment(const std::string& repo_api, const std::string& repo_web, long long id,
                  long long number, bool on_pull, const json& user, const std::string& body,
                  const std::string& created_at);

json Review(const std::string& repo_api, const std::string& repo_web, long long id,
            long long number, const json& user, const std::string& state, const std::string& body,
            const std::string& commit_id, const std::string& submitted_at);

json PullFile(const std::string& repo_api, const std::string& repo_web, const std::string& sha,
              const std::string& head_sha, const std::string& filename, const std::string& status,
              int additions, int deletions);

// GitHub's error body: {"message", "documentation_url", "status"}.
json ErrorBody(int status, std::string_view message, std::string_view documentation_url);

}  // namespace forgedb::fake::objects
