#include <stdexcept>

#include "forgedb/forge/forge.hpp"
#include "forgedb/forge/process_delivery.hpp"

namespace forgedb::forge {

Forges::Forges(std::vector<std::unique_ptr<Forge>> forges) {
    for (auto& f : forges) Add(std::move(f));
}

void Forges::Add(std::unique_ptr<Forge> forge) {
    if (forge == nullptr || Find(forge->name()) != nullptr) {
        throw std::logic_error("forge added twice or null");
    }
    forges_.push_back(std::move(forge));
}

Forge* Forges::Find(std::string_view name) const {
    for (const auto& f : forges_) {
        if (f->name() == name) return f.get();
    }
    return nullptr;
}

std::vector<Forge*> Forges::All() const {
    std::vector<Forge*> out;
    for (const auto& f : forges_) out.push_back(f.get());
    return out;
}

std::vector<std::string> Forges::Names() const {
    std::vector<std::string> out;
    for (const auto& f : forges_) out.emplace_back(f->name());
    return out;
}

std::vector<http::Route> Forges::WebhookRoutes(replication::DeliveryLog& log,
                                               const Clock& clock) const {
    std::vector<http::Route> out;
    for (const auto& f : forges_) {
        for (auto& r : f->WebhookRoutes(log, clock)) out.push_back(std::move(r));
    }
    return out;
}

void Forges::RegisterTasks(tasks::TaskRegistry& registry) const {
    tasks::RegisterDeliveryTasks(registry, *this);
    for (const auto& f : forges_) f->RegisterTasks(registry);
}

}  // namespace forgedb::forge
