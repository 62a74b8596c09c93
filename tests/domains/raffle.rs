//! The raffle domain by example: a small, valid world of hand-written rows, the writes its
//! constraints must refuse, what its views show of it, and how its deletes cascade.

use chrono::{DateTime, Duration, TimeZone, Utc};
use sea_orm::prelude::{Decimal, Uuid};
use sea_orm::sea_query::{Alias, Expr, Query};
use std::collections::BTreeSet;

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DatabaseConnection, DbBackend, EntityName,
    EntityTrait, ExprTrait, QueryOrder, TransactionTrait,
};
use seedbed_core::Backend;
use seedbed_core::introspect::Snapshot;
use seedbed_raffle::enums::*;
use seedbed_raffle::*;
use serde_json::json;

use crate::constraints::{Case, update};
use crate::integrity::{Corruption, corrupt, first, new_uuid};
use crate::seeding::{options, seeded};
use crate::util::{TestDb, Violation::*, backend_tests, violation};
use seedbed_seeds::Profile;

/// The digest of the domain seeded with `tiny`, seed 7, at the default time and scale: fixed
/// here, so that every backend, SQLite included, is compared with something it did not
/// compute itself (`seeding::every_backend_holds_the_same_data`). A change to what the seeder
/// writes changes it on purpose: update it in the same commit, and say why (`seedbed bootstrap
/// --profile tiny --seed 7` then `seedbed digest` prints it).
pub const TINY_SEED_7_DIGEST: &str = "450680d82665e797230c6437416eac16885a4a0fb71d35e8c8485dc103cfa64c";

fn id(n: u128) -> Uuid {
    Uuid::from_u128(0x5eed_0000_0000_0000_0000_0000_0000_0000 | n)
}

fn money(cents: i64) -> Decimal {
    Decimal::new(cents, 2)
}

/// Now, to the second: MariaDB keeps no fraction of a second.
fn now() -> DateTime<Utc> {
    Utc.timestamp_opt(Utc::now().timestamp(), 0).unwrap()
}

/// The keys of the planted world.
pub struct World {
    pub seller_user: Uuid,
    pub buyer1: Uuid,
    pub buyer2: Uuid,
    pub seller: Uuid,
    pub items: [Uuid; 3],
    pub raffle_done: Uuid,
    pub raffle_open: Uuid,
    pub raffle_cancelled: Uuid,
    pub deposit1: Uuid,
    pub purchase_open: Uuid,
    pub credit_general: Uuid,
}

async fn put<A>(db: &DatabaseConnection, model: A)
where
    A: ActiveModelTrait + Send,
    <A::Entity as EntityTrait>::Model: sea_orm::IntoActiveModel<A>,
{
    let table = format!("{:?}", <A::Entity as Default>::default().table_name());
    A::Entity::insert(model)
        .exec_without_returning(db)
        .await
        .unwrap_or_else(|e| panic!("planting {table}: {e}"));
}

fn user(n: u128, email: &str, role: UserRole, balance: i64) -> users::ActiveModel {
    users::ActiveModel {
        id: Set(id(n)),
        email: Set(email.into()),
        password_hash: Set("$argon2id$v=19$m=19456,t=2,p=1$c2VlZGJlZA$placeholder".into()),
        display_name: Set(email.split('@').next().unwrap().into()),
        phone: Set(None),
        role: Set(role),
        wallet_address: Set(format!("rw_{n:040x}")),
        balance: Set(money(balance)),
        is_active: Set(true),
        ..Default::default()
    }
}

