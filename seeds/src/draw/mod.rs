//! The draw domain's data: a year of Lucky11 up to the reference time.
//!
//! Players sign in through the auth provider, claim daily bonuses and buy coins; they enter
//! draws (a few players enter almost everything, most enter now and then), paying the entry
//! fee in coins; every past draw has been drawn and has one winner among its entrants, and
//! upcoming draws are filling up. Coins are simulated in time order across all draws, so a
//! player's coins are the sum of their transactions and never go negative.
//!
//! The later versions' tables follow from that history: friend requests, shares and
//! referrals (1.2.0, `social`) and subscriptions to premium plans (1.4.0, `premium`),
//! whose ledger entries are appended after the simulated ones.

mod premium;
mod reference;
mod rules;
mod social;
mod text;

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};

use chrono::{DateTime, Duration, Utc};
use sea_orm::entity::prelude::async_trait;
use sea_orm::prelude::Decimal;
use sea_orm::sea_query::TableCreateStatement;
use sea_orm::{DbBackend, DbErr, Statement, Value};
use seedbed_draw::enums::{Language, Theme, TransactionType};
use seedbed_draw::*;
use serde_json::json;

use crate::describe::{Facet, Measure};
use crate::places::{Zone, cities, home_of, zone_named};
use crate::rhythm::{Crowd, Rhythm, Warp, keen_early};
use crate::stream::{DAY, Pool, Rng, email};
use crate::table::{TableOps, table};
use crate::writer::Sink;
use crate::{Account, Check, Ctx, Seeder};

pub struct DrawSeeder;

/// The draw domain's seeder.
pub static SEEDER: DrawSeeder = DrawSeeder;

const DOMAIN: &str = "draw";

/// The documented players; they sign in through the auth provider, by their subject id.
pub const ADMIN_ID: &str = "seed|admin";
pub const WINNER_ID: &str = "seed|winner";
pub const PLAYER_ID: &str = "seed|player";

#[async_trait::async_trait]
impl Seeder for DrawSeeder {
    fn domain(&self) -> &'static str {
        DOMAIN
    }

    fn facets(&self) -> &'static [Facet] {
        FACETS
    }

    fn tables(&self) -> Vec<Box<dyn TableOps>> {
        vec![
            table::<sessions::Entity>(),
            table::<users::Entity>(),
            table::<user_preferences::Entity>(),
            table::<draw_categories::Entity>(),
            table::<draws::Entity>(),
            table::<participations::Entity>(),
            table::<transactions::Entity>(),
            table::<winners::Entity>(),
            table::<friend_requests::Entity>(),
            table::<shares::Entity>(),
            table::<referrals::Entity>(),
            table::<plans::Entity>(),
            table::<subscriptions::Entity>(),
            table::<subscription_payments::Entity>(),
        ]
    }

    fn schema(&self, backend: DbBackend) -> Vec<TableCreateStatement> {
        create_statements(backend)
    }

    fn views(&self) -> &'static [&'static str] {
        VIEWS
    }

    fn accounts(&self) -> Vec<Account> {
        vec![
            Account {
                domain: DOMAIN,
                role: "admin",
                email: "admin@draw.example.com",
                note: "auth subject seed|admin (VIP)",
            },
            Account {
                domain: DOMAIN,
                role: "winner",
                email: "winner@draw.example.com",
                note: "auth subject seed|winner",
            },
            Account {
                domain: DOMAIN,
                role: "player",
                email: "player@draw.example.com",
                note: "auth subject seed|player",
            },
        ]
    }

    fn rules(&self, _backend: DbBackend) -> Vec<Check> {
        rules::rules()
    }

    async fn generate(&self, ctx: &Ctx<'_>) -> Result<(), DbErr> {
        generate(ctx).await
    }

    async fn finish(&self, ctx: &Ctx<'_>) -> Result<(), DbErr> {
        summarise(ctx).await
    }

    async fn reference(
        &self,
        txn: &sea_orm::DatabaseTransaction,
        now: DateTime<Utc>,
        write: bool,
    ) -> Result<crate::reference::Outcome, DbErr> {
        reference::upsert(txn, now, write).await
    }
}

/// The category id a title's first word picks, as version 1.3.0's backfill does.
fn category_of(kind: &str) -> i32 {
    match kind {
        "Daily" => 2,
        "Weekend" | "Friday" => 3,
        "Mega" => 4,
        _ => 1,
    }
}

