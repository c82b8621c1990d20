#pragma once
// The replicated Phabricator tables (docs/schema.md, schema/<dialect>/0002_*.sql). Every row is
// keyed by the instance name given with --phabricator NAME=URL first.

#include "forgedb/model/value.hpp"

namespace forgedb::model::phabricator {

inline const Table kUser{"phabricator_user", {"instance", "phid"}, "modified_at"};
inline const Table kTask{"phabricator_task", {"instance", "id"}, "modified_at"};
inline const Table kRevision{"phabricator_revision", {"instance", "id"}, "modified_at"};

}  // namespace forgedb::model::phabricator