/// A seller with three items and three raffles (completed, open, cancelled), two buyers
/// with deposits, purchases and credits: every row valid.
pub async fn plant(db: &DatabaseConnection) -> World {
    let t = now();
    let w = World {
        seller_user: id(1),
        buyer1: id(2),
        buyer2: id(3),
        seller: id(10),
        items: [id(20), id(21), id(22)],
        raffle_done: id(30),
        raffle_open: id(31),
        raffle_cancelled: id(32),
        deposit1: id(40),
        purchase_open: id(53),
        credit_general: id(60),
    };
    put(db, user(1, "seller@example.com", UserRole::Seller, 0)).await;
    put(db, user(2, "buyer1@example.com", UserRole::User, 8000)).await;
    put(db, user(3, "buyer2@example.com", UserRole::User, 3500)).await;
    put(
        db,
        seller_subscriptions::ActiveModel {
            id: Set(id(5)),
            code: Set("pro".into()),
            name: Set("Pro".into()),
            monthly_price: Set(money(2900)),
            max_active_raffles: Set(10),
            max_items: Set(100),
            commission_rate: Set(Decimal::new(750, 4)),
            features: Set(json!({"featured_listings": true})),
            is_active: Set(true),
            ..Default::default()
        },
    )
    .await;
    put(
        db,
        sellers::ActiveModel {
            id: Set(w.seller),
            user_id: Set(w.seller_user),
            subscription_id: Set(id(5)),
            business_name: Set("Acme Goods".into()),
            description: Set(None),
            rating: Set(Some(Decimal::new(450, 2))),
            verified_at: Set(Some(t)),
            subscription_started_at: Set(t - Duration::days(60)),
            subscription_expires_at: Set(None),
            ..Default::default()
        },
    )
    .await;
    for (i, item) in w.items.iter().enumerate() {
        put(
            db,
            items::ActiveModel {
                id: Set(*item),
                seller_id: Set(w.seller),
                title: Set(format!("Item {i}")),
                description: Set(None),
                category: Set("gadgets".into()),
                price: Set(money(123_456_789)),
                inventory_count: Set(1),
                status: Set(if i == 0 { ItemStatus::Sold } else { ItemStatus::Available }),
                image_url: Set(None),
                ..Default::default()
            },
        )
        .await;
    }
    let raffle = |rid: Uuid, item: Uuid, total: i32, price: i64, sold: i32, status: RaffleStatus| {
        raffles::ActiveModel {
            id: Set(rid),
            item_id: Set(item),
            title: Set(format!("Raffle of {item}")),
            total_boxes: Set(total),
            box_price: Set(money(price)),
            boxes_sold: Set(sold),
            status: Set(status),
            starts_at: Set(t - Duration::days(20)),
            draw_at: Set(
                t - Duration::days(10) + Duration::days(if status == RaffleStatus::Open { 20 } else { 0 })
            ),
            drawn_at: Set(None),
            winner_id: Set(None),
            winning_box_number: Set(None),
            cancelled_at: Set(None),
            ..Default::default()
        }
    };
    let mut done = raffle(w.raffle_done, w.items[0], 3, 1000, 3, RaffleStatus::Completed);
    done.drawn_at = Set(Some(t - Duration::days(10)));
    done.winner_id = Set(Some(w.buyer1));
    done.winning_box_number = Set(Some(2));
    put(db, done).await;
    put(db, raffle(w.raffle_open, w.items[1], 10, 500, 1, RaffleStatus::Open)).await;
    let mut cancelled = raffle(w.raffle_cancelled, w.items[2], 5, 200, 0, RaffleStatus::Cancelled);
    cancelled.cancelled_at = Set(Some(t - Duration::days(12)));
    put(db, cancelled).await;

    let tx = |tid: Uuid, user: Uuid, kind: TransactionType, amount: i64, after: i64, raffle: Option<Uuid>| {
        transactions::ActiveModel {
            id: Set(tid),
            user_id: Set(user),
            kind: Set(kind),
            amount: Set(money(amount)),
            balance_after: Set(money(after)),
            raffle_id: Set(raffle),
            reference: Set((kind == TransactionType::Deposit).then(|| format!("psp_{tid}"))),
            description: Set(None),
            ..Default::default()
        }
    };
    put(db, tx(w.deposit1, w.buyer1, TransactionType::Deposit, 10000, 10000, None)).await;
    put(db, tx(id(41), w.buyer1, TransactionType::BoxPurchase, -2000, 8000, Some(w.raffle_done))).await;
    put(db, tx(id(42), w.buyer2, TransactionType::Deposit, 5000, 5000, None)).await;
    put(db, tx(id(43), w.buyer2, TransactionType::BoxPurchase, -1000, 4000, Some(w.raffle_done))).await;
    put(db, tx(id(44), w.buyer2, TransactionType::BoxPurchase, -500, 3500, Some(w.raffle_open))).await;

    let purchase = |pid: Uuid, raffle: Uuid, user: Uuid, tx: Uuid, box_number: i32, price: i64| {
        box_purchases::ActiveModel {
            id: Set(pid),
            raffle_id: Set(raffle),
            user_id: Set(user),
            transaction_id: Set(tx),
            box_number: Set(box_number),
            price_paid: Set(money(price)),
            purchased_at: Set(t - Duration::days(15)),
        }
    };
    put(db, purchase(id(50), w.raffle_done, w.buyer1, id(41), 1, 1000)).await;
    put(db, purchase(id(51), w.raffle_done, w.buyer1, id(41), 2, 1000)).await;
    put(db, purchase(id(52), w.raffle_done, w.buyer2, id(43), 3, 1000)).await;
    put(db, purchase(w.purchase_open, w.raffle_open, w.buyer2, id(44), 1, 500)).await;

    let credit =
        |cid: Uuid, user: Uuid, source: CreditSource, item: Option<Uuid>, amount: i64, remaining: i64| {
            user_credits::ActiveModel {
                id: Set(cid),
                user_id: Set(user),
                source: Set(source),
                credit_type: Set(if item.is_some() { CreditType::ItemSpecific } else { CreditType::General }),
                amount: Set(money(amount)),
                remaining: Set(money(remaining)),
                item_id: Set(item),
                raffle_id: Set((source == CreditSource::RaffleLoss).then_some(w.raffle_done)),
                expires_at: Set(None),
                created_at: Set(t - Duration::days(10)),
            }
        };
    let mut general = credit(w.credit_general, w.buyer2, CreditSource::RaffleLoss, None, 1000, 1000);
    general.expires_at = Set(Some(t + Duration::days(30)));
    put(db, general).await;
    let mut soon = credit(id(61), w.buyer2, CreditSource::Bonus, Some(w.items[1]), 500, 200);
    soon.expires_at = Set(Some(t + Duration::days(3)));
    put(db, soon).await;
    let mut expired = credit(id(62), w.buyer1, CreditSource::Deposit, None, 700, 700);
    expired.expires_at = Set(Some(t - Duration::days(1)));
    put(db, expired).await;
    w
}

