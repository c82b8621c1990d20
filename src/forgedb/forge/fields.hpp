#pragma once
// The field mapping of forge objects: which JSON key goes to which column, as what kind of value.
// One machinery for every forge's objects (issues, pull requests, changes, ...). Thread-safe.

#include <span>
#include <string_view>

#include "forgedb/core/json.hpp"
#include "forgedb/core/result.hpp"
#include "forgedb/model/value.hpp"

namespace forgedb::forge {

enum class Kind { kInt, kBool, kText, kTime, kJson };

struct Field {
    std::string_view json;
    std::string_view column;
    Kind kind;
};

// The column value of JSON value `v` read as `f` says; kInvalid (naming the key) when it cannot
// be: a wrong type, an integer beyond int64, a time outside years 0001..9999.
Result<model::Value> Convert(Json v, const Field& f);

// Copies the fields present in obj into row; absent keys leave their columns untouched.
Status CopyFields(Json obj, std::span<const Field> fields, model::Row& row);

}  // namespace forgedb::forge
