// Ingestion: writes batches of records from the mall, each idempotent by its
// source id. One batch is one transaction: every record is validated first,
// then the good ones are written; a bad record is reported as rejected and
// never blocks or half-writes the others. A database failure fails the whole
// batch (nothing of it is written) and is returned as the call's error.
//
// Orders and events that name an unknown user create a bare user (only the
// external id). An order update whose order has not arrived is held and
// applied when the order comes (outcome "held").
//
// The rules for which orders count and how refunds net are in
// docs/orders.md; Validate* below enforce the shapes they rely on.
//
// Owns tables: stores, categories, products, users, orders, order_items,
// order_status_history, held_order_updates, events.
// Thread-safety: safe from any thread; concurrent batches with the same ids
// are serialised by the database's unique keys.
#pragma once

#include <span>
#include <vector>

#include "core/clock.h"
#include "core/id.h"
#include "profiles/records.h"
#include "store/database.h"

namespace shopcrm::profiles {

// Most records one call takes; larger inputs are split by the caller.
inline constexpr size_t kMaxBatchRecords = 10000;

// Pure checks of one record (no database); invalid_fields with field errors.
core::Status ValidateStore(const StoreRecord& r);
core::Status ValidateCategory(const CategoryRecord& r);
core::Status ValidateProduct(const ProductRecord& r);
core::Status ValidateUser(const UserRecord& r);
core::Status ValidateOrder(const OrderRecord& r);
core::Status ValidateOrderUpdate(const OrderUpdateRecord& r);
core::Status ValidateEvent(const EventRecord& r);

class Ingest final {
 public:
  Ingest(store::Database& db, const core::Clock& clock, core::IdGenerator& ids)
      : db_(db), clock_(clock), ids_(ids) {}

  // Each returns batch_too_large beyond kMaxBatchRecords, or the database's
  // error; otherwise one result per record.
  core::Result<BatchResult> Stores(std::span<const Incoming<StoreRecord>> batch);
  core::Result<BatchResult> Categories(std::span<const Incoming<CategoryRecord>> batch);
  core::Result<BatchResult> Products(std::span<const Incoming<ProductRecord>> batch);
  core::Result<BatchResult> Users(std::span<const Incoming<UserRecord>> batch);
  core::Result<BatchResult> Orders(std::span<const Incoming<OrderRecord>> batch);
  core::Result<BatchResult> OrderUpdates(std::span<const Incoming<OrderUpdateRecord>> batch);
  core::Result<BatchResult> Events(std::span<const Incoming<EventRecord>> batch);

 private:
  store::Database& db_;
  const core::Clock& clock_;
  core::IdGenerator& ids_;
};

}  // namespace shopcrm::profiles