/// Plants the world, then lists writes that each break exactly one rule.
pub async fn rejected_writes(db: &DatabaseConnection) -> Vec<Case> {
    let w = plant(db).await;
    let stranger = id(0xdead);
    let b = db.get_database_backend();
    vec![
        Case::new(b, "ck_raffles_status", Check, &update("raffles", "status", "bogus", w.raffle_open)),
        Case::new(b, "ck_users_role", Check, &update("users", "role", "superuser", w.buyer1)),
        Case::new(
            b,
            "ck_transactions_type",
            Check,
            &update("transactions", "type", "chargeback", w.deposit1),
        ),
        Case::new(b, "ck_items_price", Check, &update("items", "price", money(-500), w.items[1])),
        Case::new(b, "ck_raffles_box_price", Check, &update("raffles", "box_price", money(0), w.raffle_open)),
        Case::new(b, "ck_raffles_boxes_sold", Check, &update("raffles", "boxes_sold", 11, w.raffle_open)),
        Case::new(b, "ck_raffles_winner", Check, &update("raffles", "winner_id", w.buyer1, w.raffle_open)),
        Case::new(
            b,
            "ck_user_credits_remaining",
            Check,
            &update("user_credits", "remaining", money(1001), w.credit_general),
        ),
        Case::new(
            b,
            "ck_user_credits_item",
            Check,
            &update("user_credits", "item_id", w.items[1], w.credit_general),
        ),
        Case::new(
            b,
            "ck_transactions_sign",
            Check,
            &update("transactions", "amount", money(-100), w.deposit1),
        ),
        Case::new(
            b,
            "ck_users_email_lowercase",
            Check,
            &update("users", "email", "Buyer1@Example.com", w.buyer1),
        ),
        Case::new(
            b,
            "fk_box_purchases_user_id",
            ForeignKey,
            &update("box_purchases", "user_id", stranger, w.purchase_open),
        ),
        Case::new(
            b,
            "fk_raffles_item_id",
            ForeignKey,
            &update("raffles", "item_id", stranger, w.raffle_open),
        ),
        Case::new(
            b,
            "fk_sellers_user_id",
            ForeignKey,
            &Query::delete()
                .from_table(Alias::new("users"))
                .and_where(Expr::col(Alias::new("id")).eq(w.seller_user))
                .to_owned(),
        ),
        Case::new(b, "uq_users_email", Unique, &update("users", "email", "buyer2@example.com", w.buyer1)),
        Case::new(
            b,
            "uq_box_purchases_raffle_id_box_number",
            Unique,
            &update("box_purchases", "box_number", 1, id(52)),
        ),
        Case::new(
            b,
            "display_name",
            NotNull,
            &update("users", "display_name", Option::<String>::None, w.buyer1),
        ),
    ]
}

backend_tests!(views_summarise_the_base_tables);
async fn views_summarise_the_base_tables(backend: Backend) {
    let t = TestDb::new(backend).await;
    let db = t.migrated(seedbed_registry::find("raffle").unwrap()).await;
    let w = plant(&db).await;

    let participants: Vec<_> = raffle_participants::Entity::find()
        .order_by_asc(raffle_participants::Column::RaffleId)
        .order_by_asc(raffle_participants::Column::UserId)
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .map(|p| (p.raffle_id, p.user_id, p.box_count, p.total_spent, p.is_winner))
        .collect();
    assert_eq!(
        participants,
        vec![
            (w.raffle_done, w.buyer1, 2, money(2000), true),
            (w.raffle_done, w.buyer2, 1, money(1000), false),
            (w.raffle_open, w.buyer2, 1, money(500), false),
        ]
    );

    let summary: Vec<_> = user_credit_summary::Entity::find()
        .order_by_asc(user_credit_summary::Column::UserId)
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .map(|s| {
            (s.user_id, s.general_available, s.item_specific_available, s.expiring_soon, s.expired_count)
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (w.seller_user, money(0), money(0), money(0), 0),
            (w.buyer1, money(0), money(0), money(0), 1),
            (w.buyer2, money(1000), money(200), money(200), 0),
        ]
    );

    let perf = seller_performance::Entity::find().all(&db).await.unwrap();
    assert_eq!(perf.len(), 1);
    let p = &perf[0];
    assert_eq!(
        (
            p.seller_id,
            p.total_items,
            p.total_raffles,
            p.active_raffles,
            p.completed_raffles,
            p.cancelled_raffles
        ),
        (w.seller, 3, 3, 1, 1, 1)
    );
    assert_eq!(p.total_revenue, money(3000));
    assert_eq!(p.completion_rate, Some(Decimal::new(5, 1)));
}

backend_tests!(views_are_read_only);
async fn views_are_read_only(backend: Backend) {
    let t = TestDb::new(backend).await;
    let db = t.migrated(seedbed_registry::find("raffle").unwrap()).await;
    let row = seller_performance::ActiveModel { seller_id: Set(id(1)), ..Default::default() };
    let err = row.insert(&db).await.expect_err("a view must not take writes").to_string();
    assert!(err.contains("read-only view"), "{err}");
}

