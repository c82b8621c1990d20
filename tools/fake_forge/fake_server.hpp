#pragma once
// What the fake forges share: the fault pipeline (queued faults and request statistics) and the
// listener that serves them on loopback. Thread-safety as FaultPipeline; Stop() belongs to the
// owner.

#include <cstddef>
#include <utility>
#include <vector>

#include "fake_forge/fault_pipeline.hpp"
#include "fake_forge/listener.hpp"

namespace forgedb::fake {

class FakeServer {
public:
    FakeServer(const FakeServer&) = delete;
    FakeServer& operator=(const FakeServer&) = delete;

    // Queues a fault for the next requests it matches (see Fault).
    void AddFault(Fault fault) { pipeline_.AddFault(std::move(fault)); }
    void ClearFaults() { pipeline_.ClearFaults(); }
    std::vector<Fault> PendingFaults() const { return pipeline_.PendingFaults(); }

    RequestStats Stats() const { return pipeline_.Stats(); }
    void ResetStats() { pipeline_.ResetStats(); }

    // Stops serving; idle keep-alive connections are closed rather than waited for. Idempotent.
    void Stop() { listener_.Stop(); }
    int port() const { return listener_.port(); }  // 0 when not serving

protected:
    explicit FakeServer(std::size_t max_logged_urls) : pipeline_(max_logged_urls) {}
    // A fake's destructor calls Stop() first: its handlers use its own state.
    ~FakeServer() = default;

    FaultPipeline pipeline_;
    Listener listener_;
};

}  // namespace forgedb::fake
