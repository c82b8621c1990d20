#pragma once
// A database value and a row of named values: the currency between the process layer (which
// builds rows from JSON) and the store (which writes them). Plain data, not thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace forgedb::model {

struct Null {
    bool operator==(const Null&) const = default;
};

// Timestamps travel as their stored text form (see core/time.hpp).
using Value = std::variant<Null, std::int64_t, double, bool, std::string>;

inline bool IsNull(const Value& v) { return std::holds_alternative<Null>(v); }
std::string ValueToString(const Value& v);  // for logs and tests; Null -> "NULL"

// How an upsert treats a column that already has a value.
enum class Merge {
    kOverwrite,  // the new value replaces the stored one (the default)
    kFillNull,   // the new value is used only where the stored one is NULL
    kMax,        // the greater of the two (NULL counts as smaller): a value that only grows
};

struct Cell {
    std::string column;
    Value value;
    Merge merge = Merge::kOverwrite;
};

// An ordered set of column values for one table. Columns absent from the row are left untouched by
// an upsert; that is how partial objects (a webhook's short user) keep the rest of a row.
class Row {
public:
    Row& Set(std::string_view column, Value value, Merge merge = Merge::kOverwrite);
    const Value* Find(std::string_view column) const;
    bool Has(std::string_view column) const { return Find(column) != nullptr; }
    const std::vector<Cell>& cells() const { return cells_; }
    std::vector<Cell>& mutable_cells() { return cells_; }
    bool empty() const { return cells_.empty(); }

private:
    std::vector<Cell> cells_;
};

// Describes a replicated table to the generic store code.
struct Table {
    std::string_view name;
    std::vector<std::string_view> key;  // primary-key columns
    // The column holding the forge's own modification time, used to refuse older payloads; empty
    // when the forge gives the object none.
    std::string_view version_column;
};

// Where a replicated row came from; selects the replication stamp column that is written.
enum class Via { kWebhook, kApi };

inline std::string_view StampColumn(Via via) {
    return via == Via::kWebhook ? "last_replicated_via_webhook_at" : "last_replicated_via_api_at";
}

}  // namespace forgedb::model