backend_tests!(money_round_trips_exactly);
async fn money_round_trips_exactly(backend: Backend) {
    let t = TestDb::new(backend).await;
    let db = t.migrated(seedbed_registry::find("raffle").unwrap()).await;
    let amounts = [money(123_456_789), money(1), money(999_999_999_999), Decimal::new(1, 2)];
    for (n, amount) in amounts.iter().enumerate() {
        put(&db, user(100 + n as u128, &format!("m{n}@example.com"), UserRole::User, 0)).await;
        let mut row: users::ActiveModel =
            users::Entity::find_by_id(id(100 + n as u128)).one(&db).await.unwrap().unwrap().into();
        row.balance = Set(*amount);
        row.update(&db).await.unwrap();
        let back = users::Entity::find_by_id(id(100 + n as u128)).one(&db).await.unwrap().unwrap().balance;
        assert_eq!(back, *amount, "{amount} came back as {back}");
        assert_eq!(back.round_dp(2).to_string(), amount.to_string());
    }
    let setting = system_settings::ActiveModel {
        key: Set("raffle.limits".into()),
        value: Set(json!({"max_boxes": 500, "fee": "0.075", "tags": ["a", "b"]})),
        description: Set(None),
        is_public: Set(true),
        updated_by: Set(None),
        ..Default::default()
    };
    put(&db, setting).await;
    let back =
        system_settings::Entity::find_by_id("raffle.limits".to_owned()).one(&db).await.unwrap().unwrap();
    assert_eq!(back.value, json!({"max_boxes": 500, "fee": "0.075", "tags": ["a", "b"]}));
}

/// Every ON DELETE rule docs/domains/raffle.md states, as `(child, key column, parent, rule)`.
/// The live schema must hold exactly these, and each must behave as stated.
const DOCUMENTED_DELETE_RULES: &[(&str, &str, &str, &str)] = &[
    ("email_verification_tokens", "user_id", "users", "CASCADE"),
    ("password_reset_tokens", "user_id", "users", "CASCADE"),
    ("sellers", "user_id", "users", "RESTRICT"),
    ("sellers", "subscription_id", "seller_subscriptions", "RESTRICT"),
    ("items", "seller_id", "sellers", "RESTRICT"),
    ("raffles", "item_id", "items", "RESTRICT"),
    ("raffles", "winner_id", "users", "RESTRICT"),
    ("transactions", "user_id", "users", "RESTRICT"),
    ("transactions", "raffle_id", "raffles", "RESTRICT"),
    ("box_purchases", "raffle_id", "raffles", "RESTRICT"),
    ("box_purchases", "user_id", "users", "RESTRICT"),
    ("box_purchases", "transaction_id", "transactions", "RESTRICT"),
    ("user_credits", "user_id", "users", "CASCADE"),
    ("user_credits", "item_id", "items", "RESTRICT"),
    ("user_credits", "raffle_id", "raffles", "RESTRICT"),
    ("free_redeemable_items", "item_id", "items", "SET NULL"),
    ("system_settings", "updated_by", "users", "SET NULL"),
    ("user_sessions", "user_id", "users", "CASCADE"),
    ("notifications", "user_id", "users", "CASCADE"),
    ("audit_logs", "user_id", "users", "SET NULL"),
];

/// One row of each parent table that nothing points at yet, planted beside tiny data: each
/// rule's test points one seeded child row at it and deletes it, so the rule under test is
/// the only one that can act.
async fn fresh_parents(db: &DatabaseConnection) -> Vec<(&'static str, Uuid)> {
    let t = now();
    let (member, owner, subscription, seller, item, other_item, raffle, tx) =
        (id(900), id(901), id(902), id(903), id(904), id(905), id(906), id(907));
    put(db, user(900, "delete-rules@example.com", UserRole::User, 0)).await;
    put(db, user(901, "delete-rules-owner@example.com", UserRole::Seller, 0)).await;
    let sub = seller_subscriptions::ActiveModel {
        id: Set(subscription),
        code: Set("delete_rules".into()),
        name: Set("Delete rules".into()),
        monthly_price: Set(money(0)),
        max_active_raffles: Set(1),
        max_items: Set(2),
        commission_rate: Set(Decimal::new(500, 4)),
        features: Set(json!({})),
        is_active: Set(true),
        ..Default::default()
    };
    put(db, sub).await;
    let profile = sellers::ActiveModel {
        id: Set(seller),
        user_id: Set(owner),
        subscription_id: Set(subscription),
        business_name: Set("Delete Rules Ltd".into()),
        description: Set(None),
        rating: Set(None),
        verified_at: Set(None),
        subscription_started_at: Set(t - Duration::days(1)),
        subscription_expires_at: Set(None),
        ..Default::default()
    };
    put(db, profile).await;
    for i in [item, other_item] {
        let listing = items::ActiveModel {
            id: Set(i),
            seller_id: Set(seller),
            title: Set("Delete rules item".into()),
            description: Set(None),
            category: Set("gadgets".into()),
            price: Set(money(1000)),
            inventory_count: Set(1),
            status: Set(ItemStatus::Available),
            image_url: Set(None),
            ..Default::default()
        };
        put(db, listing).await;
    }
    let open = raffles::ActiveModel {
        id: Set(raffle),
        item_id: Set(other_item),
        title: Set("Delete rules raffle".into()),
        total_boxes: Set(5),
        box_price: Set(money(100)),
        boxes_sold: Set(0),
        status: Set(RaffleStatus::Open),
        starts_at: Set(t - Duration::days(1)),
        draw_at: Set(t + Duration::days(5)),
        drawn_at: Set(None),
        winner_id: Set(None),
        winning_box_number: Set(None),
        cancelled_at: Set(None),
        ..Default::default()
    };
    put(db, open).await;
    let deposit = transactions::ActiveModel {
        id: Set(tx),
        user_id: Set(owner),
        kind: Set(TransactionType::Deposit),
        amount: Set(money(100)),
        balance_after: Set(money(100)),
        raffle_id: Set(None),
        reference: Set(Some("psp_delete_rules".into())),
        description: Set(None),
        ..Default::default()
    };
    put(db, deposit).await;
    vec![
        ("users", member),
        ("seller_subscriptions", subscription),
        ("sellers", seller),
        ("items", item),
        ("raffles", raffle),
        ("transactions", tx),
    ]
}

