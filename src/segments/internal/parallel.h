// Parts of one scan run at once on a few long-lived threads, so that a count
// over millions of users uses every core without starting a thread per query.
// Internal to segments.
//
// Thread-safety: Run may be called from any number of threads at once; a
// caller always works on its own parts too, so it finishes even when every
// worker is busy with another caller's.
#pragma once

#include <cstddef>
#include <functional>

namespace shopcrm::segments::internal {

// The threads that may work on a scan at once: one per core, the caller
// included, at most 8.
size_t ScanThreads();

// Runs fn(k) for each k in [0, parts) on the calling thread and on idle
// workers, and returns when all are done. What fn throws is rethrown here
// (the first, when several throw).
void RunParts(size_t parts, const std::function<void(size_t)>& fn);

}  // namespace shopcrm::segments::internal
