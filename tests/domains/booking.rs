//! The booking domain by example: a small valid world of a customer, a provider, a service,
//! a booking with its rating and payment, and the writes its constraints must refuse.

use chrono::{Duration, TimeZone, Utc};
use sea_orm::prelude::{Decimal, Uuid};
use sea_orm::sea_query::{Alias, Query};
use sea_orm::{ActiveValue::Set, DatabaseConnection, EntityTrait};
use seedbed_booking::enums::*;
use seedbed_booking::*;

use crate::constraints::{Case, update};
use crate::integrity::{Corruption, corrupt, first};
use crate::util::Violation::*;

/// The digest of the domain seeded with `tiny`, seed 7, at the default time and scale: fixed
/// here, so that every backend, SQLite included, is compared with something it did not
/// compute itself (`seeding::every_backend_holds_the_same_data`). A change to what the seeder
/// writes changes it on purpose: update it in the same commit, and say why (`seedbed bootstrap
/// --profile tiny --seed 7` then `seedbed digest` prints it).
pub const TINY_SEED_7_DIGEST: &str = "8fdd6b6a48d90b22508f32ed802c771ebcdb06059ef41e473f1ab4a68b9d4ce3";

fn id(n: u128) -> Uuid {
    Uuid::from_u128(0xb00c_0000_0000_0000_0000_0000_0000_0000 | n)
}

async fn put<A>(db: &DatabaseConnection, model: A)
where
    A: sea_orm::ActiveModelTrait + Send,
{
    A::Entity::insert(model).exec_without_returning(db).await.expect("planting a valid row");
}

fn account(n: u128, email: &str, phone: &str, role: UserRole) -> users::ActiveModel {
    users::ActiveModel {
        id: Set(id(n)),
        email: Set(email.into()),
        phone: Set(phone.into()),
        full_name: Set("Sam Example".into()),
        password_hash: Set(None),
        role: Set(role),
        is_verified: Set(true),
        is_active: Set(true),
        profile_picture_url: Set(None),
        last_login_at: Set(None),
        ..Default::default()
    }
}

