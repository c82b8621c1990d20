// JsonWriter and AppendJsonString: structure and commas, scalars, string escaping, UTF-8
// pass-through and replacement of invalid UTF-8. Every output is parsed back with nlohmann::json.

#include "forgedb/core/json_writer.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace forgedb {
namespace {

using nlohmann::json;

const std::string kFffd = "\xEF\xBF\xBD";  // U+FFFD in UTF-8

std::string Quoted(std::string_view s) {
    std::string out;
    AppendJsonString(out, s);
    return out;
}

// Parses `text` strictly; fails the test (and returns null) when it is not valid JSON.
json Parse(const std::string& text) {
    json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
    EXPECT_FALSE(j.is_discarded()) << "not valid JSON: " << text;
    return j;
}

// The UTF-8 encoding of one code point (no checks: the callers pass scalar values).
std::string Utf8(char32_t cp) {
    std::string out;
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
    return out;
}

// A reference for the replacement rule, written from the table of well-formed byte sequences in
// the Unicode standard (Table 3-7): a well-formed sequence is copied, any other byte becomes one
// U+FFFD and decoding resumes at the next byte.
std::string ReferenceSanitize(std::string_view s) {
    struct Form {
        unsigned char lo0, hi0, lo1, hi1;  // lead byte range, second byte range
        int length;
    };
    static const Form kForms[] = {
        {0xC2, 0xDF, 0x80, 0xBF, 2}, {0xE0, 0xE0, 0xA0, 0xBF, 3}, {0xE1, 0xEC, 0x80, 0xBF, 3},
        {0xED, 0xED, 0x80, 0x9F, 3}, {0xEE, 0xEF, 0x80, 0xBF, 3}, {0xF0, 0xF0, 0x90, 0xBF, 4},
        {0xF1, 0xF3, 0x80, 0xBF, 4}, {0xF4, 0xF4, 0x80, 0x8F, 4},
    };
    auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
    std::string out;
    size_t i = 0;
    while (i < s.size()) {
        if (byte(i) < 0x80) {
            out.push_back(s[i++]);
            continue;
        }
        int length = 0;
        for (const auto& f : kForms) {
            if (byte(i) < f.lo0 || byte(i) > f.hi0) continue;
            if (i + f.length > s.size()) break;
            if (byte(i + 1) < f.lo1 || byte(i + 1) > f.hi1) break;
            bool ok = true;
            for (int k = 2; k < f.length; ++k) {
                ok = ok && byte(i + k) >= 0x80 && byte(i + k) <= 0xBF;
            }
            if (ok) length = f.length;
            break;
        }
        if (length == 0) {
            out += kFffd;
            ++i;
        } else {
            out.append(s.substr(i, length));
            i += length;
        }
    }
    return out;
}

// --- Structure ---------------------------------------------------------------------------------

TEST(JsonWriterTest, EmptyContainers) {
    EXPECT_EQ(JsonWriter().BeginObject().EndObject().str(), "{}");
    EXPECT_EQ(JsonWriter().BeginArray().EndArray().str(), "[]");
    EXPECT_EQ(JsonWriter()
                  .BeginArray()
                  .BeginArray()
                  .EndArray()
                  .BeginObject()
                  .EndObject()
                  .EndArray()
                  .str(),
              "[[],{}]");
    JsonWriter w;
    w.BeginObject().Key("a").BeginArray().EndArray().Key("o").BeginObject().EndObject().EndObject();
    EXPECT_EQ(w.str(), R"({"a":[],"o":{}})");
    EXPECT_EQ(Parse(w.str()), json({{"a", json::array()}, {"o", json::object()}}));
}

TEST(JsonWriterTest, ObjectMembersAreSeparatedByCommas) {
    JsonWriter w;
    w.BeginObject().Key("a").Int(1).Key("b").String("x").Key("c").Bool(false).Key("d").Null();
    w.EndObject();
    EXPECT_EQ(w.str(), R"({"a":1,"b":"x","c":false,"d":null})");
    EXPECT_EQ(Parse(w.str()), json({{"a", 1}, {"b", "x"}, {"c", false}, {"d", nullptr}}));
}

TEST(JsonWriterTest, ArrayOfObjects) {
    JsonWriter w;
    w.BeginArray();
    for (int i = 0; i < 3; ++i) w.BeginObject().Key("id").Int(i).Key("n").String("v").EndObject();
    w.EndArray();
    EXPECT_EQ(w.str(), R"([{"id":0,"n":"v"},{"id":1,"n":"v"},{"id":2,"n":"v"}])");
    json expected = json::array();
    for (int i = 0; i < 3; ++i) expected.push_back({{"id", i}, {"n", "v"}});
    EXPECT_EQ(Parse(w.str()), expected);
}

TEST(JsonWriterTest, ObjectInsideArrayInsideObject) {
    JsonWriter w;
    w.BeginObject();
    w.Key("before").Int(1);
    w.Key("items").BeginArray();
    w.Int(10);
    w.BeginObject().Key("inner").BeginArray().Null().Bool(true).EndArray().EndObject();
    w.BeginObject().EndObject();
    w.String("last");
    w.EndArray();
    w.Key("after").BeginObject().Key("k").String("v").EndObject();
    w.EndObject();
    EXPECT_EQ(w.str(),
              R"({"before":1,"items":[10,{"inner":[null,true]},{},"last"],"after":{"k":"v"}})");
    json expected = {
        {"before", 1},
        {"items",
         json::array({10, {{"inner", json::array({nullptr, true})}}, json::object(), "last"})},
        {"after", {{"k", "v"}}},
    };
    EXPECT_EQ(Parse(w.str()), expected);
}

TEST(JsonWriterTest, DeepNesting) {
    JsonWriter w;
    for (int i = 0; i < 50; ++i) w.BeginArray().Int(i).BeginObject().Key("n");
    w.Null();
    for (int i = 0; i < 50; ++i) w.EndObject().EndArray();
    json expected = nullptr;
    for (int i = 49; i >= 0; --i) expected = json::array({i, {{"n", expected}}});
    EXPECT_EQ(Parse(w.str()), expected);
    EXPECT_EQ(w.str(), expected.dump());
}

TEST(JsonWriterTest, TopLevelScalars) {
    EXPECT_EQ(JsonWriter().Int(42).str(), "42");
    EXPECT_EQ(JsonWriter().String("s").str(), "\"s\"");
    EXPECT_EQ(JsonWriter().Bool(true).str(), "true");
    EXPECT_EQ(JsonWriter().Null().str(), "null");
    EXPECT_EQ(JsonWriter().Raw("[1, 2]").str(), "[1, 2]");
}

TEST(JsonWriterTest, KeysAreEscaped) {
    JsonWriter w;
    w.BeginObject().Key("a\"b\\c\n").Int(1).Key("").Int(2).Key("\xC3\xA9").Int(3).EndObject();
    EXPECT_EQ(w.str(), "{\"a\\\"b\\\\c\\n\":1,\"\":2,\"\xC3\xA9\":3}");
    EXPECT_EQ(Parse(w.str()), json({{"a\"b\\c\n", 1}, {"", 2}, {"\xC3\xA9", 3}}));
}

TEST(JsonWriterTest, TakeAndReserve) {
    JsonWriter w;
    w.Reserve(1024);
    w.BeginArray().Int(1).EndArray();
    EXPECT_EQ(w.str(), "[1]");
    std::string taken = w.Take();
    EXPECT_EQ(taken, "[1]");
}

// --- Scalars -----------------------------------------------------------------------------------

TEST(JsonWriterTest, Integers) {
    constexpr auto kMin = std::numeric_limits<std::int64_t>::min();
    constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
    const std::vector<std::int64_t> values = {
        0, 1, -1, 9, 10, -10, 123456789, -987654321, std::int64_t{1} << 53, kMin + 1, kMin, kMax};
    JsonWriter w;
    w.BeginArray();
    for (auto v : values) w.Int(v);
    w.EndArray();
    json parsed = Parse(w.str());
    ASSERT_EQ(parsed.size(), values.size());
    for (size_t i = 0; i < values.size(); ++i) {
        EXPECT_EQ(parsed[i].get<std::int64_t>(), values[i]) << i;
        EXPECT_EQ(JsonWriter().Int(values[i]).str(), std::to_string(values[i]));
    }
    EXPECT_EQ(JsonWriter().Int(kMin).str(), "-9223372036854775808");
    EXPECT_EQ(JsonWriter().Int(kMax).str(), "9223372036854775807");
    EXPECT_EQ(w.str(), json(values).dump());
}

TEST(JsonWriterTest, BoolNullAndRaw) {
    JsonWriter w;
    w.BeginArray().Bool(true).Bool(false).Null();
    w.Raw(R"({"pre":"made","n":[1,2]})");
    w.Raw("7");
    w.BeginObject().Key("r").Raw("[]").Key("s").Raw("\"x\"").EndObject();
    w.EndArray();
    EXPECT_EQ(w.str(), R"([true,false,null,{"pre":"made","n":[1,2]},7,{"r":[],"s":"x"}])");
    json expected = json::array({true,
                                 false,
                                 nullptr,
                                 {{"pre", "made"}, {"n", {1, 2}}},
                                 7,
                                 {{"r", json::array()}, {"s", "x"}}});
    EXPECT_EQ(Parse(w.str()), expected);
}

// --- Strings: escaping -------------------------------------------------------------------------

TEST(JsonWriterTest, EscapesQuoteBackslashAndShortControls) {
    EXPECT_EQ(Quoted(""), R"("")");
    EXPECT_EQ(Quoted("plain text / slash"), R"("plain text / slash")");
    EXPECT_EQ(Quoted("\""), R"("\"")");
    EXPECT_EQ(Quoted("\\"), R"("\\")");
    EXPECT_EQ(Quoted("\n"), R"("\n")");
    EXPECT_EQ(Quoted("\r"), R"("\r")");
    EXPECT_EQ(Quoted("\t"), R"("\t")");
    EXPECT_EQ(Quoted("\b"), R"("\b")");
    EXPECT_EQ(Quoted("\f"), R"("\f")");
    EXPECT_EQ(Quoted("a\"b\\c\nd"), R"("a\"b\\c\nd")");
    EXPECT_EQ(Quoted("\\\"\\\""), R"("\\\"\\\"")");
}

TEST(JsonWriterTest, EscapesOtherControlsAsUnicode) {
    EXPECT_EQ(Quoted("\x01"), R"("\u0001")");
    EXPECT_EQ(Quoted("\x1f"), R"("\u001f")");
    EXPECT_EQ(Quoted("\x0b"), R"("\u000b")");
    EXPECT_EQ(Quoted("\x1b[0m"), R"("\u001b[0m")");
    EXPECT_EQ(Quoted(std::string_view("a\0b", 3)), R"("a\u0000b")");
    // DEL is not a JSON control character and is written as is.
    EXPECT_EQ(Quoted("\x7f"), "\"\x7f\"");
}

TEST(JsonWriterTest, EveryAsciiCharacterMatchesNlohmann) {
    std::string all;
    for (int c = 0; c < 0x80; ++c) {
        std::string one(1, static_cast<char>(c));
        EXPECT_EQ(Quoted(one), json(one).dump()) << "byte " << c;
        EXPECT_EQ(Parse(Quoted(one)).get<std::string>(), one) << "byte " << c;
        all += one;
    }
    EXPECT_EQ(Quoted(all), json(all).dump());
    EXPECT_EQ(Parse(Quoted(all)).get<std::string>(), all);
}

TEST(JsonWriterTest, StringValuesUseTheSameEscaping) {
    JsonWriter w;
    w.BeginArray().String("q\"").String("\x01\t").EndArray();
    EXPECT_EQ(w.str(), R"(["q\"","\u0001\t"])");
    EXPECT_EQ(Parse(w.str()), json::array({"q\"", "\x01\t"}));
}

TEST(JsonWriterTest, AppendJsonStringAppends) {
    std::string out = "prefix:";
    AppendJsonString(out, "a\"");
    AppendJsonString(out, "");
    EXPECT_EQ(out, R"(prefix:"a\"""")");
}

// --- Strings: UTF-8 ----------------------------------------------------------------------------

TEST(JsonWriterTest, ValidUtf8IsPassedThrough) {
    const std::vector<std::string> samples = {
        "\xC3\xA9",          // é (2 bytes)
        "\xE2\x82\xAC",      // € (3 bytes)
        "\xF0\x9F\x98\x80",  // 😀 (4 bytes)
        "caf\xC3\xA9 \xE2\x82\xAC\xF0\x9F\x98\x80!",
        Utf8(0x80),
        Utf8(0x7FF),
        Utf8(0x800),
        Utf8(0xFFF),
        Utf8(0x1000),
        Utf8(0xD7FF),
        Utf8(0xE000),
        Utf8(0xFFFD),
        Utf8(0xFFFF),
        Utf8(0x10000),
        Utf8(0x3FFFF),
        Utf8(0x40000),
        Utf8(0xFFFFF),
        Utf8(0x100000),
        Utf8(0x10FFFF),
        "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E",                  // 日本語
        "\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82\n\"",  // Привет + escapes
    };
    for (const auto& s : samples) {
        std::string out = Quoted(s);
        EXPECT_EQ(out, json(s).dump()) << s;
        EXPECT_EQ(Parse(out).get<std::string>(), s) << s;
    }
    EXPECT_EQ(Quoted("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"),
              "\"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\"");
}

struct InvalidCase {
    const char* name;
    std::string input;
    std::string expected;  // the decoded string: one U+FFFD per rejected byte
};

TEST(JsonWriterTest, InvalidUtf8IsReplaced) {
    const std::string r = kFffd;
    const std::vector<InvalidCase> cases = {
        {"lone continuation", "a\x80z", "a" + r + "z"},
        {"lone continuation at end", "ab\xBF", "ab" + r},
        {"two continuations", "\x80\x80", r + r},
        {"truncated 2-byte at end", "ab\xC3", "ab" + r},
        {"truncated 3-byte at end", "ab\xE2\x82", "ab" + r + r},
        {"truncated 4-byte at end", "ab\xF0\x9F\x98", "ab" + r + r + r},
        {"truncated 3-byte before ASCII", "\xE2\x82z", r + r + "z"},
        {"bad continuation", "\xE2(\xA1", r + "(" + r},
        {"overlong 2-byte C0 AF", "\xC0\xAF", r + r},
        {"overlong 2-byte C1 BF", "\xC1\xBF", r + r},
        {"overlong 3-byte", "\xE0\x80\xAF", r + r + r},
        {"overlong 4-byte", "\xF0\x80\x80\xAF", r + r + r + r},
        {"surrogate D800", "\xED\xA0\x80", r + r + r},
        {"surrogate DFFF", "\xED\xBF\xBF", r + r + r},
        {"F5 byte", "x\xF5y", "x" + r + "y"},
        {"F5 sequence", "\xF5\x80\x80\x80", r + r + r + r},
        {"FE and FF", "\xFE\xFF", r + r},
        {"above U+10FFFF", "\xF4\x90\x80\x80", r + r + r + r},
        {"valid after invalid", "\x80\xC3\xA9\xFF\xF0\x9F\x98\x80",
         r + "\xC3\xA9" + r + "\xF0\x9F\x98\x80"},
        {"invalid next to escapes", "\"\x80\n", "\"" + r + "\n"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        std::string out = Quoted(c.input);
        json parsed = Parse(out);
        ASSERT_TRUE(parsed.is_string()) << out;
        EXPECT_EQ(parsed.get<std::string>(), c.expected);
        EXPECT_EQ(c.expected, ReferenceSanitize(c.input));
        // The output is what nlohmann writes for the sanitized string.
        EXPECT_EQ(out, json(c.expected).dump());
    }
}

TEST(JsonWriterTest, InvalidUtf8InKeysIsReplaced) {
    JsonWriter w;
    w.BeginObject().Key("k\xFF").String("v\xC0").EndObject();
    EXPECT_EQ(Parse(w.str()), json({{"k" + kFffd, "v" + kFffd}}));
}

TEST(JsonWriterTest, RandomBytesAlwaysGiveValidJson) {
    std::mt19937 rng(20240607);
    std::uniform_int_distribution<int> length(0, 16);
    std::uniform_int_distribution<int> kind(0, 9);
    std::uniform_int_distribution<int> any_byte(0, 255);
    std::uniform_int_distribution<int> high_byte(0x80, 0xFF);
    std::uniform_int_distribution<int> cont_byte(0x80, 0xBF);
    for (int iteration = 0; iteration < 5000; ++iteration) {
        std::string s;
        int n = length(rng);
        for (int i = 0; i < n; ++i) {
            int k = kind(rng);
            if (k < 3) {
                s.push_back(static_cast<char>(any_byte(rng)));
            } else if (k < 6) {
                s.push_back(static_cast<char>(high_byte(rng)));
            } else if (k < 8) {
                s.push_back(static_cast<char>(cont_byte(rng)));
            } else {
                s += Utf8(static_cast<char32_t>(0x80 + any_byte(rng) * 0x1000));
            }
        }
        std::string out = Quoted(s);
        json parsed = Parse(out);
        ASSERT_TRUE(parsed.is_string()) << out;
        EXPECT_EQ(parsed.get<std::string>(), ReferenceSanitize(s)) << out;
        EXPECT_EQ(out, json(ReferenceSanitize(s)).dump());
    }
}

// --- Round trip of random structures -----------------------------------------------------------

class RandomJson {
public:
    explicit RandomJson(unsigned seed) : rng_(seed) {}

    json Value(int depth) {
        int pick = Uniform(0, depth <= 0 ? 5 : 7);
        switch (pick) {
            case 0:
                return nullptr;
            case 1:
                return Uniform(0, 1) == 1;
            case 2:
                return Int();
            case 3:
            case 4:
            case 5:
                return String();
            case 6: {
                json a = json::array();
                int n = Uniform(0, 5);
                for (int i = 0; i < n; ++i) a.push_back(Value(depth - 1));
                return a;
            }
            default: {
                json o = json::object();
                int n = Uniform(0, 5);
                for (int i = 0; i < n; ++i) o[String()] = Value(depth - 1);
                return o;
            }
        }
    }

    int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }

private:
    std::int64_t Int() {
        switch (Uniform(0, 3)) {
            case 0:
                return Uniform(-10, 10);
            case 1:
                return std::numeric_limits<std::int64_t>::min();
            case 2:
                return std::numeric_limits<std::int64_t>::max();
            default:
                return std::uniform_int_distribution<std::int64_t>(
                    std::numeric_limits<std::int64_t>::min(),
                    std::numeric_limits<std::int64_t>::max())(rng_);
        }
    }

    std::string String() {
        std::string s;
        int n = Uniform(0, 8);
        for (int i = 0; i < n; ++i) {
            switch (Uniform(0, 6)) {
                case 0:
                    s += Utf8(static_cast<char32_t>(Uniform(0, 0x1F)));  // control
                    break;
                case 1:
                    s += "\"\\/"[Uniform(0, 2)];
                    break;
                case 2:
                    s += Utf8(static_cast<char32_t>(Uniform(0x80, 0x7FF)));
                    break;
                case 3: {
                    char32_t cp = static_cast<char32_t>(Uniform(0x800, 0xFFFF));
                    if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;
                    s += Utf8(cp);
                    break;
                }
                case 4:
                    s += Utf8(static_cast<char32_t>(Uniform(0x10000, 0x10FFFF)));
                    break;
                default:
                    s += static_cast<char>(Uniform(0x20, 0x7F));
            }
        }
        return s;
    }

    std::mt19937 rng_;
};

// Writes `j` with the writer, sometimes passing a finished subtree through Raw().
void Write(JsonWriter& w, const json& j, RandomJson& random) {
    if (j.is_structured() && random.Uniform(0, 9) == 0) {
        w.Raw(j.dump());
        return;
    }
    switch (j.type()) {
        case json::value_t::null:
            w.Null();
            break;
        case json::value_t::boolean:
            w.Bool(j.get<bool>());
            break;
        case json::value_t::number_integer:
            w.Int(j.get<std::int64_t>());
            break;
        case json::value_t::string:
            w.String(j.get_ref<const std::string&>());
            break;
        case json::value_t::array:
            w.BeginArray();
            for (const auto& v : j) Write(w, v, random);
            w.EndArray();
            break;
        case json::value_t::object:
            w.BeginObject();
            for (const auto& [k, v] : j.items()) {
                w.Key(k);
                Write(w, v, random);
            }
            w.EndObject();
            break;
        default:
            FAIL() << "unexpected type in generated json: " << j.type_name();
    }
}

TEST(JsonWriterTest, RandomStructuresRoundTrip) {
    RandomJson random(12345);
    for (int iteration = 0; iteration < 500; ++iteration) {
        json expected = random.Value(random.Uniform(0, 5));
        JsonWriter w;
        Write(w, expected, random);
        SCOPED_TRACE(w.str());
        EXPECT_EQ(Parse(w.str()), expected);
        // nlohmann writes members in the same (sorted) order and escapes alike: same bytes.
        EXPECT_EQ(w.str(), expected.dump());
    }
}

}  // namespace
}  // namespace forgedb