/// `SELECT COUNT(*) FROM table WHERE filter`.
async fn count(db: &impl ConnectionTrait, table: &str, filter: sea_orm::sea_query::SimpleExpr) -> i64 {
    let q = Query::select().expr(Expr::cust("COUNT(*)")).from(Alias::new(table)).and_where(filter).to_owned();
    db.query_one(&q).await.unwrap().unwrap().try_get_by_index::<i64>(0).unwrap()
}

backend_tests!(deletes_follow_each_foreign_keys_rule);
/// Every rule the domain page documents, on tiny data: the live schema holds exactly the
/// documented rules, and for each, one seeded child row pointed at a fresh parent and the
/// parent deleted: CASCADE takes that row (and only it), SET NULL keeps it with the key
/// cleared, RESTRICT refuses the delete, for that key.
async fn deletes_follow_each_foreign_keys_rule(backend: Backend) {
    let t = TestDb::new(backend).await;
    let db = seeded(&t, seedbed_registry::find("raffle").unwrap(), options(Profile::Tiny, 42)).await;

    let schema = Snapshot::read(&db).await.unwrap();
    let live: BTreeSet<(String, String, String, String)> = schema
        .base_tables()
        .flat_map(|(name, table)| {
            table.foreign_keys.iter().map(move |fk| {
                (name.clone(), fk.columns.join(","), fk.ref_table.clone(), fk.on_delete.clone())
            })
        })
        .collect();
    let documented: BTreeSet<(String, String, String, String)> = DOCUMENTED_DELETE_RULES
        .iter()
        .map(|(c, k, p, r)| ((*c).into(), (*k).into(), (*p).into(), (*r).into()))
        .collect();
    assert_eq!(
        live.difference(&documented).collect::<Vec<_>>(),
        Vec::<&(String, String, String, String)>::new(),
        "foreign keys on {backend:?} that docs/domains/raffle.md does not document (or documents with another rule)"
    );
    assert_eq!(
        documented.difference(&live).collect::<Vec<_>>(),
        Vec::<&(String, String, String, String)>::new(),
        "rules docs/domains/raffle.md documents that {backend:?}'s schema does not hold"
    );

    let parents = fresh_parents(&db).await;
    let b = db.get_database_backend();
    let q = |s: &str| if b == DbBackend::MySql { format!("`{s}`") } else { format!("\"{s}\"") };
    let mut wrong = Vec::new();
    for (child, column, parent, rule) in DOCUMENTED_DELETE_RULES {
        let fresh = parents.iter().find(|(p, _)| p == parent).expect("a fresh parent").1;
        let key = schema.tables[*child].primary_key[0].clone();
        let row = format!(
            "{k} = (SELECT {k} FROM (SELECT {k} FROM {t} WHERE {c} IS NOT NULL ORDER BY {k} LIMIT 1) first_row)",
            k = q(&key),
            t = q(child),
            c = q(column)
        );
        let repoint = Query::update()
            .table(Alias::new(*child))
            .value(Alias::new(*column), fresh)
            .and_where(Expr::cust(row))
            .to_owned();
        let txn = db.begin().await.unwrap();
        // The fresh parents of other rules may already point at this one (a fresh item's seller).
        let already = count(&txn, child, Expr::col(Alias::new(*column)).eq(fresh)).await;
        let moved = txn
            .execute(&repoint)
            .await
            .unwrap_or_else(|e| panic!("pointing {child}.{column} at a fresh {parent}: {e}"));
        let all = || Expr::cust("1 = 1");
        let at_fresh = || Expr::col(Alias::new(*column)).eq(fresh);
        let null = || Expr::col(Alias::new(*column)).is_null();
        let (rows, pointing, nulls) = (
            count(&txn, child, all()).await,
            count(&txn, child, at_fresh()).await,
            count(&txn, child, null()).await,
        );
        if moved.rows_affected() != 1 || pointing != already + 1 {
            wrong.push(format!("{child}.{column}: tiny has no row to point at a fresh {parent}"));
            txn.rollback().await.unwrap();
            continue;
        }
        let delete = Query::delete()
            .from_table(Alias::new(*parent))
            .and_where(Expr::col(Alias::new("id")).eq(fresh))
            .to_owned();
        let deleted = txn.execute(&delete).await;
        let found = match (*rule, deleted) {
            ("RESTRICT", Err(e)) => match violation(&e) {
                // SQLite does not say which key refused.
                Some((ForeignKey, detail))
                    if b == DbBackend::Sqlite || detail.contains(&format!("fk_{child}_{column}")) =>
                {
                    None
                }
                other => Some(format!("refused, but not for this key: {other:?}")),
            },
            ("RESTRICT", Ok(_)) => Some("the parent was deleted".into()),
            (_, Err(e)) => Some(format!("the delete was refused: {e}")),
            ("CASCADE", Ok(_)) => {
                let (after, left) = (count(&txn, child, all()).await, count(&txn, child, at_fresh()).await);
                (after != rows - 1 || left != 0)
                    .then(|| format!("{rows} rows became {after}, {left} still point at it"))
            }
            (_, Ok(_)) => {
                let after = count(&txn, child, all()).await;
                let now_null = count(&txn, child, null()).await;
                (after != rows || now_null != nulls + pointing)
                    .then(|| format!("{rows} rows became {after}; NULL keys went from {nulls} to {now_null}"))
            }
        };
        txn.rollback().await.unwrap();
        if let Some(found) = found {
            wrong.push(format!("{child}.{column} ON DELETE {rule}: {found}"));
        }
    }
    assert!(wrong.is_empty(), "on {backend:?}:\n  {}", wrong.join("\n  "));
}

