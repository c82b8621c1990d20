#include "objects.hpp"

#include "forgedb/core/base64.hpp"
#include "forgedb/core/url.hpp"

namespace forgedb::fake::objects {
namespace {

std::string Str(std::string_view s) { return std::string(s); }

// Builds an object member by member (cheaper than nlohmann's initializer lists, which matters
// when generating thousands of objects).
class Object {
public:
    Object& Set(const char* key, json value) {
        obj_.get_ref<json::object_t&>().emplace(key, std::move(value));
        return *this;
    }
    json Take() { return std::move(obj_); }

private:
    json obj_ = json::object();
};

json Reactions(const std::string& url) {
    return Object()
        .Set("url", url)
        .Set("total_count", 0)
        .Set("+1", 0)
        .Set("-1", 0)
        .Set("laugh", 0)
        .Set("hooray", 0)
        .Set("confused", 0)
        .Set("heart", 0)
        .Set("rocket", 0)
        .Set("eyes", 0)
        .Take();
}

}  // namespace

std::uint64_t Rng::Next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

std::string Rng::Hex(int digits) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(digits);
    std::uint64_t bits = 0;
    for (int i = 0; i < digits; ++i) {
        if (i % 16 == 0) bits = Next();
        out += kHex[bits & 15];
        bits >>= 4;
    }
    return out;
}

std::string PathSegment(std::string_view s) { return PercentEncode(s); }

std::string NodeId(std::string_view type, long long id) {
    return Base64Encode("0" + std::to_string(type.size()) + ":" + Str(type) + std::to_string(id));
}

json SimpleUser(const std::string& login, long long id, bool organization) {
    std::string api = Str(kApi) + "/users/" + login;
    return {
        {"login", login},
        {"id", id},
        {"node_id", NodeId(organization ? "Organization" : "User", id)},
        {"avatar_url", "https://avatars.githubusercontent.com/u/" + std::to_string(id) + "?v=4"},
        {"gravatar_id", ""},
        {"url", api},
        {"html_url", Str(kWeb) + "/" + login},
        {"followers_url", api + "/followers"},
        {"following_url", api + "/following{/other_user}"},
        {"gists_url", api + "/gists{/gist_id}"},
        {"starred_url", api + "/starred{/owner}{/repo}"},
        {"subscriptions_url", api + "/subscriptions"},
        {"organizations_url", api + "/orgs"},
        {"repos_url", api + "/repos"},
        {"events_url", api + "/events{/privacy}"},
        {"received_events_url", api + "/received_events"},
        {"type", organization ? "Organization" : "User"},
        {"site_admin", false},
    };
}

json FullUser(const json& simple, const std::string& created_at) {
    json u = simple;
    const std::string login = u.value("login", "");
    auto fill = [&](const char* key, json value) {
        if (!u.contains(key)) u[key] = std::move(value);
    };
    fill("name", login);
    fill("company", nullptr);
    fill("blog", "");
    fill("location", nullptr);
    fill("email", nullptr);
    fill("hireable", nullptr);
    fill("bio", nullptr);
    fill("twitter_username", nullptr);
    fill("public_repos", 1);
    fill("public_gists", 0);
    fill("followers", 0);
    fill("following", 0);
    fill("created_at", created_at);
    fill("updated_at", created_at);
    return u;
}

json SimpleUserOf(const json& user) {
    static const char* kKeys[] = {"login",
                                  "id",
                                  "node_id",
                                  "avatar_url",
                                  "gravatar_id",
                                  "url",
                                  "html_url",
                                  "followers_url",
                                  "following_url",
                                  "gists_url",
                                  "starred_url",
                                  "subscriptions_url",
                                  "organizations_url",
                                  "repos_url",
                                  "events_url",
                                  "received_events_url",
                                  "type",
                                  "site_admin"};
    json out = json::object();
    for (const char* k : kKeys) {
        auto it = user.find(k);
        if (it != user.end()) out[k] = *it;
    }
    return out;
}

