#include "profiles/record_json.h"

#include "core/money.h"

namespace shopcrm::profiles {
namespace {

using core::Json;
using core::JsonObjectReader;

// Reads the fields every record shares and the typed values the readers
// lack: amounts (decimal strings), instants (RFC 3339), JSON objects.
class RecordReader final {
 public:
  explicit RecordReader(const Json& j, std::string prefix = "") : r_(j, std::move(prefix)) {}

  JsonObjectReader& r() { return r_; }

  std::string Id(std::string_view name) {
    auto v = r_.RequiredString(name, kMaxIdLength);
    if (v && v->empty()) r_.AddError(r_.Path(name), "required", "must not be empty");
    return v.value_or("");
  }
  std::optional<std::string> OptionalId(std::string_view name) {
    auto v = r_.OptionalString(name, kMaxIdLength);
    if (v && v->empty()) return std::nullopt;
    return v;
  }
  std::optional<std::string> Text(std::string_view name) {
    return r_.OptionalString(name, kMaxTextLength);
  }
  std::string RequiredText(std::string_view name) {
    auto v = r_.RequiredString(name, kMaxTextLength);
    if (v && v->empty()) r_.AddError(r_.Path(name), "required", "must not be empty");
    return v.value_or("");
  }

  // An amount in major units of `currency` as a decimal string ("12.30").
  std::optional<int64_t> Amount(std::string_view name, const std::string& currency, bool required) {
    const Json* v = r_.Value(name, required);
    if (v == nullptr) return std::nullopt;
    if (!v->is_string()) {
      r_.AddError(r_.Path(name), "must_be_decimal_string",
                  "amounts are decimal strings in major units, e.g. \"12.30\"");
      return std::nullopt;
    }
    auto c = core::Currency::Parse(currency);
    if (!c.ok()) return std::nullopt;  // reported on the currency field
    auto m = core::Money::ParseDecimal(v->get_ref<const std::string&>(), *c);
    if (!m.ok()) {
      r_.AddError(r_.Path(name), "invalid_amount", m.error().detail());
      return std::nullopt;
    }
    if (m->is_negative()) {
      r_.AddError(r_.Path(name), "must_not_be_negative", "must be 0 or more");
      return std::nullopt;
    }
    return m->minor_units();
  }

  std::optional<core::Instant> Time(std::string_view name, bool required) {
    auto s = required ? r_.RequiredString(name, 64) : r_.OptionalString(name, 64);
    if (!s) return std::nullopt;
    auto t = core::ParseRfc3339(*s);
    if (!t.ok()) {
      r_.AddError(r_.Path(name), "invalid_timestamp",
                  "expected RFC 3339, e.g. \"2026-11-22T08:00:00+08:00\"");
      return std::nullopt;
    }
    return *t;
  }

  // A JSON object, returned as its text.
  std::optional<std::string> Object(std::string_view name) {
    const Json* v = r_.Value(name);
    if (v == nullptr) return std::nullopt;
    if (!v->is_object()) {
      r_.AddError(r_.Path(name), "must_be_object", "expected a JSON object");
      return std::nullopt;
    }
    return core::DumpJson(*v);
  }

  std::string Currency(std::string_view name) {
    auto s = r_.OptionalString(name, 8);
    if (!s) return "CNY";
    if (!core::Currency::Parse(*s).ok()) {
      r_.AddError(r_.Path(name), "invalid_currency", "expected an ISO 4217 code such as \"CNY\"");
    }
    return *s;
  }

  core::Status Finish() { return r_.Finish(); }

