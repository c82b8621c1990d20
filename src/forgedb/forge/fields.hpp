#pragma once
// The field mapping of forge objects: which JSON key goes to which column, as what kind of value.
// One machinery for every forge's objects (issues, pull requests, changes, ...). Thread-safe.

#include <span>
#include <string_view>

#include "forgedb/core/json.hpp"
#include "forgedb/core/result.hpp"
#include "forgedb/model/value.hpp"

namespace forgedb::forge {

enum class Kind {
    kInt,        // a JSON integer within int64
    kIntString,  // the same, or an integer written as a JSON string (Gerrit's old events: "654")
    kBool,
    kText,   // a string as is; any other JSON value as its JSON text
    kTime,   // a timestamp string (core/time.hpp's forms) or epoch seconds
    kEpoch,  // epoch seconds, as a JSON integer or a string of digits (Conduit)
    kJson,   // the value's JSON text
};

struct Field {
    std::string_view json;    // the key in the object
    std::string_view column;  // the column it goes to
    Kind kind;
    // When set, the value is obj[json][subkey] (Conduit's {"status": {"value", "name"}}); keys
    // are never split on dots, since some forges have keys such as "color.ansi".
    std::string_view subkey = "";
};

// The column value of JSON value `v` read as `f` says; kInvalid (naming the key, and quoting at
// most 200 bytes of the value) when it cannot be: a wrong type, an integer beyond int64, a time
// outside years 0001..9999.
Result<model::Value> Convert(Json v, const Field& f);

// What CopyFields does with a field the object lacks.
enum class Absent {
    kUntouched,  // leaves its column out of the row (a partial object keeps the stored value)
    kNull,       // sets it NULL (a full object: absence means "none")
};

// Copies the fields of obj into row.
Status CopyFields(Json obj, std::span<const Field> fields, model::Row& row,
                  Absent absent = Absent::kUntouched);

}  // namespace forgedb::forge