/// Plants a customer with an address, a verified provider offering one service, a completed
/// booking with its rating and captured payment, a requested booking, then lists writes that each break one rule.
pub async fn rejected_writes(db: &DatabaseConnection) -> Vec<Case> {
    let t = Utc.timestamp_opt(Utc::now().timestamp(), 0).unwrap();
    let (customer, provider_user, provider, service, address, booking) =
        (id(1), id(2), id(3), id(4), id(5), id(6));
    put(db, account(1, "customer@example.com", "+14155550101", UserRole::Customer)).await;
    put(db, account(2, "provider@example.net", "+14155550102", UserRole::Provider)).await;
    put(
        db,
        services_master::ActiveModel {
            id: Set(service),
            name: Set("Plumbing repair".into()),
            category: Set("plumbing".into()),
            description: Set(None),
            base_price: Set(Decimal::new(8000, 2)),
            duration_minutes: Set(90),
            is_active: Set(true),
            ..Default::default()
        },
    )
    .await;
    put(
        db,
        provider_profiles::ActiveModel {
            id: Set(provider),
            user_id: Set(provider_user),
            business_name: Set(Some("Pipe Pros".into())),
            bio: Set(None),
            experience_years: Set(7),
            verification_status: Set(VerificationStatus::Verified),
            rating_average: Set(Some(Decimal::new(500, 2))),
            rating_count: Set(1),
            is_available: Set(true),
            service_radius_km: Set(25),
            ..Default::default()
        },
    )
    .await;
    put(
        db,
        provider_services::ActiveModel {
            id: Set(id(7)),
            provider_id: Set(provider),
            service_id: Set(service),
            price: Set(Decimal::new(9500, 2)),
            is_active: Set(true),
            ..Default::default()
        },
    )
    .await;
    put(
        db,
        addresses::ActiveModel {
            id: Set(address),
            user_id: Set(customer),
            address_type: Set(AddressType::Home),
            line1: Set("1 Main St".into()),
            line2: Set(None),
            city: Set("Springfield".into()),
            state: Set("IL".into()),
            postal_code: Set("62701".into()),
            country: Set("US".into()),
            latitude: Set(Some(Decimal::new(39_781_721, 6))),
            longitude: Set(Some(Decimal::new(-89_650_148, 6))),
            is_default: Set(true),
            ..Default::default()
        },
    )
    .await;
    put(
        db,
        bookings::ActiveModel {
            id: Set(booking),
            customer_id: Set(customer),
            provider_id: Set(provider),
            service_id: Set(service),
            address_id: Set(address),
            status: Set(BookingStatus::Completed),
            scheduled_start: Set(t - Duration::days(2)),
            scheduled_end: Set(t - Duration::days(2) + Duration::hours(2)),
            price: Set(Decimal::new(9500, 2)),
            currency: Set("USD".into()),
            notes: Set(None),
            accepted_at: Set(Some(t - Duration::days(3))),
            started_at: Set(Some(t - Duration::days(2))),
            completed_at: Set(Some(t - Duration::days(2) + Duration::hours(2))),
            cancelled_at: Set(None),
            cancelled_by: Set(None),
            cancellation_reason: Set(None),
            ..Default::default()
        },
    )
    .await;
    put(
        db,
        bookings::ActiveModel {
            id: Set(id(11)),
            status: Set(BookingStatus::Requested),
            scheduled_start: Set(t + Duration::days(3)),
            scheduled_end: Set(t + Duration::days(3) + Duration::hours(1)),
            accepted_at: Set(None),
            started_at: Set(None),
            completed_at: Set(None),
            ..bookings::Entity::find_by_id(booking).one(db).await.unwrap().unwrap().into()
        },
    )
    .await;
    put(
        db,
        ratings::ActiveModel {
            id: Set(id(8)),
            booking_id: Set(booking),
            customer_id: Set(customer),
            provider_id: Set(provider),
            score: Set(5),
            review: Set(Some("Quick and tidy.".into())),
            ..Default::default()
        },
    )
    .await;
    put(
        db,
        payment_transactions::ActiveModel {
            id: Set(id(9)),
            booking_id: Set(booking),
            user_id: Set(customer),
            gateway: Set(PaymentGateway::Stripe),
            gateway_order_id: Set(Some("ord_1".into())),
            gateway_payment_id: Set(Some("pay_1".into())),
            amount: Set(Decimal::new(9500, 2)),
            currency: Set("USD".into()),
            status: Set(PaymentStatus::Captured),
            method: Set(Some(PaymentMethod::Card)),
            failure_reason: Set(None),
            refund_amount: Set(None),
            captured_at: Set(Some(t - Duration::days(2))),
            refunded_at: Set(None),
            ..Default::default()
        },
    )
    .await;

    let b = db.get_database_backend();
    let second_rating = Query::insert()
        .into_table(Alias::new("ratings"))
        .columns(["id", "booking_id", "customer_id", "provider_id", "score"].map(Alias::new))
        .values_panic([id(10).into(), booking.into(), customer.into(), provider.into(), 4.into()])
        .to_owned();
    vec![
        Case::new(b, "ck_users_role", Check, &update("users", "role", "superuser", customer)),
        Case::new(b, "ck_bookings_status", Check, &update("bookings", "status", "teleported", id(11))),
        Case::new(
            b,
            "ck_bookings_slot",
            Check,
            &update("bookings", "scheduled_end", t - Duration::days(5), booking),
        ),
        Case::new(b, "ck_bookings_price", Check, &update("bookings", "price", Decimal::new(-1, 0), booking)),
        Case::new(b, "ck_ratings_score", Check, &update("ratings", "score", 6, id(8))),
        Case::new(
            b,
            "ck_payment_transactions_refund",
            Check,
            &update("payment_transactions", "refund_amount", Decimal::new(10000, 2), id(9)),
        ),
        Case::new(
            b,
            "ck_addresses_position",
            Check,
            &update("addresses", "latitude", Decimal::new(91, 0), address),
        ),
        Case::new(
            b,
            "fk_bookings_address_id",
            ForeignKey,
            &update("bookings", "address_id", id(0xdead), booking),
        ),
        Case::new(
            b,
            "fk_provider_services_service_id",
            ForeignKey,
            &update("provider_services", "service_id", id(0xdead), id(7)),
        ),
        Case::new(b, "uq_users_phone", Unique, &update("users", "phone", "+14155550101", provider_user)),
        Case::new(b, "uq_ratings_booking_id", Unique, &second_rating),
        Case::new(b, "full_name", NotNull, &update("users", "full_name", Option::<String>::None, customer)),
    ]
}