json Repository(const RepoSpec& s) {
    const std::string login = s.owner.value("login", "");
    const std::string full_name = login + "/" + s.name;
    const std::string api = Str(kApi) + "/repos/" + full_name;
    const std::string web = Str(kWeb) + "/" + full_name;
    json r = {
        {"id", s.id},
        {"node_id", NodeId("Repository", s.id)},
        {"name", s.name},
        {"full_name", full_name},
        {"private", false},
        {"owner", s.owner},
        {"html_url", web},
        {"description", s.description},
        {"fork", false},
        {"url", api},
        {"forks_url", api + "/forks"},
        {"keys_url", api + "/keys{/key_id}"},
        {"collaborators_url", api + "/collaborators{/collaborator}"},
        {"teams_url", api + "/teams"},
        {"hooks_url", api + "/hooks"},
        {"issue_events_url", api + "/issues/events{/number}"},
        {"events_url", api + "/events"},
        {"assignees_url", api + "/assignees{/user}"},
        {"branches_url", api + "/branches{/branch}"},
        {"tags_url", api + "/tags"},
        {"blobs_url", api + "/git/blobs{/sha}"},
        {"git_tags_url", api + "/git/tags{/sha}"},
        {"git_refs_url", api + "/git/refs{/sha}"},
        {"trees_url", api + "/git/trees{/sha}"},
        {"statuses_url", api + "/statuses/{sha}"},
        {"languages_url", api + "/languages"},
        {"stargazers_url", api + "/stargazers"},
        {"contributors_url", api + "/contributors"},
        {"subscribers_url", api + "/subscribers"},
        {"subscription_url", api + "/subscription"},
        {"commits_url", api + "/commits{/sha}"},
        {"git_commits_url", api + "/git/commits{/sha}"},
        {"comments_url", api + "/comments{/number}"},
        {"issue_comment_url", api + "/issues/comments{/number}"},
        {"contents_url", api + "/contents/{+path}"},
        {"compare_url", api + "/compare/{base}...{head}"},
        {"merges_url", api + "/merges"},
        {"archive_url", api + "/{archive_format}{/ref}"},
        {"downloads_url", api + "/downloads"},
        {"issues_url", api + "/issues{/number}"},
        {"pulls_url", api + "/pulls{/number}"},
        {"milestones_url", api + "/milestones{/number}"},
        {"notifications_url", api + "/notifications{?since,all,participating}"},
        {"labels_url", api + "/labels{/name}"},
        {"releases_url", api + "/releases{/id}"},
        {"deployments_url", api + "/deployments"},
        {"created_at", s.created_at},
        {"updated_at", s.updated_at},
        {"pushed_at", s.pushed_at},
        {"git_url", "git://github.com/" + full_name + ".git"},
        {"ssh_url", "git@github.com:" + full_name + ".git"},
        {"clone_url", web + ".git"},
        {"svn_url", web},
        {"homepage", nullptr},
        {"size", 1024},
        {"stargazers_count", 0},
        {"watchers_count", 0},
        {"language", "C++"},
        {"has_issues", true},
        {"has_projects", true},
        {"has_downloads", true},
        {"has_wiki", true},
        {"has_pages", false},
        {"has_discussions", false},
        {"forks_count", 0},
        {"mirror_url", nullptr},
        {"archived", false},
        {"disabled", false},
        {"open_issues_count", 0},
        {"license", nullptr},
        {"allow_forking", true},
        {"is_template", false},
        {"web_commit_signoff_required", false},
        {"topics", json::array()},
        {"visibility", "public"},
        {"forks", 0},
        {"open_issues", 0},
        {"watchers", 0},
        {"default_branch", "main"},
        {"permissions",
         {{"admin", true}, {"maintain", true}, {"push", true}, {"triage", true}, {"pull", true}}},
        {"temp_clone_token", ""},
        {"allow_squash_merge", true},
        {"allow_merge_commit", true},
        {"allow_rebase_merge", true},
        {"allow_auto_merge", false},
        {"delete_branch_on_merge", false},
        {"allow_update_branch", false},
        {"use_squash_pr_title_as_default", false},
        {"network_count", 0},
        {"subscribers_count", 1},
    };
    if (s.owner.value("type", "") == "Organization") r["organization"] = s.owner;
    return r;
}

