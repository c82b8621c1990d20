// multipart/form-data bodies as browsers and HTTP clients send them.

#include <gtest/gtest.h>

#include "forgedb/http/http.hpp"

namespace forgedb::http {
namespace {

TEST(Multipart, ParsesFieldsAndFiles) {
    std::string body =
        "preamble\r\n--XyZ\r\n"
        "Content-Disposition: form-data; name=\"chunk\"\r\n\r\n"
        "2\r\n--XyZ\r\n"
        "Content-Disposition: form-data; name=\"csv_file\"; filename=\"a;b \\\"q\\\".csv\"\r\n"
        "Content-Type: text/csv\r\n\r\n"
        "fullname,Gerrit\r\n--XyZ not yet\r\nJane,j\r\n--XyZ--\r\nepilogue";
    auto parts = ParseMultipart("multipart/form-data; boundary=\"XyZ\"", body);
    ASSERT_TRUE(parts);
    ASSERT_EQ(parts->size(), 2u);
    EXPECT_EQ((*parts)[0].name, "chunk");
    EXPECT_FALSE((*parts)[0].filename);
    EXPECT_EQ((*parts)[0].data, "2");
    EXPECT_EQ((*parts)[1].name, "csv_file");
    EXPECT_EQ((*parts)[1].filename, "a;b \"q\".csv");
    EXPECT_EQ((*parts)[1].content_type, "text/csv");
    EXPECT_EQ((*parts)[1].data, "fullname,Gerrit\r\n--XyZ not yet\r\nJane,j");
}

TEST(Multipart, RefusesMalformedBodies) {
    const char* type = "multipart/form-data; boundary=b";
    EXPECT_FALSE(ParseMultipart("application/json", "{}"));
    EXPECT_FALSE(ParseMultipart("multipart/form-data", "--b--\r\n"));  // no boundary
    EXPECT_FALSE(ParseMultipart(type, ""));
    EXPECT_FALSE(ParseMultipart(type, "--b\r\nbroken"));
    EXPECT_FALSE(ParseMultipart(type, "--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--"));
    EXPECT_FALSE(
        ParseMultipart(type, "--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nx"));
    auto empty = ParseMultipart(type, "--b--\r\n");
    ASSERT_TRUE(empty);
    EXPECT_TRUE(empty->empty());
}

}  // namespace
}  // namespace forgedb::http