/// One corruption per booking rule, in the order of the rules.
pub fn corruptions(_backend: sea_orm::DbBackend) -> Vec<Corruption> {
    let admin = "(SELECT id FROM users WHERE email = 'admin@booking.example.com')";
    vec![
        corrupt(
            "rating_on_completed_booking",
            &[
                "UPDATE bookings SET status = 'in_progress', completed_at = NULL WHERE id = (SELECT booking_id FROM ratings ORDER BY id LIMIT 1)",
            ],
        ),
        corrupt(
            "rating_by_customer_for_provider",
            &[&format!("UPDATE ratings SET customer_id = {admin} WHERE id = {}", first("ratings", "1 = 1"))],
        ),
        corrupt(
            "provider_offers_booked_service",
            &[
                "DELETE FROM provider_services WHERE id = (SELECT id FROM (SELECT ps.id FROM provider_services ps JOIN bookings b \
               ON b.provider_id = ps.provider_id AND b.service_id = ps.service_id ORDER BY ps.id LIMIT 1) first_row)",
            ],
        ),
        corrupt(
            "address_belongs_to_customer",
            &[&format!(
                "UPDATE addresses SET user_id = {admin} WHERE id = (SELECT address_id FROM bookings ORDER BY id LIMIT 1)"
            )],
        ),
        corrupt(
            "completed_booking_paid",
            &[
                "DELETE FROM payment_transactions WHERE id = (SELECT id FROM (SELECT p.id FROM payment_transactions p JOIN bookings b ON b.id = p.booking_id \
               WHERE b.status = 'completed' AND p.captured_at IS NOT NULL ORDER BY p.id LIMIT 1) first_row)",
            ],
        ),
        corrupt(
            "payment_by_booking_customer",
            &[&format!(
                "UPDATE payment_transactions SET user_id = {admin} WHERE id = {}",
                first("payment_transactions", "status = 'authorized'")
            )],
        ),
        corrupt(
            "payment_status_is_latest_event",
            &[&format!(
                "UPDATE payment_transactions SET status = 'failed', failure_reason = 'card_declined' WHERE id = {}",
                first("payment_transactions", "status = 'authorized'")
            )],
        ),
        corrupt(
            "payment_events_after_payment",
            &[&format!(
                "UPDATE payment_events SET occurred_at = (SELECT u.created_at FROM users u JOIN payment_transactions p ON p.user_id = u.id WHERE p.id = payment_events.payment_id) WHERE id = {}",
                first("payment_events", "event_type = 'order_created'")
            )],
        ),
        corrupt(
            "call_between_booking_parties",
            &[&format!(
                "UPDATE call_sessions SET callee_id = {admin} WHERE id = {}",
                first("call_sessions", "1 = 1")
            )],
        ),
        corrupt(
            "call_log_for_ended_call",
            &[&format!(
                "UPDATE call_logs SET outcome = 'failed' WHERE id = {}",
                first("call_logs", "outcome = 'completed'")
            )],
        ),
        corrupt(
            "one_settings_row_per_user",
            &[&format!(
                "DELETE FROM user_notification_settings WHERE id = {}",
                first("user_notification_settings", "1 = 1")
            )],
        ),
        corrupt(
            "provider_rating_summarises_ratings",
            &[&format!(
                "UPDATE provider_profiles SET rating_count = rating_count + 1 WHERE id = {}",
                first("provider_profiles", "rating_count > 0")
            )],
        ),
        corrupt(
            "booking_timestamps_in_order",
            &[&format!(
                "UPDATE bookings SET created_at = completed_at WHERE id = {}",
                first("bookings", "status = 'completed'")
            )],
        ),
        corrupt(
            "receipt_for_push_message",
            &[
                "UPDATE notification_logs SET channel = 'sms' WHERE id = (SELECT notification_log_id FROM notification_receipts ORDER BY id LIMIT 1)",
            ],
        ),
    ]
}

/// Booking in cells (`seeds/src/cells.rs`): `tiny --scale 3` is three tiny worlds in one
/// domain, and the catalogue `seed` writes is the one `seed --reference-only` inserts.
mod cells {
    use std::collections::BTreeMap;

    use sea_orm::{EntityTrait, TransactionTrait};
    use seedbed_booking::{bookings, provider_profiles, users};
    use seedbed_core::Backend;
    use seedbed_registry::{DOMAINS, Domain};
    use seedbed_seeds::{Profile, Quiet, SeedOptions, default_now};

    use crate::seeding::{failing_checks, options, seeded};
    use crate::util::{TestDb, backend_tests};

    /// The digest of `tiny --scale 3`, seed 7 (three cells): fixed, like
    /// [`super::TINY_SEED_7_DIGEST`], so that every backend is compared with it.
    const TINY_THREE_CELLS_SEED_7_DIGEST: &str = "c5882506851d3ff71f5069bcdc19917f199d027dedc9a57e1f6a58ea4897362b";

