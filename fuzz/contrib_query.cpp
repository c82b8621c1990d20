// The contributor view's query and filter parsers: the status list, the name folding of the
// permalink hash and the fuzzy name match, and the WikiContrib API's JSON bodies (users of a
// query, its filter, match-fullnames) through the API's route table over a real Service on a
// migrated SQLite database. Input: see FuzzRequest, with the method on the first line
// ("PATCH /query/{hash}/update/filter/"); "{hash}" in the path names a stored query.

#include <string>

#include "forgedb/contrib/contrib.hpp"
#include "forgedb/contrib/unicode.hpp"
#include "forgedb/web/api/wikicontrib_api.hpp"
#include "fuzz_support.hpp"

namespace {

// Name similarity is quadratic in the name's length; the API bounds names long before this.
constexpr std::size_t kMaxMatchBytes = 512;

struct Surface {
    forgedb::fuzz::FuzzDatabase database;
    forgedb::SystemClock clock;
    forgedb::queue::Notifier notifier;
    forgedb::contrib::Service service{database.db(), clock, notifier, {}};
    forgedb::api::WikiContribApi api{service};
    forgedb::http::Router router;
    std::string hash;

    Surface() {
        router.AddAll(api.Routes());
        StoreQuery();
    }
    void StoreQuery() {
        auto created = service.CreateQuery({{"Alice Example", "alice", "alice", "alice"}});
        if (!created) throw std::runtime_error(created.error().ToString());
        hash = *created;
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static Surface surface;
    std::string_view text = forgedb::fuzz::AsText(data, size);
    (void)forgedb::contrib::ParseStatuses(text);
    (void)forgedb::contrib::Slugify(text);
    (void)forgedb::contrib::unicode::PyLower(text);
    if (size <= kMaxMatchBytes) {
        std::string_view first = text.substr(0, text.find('\n'));
        (void)forgedb::contrib::WRatio(first, text);
        (void)forgedb::contrib::MatchPercent(first, {std::string(text), std::nullopt});
    }
    forgedb::fuzz::FuzzRequest r(text, "");
    if (size_t at = r.req.path.find("{hash}"); at != std::string::npos) {
        r.req.path.replace(at, 6, surface.hash);
    }
    (void)surface.router.Dispatch(r.req);
    if (surface.database.PruneEvery(
            1000,
            "DELETE FROM contrib_query_user; DELETE FROM contrib_query_filter;"
            "DELETE FROM contrib_upload_chunk; DELETE FROM contrib_coverage;"
            "DELETE FROM contrib_query;")) {
        surface.StoreQuery();
    }
    return 0;
}
