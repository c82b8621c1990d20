// The permalink hash of a query must equal the original system's (Python lower(), Django 3.2
// slugify, SHA-256), so that its links keep working. The vectors were computed with that code.

#include <gtest/gtest.h>

#include "forgedb/contrib/contrib.hpp"

namespace forgedb::contrib {
namespace {

TEST(ContribHash, SingleUserLowerCasesEveryNameBeforeHashing) {
    EXPECT_EQ(QueryHash({{"Jane Doe", "JDoe", "jdoe", "JaneD"}}), "jane-doe-df7ff1ce7");
    // Case does not change the hash: the same person typed differently has one permalink.
    EXPECT_EQ(QueryHash({{"JANE DOE", "jdoe", "JDOE", "janed"}}), "jane-doe-df7ff1ce7");
}

TEST(ContribHash, SingleUserNonAsciiNames) {
    // Accents decompose to their base letter; letters without a decomposition (Ł) are dropped.
    EXPECT_EQ(QueryHash({{"José Müller-Łukasz", "jmuller", "", ""}}),
              "jose-muller-ukasz-c35192ae0");
    // Python's lower() of İ is "i" + a combining dot; Ç and Ğ fold to C and G.
    EXPECT_EQ(QueryHash({{"İlkay  ÇAĞLAR", "", "ilkay", ""}}), "ilkay-caglar-df8f1128c");
    EXPECT_EQ(QueryHash({{"__Ana -- María__", "", "", "anam"}}), "ana-maria-0d376426f");
    // No ASCII left: the slug is empty and the hash starts with '-', as the original's did.
    EXPECT_EQ(QueryHash({{"山田 太郎", "yamada", "", ""}}), "-6edddff47");
    // Compatibility decompositions: Ǆ -> DZ, the fi ligature -> fi, ½ -> 1⁄2 -> 12.
    EXPECT_EQ(QueryHash({{"Ǆemal ﬁne ½", "x", "", ""}}), "dzemal-fine-12-9c8d24e20");
}

TEST(ContribHash, SeveralUsersHashEveryConcatenationInOrder) {
    std::vector<QueryUser> users = {{"Jane Doe", "jdoe", "", ""}, {"John Roe", "", "jroe", "JRoe"}};
    EXPECT_EQ(QueryHash(users), "1a38f7b5dafa9a3bcb9de2b26cc525f8ef43210a28712e6cd8fd2cb7ef11557b");
    std::swap(users[0], users[1]);
    EXPECT_NE(QueryHash(users), "1a38f7b5dafa9a3bcb9de2b26cc525f8ef43210a28712e6cd8fd2cb7ef11557b");
}

TEST(ContribHash, SlugifyMatchesDjango) {
    EXPECT_EQ(Slugify("Jane Doe"), "jane-doe");
    EXPECT_EQ(Slugify("  Hello,  World! "), "hello-world");
    EXPECT_EQ(Slugify("a_b-c"), "a_b-c");
    EXPECT_EQ(Slugify("__x__"), "x");
    EXPECT_EQ(Slugify("-x-"), "x");
    EXPECT_EQ(Slugify("Ærøskøbing straße"), "rskbing-strae");
    EXPECT_EQ(Slugify("Ünïcödé Çafé"), "unicode-cafe");
    EXPECT_EQ(Slugify("tab\there"), "tab-here");
    EXPECT_EQ(Slugify("ǅ"), "dz");
    EXPECT_EQ(Slugify("ﬀ"), "ff");
    EXPECT_EQ(Slugify("x\x1cy"), "x-y");
    EXPECT_EQ(Slugify(""), "");
}

TEST(ContribStatuses, ParsedLowerCasedAndChecked) {
    auto s = ParseStatuses(" Merged,open,,P-OPEN,merged ");
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(*s, (std::vector<std::string>{"merged", "open", "p-open"}));
    EXPECT_TRUE(ParseStatuses("")->empty());
    auto bad = ParseStatuses("merged,pending");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, ErrorCode::kInvalid);
}

TEST(ContribMatch, WRatioLikeScores) {
    EXPECT_DOUBLE_EQ(WRatio("Jane Doe", "Jane Doe"), 100);
    EXPECT_DOUBLE_EQ(WRatio("Jane Doe", "jane doe"), 100);  // case and punctuation ignored
    EXPECT_NEAR(WRatio("Jane Doe", "Doe Jane"), 95, 1e-9);  // token sort, scaled by 0.95
    EXPECT_GT(WRatio("Jane Doe", "Jane M. Doe"), 80);
    EXPECT_EQ(WRatio("Jane Doe", "Xavier Quill"), 0);  // under the cutoff of 60
    EXPECT_EQ(WRatio("", "Jane"), 0);
}

TEST(ContribMatch, MatchPercentIsTheMeanAndZeroForAnAccountNotFound) {
    EXPECT_DOUBLE_EQ(MatchPercent("Jane Doe", {std::string("Jane Doe"), std::string("jane doe")}),
                     100);
    EXPECT_DOUBLE_EQ(MatchPercent("Jane Doe", {std::string("Jane Doe"), std::string("")}), 100);
    EXPECT_DOUBLE_EQ(MatchPercent("Jane Doe", {std::string("Jane Doe"), std::nullopt}), 0);
    EXPECT_DOUBLE_EQ(MatchPercent("Jane Doe", {}), 0);
}

TEST(ContribCsv, ParsesTheOriginalFormat) {
    auto users = ParseUsersCsv(
        "fullname,Gerrit,Phabricator,Github\r\n"
        "Jane Doe,jdoe,,\r\n"
        "\"Roe, John\",,jroe,JRoe\r\n"
        ",orphan,,\r\n"         // no full name: skipped
        "Nobody,,,\r\n"         // no username: skipped
        "Jane Doe,other,,\r\n"  // a repeated name: the first row wins
        "\r\n");
    ASSERT_TRUE(users) << users.error().message;
    ASSERT_EQ(users->size(), 2u);
    EXPECT_EQ((*users)[0].fullname, "Jane Doe");
    EXPECT_EQ((*users)[0].gerrit, "jdoe");
    EXPECT_EQ((*users)[1].fullname, "Roe, John");
    EXPECT_EQ((*users)[1].github, "JRoe");
    // Latin-1 text (not valid UTF-8) is read as Latin-1.
    auto latin = ParseUsersCsv("fullname,Gerrit,Phabricator,Github\nJos\xE9,j,,\n");
    ASSERT_TRUE(latin);
    EXPECT_EQ((*latin)[0].fullname, "Jos\xC3\xA9");
    EXPECT_FALSE(ParseUsersCsv("name,Gerrit,Phabricator,Github\nJane,j,,\n"));        // bad header
    EXPECT_FALSE(ParseUsersCsv("fullname,Gerrit,Phabricator,Github\n\"Jane,j,,\n"));  // open quote
    EXPECT_FALSE(ParseUsersCsv("fullname,Gerrit,Phabricator,Github\nNobody,,,\n"));   // none usable
}

}  // namespace
}  // namespace forgedb::contrib