 private:
  JsonObjectReader r_;
};

template <typename T>
Incoming<T> Done(std::string source_id, RecordReader& rr, T record) {
  auto st = rr.Finish();
  if (!st.ok()) return {std::move(source_id), std::move(st).error()};
  return {std::move(source_id), std::move(record)};
}

core::Error NotObject() {
  return core::Error(core::ErrorCode::kInvalidArgument, "record_not_object",
                     "each record must be a JSON object");
}

}  // namespace

Incoming<StoreRecord> StoreFromJson(const Json& j) {
  if (!j.is_object()) return {"", NotObject()};
  RecordReader rr(j);
  StoreRecord s;
  s.source_id = rr.Id("source_id");
  s.name = rr.RequiredText("name");
  s.city = rr.Text("city");
  s.province = rr.Text("province");
  s.is_platform = rr.r().OptionalBool("is_platform").value_or(false);
  std::string id = s.source_id;
  return Done(std::move(id), rr, std::move(s));
}

Incoming<CategoryRecord> CategoryFromJson(const Json& j) {
  if (!j.is_object()) return {"", NotObject()};
  RecordReader rr(j);
  CategoryRecord c;
  c.source_id = rr.Id("source_id");
  c.name = rr.RequiredText("name");
  c.name_en = rr.Text("name_en");
  c.parent_source_id = rr.OptionalId("parent_source_id");
  std::string id = c.source_id;
  return Done(std::move(id), rr, std::move(c));
}

Incoming<ProductRecord> ProductFromJson(const Json& j) {
  if (!j.is_object()) return {"", NotObject()};
  RecordReader rr(j);
  ProductRecord p;
  p.source_id = rr.Id("source_id");
  p.name = rr.RequiredText("name");
  p.category_source_id = rr.OptionalId("category_source_id");
  p.store_source_id = rr.OptionalId("store_source_id");
  p.currency = rr.Currency("currency");
  p.price_minor = rr.Amount("price", p.currency, false);
  std::string id = p.source_id;
  return Done(std::move(id), rr, std::move(p));
}

Incoming<UserRecord> UserFromJson(const Json& j) {
  if (!j.is_object()) return {"", NotObject()};
  RecordReader rr(j);
  UserRecord u;
  u.external_id = rr.Id("external_id");
  u.phone = rr.r().OptionalString("phone", 32);
  u.name = rr.Text("name");
  u.gender = rr.r().OptionalString("gender", 16);
  u.birthday = rr.r().OptionalString("birthday", 16);
  u.city = rr.Text("city");
  u.province = rr.Text("province");
  u.occupation = rr.Text("occupation");
  u.education = rr.Text("education");
  u.registered_at = rr.Time("registered_at", false);
  u.source_channel = rr.OptionalId("source_channel");
  u.referrer_external_id = rr.OptionalId("referrer_external_id");
  u.attributes_json = rr.Object("attributes");
  std::string id = u.external_id;
  return Done(std::move(id), rr, std::move(u));
}

Incoming<OrderRecord> OrderFromJson(const Json& j) {
  if (!j.is_object()) return {"", NotObject()};
  RecordReader rr(j);
  OrderRecord o;
  o.source_id = rr.Id("source_id");
  o.user_external_id = rr.Id("user_external_id");
  o.store_source_id = rr.OptionalId("store_source_id");
  o.city = rr.Text("city");
  o.province = rr.Text("province");
  o.channel = rr.OptionalId("channel");
  o.currency = rr.Currency("currency");
  o.goods_minor = rr.Amount("goods_amount", o.currency, true).value_or(0);
  o.discount_minor = rr.Amount("discount_amount", o.currency, false).value_or(0);
  o.shipping_minor = rr.Amount("shipping_amount", o.currency, false).value_or(0);
  o.paid_minor = rr.Amount("paid_amount", o.currency, true).value_or(0);
  if (const Json* codes = rr.r().Value("coupon_codes")) {
    if (!codes->is_array()) {
      rr.r().AddError("coupon_codes", "must_be_array", "expected an array of strings");
    } else {
      for (size_t i = 0; i < codes->size(); ++i) {
        const Json& c = (*codes)[i];
        if (!c.is_string() || c.get_ref<const std::string&>().empty() ||
            c.get_ref<const std::string&>().size() > kMaxIdLength) {
          rr.r().AddError("coupon_codes[" + std::to_string(i) + "]", "invalid_coupon_code",
                          "expected a non-empty string of at most 128 bytes");
        } else {
          o.coupon_codes.push_back(c.get<std::string>());
        }
      }
    }
  }
  o.status = rr.r()
                 .RequiredEnum("status", {"created", "paid", "completed", "cancelled"})
                 .value_or("created");
  o.placed_at = rr.Time("placed_at", true).value_or(core::Instant{});
  o.paid_at = rr.Time("paid_at", false);
  o.completed_at = rr.Time("completed_at", false);
  o.cancelled_at = rr.Time("cancelled_at", false);
  const Json* items = rr.r().Value("items");
  if (items != nullptr && !items->is_array()) {
    rr.r().AddError("items", "must_be_array", "expected an array of order lines");
  } else if (items != nullptr) {
    for (size_t i = 0; i < items->size(); ++i) {
      const Json& line = (*items)[i];
      const std::string prefix = "items[" + std::to_string(i) + "].";
      if (!line.is_object()) {
        rr.r().AddError("items[" + std::to_string(i) + "]", "must_be_object",
                        "each order line is a JSON object");
        continue;
      }
      RecordReader lr(line, prefix);
      OrderItemRecord it;
      it.line_no = lr.r().OptionalInt("line_no").value_or(static_cast<int64_t>(i) + 1);
      it.sku = lr.Id("sku");
      it.product_name = lr.Text("product_name");
      it.category_source_id = lr.OptionalId("category_source_id");
      it.store_source_id = lr.OptionalId("store_source_id");
      it.quantity = lr.r().OptionalInt("quantity").value_or(1);
      it.unit_price_minor = lr.Amount("unit_price", o.currency, true).value_or(0);
      it.paid_minor = lr.Amount("paid_amount", o.currency, false);
      auto st = lr.Finish();
      if (!st.ok()) {
        for (const auto& f : st.error().fields()) rr.r().AddError(f.field, f.reason, f.detail);
      }
      o.items.push_back(std::move(it));
    }
  }
  std::string id = o.source_id;
  return Done(std::move(id), rr, std::move(o));
}

Incoming<OrderUpdateRecord> OrderUpdateFromJson(const Json& j) {
  if (!j.is_object()) return {"", NotObject()};
  RecordReader rr(j);
  OrderUpdateRecord u;
  u.source_id = rr.Id("source_id");
  u.order_source_id = rr.Id("order_source_id");
  u.type = rr.r().RequiredEnum("type", {"paid", "completed", "cancelled", "refunded"}).value_or("");
  u.at = rr.Time("at", true).value_or(core::Instant{});
  // The currency is the order's; amounts are parsed with two decimals here
  // and checked against the order's currency when applied.
  u.refund_minor = rr.Amount("refund_amount", "CNY", u.type == "refunded").value_or(0);
  if (const Json* lines = rr.r().Value("refund_lines")) {
    if (!lines->is_array()) {
      rr.r().AddError("refund_lines", "must_be_array", "expected an array of refunded lines");
    } else {
      for (size_t i = 0; i < lines->size(); ++i) {
        const std::string prefix = "refund_lines[" + std::to_string(i) + "].";
        if (!(*lines)[i].is_object()) {
          rr.r().AddError(prefix + "", "must_be_object", "each refunded line is a JSON object");
          continue;
        }
        RecordReader lr((*lines)[i], prefix);
        RefundLine l;
        l.line_no = lr.r().RequiredInt("line_no").value_or(0);
        l.quantity = lr.r().OptionalInt("quantity").value_or(0);
        l.amount_minor = lr.Amount("amount", "CNY", true).value_or(0);
        auto st = lr.Finish();
        if (!st.ok()) {
          for (const auto& f : st.error().fields()) rr.r().AddError(f.field, f.reason, f.detail);
        }
        u.refund_lines.push_back(l);
      }
    }
  }
  std::string id = u.source_id;
  return Done(std::move(id), rr, std::move(u));
}

Incoming<EventRecord> EventFromJson(const Json& j) {
  if (!j.is_object()) return {"", NotObject()};
  RecordReader rr(j);
  EventRecord e;
  e.source_id = rr.Id("source_id");
  e.user_external_id = rr.Id("user_external_id");
  e.type = rr.r().RequiredString("type", 64).value_or("");
  e.name = rr.OptionalId("name");
  e.occurred_at = rr.Time("occurred_at", true).value_or(core::Instant{});
  e.channel = rr.OptionalId("channel");
  e.page = rr.OptionalId("page");
  e.store_source_id = rr.OptionalId("store_source_id");
  e.product_source_id = rr.OptionalId("product_source_id");
  e.category_source_id = rr.OptionalId("category_source_id");
  e.search_query = rr.Text("search_query");
  e.rating = rr.r().OptionalInt("rating");
  e.properties_json = rr.Object("properties");
  std::string id = e.source_id;
  return Done(std::move(id), rr, std::move(e));
}

core::Result<std::vector<core::Result<Json>>> SplitBatch(std::string_view body, bool ndjson,
                                                         const core::JsonLimits& limits,
                                                         size_t max_records) {
  std::vector<core::Result<Json>> out;
  auto too_many = [&] {
    return core::Error(core::ErrorCode::kPayloadTooLarge, "batch_too_large",
                       "a batch holds at most " + std::to_string(max_records) +
                           " records; split it into several calls");
  };
  if (!ndjson) {
    core::JsonLimits whole = limits;
    whole.max_bytes = body.size() + 1;
    SHOPCRM_ASSIGN_OR_RETURN(Json doc, core::ParseJson(body, whole));
    if (!doc.is_array()) {
      return core::Error(core::ErrorCode::kInvalidArgument, "body_not_array",
                         "the body must be a JSON array of records (or NDJSON)");
    }
    if (doc.size() > max_records) return too_many();
    out.reserve(doc.size());
    for (auto& v : doc) out.emplace_back(std::move(v));
    return out;
  }
  size_t pos = 0;
  while (pos < body.size()) {
    size_t end = body.find('\n', pos);
    if (end == std::string_view::npos) end = body.size();
    std::string_view line = body.substr(pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    if (out.size() == max_records) return too_many();
    out.push_back(core::ParseJson(line, limits));
  }
  return out;
}

Json BatchResultJson(const BatchResult& result, bool problems_only) {
  Json items = Json::array();
  for (size_t i = 0; i < result.results.size(); ++i) {
    const RecordResult& r = result.results[i];
    if (problems_only && r.outcome == Outcome::kAccepted) continue;
    Json item = {{"index", i},
                 {"source_id", r.source_id.empty() ? Json(nullptr) : Json(r.source_id)},
                 {"outcome", OutcomeName(r.outcome)}};
    if (r.id) item["id"] = std::to_string(*r.id);
    if (r.updated) item["updated"] = true;
    if (r.outcome == Outcome::kRejected) {
      item["reason"] = r.reason;
      item["field"] = r.field.empty() ? Json(nullptr) : Json(r.field);
      item["detail"] = r.detail;
    }
    items.push_back(std::move(item));
  }
  return {{"accepted", result.accepted},
          {"duplicate", result.duplicate},
          {"held", result.held},
          {"rejected", result.rejected},
          {"results", std::move(items)}};
}

}  // namespace shopcrm::profiles