/// Whether the `i`-th player of the cell is one of the documented accounts: the first three
/// of cell 0.
fn documented(ctx: &Ctx<'_>, i: usize) -> bool {
    ctx.cell.is_first() && i < 3
}

/// The auth provider's subject number of the cell's `i`-th player: eight random digits, then
/// three of `i`. The random part is congruent to the cell's index modulo the cell count, so
/// two cells never give the same subject (one cell keeps the number as drawn).
fn subject(ctx: &Ctx<'_>, drawn: i64, i: usize) -> i64 {
    let (count, index) = (i64::from(ctx.cell.count), i64::from(ctx.cell.index));
    let mut high = drawn - drawn % count + index;
    if high < 10_000_000 {
        high += count;
    } else if high > 99_999_999 {
        high -= count;
    }
    high * 1000 + i as i64 % 1000
}

struct Player {
    id: String,
    created: DateTime<Utc>,
    coins: i32,
    vip: bool,
    /// The time zone of their home city ([`home_of`] their id): when they play.
    zone: &'static Zone,
}

struct Plan {
    id: i32,
    created: DateTime<Utc>,
    draw_time: DateTime<Utc>,
    fee: i32,
    max: i32,
    entrants: i32,
    /// The entrants it was planned for: the replays draw against this, so that a draw that
    /// found fewer players old enough replays the same entries every time.
    target: i32,
    past: bool,
    prize: Decimal,
    winner: Option<usize>,
    /// Since 1.4.0: only subscribers enter.
    premium: bool,
}

/// What the later versions' generators read of the simulated history.
struct World<'a> {
    players: &'a [Player],
    /// Each player's email, by index.
    emails: Vec<Option<String>>,
    draws: &'a [Plan],
    /// Each win's key in `winners`, and its draw's index.
    wins: Vec<(i32, usize)>,
    /// Every entry: draw index, player index, when.
    entries: &'a [(usize, usize, DateTime<Utc>)],
    now: DateTime<Utc>,
    oldest: DateTime<Utc>,
}

/// The entries of one draw, from the draw's own stream: the same every time it is replayed.
struct Entries {
    rng: Rng,
    next: i32,
    count: i32,
    /// The entry window, measured in the players' activity.
    window: Warp,
    entered: BTreeSet<usize>,
}

impl Entries {
    fn new(ctx: &Ctx<'_>, crowd: &Crowd, index: usize, plan: &Plan, now: DateTime<Utc>) -> Self {
        let closes = if plan.past { plan.draw_time } else { now };
        Entries {
            rng: ctx.streams.rng(DOMAIN, &format!("participations#{index}")),
            next: 0,
            count: plan.target,
            window: Warp::new(crowd, plan.created, closes),
            entered: BTreeSet::new(),
        }
    }

    /// The next entry: when, and who (never twice the same player in one draw).
    fn next(&mut self, crowd: &Crowd, pool: &Pool, players: &[Player]) -> Option<(DateTime<Utc>, usize)> {
        if self.next >= self.count {
            return None;
        }
        // Each entry in the first half of its share of the window's activity, in order.
        let share = 2000 * self.next as u64 + self.rng.between(0, 1000) as u64;
        let at = self.window.at(crowd, share, 2000 * self.count as u64);
        self.next += 1;
        for attempt in 0..50 {
            let p = pool.pick(&mut self.rng);
            // At first only a player for whom it is a waking hour, then anyone.
            let awake = attempt >= 25 || Rhythm::awake(&mut self.rng, at, players[p].zone);
            if awake && players[p].created < at && self.entered.insert(p) {
                return Some((at, p));
            }
        }
        // Crowded draws fall back to a walk over everyone old enough.
        let p = (0..players.len()).find(|p| players[*p].created < at && !self.entered.contains(p))?;
        self.entered.insert(p);
        Some((at, p))
    }
}

/// Coins granted outside draws: kind and amount.
const GRANTS: [(TransactionType, i32); 4] = [
    (TransactionType::DailyBonus, 10),
    (TransactionType::ReferralBonus, 50),
    (TransactionType::Refund, 25),
    (TransactionType::Adjustment, 15),
];

#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    Entry(usize),
    /// A player and an index into [`GRANTS`].
    Grant(usize, usize),
}

