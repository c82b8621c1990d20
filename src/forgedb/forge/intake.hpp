#pragma once
// What every webhook surface does once a delivery has passed its checks: keep the headers that
// describe it, log it durably, and answer 202 "queued", 200 "duplicate", or 503 with Retry-After
// when the log could not write it (the forge should send it again).

#include <initializer_list>
#include <string>
#include <string_view>

#include "forgedb/forge/delivery_log.hpp"
#include "forgedb/http/http.hpp"

namespace forgedb::replication {

// A JSON object of the request headers whose lower-cased names start with one of `prefixes`
// (lower case), with names as sent.
std::string KeptHeadersJson(const http::Request& req,
                            std::initializer_list<std::string_view> prefixes);

// Logs `delivery` (its headers_json and body already set) and gives the answer.
http::Response LogAndAnswer(DeliveryLog& log, store::Delivery delivery);

}  // namespace forgedb::replication
