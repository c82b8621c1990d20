#include "forgedb/model/value.hpp"

namespace forgedb::model {

std::string ValueToString(const Value& v) {
    struct Visitor {
        std::string operator()(Null) const { return "NULL"; }
        std::string operator()(std::int64_t i) const { return std::to_string(i); }
        std::string operator()(double d) const { return std::to_string(d); }
        std::string operator()(bool b) const { return b ? "true" : "false"; }
        std::string operator()(const std::string& s) const { return s; }
    };
    return std::visit(Visitor{}, v);
}

Row& Row::Set(std::string_view column, Value value, Merge merge) {
    for (auto& c : cells_) {
        if (c.column == column) {
            c.value = std::move(value);
            c.merge = merge;
            return *this;
        }
    }
    cells_.push_back(Cell{std::string(column), std::move(value), merge});
    return *this;
}

const Value* Row::Find(std::string_view column) const {
    for (const auto& c : cells_) {
        if (c.column == column) return &c.value;
    }
    return nullptr;
}

}  // namespace forgedb::model
