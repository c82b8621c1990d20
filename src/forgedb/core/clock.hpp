#pragma once
// The source of "now". Injected so tests can control time. Implementations are thread-safe.

#include <atomic>

#include "forgedb/core/time.hpp"

namespace forgedb {

class Clock {
public:
    virtual ~Clock() = default;
    virtual Timestamp Now() const = 0;
};

class SystemClock final : public Clock {
public:
    Timestamp Now() const override {
        return std::chrono::time_point_cast<std::chrono::microseconds>(
            std::chrono::system_clock::now());
    }
};

// A clock that only moves when told to (tests).
class ManualClock final : public Clock {
public:
    explicit ManualClock(Timestamp start) : now_(start.time_since_epoch().count()) {}
    Timestamp Now() const override { return Timestamp{std::chrono::microseconds{now_.load()}}; }
    void Advance(std::chrono::microseconds d) { now_ += d.count(); }
    void Set(Timestamp t) { now_ = t.time_since_epoch().count(); }

private:
    std::atomic<long long> now_;
};

}  // namespace forgedb
