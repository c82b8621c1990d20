// The request-body parsers of the HTTP layer. Input: a Content-Type value on the first line, then
// the body, which is read as multipart/form-data (under that type) and as a form; each part's
// Content-Disposition style parameters are read by HeaderParam.

#include "forgedb/http/http.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view body = forgedb::fuzz::AsText(data, size);
    std::string_view content_type = forgedb::fuzz::TakeLine(body);
    (void)forgedb::http::HeaderParam(content_type, "boundary");
    (void)forgedb::http::HeaderParam(content_type, "name");
    if (auto parts = forgedb::http::ParseMultipart(content_type, body)) {
        for (const auto& part : *parts) (void)forgedb::http::HeaderParam(part.data, "filename");
    }
    (void)forgedb::http::ParseForm(body);
    (void)forgedb::http::FormValue(body, "payload");
    return 0;
}