const CUSTOMER: &str = "(SELECT id FROM users WHERE email = 'customer@raffle.example.com')";
const ADMIN: &str = "(SELECT id FROM users WHERE email = 'admin@raffle.example.com')";

/// One corruption per raffle rule, in the order of the rules.
pub fn corruptions(backend: sea_orm::DbBackend) -> Vec<Corruption> {
    let open_box = first("box_purchases", "raffle_id IN (SELECT id FROM raffles WHERE status = 'open')");
    let unsettled_box = first(
        "box_purchases",
        "raffle_id IN (SELECT id FROM raffles WHERE status IN ('open', 'full', 'drawing'))",
    );
    let completed = first("raffles", "status = 'completed'");
    let first_refund = first("transactions", "type = 'refund'");
    let purchase_tx = first("transactions", "type = 'box_purchase'");
    let payout = first("transactions", "type = 'seller_payout'");
    let view = |name: &str, body: &str| Corruption {
        check: match name {
            "raffle_participants" => "view_raffle_participants_agrees",
            "user_credit_summary" => "view_user_credit_summary_agrees",
            _ => "view_seller_performance_agrees",
        },
        sql: vec![format!("DROP VIEW {name}"), format!("CREATE VIEW {name} AS {body}")],
        ddl: true,
    };
    vec![
        corrupt(
            "balance_is_sum_of_transactions",
            &[&format!("UPDATE users SET balance = balance + 1 WHERE id = {CUSTOMER}")],
        ),
        corrupt(
            "boxes_sold_is_purchases",
            &[&format!(
                "UPDATE raffles SET boxes_sold = boxes_sold - 1 WHERE id = {}",
                first("raffles", "boxes_sold >= 2 AND status <> 'full'")
            )],
        ),
        corrupt(
            "box_number_within_raffle",
            &[&format!("UPDATE box_purchases SET box_number = box_number + 1000 WHERE id = {unsettled_box}")],
        ),
        corrupt(
            "box_paid_at_box_price",
            &[
                &format!(
                    "UPDATE transactions SET amount = amount + 0.01 WHERE id = (SELECT transaction_id FROM box_purchases WHERE id = {unsettled_box})"
                ),
                &format!(
                    "UPDATE users SET balance = balance + 0.01 WHERE id = (SELECT user_id FROM box_purchases WHERE id = {unsettled_box})"
                ),
                &format!(
                    "UPDATE box_purchases SET price_paid = price_paid - 0.01 WHERE id = {unsettled_box}"
                ),
            ],
        ),
        corrupt(
            "purchase_within_sales_window",
            &[&format!(
                "UPDATE box_purchases SET purchased_at = (SELECT u.created_at FROM users u WHERE u.id = box_purchases.user_id) WHERE id = {open_box}"
            )],
        ),
        corrupt(
            "purchase_after_signup",
            &[
                "UPDATE users SET created_at = (SELECT MAX(b.purchased_at) FROM box_purchases b), updated_at = (SELECT MAX(b.purchased_at) FROM box_purchases b) \
               WHERE id = (SELECT user_id FROM (SELECT user_id FROM box_purchases ORDER BY purchased_at, id LIMIT 1) first_row)",
            ],
        ),
        corrupt(
            "status_agrees_with_sales",
            &[&format!(
                "UPDATE raffles SET status = 'open' WHERE id = {}",
                first("raffles", "status = 'full'")
            )],
        ),
        corrupt(
            "winner_bought_winning_box",
            &[&format!("UPDATE raffles SET winner_id = {ADMIN} WHERE id = {completed}")],
        ),
        corrupt(
            "drawn_after_draw_time",
            &[&format!("UPDATE raffles SET drawn_at = starts_at WHERE id = {completed}")],
        ),
        corrupt(
            "item_status_agrees_with_raffle",
            &[
                "UPDATE items SET status = 'inactive' WHERE id = (SELECT item_id FROM (SELECT item_id FROM raffles WHERE status = 'open' ORDER BY id LIMIT 1) first_row)",
            ],
        ),
        corrupt(
            "cancellations_refunded",
            &[
                &format!(
                    "UPDATE users SET balance = balance + 0.01 WHERE id = (SELECT user_id FROM transactions WHERE id = {first_refund})"
                ),
                &format!("UPDATE transactions SET amount = amount + 0.01 WHERE id = {first_refund}"),
            ],
        ),
        corrupt(
            "loss_credit_for_losing_buyer",
            &[&format!(
                "UPDATE user_credits SET user_id = {ADMIN} WHERE id = {}",
                first("user_credits", "source = 'raffle_loss'")
            )],
        ),
        corrupt(
            "purchase_paid_by_its_transaction",
            &[&format!(
                "UPDATE transactions SET raffle_id = (SELECT id FROM raffles WHERE id <> transactions.raffle_id AND status <> 'cancelled' ORDER BY id LIMIT 1) \
                 WHERE id = {}",
                first(
                    "transactions",
                    "type = 'box_purchase' AND raffle_id IN (SELECT id FROM raffles WHERE status <> 'cancelled')"
                )
            )],
        ),
        corrupt(
            "purchase_transaction_covers_its_boxes",
            &[
                &format!(
                    "UPDATE users SET balance = balance + 0.01 WHERE id = (SELECT user_id FROM transactions WHERE id = {purchase_tx})"
                ),
                &format!("UPDATE transactions SET amount = amount + 0.01 WHERE id = {purchase_tx}"),
            ],
        ),
        corrupt(
            "sellers_have_seller_role",
            &["UPDATE users SET role = 'operator' WHERE email = 'seller@raffle.example.com'"],
        ),
        corrupt(
            "completed_raffles_paid_out",
            &[
                &format!(
                    "UPDATE users SET balance = balance + 0.01 WHERE id = (SELECT user_id FROM transactions WHERE id = {payout})"
                ),
                &format!(
                    "INSERT INTO transactions (id, user_id, type, amount, balance_after, raffle_id, reference, description, created_at) \
                     SELECT {}, user_id, type, 0.01, balance_after, raffle_id, NULL, description, created_at FROM transactions WHERE id = {payout}",
                    new_uuid(backend)
                ),
            ],
        ),
        view(
            "raffle_participants",
            "SELECT raffle_id, user_id, COUNT(*) + 1 AS box_count, SUM(price_paid) AS total_spent, MIN(purchased_at) AS first_purchase_at, \
             MAX(purchased_at) AS last_purchase_at, FALSE AS is_winner FROM box_purchases GROUP BY raffle_id, user_id",
        ),
        view(
            "user_credit_summary",
            "SELECT id AS user_id, 0.0 AS general_available, 0.0 AS item_specific_available, 0.0 AS expiring_soon, 1 AS expired_count FROM users",
        ),
        view(
            "seller_performance",
            "SELECT id AS seller_id, business_name, 0 AS total_items, 0 AS total_raffles, 0 AS active_raffles, 0 AS completed_raffles, \
             0 AS cancelled_raffles, 0.0 AS total_revenue, NULL AS completion_rate FROM sellers",
        ),
    ]
}

