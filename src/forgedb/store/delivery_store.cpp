#include "forgedb/store/delivery_store.hpp"

#include "forgedb/core/text.hpp"

namespace forgedb::store {

Result<bool> InsertDelivery(Connection& conn, const Delivery& d) {
    FORGEDB_ASSIGN_OR_RETURN(
        auto res,
        conn.Query("INSERT INTO webhook_delivery (forge, delivery_id, event, action, received_at, "
                   "headers, body, status, instance) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?) "
                   "ON CONFLICT (forge, delivery_id) DO NOTHING",
                   {d.forge, d.delivery_id, d.event,
                    d.action.empty() ? model::Value{model::Null{}} : model::Value{d.action},
                    FormatLocalTime(d.received_at), d.headers_json, d.body,
                    d.instance.empty() ? model::Value{model::Null{}} : model::Value{d.instance}}));
    return res.affected > 0;
}

Result<Delivery> LoadDelivery(Connection& conn, const std::string& forge,
                              const std::string& delivery_id) {
    FORGEDB_ASSIGN_OR_RETURN(
        auto res,
        conn.Query("SELECT event, action, received_at, headers, body, status, error, instance "
                   "FROM webhook_delivery WHERE forge = ? AND delivery_id = ?",
                   {forge, delivery_id}));
    if (res.empty()) {
        return Unexpected(ErrorCode::kNotFound, "no delivery " + forge + "/" + delivery_id);
    }
    Delivery d;
    d.forge = forge;
    d.delivery_id = delivery_id;
    d.event = res.Text(0, 0);
    d.action = res.Text(0, 1);
    d.received_at = ParseTimestamp(res.Text(0, 2)).value_or(Timestamp{});
    d.headers_json = res.Text(0, 3);
    d.body = res.Text(0, 4);
    d.status = res.Text(0, 5);
    d.error = res.Text(0, 6);
    d.instance = res.Text(0, 7);
    return d;
}

Status SetDeliveryOutcome(Connection& conn, const std::string& forge,
                          const std::string& delivery_id, const std::string& status,
                          const std::string& error, Timestamp at) {
    FORGEDB_TRY(conn.Query(
        "UPDATE webhook_delivery SET status = ?, error = ?, processed_at = ? "
        "WHERE forge = ? AND delivery_id = ?",
        {status, error.empty() ? model::Value{model::Null{}} : model::Value{ValidUtf8(error)},
         FormatLocalTime(at), forge, delivery_id}));
    return Ok();
}

Result<std::vector<DeliveryKey>> ListDeliveries(Connection& conn, const DeliveryFilter& filter) {
    std::string sql = "SELECT forge, delivery_id FROM webhook_delivery WHERE 1 = 1";
    std::vector<model::Value> params;
    if (filter.forge) {
        sql += " AND forge = ?";
        params.emplace_back(*filter.forge);
    }
    if (filter.since) {
        sql += " AND received_at >= ?";
        params.emplace_back(FormatLocalTime(*filter.since));
    }
    if (filter.event) {
        sql += " AND event = ?";
        params.emplace_back(*filter.event);
    }
    if (filter.pending_only) sql += " AND status = 'pending'";
    sql += " ORDER BY received_at, forge, delivery_id";
    FORGEDB_ASSIGN_OR_RETURN(auto res, conn.Query(sql, params));
    std::vector<DeliveryKey> out;
    out.reserve(res.rows.size());
    for (size_t i = 0; i < res.rows.size(); ++i) out.push_back({res.Text(i, 0), res.Text(i, 1)});
    return out;
}

}  // namespace forgedb::store