json NestedRepository(const json& full) {
    json r = full;
    for (const char* k :
         {"permissions", "temp_clone_token", "allow_squash_merge", "allow_merge_commit",
          "allow_rebase_merge", "allow_auto_merge", "delete_branch_on_merge", "allow_update_branch",
          "use_squash_pr_title_as_default", "organization", "network_count", "subscribers_count"}) {
        r.erase(k);
    }
    return r;
}

json Label(const std::string& repo_api, long long id, const std::string& name,
           const std::string& color, const std::string& description, bool is_default) {
    return {{"id", id},
            {"node_id", NodeId("Label", id)},
            {"url", repo_api + "/labels/" + PathSegment(name)},
            {"name", name},
            {"color", color},
            {"default", is_default},
            {"description", description}};
}

json Milestone(const std::string& repo_api, const std::string& repo_web, long long id,
               long long number, const std::string& title, const json& creator,
               const std::string& state, const std::string& created_at,
               const std::string& updated_at) {
    const std::string n = std::to_string(number);
    return {{"url", repo_api + "/milestones/" + n},
            {"html_url", repo_web + "/milestone/" + n},
            {"labels_url", repo_api + "/milestones/" + n + "/labels"},
            {"id", id},
            {"node_id", NodeId("Milestone", id)},
            {"number", number},
            {"title", title},
            {"description", "Work planned for " + title},
            {"creator", creator},
            {"open_issues", 0},
            {"closed_issues", 0},
            {"state", state},
            {"created_at", created_at},
            {"updated_at", updated_at},
            {"due_on", nullptr},
            {"closed_at", state == "closed" ? json(updated_at) : json(nullptr)}};
}

json Hook(const std::string& repo_api, long long id, const std::string& url,
          const std::string& created_at) {
    const std::string base = repo_api + "/hooks/" + std::to_string(id);
    return {{"type", "Repository"},
            {"id", id},
            {"name", "web"},
            {"active", true},
            {"events", {"issue_comment", "issues", "pull_request", "push"}},
            {"config", {{"content_type", "json"}, {"insecure_ssl", "0"}, {"url", url}}},
            {"updated_at", created_at},
            {"created_at", created_at},
            {"url", base},
            {"test_url", base + "/test"},
            {"ping_url", base + "/pings"},
            {"deliveries_url", base + "/deliveries"},
            {"last_response", {{"code", nullptr}, {"status", "unused"}, {"message", nullptr}}}};
}

namespace {

// A stable number for a name (FNV-1a), the same on every platform.
long long Fnv1a(std::string_view s) {
    std::uint64_t h = 1469598103934665603ULL;
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
    return static_cast<long long>(h >> 1);
}

}  // namespace

json Release(const std::string& repo_api, const std::string& repo_web, long long id,
             const std::string& tag_name, const std::string& target_commitish, const json& author,
             bool draft, bool prerelease, const std::string& created_at) {
    const std::string api = repo_api + "/releases/" + std::to_string(id);
    std::string uploads = api;
    if (auto pos = uploads.find("://api."); pos != std::string::npos) {
        uploads.replace(pos, 7, "://uploads.");
    }
    return {{"url", api},
            {"assets_url", api + "/assets"},
            {"upload_url", uploads + "/assets{?name,label}"},
            {"html_url", repo_web + "/releases/tag/" + PathSegment(tag_name)},
            {"id", id},
            {"author", author},
            {"node_id", NodeId("Release", id)},
            {"tag_name", tag_name},
            {"target_commitish", target_commitish},
            {"name", "Release " + tag_name},
            {"draft", draft},
            {"prerelease", prerelease},
            {"created_at", created_at},
            {"published_at", draft ? json(nullptr) : json(created_at)},
            {"assets", json::array()},
            {"tarball_url", repo_api + "/tarball/" + PathSegment(tag_name)},
            {"zipball_url", repo_api + "/zipball/" + PathSegment(tag_name)},
            {"body", "Notes for " + tag_name + "."}};
}

