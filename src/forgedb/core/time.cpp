#include "forgedb/core/time.hpp"

#include <cstdio>

namespace forgedb {
namespace {

bool Digits(std::string_view s, size_t pos, size_t n, int& out) {
    if (pos + n > s.size()) return false;
    int v = 0;
    for (size_t i = pos; i < pos + n; ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (s[i] - '0');
    }
    out = v;
    return true;
}

}  // namespace

std::optional<Timestamp> ParseTimestamp(std::string_view s) {
    using namespace std::chrono;
    int y, mo, d, h, mi, se;
    if (!Digits(s, 0, 4, y) || s.size() < 19 || s[4] != '-' || !Digits(s, 5, 2, mo) ||
        s[7] != '-' || !Digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != ' ') ||
        !Digits(s, 11, 2, h) || s[13] != ':' || !Digits(s, 14, 2, mi) || s[16] != ':' ||
        !Digits(s, 17, 2, se)) {
        return std::nullopt;
    }
    year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
    if (!ymd.ok() || h > 23 || mi > 59 || se > 60) return std::nullopt;
    size_t pos = 19;
    long long micros = 0;
    if (pos < s.size() && s[pos] == '.') {
        ++pos;
        int digits = 0;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
            if (digits < 6) micros = micros * 10 + (s[pos] - '0');
            ++digits;
            ++pos;
        }
        if (digits == 0) return std::nullopt;
        for (int i = digits; i < 6; ++i) micros *= 10;
    }
    long long offset_minutes = 0;
    if (pos < s.size()) {
        char c = s[pos];
        if (c == 'Z' && pos + 1 == s.size()) {
            pos += 1;
        } else if (s.substr(pos) == " UTC") {  // GitLab's webhook form: "2017-09-15 16:50:55 UTC"
            pos = s.size();
        } else if (c == '+' || c == '-') {
            int oh = 0, om = 0;
            if (!Digits(s, pos + 1, 2, oh)) return std::nullopt;
            size_t p = pos + 3;
            if (p < s.size()) {
                if (s[p] == ':') ++p;
                if (!Digits(s, p, 2, om)) return std::nullopt;
                p += 2;
            }
            if (p != s.size()) return std::nullopt;
            offset_minutes = (oh * 60 + om) * (c == '+' ? 1 : -1);
            pos = p;
        } else {
            return std::nullopt;
        }
    }
    auto tp = sys_days{ymd} + hours{h} + minutes{mi} + seconds{se} + microseconds{micros} -
              minutes{offset_minutes};
    auto secs = floor<seconds>(tp).time_since_epoch().count();
    if (secs < kMinUnixSeconds || secs > kMaxUnixSeconds) return std::nullopt;
    return time_point_cast<microseconds>(tp);
}

std::optional<Timestamp> ParseDay(std::string_view s) {
    if (s.size() != 10) return std::nullopt;
    return ParseTimestamp(std::string(s) + "T00:00:00Z");
}

std::optional<Timestamp> ParseDayOrTimestamp(std::string_view s) {
    auto t = ParseTimestamp(s);
    return t ? t : ParseDay(s);
}

std::optional<Timestamp> FromUnixSeconds(long long seconds) {
    if (seconds < kMinUnixSeconds || seconds > kMaxUnixSeconds) return std::nullopt;
    return Timestamp{std::chrono::seconds{seconds}};
}

namespace {
std::string Format(Timestamp t, bool micros) {
    using namespace std::chrono;
    auto days = floor<std::chrono::days>(t);
    year_month_day ymd{days};
    auto rest = t - days;
    auto h = duration_cast<hours>(rest);
    rest -= h;
    auto m = duration_cast<minutes>(rest);
    rest -= m;
    auto s = duration_cast<seconds>(rest);
    rest -= s;
    // By hand rather than snprintf: pages and answers format thousands of these.
    int year = int(ymd.year());
    if (year < 0 || year > 9999) year = year < 0 ? 0 : 9999;
    std::string out = "0000-00-00T00:00:00Z";
    auto put = [&out](size_t at, long long v, int width) {
        for (int i = width - 1; i >= 0; --i, v /= 10) out[at + i] = static_cast<char>('0' + v % 10);
    };
    put(0, year, 4);
    put(5, unsigned(ymd.month()), 2);
    put(8, unsigned(ymd.day()), 2);
    put(11, h.count(), 2);
    put(14, m.count(), 2);
    put(17, s.count(), 2);
    if (micros) {
        out.insert(19, ".000000");
        put(20, rest.count(), 6);
    }
    return out;
}
}  // namespace

std::string FormatForgeTime(Timestamp t) { return Format(t, false); }
std::string FormatLocalTime(Timestamp t) { return Format(t, true); }

std::string FormatGerritTime(Timestamp t) {
    std::string out = Format(t, true);  // YYYY-MM-DDThh:mm:ss.ffffffZ
    out[10] = ' ';
    out.pop_back();
    return out + "000";
}

}  // namespace forgedb