// Cells: the domain written as several small worlds of its own (`seedbed_seeds::cells`).

/// The digest of tiny at scale 3, seed 7: three cells, the same on every backend
/// (`seedbed bootstrap --profile tiny --scale 3 --seed 7` then `seedbed digest` prints it).
pub const TINY_SCALE_3_SEED_7_DIGEST: &str = "696a0ded1f2afe435467af11bb90f4292089df7f0eaa3bc608df346dd8b66160";

/// Tiny, seed 7, at `scale`: one cell at 1, three at 3.
fn tiny_at(scale: f64) -> seedbed_seeds::SeedOptions {
    seedbed_seeds::SeedOptions::new(7, Profile::Tiny, scale, seedbed_seeds::default_now()).unwrap()
}

/// The reference tables, which every cell refers to and which are written once.
const REFERENCE_TABLES: [&str; 2] = ["seller_subscriptions", "system_settings"];

backend_tests!(three_cells_make_one_domain_that_passes_check);
/// Tiny at scale 3 is three cells: together they pass every check, hold the same data on
/// every backend, and about three times tiny's rows, the reference rows once.
async fn three_cells_make_one_domain_that_passes_check(backend: Backend) {
    let domain = seedbed_registry::find("raffle").unwrap();
    let (one, three) = (TestDb::new(backend).await, TestDb::new(backend).await);
    let db = seeded(&three, domain, tiny_at(3.0)).await;
    let failing = crate::seeding::failing_checks(&db, domain).await;
    assert!(failing.is_empty(), "three cells on {backend:?}:\n  {}", failing.join("\n  "));
    assert_eq!(
        seedbed_seeds::digest(&db, domain.seeder).await.unwrap(),
        TINY_SCALE_3_SEED_7_DIGEST,
        "{backend:?} holds other data than the fixed three-cell digest"
    );
    let cells = seedbed_seeds::row_counts(&db, domain.seeder).await.unwrap();
    let tiny =
        seedbed_seeds::row_counts(&seeded(&one, domain, tiny_at(1.0)).await, domain.seeder).await.unwrap();
    for ((table, n), (_, n1)) in cells.into_iter().zip(tiny) {
        if REFERENCE_TABLES.contains(&table) {
            assert_eq!(n, n1, "{table}: the reference rows are written once");
        } else {
            assert!(2 * n >= 5 * n1 && n <= 4 * n1, "{table}: {n} rows in three cells, {n1} in one");
        }
    }
}

/// The cell a user of a three-cell domain is in: the documented accounts are cell 0's, and
/// the `n` of a generated address (`first.lastN@…`) is numbered across cells.
fn cell_of(address: &str) -> usize {
    let local = address.split('@').next().unwrap();
    if address.ends_with("@raffle.example.com") {
        return 0;
    }
    let digits = local.trim_start_matches(|c: char| !c.is_ascii_digit());
    digits.parse::<usize>().unwrap_or_else(|_| panic!("{address} is not numbered")) % 3
}

async fn all<E: EntityTrait>(db: &DatabaseConnection) -> Vec<E::Model> {
    E::find().all(db).await.unwrap()
}

/// Every row of `part` is in `whole`.
fn within<M: PartialEq + std::fmt::Debug>(table: &str, part: &[M], whole: &[M]) {
    assert!(!part.is_empty(), "{table}: no rows to compare");
    for row in part {
        assert!(whole.contains(row), "{table}: the one-cell row {row:?} is not in cell 0");
    }
}