json Branch(const std::string& repo_api, const std::string& name, const std::string& sha,
            bool is_protected) {
    return {{"name", name},
            {"commit", {{"sha", sha}, {"url", repo_api + "/commits/" + sha}}},
            {"protected", is_protected}};
}

json Tag(const std::string& repo_api, const std::string& name, const std::string& sha) {
    return {{"name", name},
            {"zipball_url", repo_api + "/zipball/refs/tags/" + PathSegment(name)},
            {"tarball_url", repo_api + "/tarball/refs/tags/" + PathSegment(name)},
            {"commit", {{"sha", sha}, {"url", repo_api + "/commits/" + sha}}},
            {"node_id", NodeId("Ref", Fnv1a(name) % 1000000000)}};
}

json Issue(const std::string& repo_api, const std::string& repo_web, const ItemSpec& s) {
    const std::string n = std::to_string(s.number);
    const std::string api = repo_api + "/issues/" + n;
    return Object()
        .Set("url", api)
        .Set("repository_url", repo_api)
        .Set("labels_url", api + "/labels{/name}")
        .Set("comments_url", api + "/comments")
        .Set("events_url", api + "/events")
        .Set("html_url", repo_web + "/issues/" + n)
        .Set("id", s.id)
        .Set("node_id", NodeId("Issue", s.id))
        .Set("number", s.number)
        .Set("title", s.title)
        .Set("user", s.user)
        .Set("labels", s.labels)
        .Set("state", s.state)
        .Set("locked", false)
        .Set("assignee", s.assignees.empty() ? json(nullptr) : s.assignees[0])
        .Set("assignees", s.assignees)
        .Set("milestone", s.milestone)
        .Set("comments", s.comments)
        .Set("created_at", s.created_at)
        .Set("updated_at", s.updated_at)
        .Set("closed_at", s.closed_at)
        .Set("author_association", "CONTRIBUTOR")
        .Set("active_lock_reason", nullptr)
        .Set("body", s.body)
        .Set("reactions", Reactions(api + "/reactions"))
        .Set("timeline_url", api + "/timeline")
        .Set("performed_via_github_app", nullptr)
        .Set("state_reason", s.state == "closed" ? json("completed") : json(nullptr))
        .Take();
}

