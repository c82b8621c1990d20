#pragma once
// The replicated Gerrit tables (docs/schema.md, schema/<dialect>/0002_*.sql). Every row is keyed
// by the instance name given with --gerrit NAME=URL first.

#include "forgedb/model/value.hpp"

namespace forgedb::model::gerrit {

inline const Table kAccount{"gerrit_account", {"instance", "account_id"}, ""};
inline const Table kChange{"gerrit_change", {"instance", "number"}, "updated_at"};
inline const Table kRevision{"gerrit_revision", {"instance", "change_number", "revision"}, ""};

}  // namespace forgedb::model::gerrit