async fn generate(ctx: &Ctx<'_>) -> Result<(), DbErr> {
    let now = ctx.opts.now;
    let tiny = ctx.opts.profile == crate::Profile::Tiny;

    // Sessions: a few per player, some long expired.
    let n = ctx.opts.count(12, 1000).max(4);
    let mut rng = ctx.streams.rng(DOMAIN, "users");
    let oldest = now - Duration::days(365);
    let rhythm = Rhythm::new(now);
    let crowd = Crowd::new(cities().iter().map(|c| (c.zone, c.population as u64)));
    let mut players = Vec::with_capacity(n);
    let mut emails = Vec::with_capacity(n);
    let mut sink = ctx.sink::<users::Entity>(n as u64);
    for i in 0..n {
        let (first, last) = (rng.first_name(), rng.last_name());
        // The documented accounts are cell 0's first players; other cells' first are anyone.
        let (id, address, created) = match i {
            0 if documented(ctx, i) => {
                (ADMIN_ID.to_owned(), Some("admin@draw.example.com".to_owned()), oldest)
            }
            1 if documented(ctx, i) => {
                (WINNER_ID.to_owned(), Some("winner@draw.example.com".to_owned()), oldest)
            }
            2 if documented(ctx, i) => {
                (PLAYER_ID.to_owned(), Some("player@draw.example.com".to_owned()), oldest)
            }
            _ => (
                format!("replit|{}", subject(ctx, rng.between(10_000_000, 99_999_999), i)),
                rng.percent(90).then(|| email(&first, &last, ctx.cell.number(i))),
                oldest,
            ),
        };
        let zone = home_of(ctx.opts.seed, DOMAIN, &id).zone;
        let created = if documented(ctx, i) {
            created
        } else {
            rhythm.time(&mut rng, oldest, now - Duration::days(7), zone)
        };
        emails.push(address.clone());
        let row = users::Model {
            id: id.clone(),
            email: address,
            first_name: Some(first),
            last_name: rng.percent(90).then_some(last),
            profile_image_url: rng
                .percent(60)
                .then(|| format!("https://img.example.com/avatars/{}.png", rng.hex(12))),
            coins: 0,
            total_participations: 0,
            total_wins: 0,
            total_earnings: Decimal::ZERO,
            current_streak: 0,
            is_vip: (documented(ctx, i) && i == 0) || rng.percent(5),
            created_at: created,
            updated_at: created,
        };
        players.push(Player { id, created, coins: 0, vip: row.is_vip, zone });
        ctx.put(&mut sink, &row).await?;
    }
    ctx.close(&mut sink).await?;

    let mut rng = ctx.streams.rng(DOMAIN, "sessions");
    let mut sink = ctx.sink::<sessions::Entity>(n as u64);
    for (i, p) in players.iter().enumerate() {
        for k in 0..(if documented(ctx, i) { 2 } else { rng.between(0, 2) }) {
            let created = rhythm.time(&mut rng, p.created, now - Duration::hours(1), p.zone);
            let expire = if k == 0 && documented(ctx, i) {
                now + Duration::days(7)
            } else {
                created + Duration::days(7)
            };
            ctx.put(&mut sink, &sessions::Model {
                    sid: rng.hex(32),
                    sess: json!({
                        "cookie": {"originalMaxAge": 604_800_000, "httpOnly": true, "secure": true, "path": "/"},
                        "passport": {"user": {"claims": {"sub": p.id}}},
                    }),
                    expire,
                }).await?;
        }
    }
    ctx.close(&mut sink).await?;

    // Preferences (version 1.1.0): one row per player; tiny data shows every value.
    let mut rng = ctx.streams.rng(DOMAIN, "user_preferences");
    let mut sink = ctx.sink::<user_preferences::Entity>(n as u64);
    const LANGUAGES: [Language; 5] = [Language::En, Language::Es, Language::Fr, Language::De, Language::Pt];
    const THEMES: [Theme; 3] = [Theme::System, Theme::Light, Theme::Dark];
    for (i, p) in players.iter().enumerate() {
        let language = if i < LANGUAGES.len() {
            LANGUAGES[i]
        } else {
            LANGUAGES[[0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4][rng.below(11)]]
        };
        let theme = if i < THEMES.len() { THEMES[i] } else { THEMES[[0, 0, 1, 2][rng.below(4)]] };
        let updated = if rng.percent(40) {
            rhythm.time(&mut rng, p.created, now - Duration::minutes(5), p.zone)
        } else {
            p.created
        };
        ctx.put(
            &mut sink,
            &user_preferences::Model {
                user_id: p.id.clone(),
                notify_email: rng.percent(85),
                notify_push: rng.percent(70),
                notify_sms: rng.percent(15),
                language,
                theme,
                marketing_opt_in: rng.percent(30),
                created_at: p.created,
                updated_at: updated,
            },
        )
        .await?;
    }
    ctx.close(&mut sink).await?;

    // Categories (version 1.3.0): the four a draw's title picks from, which every cell refers
    // to by key and one writes.
    reference::write::<draw_categories::Entity>(ctx, reference::categories(now)).await?;

    // Draws: most are past (drawn, one winner), the rest upcoming.
    let mut pool_rng = ctx.streams.rng(DOMAIN, "activity");
    // The keenest players are mostly early ones: with sign-ups growing, a keen player who
    // joined last month would have had few draws to enter.
    let joined: Vec<DateTime<Utc>> = players.iter().map(|p| p.created).collect();
    let mut weights = keen_early(&mut pool_rng, &joined);
    if ctx.cell.is_first() {
        // The documented winner is among the keenest.
        weights[1] = weights.iter().max().copied().unwrap_or(1);
    }
    let pool = Pool::new((0..n).collect(), &weights);
    let draws_n = ctx.opts.count(8, 300);
    let platform = zone_named("America/New_York").expect("a zone of the gazetteer");
    let mut rng = ctx.streams.rng(DOMAIN, "draws");
    let mut plans = Vec::with_capacity(draws_n);
    for i in 0..draws_n {
        let past = i % 5 != 1;
        let max = if tiny { rng.between(3, 6) } else { rng.between(10, 120) } as i32;
        // Past draws run on the platform's clock (Eastern time): evenings, more as it grows,
        // most in its busy weeks.
        let draw_time = if past {
            rhythm.time(&mut rng, oldest + Duration::days(20), now - Duration::hours(1), platform)
        } else {
            rng.time_between(now + Duration::hours(2), now + Duration::days(30))
        };
        let created = draw_time - rng.seconds(7 * DAY, 14 * DAY);
        let entrants = if past {
            rng.between((max as i64 * 6 / 10).max(1), max as i64)
        } else {
            rng.between(0, max as i64 - 1)
        } as i32;
        plans.push(Plan {
            id: ctx.cell.key32(i as i32 + 1),
            created,
            draw_time,
            fee: if i == 0 || rng.percent(10) { 0 } else { [5, 10, 10, 20, 25, 50][rng.below(6)] },
            max,
            entrants,
            target: entrants,
            past,
            prize: Decimal::new(rng.between(10, 5000) * 100, 2),
            winner: None,
            premium: false,
        });
    }
    // First replay: how many entered each draw, who won each past draw, and which draw has
    // the first entry of all.
    let mut first_entry: Option<(DateTime<Utc>, usize)> = None;
    for (i, plan) in plans.iter_mut().enumerate() {
        let mut entries = Entries::new(ctx, &crowd, i, plan, now);
        let mut entrants = Vec::new();
        while let Some((at, p)) = entries.next(&crowd, &pool, &players) {
            if plan.past && entrants.is_empty() && first_entry.is_none_or(|(first, _)| at < first) {
                first_entry = Some((at, i));
            }
            entrants.push(p);
        }
        plan.entrants = entrants.len() as i32;
        if plan.past && !entrants.is_empty() {
            let mut pick = ctx.streams.rng(DOMAIN, &format!("winners#{i}"));
            let documented_winner = ctx.cell.is_first() && i == 0 && entrants.contains(&1);
            plan.winner = Some(if documented_winner { 1 } else { *pick.pick(&entrants) });
        }
    }
    let premium = premium::premium_draws(ctx, &plans, now, oldest, first_entry.map(|(_, d)| d));
    for (plan, premium) in plans.iter_mut().zip(premium) {
        plan.premium = premium;
    }
    let mut sink = ctx.sink::<draws::Entity>(draws_n as u64);
    let mut words = ctx.streams.rng(DOMAIN, "draws/text");
    for p in &plans {
        let drawn = p.winner.is_some();
        let kind = ["Friday", "Weekend", "Mega", "Daily", "Lucky"][rng.below(5)];
        ctx.put(
            &mut sink,
            &draws::Model {
                id: p.id,
                title: format!("{kind} Jackpot #{}", p.id),
                category_id: category_of(kind),
                description: rng.percent(80).then(|| {
                    let prize = p.prize.mantissa() as i64 * 100 / 10_i64.pow(p.prize.scale());
                    text::draw(&mut words, kind, prize, p.fee, p.max, p.draw_time, p.premium)
                }),
                prize_amount: p.prize,
                entry_fee: p.fee,
                max_participants: p.max,
                current_participants: p.entrants,
                draw_time: p.draw_time,
                prize_image_url: rng
                    .percent(70)
                    .then(|| format!("https://img.example.com/prizes/{}.jpg", rng.hex(12))),
                is_active: !drawn,
                winner_id: p.winner.map(|w| players[w].id.clone()),
                created_at: p.created,
                updated_at: if drawn { p.draw_time + Duration::minutes(1) } else { p.created },
                is_premium: p.premium,
            },
        )
        .await?;
    }
    ctx.close(&mut sink).await?;

    // Second replay, in time order across draws, with the coins that pay for the entries.
    let mut parts = ctx.sink::<participations::Entity>(0);
    let mut txs = ctx.sink::<transactions::Entity>(0);
    let mut tx_rng = ctx.streams.rng(DOMAIN, "transactions");
    let mut heap: BinaryHeap<Reverse<(DateTime<Utc>, u64, Event)>> = BinaryHeap::new();
    let mut seq = 0u64;
    let mut runs: BTreeMap<usize, (Entries, usize)> = BTreeMap::new();
    for (i, plan) in plans.iter().enumerate() {
        let mut entries = Entries::new(ctx, &crowd, i, plan, now);
        if let Some((at, p)) = entries.next(&crowd, &pool, &players) {
            seq += 1;
            heap.push(Reverse((at, seq, Event::Entry(i))));
            runs.insert(i, (entries, p));
        }
    }
    let mut bonus_rng = ctx.streams.rng(DOMAIN, "bonuses");
    for (i, p) in players.iter().enumerate() {
        let bonuses = (weights[i] / 100_000).min(20) as i64 + bonus_rng.between(0, 2);
        for _ in 0..bonuses {
            seq += 1;
            let at = rhythm.time(&mut bonus_rng, p.created, now - Duration::minutes(1), p.zone);
            heap.push(Reverse((at, seq, Event::Grant(i, 0))));
        }
        if i == 3 || bonus_rng.percent(10) {
            seq += 1;
            let at = p.created + Duration::days(1);
            heap.push(Reverse((at.min(now - Duration::minutes(1)), seq, Event::Grant(i, 1))));
        }
        if i == 4 || bonus_rng.percent(3) {
            seq += 1;
            let at = bonus_rng.time_between(p.created, now - Duration::minutes(1));
            heap.push(Reverse((at, seq, Event::Grant(i, 2))));
        }
        if i == 5 || bonus_rng.percent(2) {
            seq += 1;
            let at = bonus_rng.time_between(p.created, now - Duration::minutes(1));
            heap.push(Reverse((at, seq, Event::Grant(i, 3))));
        }
    }
    let mut next_tx = 1;
    let mut next_part = 1;
    let mut entered: Vec<(usize, usize, DateTime<Utc>)> = Vec::new();
    let mut tx = |txs: &mut Sink<transactions::Entity>,
                  players: &mut [Player],
                  p: usize,
                  kind,
                  amount: i32,
                  at,
                  draw: Option<i32>,
                  text: String| {
        players[p].coins += amount;
        let row = transactions::Model {
            id: ctx.cell.key32(next_tx),
            user_id: players[p].id.clone(),
            kind,
            amount,
            description: Some(text),
            draw_id: draw,
            created_at: at,
        };
        next_tx += 1;
        txs.push(&row)
    };
    while let Some(Reverse((at, _, event))) = heap.pop() {
        let mut full = false;
        match event {
            Event::Entry(d) => {
                let (mut entries, p) = runs.remove(&d).expect("a running draw");
                let plan = &plans[d];
                if plan.fee > 0 {
                    if players[p].coins < plan.fee {
                        let packs = (plan.fee - players[p].coins + 99) / 100 + tx_rng.between(0, 3) as i32;
                        full |= tx(
                            &mut txs,
                            &mut players,
                            p,
                            TransactionType::CoinPurchase,
                            packs * 100,
                            at,
                            None,
                            format!("{} coins", packs * 100),
                        );
                    }
                    full |= tx(
                        &mut txs,
                        &mut players,
                        p,
                        TransactionType::DrawEntry,
                        -plan.fee,
                        at,
                        Some(plan.id),
                        format!("Entry to draw #{}", plan.id),
                    );
                }
                entered.push((d, p, at));
                full |= parts.push(&participations::Model {
                    id: ctx.cell.key32(next_part),
                    user_id: players[p].id.clone(),
                    draw_id: plan.id,
                    participated_at: at,
                });
                next_part += 1;
                if let Some((next_at, next_p)) = entries.next(&crowd, &pool, &players) {
                    seq += 1;
                    heap.push(Reverse((next_at, seq, Event::Entry(d))));
                    runs.insert(d, (entries, next_p));
                }
            }
            Event::Grant(p, g) => {
                let (kind, coins) = GRANTS[g];
                let amount =
                    if kind == TransactionType::Adjustment && players[p].coins >= coins && tx_rng.percent(50)
                    {
                        -coins
                    } else {
                        coins
                    };
                let text = match kind {
                    TransactionType::DailyBonus => "Daily bonus".to_owned(),
                    TransactionType::ReferralBonus => "A friend joined".to_owned(),
                    TransactionType::Refund => "Refund after a support request".to_owned(),
                    _ => "Balance correction".to_owned(),
                };
                full |= tx(&mut txs, &mut players, p, kind, amount, at, None, text);
            }
        }
        if full {
            // Participations and entry debits name their draw and player, written above.
            ctx.flush(&mut txs).await?;
            ctx.flush(&mut parts).await?;
        }
    }
    ctx.close(&mut parts).await?;

    // Versions 1.2.0 and 1.4.0: their ledger entries come after the simulated ones.
    let mut wins = Vec::new();
    for (d, p) in plans.iter().enumerate() {
        if p.winner.is_some() {
            wins.push((ctx.cell.key32(wins.len() as i32 + 1), d));
        }
    }
    let world = World { players: &players, emails, draws: &plans, wins, entries: &entered, now, oldest };
    let social = social::plan(ctx, &world, &mut next_tx);
    let premium = premium::plan(ctx, &world, &mut next_tx);
    for row in social.rewards.iter().chain(&premium.ledger) {
        ctx.put(&mut txs, row).await?;
    }
    ctx.close(&mut txs).await?;

    let mut rng = ctx.streams.rng(DOMAIN, "winners");
    let mut sink = ctx.sink::<winners::Entity>(0);
    let mut next_id = 1;
    for p in &plans {
        let Some(w) = p.winner else { continue };
        ctx.put(
            &mut sink,
            &winners::Model {
                id: ctx.cell.key32(next_id),
                user_id: players[w].id.clone(),
                draw_id: p.id,
                prize_amount: p.prize,
                won_at: p.draw_time + Duration::minutes(1),
                celebration_video_url: rng
                    .percent(30)
                    .then(|| format!("https://video.example.com/wins/{}.mp4", rng.hex(12))),
                is_public: next_id == 1 || rng.percent(80),
            },
        )
        .await?;
        next_id += 1;
    }
    ctx.close(&mut sink).await?;
    social::write(ctx, social).await?;
    premium::write(ctx, &world, premium).await?;

    Ok(())
}

