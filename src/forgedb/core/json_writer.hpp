#pragma once
// A streaming JSON writer: values are appended to one string as they come, with no tree in
// between. For large answers (thousands of items) where building a DOM first costs more than the
// query that fed it. Invalid UTF-8 in strings is written as U+FFFD, so the output always parses.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace forgedb {

class JsonWriter {
public:
    JsonWriter& BeginObject();
    JsonWriter& EndObject();
    JsonWriter& BeginArray();
    JsonWriter& EndArray();
    // The member name of the next value (inside an object).
    JsonWriter& Key(std::string_view key);
    JsonWriter& String(std::string_view s);
    JsonWriter& Int(std::int64_t v);
    JsonWriter& Bool(bool v);
    JsonWriter& Null();
    // A value that is already JSON text (trusted: written as is).
    JsonWriter& Raw(std::string_view json);

    void Reserve(size_t bytes) { out_.reserve(bytes); }
    const std::string& str() const { return out_; }
    std::string Take() { return std::move(out_); }

private:
    void BeforeValue();

    std::string out_;
    // One entry per open object or array: true until its first element is written.
    std::vector<bool> first_;
    bool after_key_ = false;
};

// Appends `s` as a JSON string literal (quotes included) to `out`.
void AppendJsonString(std::string& out, std::string_view s);

}  // namespace forgedb