/// The cells of tiny at scale 3 are worlds of their own: whatever relates two users (a buyer
/// and the raffle's seller, a winner, a credit for a raffle or an item, a transaction of a
/// raffle) stays in one cell; cell 0 is exactly the one-cell world but for the numbers that
/// are counted across cells (addresses, phone lines); and the reference rows are those the
/// upsert of `seed --reference-only` inserts into an empty domain.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_cell_is_a_world_of_its_own() {
    use std::collections::HashMap;
    let domain = seedbed_registry::find("raffle").unwrap();
    let (a, b, c) =
        (TestDb::new(Backend::Sqlite).await, TestDb::new(Backend::Sqlite).await, TestDb::new(Backend::Sqlite).await);
    let one = seeded(&a, domain, tiny_at(1.0)).await;
    let three = seeded(&b, domain, tiny_at(3.0)).await;

    let people = all::<users::Entity>(&three).await;
    let cell: HashMap<Uuid, usize> = people.iter().map(|u| (u.id, cell_of(&u.email))).collect();
    let tiny_users = all::<users::Entity>(&one).await.len();
    for k in 0..3 {
        assert_eq!(cell.values().filter(|c| **c == k).count(), tiny_users, "users of cell {k}");
    }
    let seller_user: HashMap<Uuid, Uuid> =
        all::<sellers::Entity>(&three).await.into_iter().map(|s| (s.id, s.user_id)).collect();
    let item_seller: HashMap<Uuid, Uuid> =
        all::<items::Entity>(&three).await.into_iter().map(|i| (i.id, seller_user[&i.seller_id])).collect();
    let raffles = all::<raffles::Entity>(&three).await;
    let raffle_seller: HashMap<Uuid, Uuid> = raffles.iter().map(|r| (r.id, item_seller[&r.item_id])).collect();
    let same = |what: &str, user: Uuid, other: Uuid| {
        assert_eq!(cell[&user], cell[&other], "{what}: user {user} and user {other} are in different cells");
    };
    for r in &raffles {
        if let Some(winner) = r.winner_id {
            same("a raffle's winner and seller", winner, raffle_seller[&r.id]);
        }
    }
    for p in all::<box_purchases::Entity>(&three).await {
        same("a buyer and the raffle's seller", p.user_id, raffle_seller[&p.raffle_id]);
    }
    for t in all::<transactions::Entity>(&three).await {
        if let Some(raffle) = t.raffle_id {
            same("a transaction's user and its raffle's seller", t.user_id, raffle_seller[&raffle]);
        }
    }
    for credit in all::<user_credits::Entity>(&three).await {
        if let Some(raffle) = credit.raffle_id {
            same("a credit's user and its raffle's seller", credit.user_id, raffle_seller[&raffle]);
        }
        if let Some(item) = credit.item_id {
            same("a credit's user and its item's seller", credit.user_id, item_seller[&item]);
        }
    }

    // Cell 0 is the one-cell world.
    let counted_across_cells = |u: users::Model| users::Model { email: String::new(), phone: None, ..u };
    let people_one: Vec<_> = all::<users::Entity>(&one).await.into_iter().map(counted_across_cells).collect();
    let people_three: Vec<_> = people.into_iter().map(counted_across_cells).collect();
    within("users", &people_one, &people_three);
    within("sellers", &all::<sellers::Entity>(&one).await, &all::<sellers::Entity>(&three).await);
    within("items", &all::<items::Entity>(&one).await, &all::<items::Entity>(&three).await);
    within("raffles", &all::<raffles::Entity>(&one).await, &raffles);
    within("transactions", &all::<transactions::Entity>(&one).await, &all::<transactions::Entity>(&three).await);
    within("box_purchases", &all::<box_purchases::Entity>(&one).await, &all::<box_purchases::Entity>(&three).await);
    within("user_credits", &all::<user_credits::Entity>(&one).await, &all::<user_credits::Entity>(&three).await);
    within("notifications", &all::<notifications::Entity>(&one).await, &all::<notifications::Entity>(&three).await);

    // The reference rows are the upsert's, but for who last set the settings: the admin.
    let empty = c.migrated(domain).await;
    seedbed_seeds::reference::apply(&empty, domain.seeder, seedbed_seeds::default_now(), false).await.unwrap();
    let by_code = |mut rows: Vec<seller_subscriptions::Model>| {
        rows.sort_by(|x, y| x.code.cmp(&y.code));
        rows
    };
    assert_eq!(
        by_code(all::<seller_subscriptions::Entity>(&three).await),
        by_code(all::<seller_subscriptions::Entity>(&empty).await),
        "the tiers"
    );
    let admin = all::<users::Entity>(&three).await.into_iter().find(|u| u.email == "admin@raffle.example.com");
    let by_key = |rows: Vec<system_settings::Model>, by: Option<Uuid>| {
        let mut rows: Vec<_> = rows.into_iter().map(|s| system_settings::Model { updated_by: by, ..s }).collect();
        rows.sort_by(|x, y| x.key.cmp(&y.key));
        rows
    };
    let settings = all::<system_settings::Entity>(&three).await;
    let admin = admin.map(|u| u.id);
    assert!(admin.is_some() && settings.iter().all(|s| s.updated_by == admin), "the admin set the settings");
    assert_eq!(by_key(settings, None), by_key(all::<system_settings::Entity>(&empty).await, None), "the settings");
}
