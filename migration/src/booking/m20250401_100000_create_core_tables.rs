//! 001 core tables: users, addresses, the service catalogue, provider profiles and their services, bookings, ratings and in-app notifications.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::ddl::{
    OnDelete::*, TableDef, check, create_tables, drop_tables, foreign_key, index, now, one_of, unique,
};

const USER_ROLE: &[&str] = &["customer", "provider", "admin"];
const ADDRESS_TYPE: &[&str] = &["home", "work", "other"];
const VERIFICATION_STATUS: &[&str] = &["pending", "verified", "rejected"];
const BOOKING_STATUS: &[&str] = &["requested", "accepted", "in_progress", "completed", "cancelled"];
const BOOKING_ACTOR: &[&str] = &["customer", "provider", "admin"];
const NOTIFICATION_TYPE: &[&str] = &["booking_update", "payment", "reminder", "promotion", "system"];

fn tables(b: DbBackend) -> Vec<TableDef> {
    vec![
        (
            Table::create()
                .table("users")
                .col(pk_uuid("id"))
                .col(string_len("email", 255).comment("Stored lower-case."))
                .col(
                    string_len("phone", 20)
                        .comment("E.164, e.g. +14155550123; used to log in by one-time code."),
                )
                .col(string_len("full_name", 100))
                .col(
                    string_len_null("password_hash", 255)
                        .comment("argon2id PHC string; NULL for accounts that only log in by one-time code."),
                )
                .col(string_len("role", 20).default("customer"))
                .col(boolean("is_verified").default(false))
                .col(boolean("is_active").default(true))
                .col(string_len_null("profile_picture_url", 500))
                .col(timestamp_with_time_zone_null("last_login_at"))
                .col(timestamp_with_time_zone("created_at").default(now(b)))
                .col(timestamp_with_time_zone("updated_at").default(now(b)))
                .to_owned(),
            vec![
                check("ck_users_role", &one_of("role", USER_ROLE)),
                check("ck_users_email_lowercase", "email = LOWER(email)"),
            ],
            vec![unique("users", &["email"]), unique("users", &["phone"])],
        ),
        (
            Table::create()
                .table("addresses")
                .col(pk_uuid("id"))
                .col(uuid("user_id"))
                .col(string_len("address_type", 10).default("home"))
                .col(string_len("line1", 255))
                .col(string_len_null("line2", 255))
                .col(string_len("city", 100))
                .col(string_len("state", 100))
                .col(string_len("postal_code", 20))
                .col(string_len("country", 2).default("US").comment("ISO 3166-1 alpha-2."))
                .col(decimal_len_null("latitude", 9, 6))
                .col(decimal_len_null("longitude", 9, 6))
                .col(boolean("is_default").default(false))
                .col(timestamp_with_time_zone("created_at").default(now(b)))
                .col(timestamp_with_time_zone("updated_at").default(now(b)))
                .to_owned(),
            vec![
                foreign_key("addresses", "user_id", "users", Cascade),
                check("ck_addresses_address_type", &one_of("address_type", ADDRESS_TYPE)),
                check(
                    "ck_addresses_position",
                    "(latitude IS NULL AND longitude IS NULL) OR (latitude BETWEEN -90 AND 90 AND longitude BETWEEN -180 AND 180)",
                ),
            ],
            vec![index("addresses", &["user_id"])],
        ),
        (
            Table::create()
                .table("services_master")
                .col(pk_uuid("id"))
                .col(string_len("name", 100))
                .col(string_len("category", 50))
                .col(text_null("description"))
                .col(
                    decimal_len("base_price", 10, 2)
                        .comment("Suggested price; each provider sets its own in provider_services."),
                )
                .col(integer("duration_minutes").comment("Typical length of one visit."))
                .col(boolean("is_active").default(true))
                .col(timestamp_with_time_zone("created_at").default(now(b)))
                .col(timestamp_with_time_zone("updated_at").default(now(b)))
                .to_owned(),
            vec![
                check("ck_services_master_base_price", "base_price > 0"),
                check("ck_services_master_duration", "duration_minutes > 0"),
            ],
            vec![unique("services_master", &["name"]), index("services_master", &["category"])],
        ),
        (
            Table::create()
                .table("provider_profiles")
                .col(pk_uuid("id"))
                .col(uuid("user_id"))
                .col(string_len_null("business_name", 200))
                .col(text_null("bio"))
                .col(integer("experience_years").default(0))
                .col(string_len("verification_status", 20).default("pending"))
                .col(
                    decimal_len_null("rating_average", 3, 2).comment(
                        "Mean of the provider's rating scores, 1 to 5; NULL before the first rating.",
                    ),
                )
                .col(integer("rating_count").default(0))
                .col(boolean("is_available").default(true))
                .col(integer("service_radius_km").default(10))
                .col(timestamp_with_time_zone("created_at").default(now(b)))
                .col(timestamp_with_time_zone("updated_at").default(now(b)))
                .to_owned(),
            vec![
                foreign_key("provider_profiles", "user_id", "users", Restrict),
                check(
                    "ck_provider_profiles_verification_status",
                    &one_of("verification_status", VERIFICATION_STATUS),
                ),
                check("ck_provider_profiles_experience", "experience_years BETWEEN 0 AND 70"),
                check(
                    "ck_provider_profiles_rating",
                    "(rating_count = 0 AND rating_average IS NULL) OR (rating_count > 0 AND rating_average BETWEEN 1 AND 5)",
                ),
                check("ck_provider_profiles_radius", "service_radius_km > 0"),
            ],
            vec![unique("provider_profiles", &["user_id"])],
        ),
        (
            Table::create()
                .table("provider_services")
                .col(pk_uuid("id"))
                .col(uuid("provider_id"))
                .col(uuid("service_id"))
                .col(decimal_len("price", 10, 2))
                .col(boolean("is_active").default(true))
                .col(timestamp_with_time_zone("created_at").default(now(b)))
                .col(timestamp_with_time_zone("updated_at").default(now(b)))
                .to_owned(),
            vec![
                foreign_key("provider_services", "provider_id", "provider_profiles", Cascade),
                foreign_key("provider_services", "service_id", "services_master", Restrict),
                check("ck_provider_services_price", "price > 0"),
            ],
            vec![
                unique("provider_services", &["provider_id", "service_id"]),
                index("provider_services", &["service_id"]),
            ],
        ),
        (
            Table::create()
                .table("bookings")
                .col(pk_uuid("id"))
                .col(uuid("customer_id"))
                .col(uuid("provider_id"))
                .col(uuid("service_id"))
                .col(uuid("address_id"))
                .col(string_len("status", 20).default("requested"))
                .col(timestamp_with_time_zone("scheduled_start"))
                .col(timestamp_with_time_zone("scheduled_end"))
                .col(decimal_len("price", 10, 2).comment("The price agreed for this booking."))
                .col(string_len("currency", 3).default("USD").comment("ISO 4217."))
                .col(text_null("notes"))
                .col(timestamp_with_time_zone_null("accepted_at"))
                .col(timestamp_with_time_zone_null("started_at"))
                .col(timestamp_with_time_zone_null("completed_at"))
                .col(timestamp_with_time_zone_null("cancelled_at"))
                .col(string_len_null("cancelled_by", 10))
                .col(string_len_null("cancellation_reason", 255))
                .col(timestamp_with_time_zone("created_at").default(now(b)))
                .col(timestamp_with_time_zone("updated_at").default(now(b)))
                .to_owned(),
            vec![
                foreign_key("bookings", "customer_id", "users", Restrict),
                foreign_key("bookings", "provider_id", "provider_profiles", Restrict),
                foreign_key("bookings", "service_id", "services_master", Restrict),
                foreign_key("bookings", "address_id", "addresses", Restrict),
                check("ck_bookings_status", &one_of("status", BOOKING_STATUS)),
                check(
                    "ck_bookings_cancelled_by",
                    &format!("cancelled_by IS NULL OR {}", one_of("cancelled_by", BOOKING_ACTOR)),
                ),
                check("ck_bookings_slot", "scheduled_end > scheduled_start"),
                check("ck_bookings_price", "price > 0"),
                check("ck_bookings_currency", "currency = UPPER(currency) AND LENGTH(currency) = 3"),
                check(
                    "ck_bookings_completed",
                    "(status = 'completed' AND completed_at IS NOT NULL) OR (status <> 'completed' AND completed_at IS NULL)",
                ),
                check(
                    "ck_bookings_cancelled",
                    "(status = 'cancelled' AND cancelled_at IS NOT NULL AND cancelled_by IS NOT NULL) OR (status <> 'cancelled' AND cancelled_at IS NULL AND cancelled_by IS NULL)",
                ),
            ],
            vec![
                index("bookings", &["customer_id", "scheduled_start DESC"]),
                index("bookings", &["provider_id", "scheduled_start"]),
                index("bookings", &["status", "scheduled_start"]),
                index("bookings", &["service_id"]),
                index("bookings", &["address_id"]),
            ],
        ),
        (
            Table::create()
                .table("ratings")
                .col(pk_uuid("id"))
                .col(uuid("booking_id"))
                .col(uuid("customer_id"))
                .col(uuid("provider_id"))
                .col(small_integer("score").comment("1 to 5."))
                .col(text_null("review"))
                .col(timestamp_with_time_zone("created_at").default(now(b)))
                .to_owned(),
            vec![
                foreign_key("ratings", "booking_id", "bookings", Cascade),
                foreign_key("ratings", "customer_id", "users", Restrict),
                foreign_key("ratings", "provider_id", "provider_profiles", Restrict),
                check("ck_ratings_score", "score BETWEEN 1 AND 5"),
            ],
            vec![
                unique("ratings", &["booking_id"]),
                index("ratings", &["provider_id", "created_at DESC"]),
                index("ratings", &["customer_id"]),
            ],
        ),
        (
            Table::create()
                .table("notifications")
                .col(pk_uuid("id"))
                .col(uuid("user_id"))
                .col(string_len("type", 20))
                .col(string_len("title", 200))
                .col(text("message"))
                .col(json_binary_null("data"))
                .col(timestamp_with_time_zone_null("read_at"))
                .col(timestamp_with_time_zone("created_at").default(now(b)))
                .to_owned(),
            vec![
                foreign_key("notifications", "user_id", "users", Cascade),
                check("ck_notifications_type", &one_of("type", NOTIFICATION_TYPE)),
                check("ck_notifications_read", "read_at IS NULL OR read_at >= created_at"),
            ],
            vec![index("notifications", &["user_id", "created_at DESC"])],
        ),
    ]
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        create_tables(m, &tables(m.get_database_backend())).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(m, &tables(m.get_database_backend())).await
    }
}