/// The users' statistics from the rows of every cell, and the sequences moved past the seeded
/// keys: once, after the last cell.
async fn summarise(ctx: &Ctx<'_>) -> Result<(), DbErr> {
    let streak_since = Value::from(ctx.opts.now - Duration::days(30));
    if ctx.backend == DbBackend::MySql {
        let sums = |sql: &str, values: Vec<Value>| Statement::from_sql_and_values(ctx.backend, sql, values);
        let update = "UPDATE users u \
             LEFT JOIN seedbed_coins t ON t.k = u.id \
             LEFT JOIN seedbed_participations p ON p.k = u.id \
             LEFT JOIN seedbed_wins w ON w.k = u.id \
             SET u.coins = COALESCE(t.coins, 0), u.total_participations = COALESCE(p.n, 0), \
             u.total_wins = COALESCE(w.n, 0), u.total_earnings = ROUND(COALESCE(w.earnings, 0), 2), \
             u.current_streak = COALESCE(p.recent, 0)";
        let sums = vec![
            (
                "seedbed_coins",
                sums(
                    "SELECT user_id AS k, SUM(amount) AS coins FROM transactions USE INDEX () WHERE user_id IS NOT NULL GROUP BY user_id",
                    vec![],
                ),
            ),
            (
                "seedbed_participations",
                sums(
                    "SELECT user_id AS k, COUNT(*) AS n, SUM(participated_at > ?) AS recent FROM participations USE INDEX () \
                     WHERE user_id IS NOT NULL GROUP BY user_id",
                    vec![streak_since],
                ),
            ),
            (
                "seedbed_wins",
                sums(
                    "SELECT user_id AS k, COUNT(*) AS n, SUM(prize_amount) AS earnings FROM winners USE INDEX () \
                     WHERE user_id IS NOT NULL GROUP BY user_id",
                    vec![],
                ),
            ),
        ];
        return ctx.update_joining_sums(sums, update).await;
    }
    // PostgreSQL: each table grouped once (hash aggregates) and joined, rather than five index
    // probes per user: 0.21 s against 0.68-0.79 s at `dev --scale 10` (docs/performance.md).
    // The self-join keeps users without rows, as the correlated form does.
    let sql = if ctx.backend == DbBackend::Postgres {
        "UPDATE users u SET coins = COALESCE(t.coins, 0), total_participations = COALESCE(p.n, 0), \
         total_wins = COALESCE(w.n, 0), total_earnings = ROUND(COALESCE(w.earnings, 0), 2), \
         current_streak = COALESCE(p.recent, 0) \
         FROM users x \
         LEFT JOIN (SELECT user_id, SUM(amount) AS coins FROM transactions WHERE user_id IS NOT NULL GROUP BY user_id) t \
           ON t.user_id = x.id \
         LEFT JOIN (SELECT user_id, COUNT(*) AS n, COUNT(*) FILTER (WHERE participated_at > $1) AS recent \
           FROM participations WHERE user_id IS NOT NULL GROUP BY user_id) p ON p.user_id = x.id \
         LEFT JOIN (SELECT user_id, COUNT(*) AS n, SUM(prize_amount) AS earnings FROM winners \
           WHERE user_id IS NOT NULL GROUP BY user_id) w ON w.user_id = x.id \
         WHERE u.id = x.id"
    } else {
        CORRELATED_SUMMARIES
    };
    ctx.execute(Statement::from_sql_and_values(ctx.backend, sql, [streak_since])).await?;
    // Rows were written with explicit serial keys, which PostgreSQL's sequences do not see:
    // move them past the seeded keys, so that the application's own inserts work.
    if ctx.backend == DbBackend::Postgres {
        for table in [
            "draw_categories",
            "draws",
            "participations",
            "transactions",
            "winners",
            "friend_requests",
            "shares",
            "referrals",
            "plans",
            "subscriptions",
            "subscription_payments",
        ] {
            let sql = format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
            );
            ctx.execute(Statement::from_string(ctx.backend, sql)).await?;
        }
    }
    Ok(())
}

