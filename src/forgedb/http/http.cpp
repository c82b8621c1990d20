#include "forgedb/http/http.hpp"

#include <cctype>

#include "forgedb/core/json_writer.hpp"
#include "forgedb/core/text.hpp"

namespace forgedb::http {
namespace {

std::vector<std::string_view> Split(std::string_view path) {
    std::vector<std::string_view> out;
    size_t i = 0;
    while (i < path.size()) {
        if (path[i] == '/') {
            ++i;
            continue;
        }
        size_t j = path.find('/', i);
        if (j == std::string_view::npos) j = path.size();
        out.push_back(path.substr(i, j - i));
        i = j;
    }
    return out;
}

bool Match(std::string_view pattern, std::string_view path,
           std::map<std::string, std::string>& params) {
    auto p = Split(pattern);
    auto s = Split(path);
    if (p.size() != s.size()) return false;
    std::map<std::string, std::string> found;
    for (size_t i = 0; i < p.size(); ++i) {
        if (p[i].size() > 2 && p[i].front() == '{' && p[i].back() == '}') {
            found[std::string(p[i].substr(1, p[i].size() - 2))] = std::string(s[i]);
        } else if (p[i] != s[i]) {
            return false;
        }
    }
    params = std::move(found);
    return true;
}

}  // namespace

bool CaseInsensitiveLess::operator()(std::string_view a, std::string_view b) const {
    size_t n = std::min(a.size(), b.size());
    for (size_t i = 0; i < n; ++i) {
        int ca = std::tolower(static_cast<unsigned char>(a[i]));
        int cb = std::tolower(static_cast<unsigned char>(b[i]));
        if (ca != cb) return ca < cb;
    }
    return a.size() < b.size();
}

std::optional<std::string_view> Request::Header(std::string_view name) const {
    auto it = headers.find(name);
    if (it == headers.end()) return std::nullopt;
    return std::string_view(it->second);
}

std::optional<std::string_view> Request::Query(std::string_view name) const {
    auto it = query.find(std::string(name));
    if (it == query.end()) return std::nullopt;
    return std::string_view(it->second);
}

std::optional<std::string> PercentDecode(std::string_view v, bool plus_is_space) {
    auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    std::string out;
    out.reserve(v.size());
    for (size_t i = 0; i < v.size(); ++i) {
        if (v[i] == '+' && plus_is_space) {
            out += ' ';
        } else if (v[i] == '%') {
            if (i + 2 >= v.size()) return std::nullopt;
            int hi = hex(v[i + 1]), lo = hex(v[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else {
            out += v[i];
        }
    }
    return out;
}

std::optional<std::multimap<std::string, std::string>> ParseForm(std::string_view body) {
    std::multimap<std::string, std::string> out;
    size_t pos = 0;
    while (pos < body.size()) {
        size_t amp = body.find('&', pos);
        if (amp == std::string_view::npos) amp = body.size();
        std::string_view pair = body.substr(pos, amp - pos);
        pos = amp + 1;
        if (pair.empty()) continue;
        size_t eq = pair.find('=');
        auto key = PercentDecode(pair.substr(0, eq), true);
        auto value = PercentDecode(eq == std::string_view::npos ? "" : pair.substr(eq + 1), true);
        if (!key || !value) return std::nullopt;
        out.emplace(std::move(*key), std::move(*value));
    }
    return out;
}

std::optional<std::string> FormValue(std::string_view body, std::string_view name) {
    size_t pos = 0;
    while (pos <= body.size()) {
        size_t amp = body.find('&', pos);
        if (amp == std::string_view::npos) amp = body.size();
        std::string_view pair = body.substr(pos, amp - pos);
        size_t eq = pair.find('=');
        if (eq != std::string_view::npos && pair.substr(0, eq) == name) {
            return PercentDecode(pair.substr(eq + 1), true);
        }
        pos = amp + 1;
    }
    return std::nullopt;
}

std::string JsonQuote(std::string_view s) {
    std::string out;
    AppendJsonString(out, s);
    return out;
}

Response Response::Message(int status, std::string_view message) {
    return Json(status, "{\"message\":" + JsonQuote(message) + "}");
}

Response Response::Error(int status, std::string_view message) {
    return Json(status, "{\"error\":" + JsonQuote(message) + "}");
}

Response Response::Json(int status, std::string body) {
    Response r;
    r.status = status;
    r.body = std::move(body);
    return r;
}

void Router::Add(Route route) { routes_.push_back(std::move(route)); }

void Router::AddAll(std::vector<Route> routes) {
    for (auto& r : routes) Add(std::move(r));
}

const Route* Router::Find(Request& req, Response* refusal) const {
    bool path_known = false;
    for (const auto& r : routes_) {
        std::map<std::string, std::string> params;
        if (!Match(r.pattern, req.path, params)) continue;
        if (r.method != req.method) {
            path_known = true;
            continue;
        }
        req.params = std::move(params);
        return &r;
    }
    if (refusal != nullptr) {
        *refusal = path_known ? Response::Error(405, "method not allowed")
                              : Response::Error(404, "not found");
    }
    return nullptr;
}

Response Router::Dispatch(Request& req) const {
    Response refusal;
    const Route* route = Find(req, &refusal);
    return route != nullptr ? route->handler(req) : refusal;
}

namespace {

std::string_view TrimSpaces(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

}  // namespace

// The parameter `name` of a header value such as `form-data; name="x"; filename="y"` (quoted
// values may hold ';' and backslash escapes).
std::optional<std::string> HeaderParam(std::string_view value, std::string_view name) {
    size_t i = value.find(';');
    while (i != std::string_view::npos && i < value.size()) {
        ++i;  // past ';'
        while (i < value.size() && (value[i] == ' ' || value[i] == '\t')) ++i;
        size_t eq = value.find('=', i);
        if (eq == std::string_view::npos) return std::nullopt;
        std::string_view key = TrimSpaces(value.substr(i, eq - i));
        i = eq + 1;
        std::string out;
        if (i < value.size() && value[i] == '"') {
            ++i;
            while (i < value.size() && value[i] != '"') {
                if (value[i] == '\\' && i + 1 < value.size()) ++i;
                out += value[i++];
            }
            if (i >= value.size()) return std::nullopt;  // unclosed quote
            ++i;
            i = value.find(';', i);
        } else {
            size_t end = value.find(';', i);
            out = std::string(TrimSpaces(
                value.substr(i, end == std::string_view::npos ? std::string_view::npos : end - i)));
            i = end;
        }
        if (EqualsIgnoreCase(key, name)) return out;
    }
    return std::nullopt;
}

std::optional<std::vector<MultipartPart>> ParseMultipart(std::string_view content_type,
                                                         std::string_view body) {
    std::string_view type = TrimSpaces(content_type.substr(0, content_type.find(';')));
    if (!EqualsIgnoreCase(type, "multipart/form-data")) return std::nullopt;
    auto boundary = HeaderParam(content_type, "boundary");
    if (!boundary || boundary->empty() || boundary->size() > 70) return std::nullopt;
    const std::string delimiter = "--" + *boundary;
    size_t pos = body.find(delimiter);
    if (pos == std::string_view::npos) return std::nullopt;
    // Every delimiter after the first is preceded by CRLF.
    if (pos != 0 && (pos < 2 || body.substr(pos - 2, 2) != "\r\n")) return std::nullopt;
    std::vector<MultipartPart> parts;
    pos += delimiter.size();
    for (;;) {
        if (body.substr(pos, 2) == "--") return parts;  // the closing delimiter
        // Transport padding, then CRLF.
        while (pos < body.size() && (body[pos] == ' ' || body[pos] == '\t')) ++pos;
        if (body.substr(pos, 2) != "\r\n") return std::nullopt;
        pos += 2;
        size_t headers_end = body.find("\r\n\r\n", pos);
        if (headers_end == std::string_view::npos) {
            // A part without headers starts with the blank line at once.
            if (body.substr(pos, 2) != "\r\n") return std::nullopt;
            headers_end = pos - 2;
        }
        MultipartPart part;
        bool named = false;
        std::string_view headers = headers_end >= pos ? body.substr(pos, headers_end - pos) : "";
        while (!headers.empty()) {
            size_t eol = headers.find("\r\n");
            std::string_view line = headers.substr(0, eol);
            headers = eol == std::string_view::npos ? "" : headers.substr(eol + 2);
            size_t colon = line.find(':');
            if (colon == std::string_view::npos) return std::nullopt;
            std::string_view key = TrimSpaces(line.substr(0, colon));
            std::string_view value = TrimSpaces(line.substr(colon + 1));
            if (EqualsIgnoreCase(key, "Content-Disposition")) {
                std::string_view kind = TrimSpaces(value.substr(0, value.find(';')));
                if (!EqualsIgnoreCase(kind, "form-data")) return std::nullopt;
                auto name = HeaderParam(value, "name");
                if (!name) return std::nullopt;
                part.name = *name;
                part.filename = HeaderParam(value, "filename");
                named = true;
            } else if (EqualsIgnoreCase(key, "Content-Type")) {
                part.content_type = std::string(value);
            }
        }
        if (!named) return std::nullopt;
        size_t data_start = headers_end + 4;
        // The next delimiter: CRLF, "--boundary", then "--" or padding and CRLF (the boundary
        // text followed by anything else is content).
        const std::string marker = "\r\n" + delimiter;
        size_t next = data_start;
        for (;; ++next) {
            next = body.find(marker, next);
            if (next == std::string_view::npos) return std::nullopt;
            size_t after = next + marker.size();
            if (body.substr(after, 2) == "--") break;
            while (after < body.size() && (body[after] == ' ' || body[after] == '\t')) ++after;
            if (body.substr(after, 2) == "\r\n") break;
        }
        part.data = std::string(body.substr(data_start, next - data_start));
        parts.push_back(std::move(part));
        pos = next + 2 + delimiter.size();
    }
}

}  // namespace forgedb::http
