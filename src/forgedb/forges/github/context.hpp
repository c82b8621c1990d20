#pragma once
// What every GitHub process function needs: where to write, where the data came from, and when
// it was received or fetched. Process functions never do HTTP and never read a clock.

#include <string>
#include <unordered_set>

#include "forgedb/core/time.hpp"
#include "forgedb/forges/github/model.hpp"
#include "forgedb/store/database.hpp"

namespace forgedb::process::github {

struct Context {
    store::Connection& conn;
    model::github::Via via;
    Timestamp fetched_at;
    // Optional: nested objects (users, repositories) already written in this transaction, so a
    // page of 100 pull requests writes its shared repository and authors once. The caller owns
    // it and clears it when the transaction ends. May be null.
    std::unordered_set<std::string>* written = nullptr;
};

// The result of processing one object.
struct Processed {
    std::int64_t id = 0;
    bool stale = false;  // the stored row was newer; nothing was written
};

}  // namespace forgedb::process::github
