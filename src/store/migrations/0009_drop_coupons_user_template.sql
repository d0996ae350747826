-- A claim wrote four index entries at random places (one B-tree page each in
-- the write-ahead log); this one served only the "granted this coupon
-- recently" check, which finds a user's few coupons through
-- coupons_user_status just as well.
DROP INDEX coupons_user_template;