json Pull(const std::string& repo_api, const std::string& repo_web, const ItemSpec& s,
          const PullExtra& e) {
    const std::string n = std::to_string(s.number);
    const std::string api = repo_api + "/pulls/" + n;
    const std::string web = repo_web + "/pull/" + n;
    const std::string issue = repo_api + "/issues/" + n;
    const std::string owner_login = e.owner.value("login", "");
    const bool merged = !e.merged_at.is_null();
    return Object()
        .Set("url", api)
        .Set("id", s.id)
        .Set("node_id", NodeId("PullRequest", s.id))
        .Set("html_url", web)
        .Set("diff_url", web + ".diff")
        .Set("patch_url", web + ".patch")
        .Set("issue_url", issue)
        .Set("number", s.number)
        .Set("state", s.state)
        .Set("locked", false)
        .Set("title", s.title)
        .Set("user", s.user)
        .Set("body", s.body)
        .Set("created_at", s.created_at)
        .Set("updated_at", s.updated_at)
        .Set("closed_at", s.closed_at)
        .Set("merged_at", e.merged_at)
        .Set("merge_commit_sha", e.merge_commit_sha)
        .Set("assignee", s.assignees.empty() ? json(nullptr) : s.assignees[0])
        .Set("assignees", s.assignees)
        .Set("requested_reviewers", json::array())
        .Set("requested_teams", json::array())
        .Set("labels", s.labels)
        .Set("milestone", s.milestone)
        .Set("draft", e.draft)
        .Set("commits_url", api + "/commits")
        .Set("review_comments_url", api + "/comments")
        .Set("review_comment_url", repo_api + "/pulls/comments{/number}")
        .Set("comments_url", issue + "/comments")
        .Set("statuses_url", repo_api + "/statuses/" + e.head_sha)
        .Set("head", {{"label", owner_login + ":" + e.head_ref},
                      {"ref", e.head_ref},
                      {"sha", e.head_sha},
                      {"user", e.owner}})
        .Set("base", {{"label", owner_login + ":" + e.base_ref},
                      {"ref", e.base_ref},
                      {"sha", e.base_sha},
                      {"user", e.owner}})
        .Set("_links", {{"self", {{"href", api}}},
                        {"html", {{"href", web}}},
                        {"issue", {{"href", issue}}},
                        {"comments", {{"href", issue + "/comments"}}},
                        {"review_comments", {{"href", api + "/comments"}}},
                        {"review_comment", {{"href", repo_api + "/pulls/comments{/number}"}}},
                        {"commits", {{"href", api + "/commits"}}},
                        {"statuses", {{"href", repo_api + "/statuses/" + e.head_sha}}}})
        .Set("author_association", "CONTRIBUTOR")
        .Set("auto_merge", nullptr)
        .Set("active_lock_reason", nullptr)
        // Single-pull keys (see PullDetailKeys).
        .Set("merged", merged)
        .Set("mergeable", s.state == "open" ? json(true) : json(nullptr))
        .Set("rebaseable", s.state == "open" ? json(true) : json(nullptr))
        .Set("mergeable_state", s.state == "open" ? "clean" : "unknown")
        .Set("merged_by", merged ? e.owner : json(nullptr))
        .Set("comments", s.comments)
        .Set("review_comments", 0)
        .Set("maintainer_can_modify", false)
        .Set("commits", e.commits)
        .Set("additions", e.additions)
        .Set("deletions", e.deletions)
        .Set("changed_files", e.changed_files)
        .Take();
}

const std::vector<std::string>& PullDetailKeys() {
    static const std::vector<std::string> kKeys = {
        "merged",    "mergeable", "rebaseable",      "mergeable_state",
        "merged_by", "comments",  "review_comments", "maintainer_can_modify",
        "commits",   "additions", "deletions",       "changed_files"};
    return kKeys;
}

void CompletePullDetails(json& pull) {
    auto fill = [&](const std::string& key, json value) {
        if (!pull.contains(key)) pull[key] = std::move(value);
    };
    bool merged = pull.contains("merged_at") && !pull["merged_at"].is_null();
    bool open = pull.value("state", "open") == "open";
    fill("merged", merged);
    fill("mergeable", open ? json(true) : json(nullptr));
    fill("rebaseable", open ? json(true) : json(nullptr));
    fill("mergeable_state", open ? "clean" : "unknown");
    fill("merged_by", nullptr);
    fill("comments", 0);
    fill("review_comments", 0);
    fill("maintainer_can_modify", false);
    fill("commits", 1);
    fill("additions", 0);
    fill("deletions", 0);
    fill("changed_files", 0);
}

json IssueOfPull(const json& p, const std::string& repo_api, long long issue_id) {
    const std::string n = std::to_string(p.value("number", 0LL));
    const std::string api = repo_api + "/issues/" + n;
    auto get = [&](const char* key) { return p.contains(key) ? p[key] : json(nullptr); };
    json issue = {
        {"url", api},
        {"repository_url", repo_api},
        {"labels_url", api + "/labels{/name}"},
        {"comments_url", api + "/comments"},
        {"events_url", api + "/events"},
        {"html_url", get("html_url")},
        {"id", issue_id},
        {"node_id", NodeId("Issue", issue_id)},
        {"number", get("number")},
        {"title", get("title")},
        {"user", get("user")},
        {"labels", p.value("labels", json::array())},
        {"state", get("state")},
        {"locked", p.value("locked", false)},
        {"assignee", get("assignee")},
        {"assignees", p.value("assignees", json::array())},
        {"milestone", get("milestone")},
        {"comments", p.value("comments", 0)},
        {"created_at", get("created_at")},
        {"updated_at", get("updated_at")},
        {"closed_at", get("closed_at")},
        {"author_association", p.value("author_association", "CONTRIBUTOR")},
        {"active_lock_reason", get("active_lock_reason")},
        {"draft", p.value("draft", false)},
        {"pull_request",
         {{"url", get("url")},
          {"html_url", get("html_url")},
          {"diff_url", get("diff_url")},
          {"patch_url", get("patch_url")},
          {"merged_at", get("merged_at")}}},
        {"body", get("body")},
        {"reactions", Reactions(api + "/reactions")},
        {"timeline_url", api + "/timeline"},
        {"performed_via_github_app", nullptr},
        {"state_reason", p.value("state", "") == "closed" ? json("completed") : json(nullptr)},
    };
    return issue;
}