    fn booking() -> &'static Domain {
        DOMAINS.iter().find(|d| d.name == "booking").expect("booking is registered")
    }

    /// The cell of a user of three cells, from the number that makes its e-mail unique
    /// (`Cell::number`); the documented accounts are cell 0's.
    fn cell_of(email: &str) -> usize {
        if email.ends_with("@booking.example.com") {
            return 0;
        }
        let local = email.split('@').next().unwrap();
        let digits: String =
            local.chars().rev().take_while(char::is_ascii_digit).collect::<Vec<_>>().into_iter().rev().collect();
        digits.parse::<usize>().unwrap_or_else(|_| panic!("{email} has no number")) % 3
    }

    backend_tests!(three_tiny_cells_are_three_tiny_worlds_in_one_valid_domain);
    async fn three_tiny_cells_are_three_tiny_worlds_in_one_valid_domain(backend: Backend) {
        let (domain, t) = (booking(), TestDb::new(backend).await);
        let db = seeded(&t, domain, options(Profile::Tiny, 7)).await;
        let one: BTreeMap<_, _> = seedbed_seeds::row_counts(&db, domain.seeder).await.unwrap().into_iter().collect();
        let hash = seedbed_seeds::accounts::dev_password_hash();
        let opts = SeedOptions::new(7, Profile::Tiny, 3.0, default_now()).unwrap();
        seedbed_seeds::seed(&db, domain.seeder, opts, true, &Quiet, &hash).await.unwrap();

        let failing = failing_checks(&db, domain).await;
        assert!(failing.is_empty(), "three cells on {backend:?}:\n  {}", failing.join("\n  "));
        let unreal = crate::realism::place_failures(&db, "booking").await;
        assert!(unreal.is_empty(), "three cells on {backend:?}:\n  {}", unreal.join("\n  "));
        let digest = seedbed_seeds::digest(&db, domain.seeder).await.unwrap();
        assert_eq!(digest, TINY_THREE_CELLS_SEED_7_DIGEST, "{backend:?} holds other data in three cells");

        // Three times tiny: the catalogue once, every cell's users, the rest about so.
        for (table, three) in seedbed_seeds::row_counts(&db, domain.seeder).await.unwrap() {
            let one = one[table];
            match table {
                "services_master" => assert_eq!(three, one, "the catalogue is written once"),
                "users" => assert_eq!(three, 3 * one, "every cell has tiny's users"),
                _ => assert!(
                    (2 * one..=4 * one).contains(&three) && three > one,
                    "{table}: {three} rows in three cells, {one} in one"
                ),
            }
        }

        // Nothing refers across cells: a booking's customer and provider are of one cell,
        // and the documented accounts are there once, in cell 0.
        let users = users::Entity::find().all(&db).await.unwrap();
        let cell: BTreeMap<_, _> = users.iter().map(|u| (u.id, cell_of(&u.email))).collect();
        let documented = users.iter().filter(|u| u.email.ends_with("@booking.example.com")).count();
        assert_eq!(documented, 3, "the documented accounts, once each");
        let provider_user: BTreeMap<_, _> = provider_profiles::Entity::find()
            .all(&db)
            .await
            .unwrap()
            .into_iter()
            .map(|p| (p.id, p.user_id))
            .collect();
        let mut per_cell = [0; 3];
        for b in bookings::Entity::find().all(&db).await.unwrap() {
            let (customer, provider) = (cell[&b.customer_id], cell[&provider_user[&b.provider_id]]);
            assert_eq!(customer, provider, "booking {} joins cells {customer} and {provider}", b.id);
            per_cell[customer] += 1;
        }
        assert!(per_cell.iter().all(|n| *n > 0), "bookings per cell: {per_cell:?}");
    }

    backend_tests!(the_catalogue_seed_writes_is_the_one_reference_only_inserts);
    async fn the_catalogue_seed_writes_is_the_one_reference_only_inserts(backend: Backend) {
        let domain = booking();
        let (a, b) = (TestDb::new(backend).await, TestDb::new(backend).await);
        let seeded = seeded(&a, domain, options(Profile::Tiny, 7)).await;
        let empty = b.migrated(domain).await;
        let txn = empty.begin().await.unwrap();
        let outcome = domain.seeder.reference(&txn, default_now(), true).await.unwrap();
        txn.commit().await.unwrap();
        assert_eq!(outcome.changes.len(), 24, "the whole catalogue inserted");
        let table = domain.seeder.tables().into_iter().find(|t| t.name() == "services_master").unwrap();
        assert_eq!(
            table.digest(&seeded).await.unwrap(),
            table.digest(&empty).await.unwrap(),
            "services_master as `seed` writes it and as `seed --reference-only` inserts it"
        );
    }
}
