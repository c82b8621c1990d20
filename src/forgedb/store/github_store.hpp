#pragma once
// GitHub-specific writes and reads that are not plain row upserts: label relations and lookups.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "forgedb/core/result.hpp"
#include "forgedb/store/database.hpp"

namespace forgedb::store::github {

// Makes the labels of an issue (or a pull request) exactly `labels`.
Status ReplaceIssueLabels(Connection& conn, std::int64_t issue_id,
                          const std::vector<std::int64_t>& label_ids);
Status ReplacePullRequestLabels(Connection& conn, std::int64_t pull_request_id,
                                const std::vector<std::int64_t>& label_ids);
// Removes a deleted label from every issue and pull request.
Status RemoveLabelEverywhere(Connection& conn, std::int64_t label_id);

// The id of a live repository by owner login and name, if stored.
Result<std::optional<std::int64_t>> FindRepositoryId(Connection& conn, const std::string& owner,
                                                     const std::string& name);

}  // namespace forgedb::store::github