json IssueComment(const std::string& repo_api, const std::string& repo_web, long long id,
                  long long number, bool on_pull, const json& user, const std::string& body,
                  const std::string& created_at) {
    const std::string n = std::to_string(number);
    const std::string ids = std::to_string(id);
    return Object()
        .Set("url", repo_api + "/issues/comments/" + ids)
        .Set("html_url", repo_web + (on_pull ? "/pull/" : "/issues/") + n + "#issuecomment-" + ids)
        .Set("issue_url", repo_api + "/issues/" + n)
        .Set("id", id)
        .Set("node_id", NodeId("IssueComment", id))
        .Set("user", user)
        .Set("created_at", created_at)
        .Set("updated_at", created_at)
        .Set("author_association", "CONTRIBUTOR")
        .Set("body", body)
        .Set("reactions", Reactions(repo_api + "/issues/comments/" + ids + "/reactions"))
        .Set("performed_via_github_app", nullptr)
        .Take();
}

json Review(const std::string& repo_api, const std::string& repo_web, long long id,
            long long number, const json& user, const std::string& state, const std::string& body,
            const std::string& commit_id, const std::string& submitted_at) {
    const std::string n = std::to_string(number);
    const std::string html = repo_web + "/pull/" + n + "#pullrequestreview-" + std::to_string(id);
    const std::string pull = repo_api + "/pulls/" + n;
    return Object()
        .Set("id", id)
        .Set("node_id", NodeId("PullRequestReview", id))
        .Set("user", user)
        .Set("body", body)
        .Set("state", state)
        .Set("html_url", html)
        .Set("pull_request_url", pull)
        .Set("author_association", "CONTRIBUTOR")
        .Set("_links", {{"html", {{"href", html}}}, {"pull_request", {{"href", pull}}}})
        .Set("submitted_at", submitted_at)
        .Set("commit_id", commit_id)
        .Take();
}

json PullFile(const std::string& repo_api, const std::string& repo_web, const std::string& sha,
              const std::string& head_sha, const std::string& filename, const std::string& status,
              int additions, int deletions) {
    std::string patch = "@@ -1," + std::to_string(deletions + 1) + " +1," +
                        std::to_string(additions + 1) + " @@\n context\n";
    for (int i = 0; i < deletions; ++i) patch += "-old line " + std::to_string(i + 1) + "\n";
    for (int i = 0; i < additions; ++i) patch += "+new line " + std::to_string(i + 1) + "\n";
    return Object()
        .Set("sha", sha)
        .Set("filename", filename)
        .Set("status", status)
        .Set("additions", additions)
        .Set("deletions", deletions)
        .Set("changes", additions + deletions)
        .Set("blob_url", repo_web + "/blob/" + head_sha + "/" + filename)
        .Set("raw_url", repo_web + "/raw/" + head_sha + "/" + filename)
        .Set("contents_url", repo_api + "/contents/" + filename + "?ref=" + head_sha)
        .Set("patch", patch)
        .Take();
}

json ErrorBody(int status, std::string_view message, std::string_view documentation_url) {
    return {{"message", message},
            {"documentation_url", documentation_url},
            {"status", std::to_string(status)}};
}

}  // namespace forgedb::fake::objects