/// The users' statistics as SQLite plans them well: one correlated subquery per figure.
const CORRELATED_SUMMARIES: &str = "UPDATE users SET \
         coins = COALESCE((SELECT SUM(t.amount) FROM transactions t WHERE t.user_id = users.id), 0), \
         total_participations = (SELECT COUNT(*) FROM participations p WHERE p.user_id = users.id), \
         total_wins = (SELECT COUNT(*) FROM winners w WHERE w.user_id = users.id), \
         total_earnings = ROUND(COALESCE((SELECT SUM(w.prize_amount) FROM winners w WHERE w.user_id = users.id), 0), 2), \
         current_streak = (SELECT COUNT(*) FROM participations p WHERE p.user_id = users.id AND p.participated_at > ?)";

/// What `seedbed describe` charts for draw: the columns that show whether the data looks live.
const FACETS: &[Facet] = &[
    Facet::new("users", "created_at", Measure::Month, "sign-ups per month"),
    Facet::new("draws", "category_id", Measure::Mix, "draws by category (id)"),
    Facet::new("draws", "prize_amount", Measure::Amount, "draw prizes (dollars)"),
    Facet::new("participations", "user_id", Measure::PerUser, "draw entries per player"),
    Facet::new("participations", "participated_at", Measure::Hour, "draw entries by hour of day (UTC)"),
    Facet::new("participations", "participated_at", Measure::Weekday, "draw entries by day of week (UTC)"),
    Facet::new("participations", "participated_at", Measure::Month, "draw entries per month"),
    Facet::new("transactions", "type", Measure::Mix, "coin transactions by type"),
    Facet::new("subscriptions", "status", Measure::Mix, "premium subscriptions by status"),
];
